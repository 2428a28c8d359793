/* tsr run / info for language models: loads the model through the public
 * API (tessera/llm.h), streams the generated text to stdout and prints one
 * summary line on stderr (so stdout is exactly the text). */
#define _POSIX_C_SOURCE 200809L
#include "tools/tsr/cmd_llm.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tessera/tessera.h"
#include "tools/tsr/commands.h"

/* ---- matching ---- */

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  if (n < m) return false;
  for (size_t i = 0; i < m; ++i) {
    char c = s[n - m + i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

static int32_t le32(const unsigned char *p) {
  return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

static uint64_t le64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

static bool match_gguf(FILE *f) {
  unsigned char h[24 + 8 + 23 + 4 + 8 + 16];
  size_t n = fread(h, 1, sizeof(h), f);
  if (n < 4 || memcmp(h, "GGUF", 4) != 0) return false;
  /* If the first key is general.architecture, it must say llama. */
  static const char key[] = "general.architecture";
  const size_t kl = sizeof(key) - 1;
  if (n < 24 + 8 + kl + 4 + 8) return true;
  if (le64(h + 24) != kl || memcmp(h + 32, key, kl) != 0) return true;
  const unsigned char *v = h + 32 + kl;
  if (le32(v) != 8) return true; /* not a string: let the loader explain */
  uint64_t len = le64(v + 4);
  if (n < 24 + 8 + kl + 4 + 8 + 5) return true;
  return len == 5 && memcmp(v + 12, "llama", 5) == 0;
}

static bool match_llama2c(FILE *f) {
  unsigned char h[28];
  if (fread(h, 1, sizeof(h), f) != sizeof(h)) return false;
  if (memcmp(h, "42ka", 4) == 0) return true; /* newer llama2.c export: the loader says which */
  int64_t d = le32(h), hid = le32(h + 4), L = le32(h + 8), nh = le32(h + 12), nkv = le32(h + 16), v = le32(h + 20),
          seq = le32(h + 24);
  if (d <= 0 || hid <= 0 || L <= 0 || nh <= 0 || nkv <= 0 || v == 0 || seq <= 0 || d % nh != 0 || nkv > nh ||
      d > (1 << 20) || hid > (1 << 20) || L > 4096 || seq > (1 << 24) || v > (1 << 24) || v < -(1 << 24))
    return false;
  int64_t vocab = v < 0 ? -v : v, hd = d / nh, kv = nkv * hd;
  uint64_t floats = (uint64_t)vocab * d + (uint64_t)L * (2 * d + 2 * d * d + 2 * kv * d + 3 * hid * d) + d +
                    (uint64_t)seq * hd + (v < 0 ? (uint64_t)vocab * d : 0);
  if (fseek(f, 0, SEEK_END) != 0) return false;
  long size = ftell(f);
  return size >= 0 && (uint64_t)size == 28 + 4 * floats;
}

bool tsr_llm_match(const char *path) {
  bool gguf = ends_with(path, ".gguf"), bin = ends_with(path, ".bin");
  if (!gguf && !bin) return false;
  /* Non-blocking, and only a regular file is peeked at: a FIFO or a device
   * goes to the loader, which refuses it by name. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return true; /* the loader reports the I/O error */
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return true;
  }
  FILE *f = fdopen(fd, "rb");
  if (f == NULL) {
    close(fd);
    return true;
  }
  bool ok = gguf ? match_gguf(f) : match_llama2c(f);
  fclose(f);
  return ok;
}

/* ---- options ---- */

typedef struct llm_args {
  const char *model, *tokenizer, *prompt, *prompt_file, *target, *stop, *kv_type;
  int32_t n_predict, n_ctx, batch;
  uint32_t threads;
  tsr_sampler_params sp;
  bool seed_set, no_bos;
  bool fallback_cpu; /* --fallback cpu */
} llm_args;

static void run_usage(FILE *f) {
  fprintf(f,
          "usage: tsr run [-m] MODEL [-z TOKENIZER] [-p PROMPT] [-n N] [options]\n"
          "\n"
          "Generates text with a language model: GGUF (llama architecture) or a\n"
          "llama2.c checkpoint (.bin; give its tokenizer.bin with -z). The text\n"
          "goes to stdout as it is generated (prompt included), then one summary\n"
          "line to stderr.\n"
          "\n"
          "  -m, --model PATH        the model\n"
          "  -z, --tokenizer PATH    llama2.c tokenizer.bin\n"
          "  -p, --prompt TEXT       the prompt (default: empty, start from BOS)\n"
          "  -f, --file PATH         read the prompt from a file\n"
          "  -n, --n-predict N       tokens to generate (default 256; <= 0: until the end)\n"
          "  --temp T                temperature (default 0.8; 0: greedy)\n"
          "  --top-k K               (default 40; 0: off)\n"
          "  --top-p P               (default 0.95; 1: off)\n"
          "  --min-p P               (default 0.05; 0: off)\n"
          "  --repeat-penalty R      (default 1.0: off)\n"
          "  --repeat-last-n N       window of the penalty (default 64)\n"
          "  -s, --seed S            random seed (default: from the clock, printed)\n"
          "  --stop TEXT             stop when TEXT is generated (not printed)\n"
          "  --no-bos                do not prepend BOS to the prompt\n"
          "  --target NAME           run on NAME (see 'tsr targets'; default cpu); an unavailable\n"
          "                          target or an op it cannot run is an error unless --fallback cpu\n"
          "  --fallback cpu|none     run on the CPU what the target cannot (reported; default none)\n"
          "  --ctx N                 KV cache length (default: the model's, at most 4096)\n"
          "  --kv-type f32|f16       KV cache element type (default f32)\n"
          "  --batch N               largest prefill batch (default 64)\n"
          "  -t, --threads N         CPU threads (default: all)\n");
}

static bool parse_int(const char *s, long long lo, long long hi, long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

static bool parse_float(const char *s, float *out) {
  char *end;
  errno = 0;
  float v = strtof(s, &end);
  /* NaN and infinities are refused: every float option is a finite number. */
  if (errno != 0 || end == s || *end != '\0' || !isfinite(v)) return false;
  *out = v;
  return true;
}

/* Returns 0 on success, 2 on a usage error (printed). */
static int parse_args(int argc, char **argv, llm_args *a, const char *cmd) {
  memset(a, 0, sizeof(*a));
  tsr_sampler_params_default(&a->sp);
  a->n_predict = 256;
  for (int i = 1; i < argc; ++i) {
    const char *o = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    long long iv = 0;
#define IS(x) (strcmp(o, (x)) == 0)
#define NEED()                                                            \
  do {                                                                    \
    if (v == NULL) {                                                      \
      fprintf(stderr, "tsr %s: option %s needs a value\n", cmd, o);       \
      return 2;                                                           \
    }                                                                     \
    ++i;                                                                  \
  } while (0)
#define BAD()                                                             \
  do {                                                                    \
    fprintf(stderr, "tsr %s: invalid value '%s' for %s\n", cmd, v, o);   \
    return 2;                                                             \
  } while (0)
    if (IS("-m") || IS("--model")) {
      NEED();
      a->model = v;
    } else if (IS("-z") || IS("--tokenizer")) {
      NEED();
      a->tokenizer = v;
    } else if (IS("-p") || IS("--prompt")) {
      NEED();
      a->prompt = v;
    } else if (IS("-f") || IS("--file")) {
      NEED();
      a->prompt_file = v;
    } else if (IS("-n") || IS("--n-predict")) {
      NEED();
      if (!parse_int(v, INT32_MIN, INT32_MAX, &iv)) BAD();
      a->n_predict = (int32_t)iv;
    } else if (IS("--temp")) {
      NEED();
      if (!parse_float(v, &a->sp.temperature) || a->sp.temperature < 0) BAD();
    } else if (IS("--top-k")) {
      NEED();
      if (!parse_int(v, 0, INT32_MAX, &iv)) BAD();
      a->sp.top_k = (int32_t)iv;
    } else if (IS("--top-p")) {
      NEED();
      if (!parse_float(v, &a->sp.top_p) || a->sp.top_p < 0 || a->sp.top_p > 1) BAD();
    } else if (IS("--min-p")) {
      NEED();
      if (!parse_float(v, &a->sp.min_p) || a->sp.min_p < 0 || a->sp.min_p > 1) BAD();
    } else if (IS("--repeat-penalty")) {
      NEED();
      if (!parse_float(v, &a->sp.repeat_penalty) || a->sp.repeat_penalty <= 0) BAD();
    } else if (IS("--repeat-last-n")) {
      NEED();
      if (!parse_int(v, -1, INT32_MAX, &iv)) BAD();
      a->sp.repeat_last_n = (int32_t)iv;
    } else if (IS("-s") || IS("--seed")) {
      NEED();
      if (!parse_int(v, 0, INT64_MAX, &iv)) BAD();
      a->sp.seed = (uint64_t)iv;
      a->seed_set = true;
    } else if (IS("--stop")) {
      NEED();
      a->stop = v;
    } else if (IS("--no-bos")) {
      a->no_bos = true;
    } else if (IS("--target")) {
      NEED();
      tsr_error nerr;
      if (tsr_target_check_name(v, &nerr) != TSR_OK) {
        fprintf(stderr, "tsr %s: %s\n", cmd, nerr.message);
        return 2;
      }
      a->target = v;
    } else if (IS("--fallback")) {
      NEED();
      if (strcmp(v, "cpu") != 0 && strcmp(v, "none") != 0) BAD();
      a->fallback_cpu = strcmp(v, "cpu") == 0;
    } else if (IS("--ctx") || IS("-c")) {
      NEED();
      if (!parse_int(v, 1, 1 << 24, &iv)) BAD();
      a->n_ctx = (int32_t)iv;
    } else if (IS("--kv-type")) {
      NEED();
      if (strcmp(v, "f32") != 0 && strcmp(v, "f16") != 0) BAD();
      a->kv_type = v;
    } else if (IS("--batch")) {
      NEED();
      if (!parse_int(v, 1, 1 << 20, &iv)) BAD();
      a->batch = (int32_t)iv;
    } else if (IS("-t") || IS("--threads")) {
      NEED();
      if (!parse_int(v, 1, 4096, &iv)) BAD();
      a->threads = (uint32_t)iv;
    } else if (a->model == NULL && o[0] != '-') {
      a->model = o;
    } else {
      fprintf(stderr, "tsr %s: unknown option '%s' (see tsr %s -m MODEL --help)\n", cmd, o, cmd);
      return 2;
    }
#undef IS
#undef NEED
#undef BAD
  }
  if (a->model == NULL) {
    fprintf(stderr, "tsr %s: no model given (-m MODEL)\n", cmd);
    return 2;
  }
  if (a->prompt && a->prompt_file) {
    fprintf(stderr, "tsr %s: give -p or -f, not both\n", cmd);
    return 2;
  }
  return 0;
}

/* ---- loading ---- */

typedef struct llm_session {
  tsr_allocator alloc;
  tsr_target *target; /* --target, if any */
  tsr_target *cpu;    /* the CPU fallback */
  tsr_llm *model;
  char target_name[48];
  char fallback_note[TSR_ERROR_MESSAGE_MAX]; /* what ran on the CPU fallback, or "" */
} llm_session;

static void session_free(llm_session *s) {
  tsr_llm_free(s->model);
  if (s->target && s->target != s->cpu) tsr_target_destroy(s->target);
  if (s->cpu) tsr_target_destroy(s->cpu);
}

static bool is_host_cpu(tsr_target *t) {
  tsr_target_caps caps;
  return t != NULL && tsr_target_get_caps(t, &caps) == TSR_OK && caps.kind == TSR_TARGET_KIND_CPU &&
         (caps.flags & TSR_CAP_HOST_MEMORY);
}

/* The failure policy: an unavailable target, or a model it cannot run, is an
 * error unless --fallback cpu; the fallback, when used, is reported. */
static int session_open(llm_session *s, const llm_args *a, const char *cmd) {
  memset(s, 0, sizeof(*s));
  s->alloc = tsr_allocator_system();
  tsr_error err = {0};
  tsr_target_options to;
  memset(&to, 0, sizeof(to));
  to.n_threads = a->threads;
  to.allow_cpu_device = true;
  if (a->target != NULL) {
    tsr_status st = tsr_target_create(a->target, &to, &s->alloc, &s->target, &err);
    if (st != TSR_OK) {
      if (!a->fallback_cpu) {
        fprintf(stderr, "tsr %s: target %s unavailable: %s (--fallback cpu runs on the CPU instead)\n", cmd,
                a->target, err.message);
        return 1;
      }
      snprintf(s->fallback_note, sizeof(s->fallback_note), "fallback: target %.32s unavailable (%.160s): ran on cpu",
               a->target, err.message);
      s->target = NULL;
    }
  }
  tsr_target_caps caps;
  if (is_host_cpu(s->target)) {
    s->cpu = s->target; /* a CPU target is its own fallback */
  } else if (s->target == NULL || a->fallback_cpu) {
    tsr_status st = tsr_cpu_target_create(&to, &s->alloc, &s->cpu, &err);
    if (st != TSR_OK) {
      fprintf(stderr, "tsr %s: cannot create the CPU target: %s\n", cmd, err.message);
      session_free(s);
      return 1;
    }
  }
  tsr_llm_options o;
  memset(&o, 0, sizeof(o));
  o.allocator = &s->alloc;
  o.targets[o.n_targets++] = s->target != NULL ? s->target : s->cpu;
  o.fallback = s->cpu; /* NULL for a non-CPU target without --fallback cpu */
  o.n_ctx = a->n_ctx;
  o.kv_dtype = (a->kv_type && strcmp(a->kv_type, "f16") == 0) ? TSR_DTYPE_F16 : TSR_DTYPE_F32;
  o.max_batch = a->batch;
  o.tokenizer_path = a->tokenizer;
  tsr_target *first = o.targets[0];
  if (tsr_target_get_caps(first, &caps) == TSR_OK) snprintf(s->target_name, sizeof(s->target_name), "%s", caps.name);
#ifdef TSR_NO_FILEIO
  fprintf(stderr, "tsr %s: built without file access\n", cmd);
  session_free(s);
  return 1;
#else
  tsr_status st = tsr_llm_load_file(a->model, &o, &s->model, &err);
  if (st != TSR_OK) {
    fprintf(stderr, "tsr %s: cannot load %s: %s: %s\n", cmd, a->model, tsr_status_string(st), err.message);
    if (st == TSR_ERR_UNSUPPORTED && s->target != NULL && !a->fallback_cpu && !is_host_cpu(s->target))
      fprintf(stderr, "tsr %s: (--fallback cpu runs on the CPU what %s cannot)\n", cmd, s->target_name);
    session_free(s);
    return 1;
  }
  if (s->fallback_note[0] == '\0' && tsr_llm_fallback(s->model) != NULL)
    snprintf(s->fallback_note, sizeof(s->fallback_note), "%s", tsr_llm_fallback(s->model));
  /* Where the nodes went: "cpu", or "vulkan:0 320/352 nodes + cpu". */
  tsr_llm_memory mem;
  if (tsr_llm_get_memory(s->model, &mem) == TSR_OK && mem.n_nodes > 0) {
    const char *first_name = tsr_llm_node_target(s->model, 0);
    uint32_t on_first = 0, n_other = 0;
    const char *other = NULL;
    for (uint32_t i = 0; i < mem.n_nodes; ++i) {
      const char *tn = tsr_llm_node_target(s->model, i);
      if (tn && first_name && strcmp(tn, first_name) == 0) {
        ++on_first;
      } else {
        ++n_other;
        other = tn;
      }
    }
    if (n_other == 0 || other == NULL)
      snprintf(s->target_name, sizeof(s->target_name), "%s", first_name ? first_name : "?");
    else
      snprintf(s->target_name, sizeof(s->target_name), "%.10s %u/%u nodes + %.8s", first_name ? first_name : "?",
               (unsigned)on_first, (unsigned)mem.n_nodes, other);
  }
  return 0;
#endif
}

/* ---- run ---- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct run_state {
  double t_start, t_prompt;
} run_state;

static bool on_text(void *user, int32_t id, const char *text, size_t len) {
  (void)user;
  (void)id;
  if (len > 0 && fwrite(text, 1, len, stdout) != len) return false;
  fflush(stdout);
  return true;
}

static void on_prompt(void *user, size_t n) {
  (void)n;
  ((run_state *)user)->t_prompt = now_s();
}

int tsr_llm_cmd_run(int argc, char **argv) {
  if (tsr_wants_help(argc, argv)) {
    run_usage(stdout);
    return 0;
  }
  llm_args a;
  int rc = parse_args(argc, argv, &a, "run");
  if (rc != 0) return rc;
  if (!a.seed_set) a.sp.seed = (uint64_t)time(NULL);
  tsr_allocator sys = tsr_allocator_system();
  tsr_mapped_file pf;
  memset(&pf, 0, sizeof(pf));
  const char *prompt = a.prompt ? a.prompt : "";
  size_t plen = strlen(prompt);
  if (a.prompt_file) {
    tsr_error ferr;
    tsr_error_clear(&ferr);
    tsr_status fs = tsr_file_map_limited(a.prompt_file, "prompt file", TSR_FILE_MAX_PROMPT_DEFAULT, &sys, &pf, &ferr);
    if (fs != TSR_OK) {
      fprintf(stderr, "tsr run: %s (%s)\n", ferr.message, tsr_status_string(fs));
      return 1;
    }
    prompt = (const char *)pf.data;
    plen = pf.size;
  }
  llm_session s;
  if (session_open(&s, &a, "run") != 0) {
    tsr_file_unmap(&pf);
    return 1;
  }
  if (!tsr_llm_has_tokenizer(s.model)) {
    fprintf(stderr, "tsr run: %s has no tokenizer: give the llama2.c tokenizer.bin with -z\n", a.model);
    session_free(&s);
    tsr_file_unmap(&pf);
    return 1;
  }
  if (a.stop && strlen(a.stop) > TSR_LLM_STOP_MAX) {
    fprintf(stderr, "tsr run: --stop text longer than %d bytes\n", TSR_LLM_STOP_MAX);
    session_free(&s);
    tsr_file_unmap(&pf);
    return 2;
  }
  tsr_llm_generate_params gp;
  tsr_llm_generate_params_default(&gp);
  gp.sampler = a.sp;
  gp.max_tokens = a.n_predict;
  gp.no_bos = a.no_bos;
  gp.stop = a.stop;
  gp.on_text = on_text;
  gp.on_prompt = on_prompt;
  run_state rs = {0, 0};
  gp.user = &rs;
  /* The prompt, as given, is part of the text. */
  if (plen > 0) on_text(NULL, -1, prompt, plen);
  tsr_llm_result r;
  rs.t_start = now_s();
  tsr_status st = tsr_llm_generate(s.model, prompt, plen, &gp, &r);
  double t_end = now_s();
  fflush(stdout);
  if (st != TSR_OK) {
    fprintf(stderr, "\ntsr run: %s: %s\n", tsr_status_string(st), tsr_llm_error(s.model)->message);
    session_free(&s);
    tsr_file_unmap(&pf);
    return 1;
  }
  struct rusage ru;
  double peak_mib = 0.0;
  if (getrusage(RUSAGE_SELF, &ru) == 0) peak_mib = (double)ru.ru_maxrss / 1024.0;
  double tp = rs.t_prompt - rs.t_start, tg = t_end - rs.t_prompt;
  static const char *const reasons[] = {"", "end of text", "token limit", "stop string", "context full", "stopped"};
  char seed[48] = "";
  if (a.sp.temperature > 0) snprintf(seed, sizeof(seed), ", seed %llu", (unsigned long long)a.sp.seed);
  fprintf(stderr, "\n[%s%s%s] prompt: %u tokens, %.1f tok/s | generated: %u tokens, %.1f tok/s (%s%s) | peak memory: %.1f MiB\n",
          s.target_name, s.fallback_note[0] ? "; " : "", s.fallback_note, (unsigned)r.n_prompt, tp > 0 ? r.n_prompt / tp : 0.0, (unsigned)r.n_generated,
          tg > 0 ? r.n_generated / tg : 0.0, (unsigned)r.stop_reason < 6 ? reasons[r.stop_reason] : "?", seed,
          peak_mib);
  session_free(&s);
  tsr_file_unmap(&pf);
  return 0;
}

/* ---- info ---- */

static void human(double b, char *out, size_t n) {
  static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int i = 0;
  while (b >= 1024.0 && i < 4) {
    b /= 1024.0;
    ++i;
  }
  snprintf(out, n, i == 0 ? "%.0f %s" : "%.1f %s", b, u[i]);
}

static void info_usage(FILE *f) {
  fprintf(f,
          "usage: tsr info MODEL [-z TOKENIZER] [--ctx N] [--kv-type f32|f16] [--batch N] [--target NAME]\n"
          "                [--fallback cpu|none]\n"
          "\n"
          "Describes a language model: architecture, shapes, tensors and their\n"
          "types, vocabulary, and the memory it needs with the given context\n"
          "(planned by the engine, as tsr run would use it).\n");
}

int tsr_llm_cmd_info(int argc, char **argv) {
  if (tsr_wants_help(argc, argv)) {
    info_usage(stdout);
    return 0;
  }
  llm_args a;
  int rc = parse_args(argc, argv, &a, "info");
  if (rc != 0) return rc;
  llm_session s;
  if (session_open(&s, &a, "info") != 0) return 1;
  const tsr_llm_hparams *hp = tsr_llm_get_hparams(s.model);
  char b1[32], b2[32], b3[32], b4[32], b5[32];
  printf("model:        %s\n", a.model);
  printf("format:       %s%s%s\n", hp->format == TSR_LLM_FORMAT_GGUF ? "GGUF" : "llama2.c checkpoint",
         hp->name[0] ? ", name: " : "", hp->name);
  printf("architecture: %s\n", hp->arch);
  printf("shapes:       dim %d, feed-forward %d, layers %d, heads %d, kv heads %d (group %d), head dim %d\n",
         (int)hp->dim, (int)hp->hidden_dim, (int)hp->n_layers, (int)hp->n_heads, (int)hp->n_kv_heads,
         (int)(hp->n_heads / hp->n_kv_heads), (int)hp->head_dim);
  printf("context:      %d trained, %d in the KV cache\n", (int)hp->train_ctx, (int)tsr_llm_n_ctx(s.model));
  printf("rope:         %s pairs, %d dims, base %g, frequency scale %g%s\n",
         hp->rope_mode == TSR_ROPE_NEOX ? "neox" : "interleaved", (int)hp->rope_dims, (double)hp->rope_base,
         (double)hp->rope_freq_scale, hp->rope_freq_factors ? ", per-frequency factors" : "");
  printf("norm:         RMSNorm, eps %g\n", (double)hp->norm_eps);
  printf("output:       %s\n", hp->tied_output ? "tied to the token embedding" : "separate classifier");
  if (tsr_llm_has_tokenizer(s.model))
    printf("vocabulary:   %d tokens, BOS %d, EOS %d\n", (int)hp->vocab_size, (int)tsr_llm_bos(s.model),
           (int)tsr_llm_eos(s.model));
  else
    printf("vocabulary:   %d tokens (no tokenizer: give -z for llama2.c models)\n", (int)hp->vocab_size);
  /* Tensors, then a summary by type. */
  uint32_t nt = tsr_llm_tensor_count(s.model);
  uint64_t by_type_n[TSR_DTYPE_COUNT] = {0}, by_type_b[TSR_DTYPE_COUNT] = {0};
  printf("tensors:      %u\n", (unsigned)nt);
  for (uint32_t i = 0; i < nt; ++i) {
    const char *name;
    tsr_tensor t;
    if (tsr_llm_tensor_info(s.model, i, &name, &t) != TSR_OK) continue;
    size_t nb = tsr_tensor_nbytes(&t);
    if ((unsigned)t.dtype < TSR_DTYPE_COUNT) {
      by_type_n[t.dtype]++;
      by_type_b[t.dtype] += nb;
    }
    char shape[64];
    if (t.ndim == 1)
      snprintf(shape, sizeof(shape), "[%lld]", (long long)t.shape[0]);
    else
      snprintf(shape, sizeof(shape), "[%lld, %lld]", (long long)t.shape[0], (long long)t.shape[1]);
    human((double)nb, b1, sizeof(b1));
    printf("  %-28s %-5s %-14s %s\n", name, tsr_dtype_name(t.dtype), shape, b1);
  }
  printf("types:       ");
  for (int d = 0; d < TSR_DTYPE_COUNT; ++d) {
    if (by_type_n[d] == 0) continue;
    human((double)by_type_b[d], b1, sizeof(b1));
    printf(" %s: %llu tensors (%s);", tsr_dtype_name((tsr_dtype)d), (unsigned long long)by_type_n[d], b1);
  }
  printf("\n");
  tsr_llm_memory mem;
  if (tsr_llm_get_memory(s.model, &mem) == TSR_OK) {
    human((double)mem.weight_bytes, b1, sizeof(b1));
    human((double)mem.kv_bytes, b2, sizeof(b2));
    human((double)mem.scratch_bytes, b3, sizeof(b3));
    human((double)mem.naive_bytes, b4, sizeof(b4));
    human((double)mem.load_bytes, b5, sizeof(b5));
    printf("memory:       weights %s (used in place from the file)\n", b1);
    printf("              KV cache %s (%d tokens, %s)\n", b2, (int)tsr_llm_n_ctx(s.model),
           a.kv_type ? a.kv_type : "f32");
    printf("              activations %s planned (%s without reuse)\n", b3, b4);
    human((double)mem.arena_bytes, b3, sizeof(b3));
    printf("              host arena %s (KV cache, activations, inputs, outputs)\n", b3);
    if (mem.device_bytes > 0) {
      human((double)mem.device_bytes, b4, sizeof(b4));
      printf("              device %s\n", b4);
    }
    printf("              total held by the runtime %s (besides the weights)\n", b5);
    printf("graph:        %u nodes in %u entries (batch", (unsigned)mem.n_nodes, (unsigned)mem.n_entries);
    for (uint32_t e = 0; e < mem.n_entries && e < 8; ++e) printf(" %d", (int)mem.batch_sizes[e]);
    printf("), target %s\n", s.target_name);
    if (s.fallback_note[0]) printf("              %s\n", s.fallback_note);
  }
  session_free(&s);
  return 0;
}
