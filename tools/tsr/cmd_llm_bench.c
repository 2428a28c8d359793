/* tsr bench for language models, like llama-bench: prompt processing (pp:
 * P tokens evaluated as one prompt from position 0) and text generation
 * (tg: N single-token steps from position 0), tokens per second, median and
 * spread over repetitions, for each thread count. One untimed warm-up run
 * precedes each test. Token ids are fixed pseudo-random ids of the vocab. */
#define _POSIX_C_SOURCE 200809L
#include "tools/tsr/cmd_llm_bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tessera/llm.h"
#include "tessera/tessera.h"
#include "tools/tsr/cli_args.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: tsr bench [-m] MODEL [-p LIST] [-n LIST] [-t|--threads LIST] [--target NAME] [-r N] [--json]\n"
          "                 [--kv-type f32|f16] [--batch N] [-z TOKENIZER] [--profile]\n\n"
          "Measures prompt processing (pp: N prompt tokens evaluated at once) and text\n"
          "generation (tg: N tokens one at a time) in tokens per second, like llama-bench.\n\n"
          "  -p, --n-prompt LIST   prompt tokens, comma-separated (default 128; 0: skip pp)\n"
          "  -n, --n-gen LIST      generated tokens, comma-separated (default 64; 0: skip tg)\n"
          "  -t, --threads LIST    comma-separated thread counts (default: all CPUs)\n"
          "  --target NAME         target to run on (default cpu); an unavailable target or an op it\n"
          "                        cannot run is an error unless --fallback cpu\n"
          "  --fallback cpu|none   run on the CPU what the target cannot (reported; default none)\n"
          "  -r, --repetitions N   timed runs per test (default 5); median and spread reported\n"
          "  --json                one JSON object per test on stdout instead of the table\n"
          "  --kv-type f32|f16     KV cache type (default f32)\n"
          "  --batch N             largest prefill batch (default: the runtime's)\n"
          "  -z, --tokenizer PATH  llama2.c tokenizer.bin (not needed for timing)\n"
          "  --profile             after each test, the device time per op of its last step (targets\n"
          "                        with timestamp queries, e.g. vulkan), summed by op type\n");
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : (x > y ? 1 : 0);
}

typedef struct stats {
  double median, stddev, min, max;
} stats;

static stats summarize(double *v, int n) {
  stats s = {0, 0, 0, 0};
  if (n <= 0) return s;
  qsort(v, (size_t)n, sizeof(double), cmp_double);
  s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  s.min = v[0];
  s.max = v[n - 1];
  double mean = 0.0;
  for (int i = 0; i < n; ++i) mean += v[i];
  mean /= n;
  for (int i = 0; i < n; ++i) s.stddev += (v[i] - mean) * (v[i] - mean);
  s.stddev = n > 1 ? sqrt(s.stddev / (n - 1)) : 0.0;
  return s;
}

/* One timed pp run: reset, evaluate |n| ids at once. Seconds, < 0 on error. */
static double time_pp(tsr_llm *m, const int32_t *ids, int n) {
  tsr_llm_reset(m);
  const float *lg = NULL;
  double t0 = now_s();
  if (tsr_llm_eval(m, ids, (size_t)n, &lg) != TSR_OK) return -1.0;
  return now_s() - t0;
}

/* One timed tg run: reset, |n| single-token evaluations. */
static double time_tg(tsr_llm *m, const int32_t *ids, int n) {
  tsr_llm_reset(m);
  const float *lg = NULL;
  double t0 = now_s();
  for (int i = 0; i < n; ++i) {
    if (tsr_llm_eval(m, ids + i, 1, &lg) != TSR_OK) return -1.0;
  }
  return now_s() - t0;
}

/* Device time per op type of the last run of the entry evaluating |n|
 * tokens at once (tsr_llm_get_profile), summed over the step. */
static void print_profile(tsr_llm *m, int n, const char *test, bool json) {
  enum { CAP = 8192 };
  tsr_op_timing *tm = malloc(sizeof(*tm) * CAP);
  uint32_t k = 0;
  if (tm == NULL || tsr_llm_get_profile(m, (size_t)n, tm, CAP, &k) != TSR_OK || k == 0) {
    if (json) printf("{\"test\": \"%s\", \"profile\": null}\n", test);
    else printf("  %s: no per-op device times (the target has no timestamp queries)\n", test);
    free(tm);
    return;
  }
  double ms[TSR_OP_COUNT] = {0}, total = 0.0;
  uint32_t count[TSR_OP_COUNT] = {0};
  for (uint32_t i = 0; i < k; ++i) {
    unsigned ty = (unsigned)tm[i].type < TSR_OP_COUNT ? (unsigned)tm[i].type : 0u;
    ms[ty] += tm[i].ms;
    count[ty]++;
    total += tm[i].ms;
  }
  if (json) {
    printf("{\"test\": \"%s\", \"profile\": {\"ops\": %u, \"device_ms\": %.4f, \"by_op\": {", test, (unsigned)k,
           total);
    bool first = true;
    for (int t = 0; t < TSR_OP_COUNT; ++t) {
      if (count[t] == 0) continue;
      printf("%s\"%s\": {\"count\": %u, \"ms\": %.4f}", first ? "" : ", ", tsr_op_type_name((tsr_op_type)t),
             (unsigned)count[t], ms[t]);
      first = false;
    }
    printf("}}}\n");
  } else {
    printf("  %s, one step: %u ops on the device, %.3f ms of device time\n", test, (unsigned)k, total);
    for (int t = 0; t < TSR_OP_COUNT; ++t) {
      if (count[t] == 0) continue;
      printf("    %-12s %4u ops %10.3f ms %5.1f %%\n", tsr_op_type_name((tsr_op_type)t), (unsigned)count[t], ms[t],
             total > 0 ? 100.0 * ms[t] / total : 0.0);
    }
  }
  free(tm);
}

static const char *basename_of(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

int tsr_llm_cmd_bench(int argc, char **argv) {
  if (argc <= 1) {
    usage(stderr);
    return 2;
  }
  const char *model = NULL, *target = "cpu", *tok = NULL, *threads_arg = NULL;
  long long pp_list[16] = {128}, tg_list[16] = {64};
  int n_pp = 1, n_tg = 1, reps = 5, batch = 0;
  bool json = false, profile = false, fallback_cpu = false;
  tsr_dtype kv = TSR_DTYPE_F32;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    }
    if (strcmp(a, "--json") == 0) {
      json = true;
      continue;
    }
    if (strcmp(a, "--profile") == 0) {
      profile = true;
      continue;
    }
    if (a[0] != '-' && model == NULL) {
      model = a; /* the model as a positional argument */
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "tsr bench: %s needs a value\n", a);
      return 2;
    }
    const char *v = argv[++i];
    if (strcmp(a, "-m") == 0 || strcmp(a, "--model") == 0) model = v;
    else if (strcmp(a, "-p") == 0 || strcmp(a, "--n-prompt") == 0) {
      if ((n_pp = tsr_cli_int_list(v, 0, 1 << 20, pp_list, 16)) < 0) return tsr_cli_bad_value("bench", a, v);
    } else if (strcmp(a, "-n") == 0 || strcmp(a, "--n-gen") == 0) {
      if ((n_tg = tsr_cli_int_list(v, 0, 1 << 20, tg_list, 16)) < 0) return tsr_cli_bad_value("bench", a, v);
    }
    else if (strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0) threads_arg = v;
    else if (strcmp(a, "--target") == 0) target = v;
    else if (strcmp(a, "--fallback") == 0) {
      if (strcmp(v, "cpu") != 0 && strcmp(v, "none") != 0) {
        fprintf(stderr, "tsr bench: --fallback takes cpu or none, not '%s'\n", v);
        return 2;
      }
      fallback_cpu = strcmp(v, "cpu") == 0;
    }
    else if (strcmp(a, "-r") == 0 || strcmp(a, "--repetitions") == 0) {
      long long iv;
      if (!tsr_cli_int(v, 1, 1000, &iv)) return tsr_cli_bad_value("bench", a, v);
      reps = (int)iv;
    } else if (strcmp(a, "--batch") == 0) {
      long long iv;
      if (!tsr_cli_int(v, 0, 1 << 20, &iv)) return tsr_cli_bad_value("bench", a, v);
      batch = (int)iv;
    }
    else if (strcmp(a, "-z") == 0 || strcmp(a, "--tokenizer") == 0) tok = v;
    else if (strcmp(a, "--kv-type") == 0) {
      kv = tsr_dtype_from_name(v);
      if (kv != TSR_DTYPE_F32 && kv != TSR_DTYPE_F16) {
        fprintf(stderr, "tsr bench: --kv-type must be f32 or f16\n");
        return 2;
      }
    } else {
      fprintf(stderr, "tsr bench: unknown option %s\n", a);
      usage(stderr);
      return 2;
    }
  }
  if (model == NULL) {
    fprintf(stderr, "tsr bench: no model given (-m MODEL)\n");
    return 2;
  }
  int n_prompt = 0, n_gen = 0; /* the largest of each list: sizes the context */
  for (int k = 0; k < n_pp; ++k) n_prompt = pp_list[k] > n_prompt ? (int)pp_list[k] : n_prompt;
  for (int k = 0; k < n_tg; ++k) n_gen = tg_list[k] > n_gen ? (int)tg_list[k] : n_gen;
  {
    tsr_error nerr;
    if (tsr_target_check_name(target, &nerr) != TSR_OK) {
      fprintf(stderr, "tsr bench: %s\n", nerr.message);
      return 2;
    }
  }
  tsr_cpu_features f;
  tsr_cpu_detect(&f);
  uint32_t threads[16];
  int n_threads = 0;
  if (threads_arg == NULL) {
    threads[n_threads++] = f.n_cpus;
  } else {
    long long tl[16];
    n_threads = tsr_cli_int_list(threads_arg, 1, 256, tl, 16);
    if (n_threads < 0) return tsr_cli_bad_value("bench", "--threads", threads_arg);
    for (int k = 0; k < n_threads; ++k) threads[k] = (uint32_t)tl[k];
  }
  tsr_allocator sys = tsr_allocator_system();
  int rc = 0;
  bool header = json;
  for (int ti = 0; ti < n_threads; ++ti) {
    tsr_error err;
    tsr_target *t = NULL;
    tsr_target_options to = {0};
    to.n_threads = threads[ti];
    to.allow_cpu_device = true;
    char note[TSR_ERROR_MESSAGE_MAX] = "";
    if (tsr_target_create(target, &to, &sys, &t, &err) != TSR_OK) {
      if (!fallback_cpu) {
        fprintf(stderr, "tsr bench: target %s unavailable: %s (--fallback cpu runs on the CPU instead)\n", target,
                err.message);
        return 1;
      }
      snprintf(note, sizeof(note), "fallback: target %.32s unavailable (%.160s): ran on cpu", target, err.message);
      tsr_target_options co = {0};
      co.n_threads = threads[ti];
      if (tsr_target_create("cpu", &co, &sys, &t, &err) != TSR_OK) {
        fprintf(stderr, "tsr bench: cannot create the CPU target: %s\n", err.message);
        return 1;
      }
    }
    /* The CPU as fallback only when asked for: nothing is replaced silently. */
    tsr_target *cpu = NULL;
    tsr_target_caps caps;
    if (fallback_cpu && (tsr_target_get_caps(t, &caps) != TSR_OK || caps.kind != TSR_TARGET_KIND_CPU ||
                         !(caps.flags & TSR_CAP_HOST_MEMORY))) {
      tsr_target_options co = {0};
      co.n_threads = threads[ti];
      if (tsr_target_create("cpu", &co, &sys, &cpu, &err) != TSR_OK) cpu = NULL;
    }
    bool host_cpu = tsr_target_get_caps(t, &caps) == TSR_OK && caps.kind == TSR_TARGET_KIND_CPU &&
                    (caps.flags & TSR_CAP_HOST_MEMORY);
    tsr_llm_options o;
    memset(&o, 0, sizeof(o));
    o.allocator = &sys;
    o.targets[0] = t;
    o.n_targets = 1;
    o.fallback = cpu ? cpu : (host_cpu ? t : NULL);
    o.kv_dtype = kv;
    o.max_batch = batch;
    o.tokenizer_path = tok;
    o.n_ctx = n_prompt + n_gen + 1 > n_gen + 1 ? n_prompt + n_gen + 1 : n_gen + 1;
    if (o.n_ctx < n_prompt + 1) o.n_ctx = n_prompt + 1;
    tsr_llm *m = NULL;
    if (tsr_llm_load_file(model, &o, &m, &err) != TSR_OK) {
      fprintf(stderr, "tsr bench: %s: %s\n", model, err.message);
      tsr_target_destroy(t);
      tsr_target_destroy(cpu);
      return 1;
    }
    if (note[0] == '\0' && tsr_llm_fallback(m) != NULL) snprintf(note, sizeof(note), "%s", tsr_llm_fallback(m));
    if (note[0] != '\0') fprintf(stderr, "tsr bench: %s\n", note);
    const tsr_llm_hparams *hp = tsr_llm_get_hparams(m);
    tsr_llm_memory mem;
    if (tsr_llm_get_memory(m, &mem) != TSR_OK) memset(&mem, 0, sizeof(mem));
    /* parameters, and the weight bytes one decode step reads: every tensor
     * but the token embedding, of which it reads one row (unless tied) */
    double params = 0.0, step_bytes = 0.0;
    for (uint32_t i = 0; i < tsr_llm_tensor_count(m); ++i) {
      const char *nm;
      tsr_tensor ti_;
      if (tsr_llm_tensor_info(m, i, &nm, &ti_) != TSR_OK) continue;
      params += (double)tsr_tensor_numel(&ti_);
      double bytes = (double)tsr_tensor_nbytes(&ti_);
      if (strcmp(nm, "token_embd.weight") == 0 && !hp->tied_output && ti_.ndim == 2 && ti_.shape[0] > 0)
        bytes /= (double)ti_.shape[0];
      step_bytes += bytes;
    }
    int n_ids = n_prompt > n_gen ? n_prompt : n_gen;
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)(n_ids + 1));
    double *samples = malloc(sizeof(double) * (size_t)reps);
    if (ids == NULL || samples == NULL) {
      fprintf(stderr, "tsr bench: out of memory\n");
      free(ids);
      free(samples);
      tsr_llm_free(m);
      tsr_target_destroy(t);
      tsr_target_destroy(cpu);
      return 1;
    }
    uint64_t s = 0x5eed;
    for (int i = 0; i <= n_ids; ++i) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      ids[i] = (int32_t)((s >> 33) % (uint64_t)hp->vocab_size);
    }
    for (int tix = 0; tix < n_pp + n_tg; ++tix) {
      const int test = tix < n_pp ? 0 : 1;
      const int n = (int)(test == 0 ? pp_list[tix] : tg_list[tix - n_pp]);
      if (n == 0) continue;
      double w = test == 0 ? time_pp(m, ids, n) : time_tg(m, ids, n); /* warm-up */
      int ok = w >= 0.0;
      for (int r = 0; ok && r < reps; ++r) {
        double dt = test == 0 ? time_pp(m, ids, n) : time_tg(m, ids, n);
        if (dt <= 0.0) ok = 0;
        else samples[r] = (double)n / dt;
      }
      if (!ok) {
        fprintf(stderr, "tsr bench: evaluation failed: %s\n", tsr_llm_error(m)->message);
        rc = 1;
        break;
      }
      double raw[1000];
      memcpy(raw, samples, sizeof(double) * (size_t)reps);
      stats st = summarize(samples, reps);
      char test_name[32];
      snprintf(test_name, sizeof(test_name), "%s%d", test == 0 ? "pp" : "tg", n);
      if (json) {
        printf("{\"model\": \"%s\", \"model_bytes\": %llu, \"params\": %.0f, \"weight_type\": \"%s\", "
               "\"decode_read_bytes\": %.0f, \"target\": \"%s\", \"threads\": %u, \"test\": \"%s\", \"n\": %d, "
               "\"reps\": %d, \"tps_median\": %.3f, \"tps_stddev\": %.3f, \"tps_min\": %.3f, \"tps_max\": %.3f, "
               "\"samples\": [",
               basename_of(model), (unsigned long long)mem.weight_bytes, params, tsr_dtype_name(hp->weight_dtype),
               step_bytes, target, threads[ti], test_name, n, reps, st.median, st.stddev, st.min, st.max);
        for (int r = 0; r < reps; ++r) printf("%s%.3f", r ? ", " : "", raw[r]);
        printf("]}\n");
      } else {
        if (!header) {
          printf("| %-28s | %9s | %8s | %-10s | %7s | %6s | %22s |\n", "model", "size", "params", "target",
                 "threads", "test", "t/s (median +- sd)");
          printf("|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------------", "-----------", "----------",
                 "------------", "---------", "--------", "------------------------");
          header = true;
        }
        char size[32], prm[32];
        snprintf(size, sizeof(size), "%.2f MiB", (double)mem.weight_bytes / 1048576.0);
        snprintf(prm, sizeof(prm), "%.2f M", params / 1e6);
        char tps[48];
        snprintf(tps, sizeof(tps), "%.2f +- %.2f", st.median, st.stddev);
        printf("| %-28.28s | %9s | %8s | %-10s | %7u | %6s | %22s |\n", basename_of(model), size, prm, target,
               threads[ti], test_name, tps);
      }
      if (profile) print_profile(m, test == 0 ? n : 1, test_name, json);
      fflush(stdout);
    }
    free(ids);
    free(samples);
    tsr_llm_free(m);
    tsr_target_destroy(t);
    tsr_target_destroy(cpu);
    if (rc) break;
  }
  return rc;
}
