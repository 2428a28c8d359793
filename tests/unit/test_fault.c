/* Fault injection (targets/fault): every target call of each kind that one
 * run (and one load) makes is failed in turn, on "fault:cpu" and, where
 * present, "fault:vulkan:0" and "fault:opencl:0:0". Each failure must come
 * back as TSR_ERR_DEVICE with the injected fault named in the detail; the
 * session / model and the caller's arena must stay valid; once disarmed the
 * next run must succeed with output bit-identical to a clean run. Workloads:
 * MNIST (a network session) and stories260K (the LM: greedy generation, and
 * a failed decode step retried at the same position). */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/fixture.h"
#include "targets/fault/fault_target.h"
#include "tessera/tessera.h"

#define MNIST "onnx/mnist-cntk-2018/model.onnx"
#define STORIES "llm/llama2c/stories260K.bin"
#define STORIES_TOK "llm/llama2c/tok512.bin"
#define CANARY 64

static const char *const kTargets[] = {"fault:cpu", "fault:vulkan:0", "fault:opencl:0:0"};
static unsigned g_points[TSR_FAULT_KIND_COUNT]; /* injection points covered, per kind */
static unsigned g_fallback_points;             /* of which with the CPU fallback taking over */

/* The fault target |name|, or NULL (printed) if its inner target is absent. */
static tsr_target *make_target(const char *name, const tsr_allocator *a) {
  tsr_target_options to;
  memset(&to, 0, sizeof(to));
  to.n_threads = 1;
  to.allow_cpu_device = true; /* PoCL, lavapipe: the code paths are the driver's own */
  tsr_target *t = NULL;
  tsr_error err;
  tsr_status s = tsr_target_create(name, &to, a, &t, &err);
  if (s != TSR_OK) {
    CU_ASSERT_EQUAL(s, TSR_ERR_UNSUPPORTED); /* absent, never misnamed */
    printf("\n    %s not available here (%s)", name, err.message);
    return NULL;
  }
  CU_ASSERT_TRUE(tsr_fault_target_is(t));
  return t;
}

static void expect_injected(tsr_status s, const tsr_error *e, tsr_fault_kind kind) {
  CU_ASSERT_EQUAL(s, TSR_ERR_DEVICE);
  CU_ASSERT_EQUAL(e->code, TSR_ERR_DEVICE);
  CU_ASSERT_PTR_NOT_NULL(strstr(e->message, "injected fault"));
  CU_ASSERT_PTR_NOT_NULL(strstr(e->message, tsr_fault_kind_name(kind)));
}

static void test_names(void) {
  tsr_error err;
  CU_ASSERT_EQUAL(tsr_target_check_name("fault:cpu", &err), TSR_OK);
  CU_ASSERT_EQUAL(tsr_target_check_name("fault:vulkan:0", &err), TSR_OK);
  CU_ASSERT_EQUAL(tsr_target_check_name("fault", &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(tsr_target_check_name("fault:bogus", &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(tsr_target_check_name("fault:fault:cpu", &err), TSR_ERR_INVALID_ARGUMENT);
  tsr_allocator a = tsr_allocator_system();
  tsr_target *t = make_target("fault:cpu", &a);
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  tsr_target_caps caps;
  CU_ASSERT_EQUAL(tsr_target_get_caps(t, &caps), TSR_OK);
  CU_ASSERT_STRING_EQUAL(caps.name, "fault:cpu");
  CU_ASSERT_EQUAL(tsr_fault_target_arm(t, TSR_FAULT_KIND_COUNT, 1), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(tsr_fault_target_arm(t, TSR_FAULT_SUBMIT, 0), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(tsr_fault_target_arm(tsr_fault_target_inner(t), TSR_FAULT_SUBMIT, 1), TSR_ERR_INVALID_ARGUMENT);
  /* A failed allocation allocates nothing. */
  tsr_buffer b;
  memset(&b, 0, sizeof(b));
  CU_ASSERT_EQUAL(tsr_fault_target_arm(t, TSR_FAULT_ALLOC, 1), TSR_OK);
  tsr_status s = tsr_target_buffer_alloc(t, 64, TSR_BUFFER_ARENA, &b);
  expect_injected(s, tsr_target_error(t), TSR_FAULT_ALLOC);
  CU_ASSERT_PTR_NULL(b.target);
  tsr_target_destroy(t);
}

/* ---- network ---- */

typedef struct net_run {
  tsr_network_session *s;
  void *smem, *arena;
  size_t arena_size;
} net_run;

/* A session on |t|, with |cpu| running the nodes |t| cannot (never for fault:cpu). */
static tsr_status net_open(const tsr_network *n, tsr_target *t, tsr_target *cpu, net_run *r, bool bind) {
  memset(r, 0, sizeof(*r));
  tsr_network_session_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.targets[0] = t;
  cfg.n_targets = 1;
  cfg.fallback = cpu;
  size_t size = 0, align = 0;
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_get_size(n, &cfg, &size, &align), TSR_OK);
  r->smem = aligned_alloc(align, (size + align - 1) / align * align);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_init(n, &cfg, r->smem, size, &r->s), TSR_OK);
  tsr_status st = tsr_network_session_prepare(r->s);
  if (st != TSR_OK) {
    printf("\n    prepare: %s", tsr_network_session_error(r->s)->message);
    tsr_network_session_deinit(r->s);
    free(r->smem);
    memset(r, 0, sizeof(*r));
    return st;
  }
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_get_arena_size(r->s, &r->arena_size, &align), TSR_OK);
  size_t total = (r->arena_size + CANARY + align - 1) / align * align;
  r->arena = aligned_alloc(align, total);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r->arena);
  memset((uint8_t *)r->arena + r->arena_size, 0xA5, CANARY);
  return bind ? tsr_network_session_bind_arena(r->s, r->arena, r->arena_size) : TSR_OK;
}

static bool canary_ok(const net_run *r) {
  for (size_t i = 0; i < CANARY; ++i)
    if (((const uint8_t *)r->arena)[r->arena_size + i] != 0xA5) return false;
  return true;
}

static void net_close(net_run *r) {
  tsr_network_session_deinit(r->s);
  free(r->smem);
  free(r->arena);
}

/* Runs the session and copies output 0 into |out| (|n| bytes). */
static tsr_status net_run_once(net_run *r, void *out, size_t n) {
  tsr_status s = tsr_network_session_run(r->s);
  if (s != TSR_OK) return s;
  const void *o = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_output_data(r->s, 0, &o), TSR_OK);
  memcpy(out, o, n);
  return TSR_OK;
}

/* |with_fallback| false: no fallback, every failing call must come back as
 * the clear status (skipped where |name| cannot run the whole network).
 * true: the CPU as the fallback, every failing call must re-run the frame
 * on the CPU (tsr_network_session_fallback_runs), output bit-identical to a
 * CPU-only run. */
static void net_faults(const tsr_network *n, const char *name, bool with_fallback) {
  tsr_allocator a = tsr_allocator_system();
  tsr_target *t = make_target(name, &a);
  if (t == NULL) return;
  tsr_target *cpu = NULL, *fb = NULL;
  tsr_target_options to;
  memset(&to, 0, sizeof(to));
  to.n_threads = 1;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(tsr_cpu_target_create(&to, &a, &cpu, &err), TSR_OK);
  if (with_fallback) fb = cpu;
  net_run r;
  tsr_status ps = net_open(n, t, fb, &r, true);
  if (ps == TSR_ERR_UNSUPPORTED && !with_fallback) {
    printf("\n    %s cannot run all of mnist: its failing runs are checked with the CPU fallback", name);
    tsr_target_destroy(t);
    tsr_target_destroy(cpu);
    return;
  }
  CU_ASSERT_EQUAL_FATAL(ps, TSR_OK);
  tsr_network_io_info ii, oi;
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_input_info(r.s, 0, &ii), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_output_info(r.s, 0, &oi), TSR_OK);
  void *in = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_input_data(r.s, 0, &in), TSR_OK);
  float *inf = in;
  size_t n_in = (size_t)ii.nbytes / sizeof(float);
  for (size_t i = 0; i < n_in; ++i) inf[i] = (float)((i * 37u) % 256u) / 255.0f;
  float *in_copy = malloc(ii.nbytes);
  memcpy(in_copy, in, ii.nbytes);
  size_t ob = (size_t)oi.nbytes;
  uint8_t *want = malloc(ob), *got = malloc(ob);
  /* Clean, counting. */
  tsr_fault_target_reset_counts(t);
  CU_ASSERT_EQUAL_FATAL(net_run_once(&r, want, ob), TSR_OK);
  uint32_t counts[TSR_FAULT_KIND_COUNT];
  for (int k = 0; k < TSR_FAULT_KIND_COUNT; ++k) counts[k] = tsr_fault_target_count(t, (tsr_fault_kind)k);
  tsr_program_stats st;
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_get_stats(r.s, &st), TSR_OK);
  printf("\n    %s%s mnist run (%u of %u nodes on it): submit %u wait %u alloc %u transfer %u", name,
         with_fallback ? " + cpu fallback" : "",
         (unsigned)st.nodes_per_target[0], (unsigned)st.n_nodes, counts[0], counts[1], counts[2], counts[3]);
  CU_ASSERT_TRUE(counts[TSR_FAULT_SUBMIT] > 0);
  uint8_t *cpu_want = malloc(ob);
  if (with_fallback) {
    net_run c;
    CU_ASSERT_EQUAL_FATAL(net_open(n, cpu, NULL, &c, true), TSR_OK);
    void *cin = NULL;
    CU_ASSERT_EQUAL_FATAL(tsr_network_session_input_data(c.s, 0, &cin), TSR_OK);
    memcpy(cin, in_copy, ii.nbytes);
    CU_ASSERT_EQUAL_FATAL(net_run_once(&c, cpu_want, ob), TSR_OK);
    net_close(&c);
  }
  for (int k = 0; k < TSR_FAULT_KIND_COUNT; ++k) {
    for (uint32_t i = 1; i <= counts[k]; ++i) {
      CU_ASSERT_EQUAL_FATAL(tsr_fault_target_arm(t, (tsr_fault_kind)k, i), TSR_OK);
      uint32_t reruns = tsr_network_session_fallback_runs(r.s);
      if (with_fallback) {
        memset(got, 0, ob);
        CU_ASSERT_EQUAL(net_run_once(&r, got, ob), TSR_OK);
        CU_ASSERT_EQUAL(tsr_network_session_fallback_runs(r.s), reruns + 1);
        CU_ASSERT_EQUAL(memcmp(got, cpu_want, ob), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(tsr_network_session_error(r.s)->message, "injected fault"));
        g_fallback_points++;
      } else {
        tsr_status s = tsr_network_session_run(r.s);
        expect_injected(s, tsr_network_session_error(r.s), (tsr_fault_kind)k);
        CU_ASSERT_EQUAL(tsr_network_session_fallback_runs(r.s), 0);
      }
      tsr_fault_target_disarm(t);
      /* The caller's arena: the input untouched, nothing written past its end. */
      CU_ASSERT_EQUAL(memcmp(in, in_copy, ii.nbytes), 0);
      CU_ASSERT_TRUE(canary_ok(&r));
      memset(got, 0, ob);
      CU_ASSERT_EQUAL(net_run_once(&r, got, ob), TSR_OK);
      CU_ASSERT_EQUAL(memcmp(got, want, ob), 0);
      g_points[k]++;
    }
  }
  net_close(&r);
  /* Binding: device allocations and constant uploads (none on host-memory targets). */
  net_run b;
  tsr_fault_target_reset_counts(t);
  CU_ASSERT_EQUAL_FATAL(net_open(n, t, fb, &b, true), TSR_OK);
  uint32_t bind_counts[TSR_FAULT_KIND_COUNT];
  for (int k = 0; k < TSR_FAULT_KIND_COUNT; ++k) bind_counts[k] = tsr_fault_target_count(t, (tsr_fault_kind)k);
  net_close(&b);
  printf("\n    %s mnist bind: alloc %u transfer %u", name, bind_counts[TSR_FAULT_ALLOC],
         bind_counts[TSR_FAULT_TRANSFER]);
  for (int k = TSR_FAULT_ALLOC; k <= TSR_FAULT_TRANSFER; ++k) {
    for (uint32_t i = 1; i <= bind_counts[k]; ++i) {
      CU_ASSERT_EQUAL_FATAL(net_open(n, t, fb, &b, false), TSR_OK);
      CU_ASSERT_EQUAL_FATAL(tsr_fault_target_arm(t, (tsr_fault_kind)k, i), TSR_OK);
      tsr_status s = tsr_network_session_bind_arena(b.s, b.arena, b.arena_size);
      tsr_fault_target_disarm(t);
      expect_injected(s, tsr_network_session_error(b.s), (tsr_fault_kind)k);
      CU_ASSERT_TRUE(canary_ok(&b));
      net_close(&b); /* frees what the partial bind allocated (ASan/LSan check) */
      g_points[k]++;
    }
  }
  /* And a fresh session after all that gives the clean output. */
  CU_ASSERT_EQUAL_FATAL(net_open(n, t, fb, &b, true), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_input_data(b.s, 0, &in), TSR_OK);
  memcpy(in, in_copy, ii.nbytes);
  CU_ASSERT_EQUAL(net_run_once(&b, got, ob), TSR_OK);
  CU_ASSERT_EQUAL(memcmp(got, want, ob), 0);
  net_close(&b);
  free(in_copy);
  free(cpu_want);
  free(want);
  free(got);
  tsr_target_destroy(t);
  tsr_target_destroy(cpu);
}

static void test_network(void) {
  char path[512];
  if (!fixture_path(MNIST, "fault mnist", path, sizeof(path))) return;
  tsr_network *n = NULL;
  tsr_error err;
  tsr_status s = tsr_network_load_file(path, NULL, &n, &err);
  if (s == TSR_ERR_UNSUPPORTED) {
    printf("\n    mnist: %s (no ONNX importer?)", err.message);
    return;
  }
  CU_ASSERT_EQUAL_FATAL(s, TSR_OK);
  for (size_t i = 0; i < sizeof(kTargets) / sizeof(kTargets[0]); ++i) {
    net_faults(n, kTargets[i], false);
    net_faults(n, kTargets[i], true);
  }
  tsr_network_free(n);
}

/* ---- language model ---- */

#define GEN_TOKENS 12
#define PROMPT "Once upon a time"

typedef struct text_buf {
  char s[1024];
  size_t n;
} text_buf;

static bool on_text(void *user, int32_t id, const char *text, size_t len) {
  (void)id;
  text_buf *b = user;
  if (b->n + len < sizeof(b->s)) {
    memcpy(b->s + b->n, text, len);
    b->n += len;
    b->s[b->n] = '\0';
  }
  return true;
}

static tsr_status lm_load_fb(const char *path, const char *tok, tsr_target *t, tsr_target *fb, tsr_llm **m,
                             tsr_error *err) {
  tsr_llm_options o;
  memset(&o, 0, sizeof(o));
  o.targets[0] = t;
  o.n_targets = 1;
  o.fallback = fb;
  o.n_ctx = 64;
  o.tokenizer_path = tok;
  *m = NULL;
  return tsr_llm_load_file(path, &o, m, err);
}

static tsr_status lm_load(const char *path, const char *tok, tsr_target *t, tsr_llm **m, tsr_error *err) {
  return lm_load_fb(path, tok, t, NULL, m, err);
}

static tsr_status lm_generate(tsr_llm *m, text_buf *out) {
  tsr_llm_generate_params p;
  tsr_llm_generate_params_default(&p);
  p.max_tokens = GEN_TOKENS;
  p.on_text = on_text;
  p.user = out;
  memset(out, 0, sizeof(*out));
  tsr_llm_result r;
  return tsr_llm_generate(m, PROMPT, strlen(PROMPT), &p, &r);
}

static void lm_faults(const char *path, const char *tok, const char *name) {
  tsr_allocator a = tsr_allocator_system();
  tsr_target *t = make_target(name, &a);
  if (t == NULL) return;
  tsr_error err;
  tsr_llm *m = NULL;
  tsr_fault_target_reset_counts(t);
  CU_ASSERT_EQUAL_FATAL(lm_load(path, tok, t, &m, &err), TSR_OK);
  uint32_t load_counts[TSR_FAULT_KIND_COUNT];
  for (int k = 0; k < TSR_FAULT_KIND_COUNT; ++k) load_counts[k] = tsr_fault_target_count(t, (tsr_fault_kind)k);
  /* Generation: count, then fail each call in turn. */
  text_buf want, got;
  tsr_fault_target_reset_counts(t);
  CU_ASSERT_EQUAL_FATAL(lm_generate(m, &want), TSR_OK);
  CU_ASSERT_TRUE(want.n > 0);
  uint32_t counts[TSR_FAULT_KIND_COUNT];
  for (int k = 0; k < TSR_FAULT_KIND_COUNT; ++k) counts[k] = tsr_fault_target_count(t, (tsr_fault_kind)k);
  printf("\n    %s stories260K generate (%d tokens): submit %u wait %u alloc %u transfer %u", name, GEN_TOKENS,
         counts[0], counts[1], counts[2], counts[3]);
  printf("\n    %s stories260K load: alloc %u transfer %u", name, load_counts[TSR_FAULT_ALLOC],
         load_counts[TSR_FAULT_TRANSFER]);
  CU_ASSERT_TRUE(counts[TSR_FAULT_SUBMIT] > 0);
  for (int k = 0; k < TSR_FAULT_KIND_COUNT; ++k) {
    for (uint32_t i = 1; i <= counts[k]; ++i) {
      CU_ASSERT_EQUAL_FATAL(tsr_fault_target_arm(t, (tsr_fault_kind)k, i), TSR_OK);
      text_buf part;
      tsr_status s = lm_generate(m, &part);
      tsr_fault_target_disarm(t);
      expect_injected(s, tsr_llm_error(m), (tsr_fault_kind)k);
      /* What was streamed before the fault is a prefix of the clean text. */
      CU_ASSERT_EQUAL(strncmp(part.s, want.s, part.n), 0);
      CU_ASSERT_EQUAL(lm_generate(m, &got), TSR_OK);
      CU_ASSERT_STRING_EQUAL(got.s, want.s);
      g_points[k]++;
    }
  }
  /* A failed decode step leaves the position where it was; retried at the
   * same position (the KV cache kept), the logits are those of a clean run. */
  const int32_t vocab = tsr_llm_get_hparams(m)->vocab_size;
  enum { STEPS = 6 };
  float *clean = malloc(sizeof(float) * (size_t)vocab * STEPS), *logit_got = malloc(sizeof(float) * (size_t)vocab);
  int32_t ids[STEPS + 1];
  ids[0] = tsr_llm_bos(m);
  for (int pass = 0; pass < 2; ++pass) {
    tsr_llm_reset(m);
    for (int i = 0; i < STEPS; ++i) {
      const float *lg = NULL;
      if (pass == 1) {
        int32_t pos = tsr_llm_position(m);
        CU_ASSERT_EQUAL_FATAL(tsr_fault_target_arm(t, TSR_FAULT_SUBMIT, 1), TSR_OK);
        expect_injected(tsr_llm_eval(m, &ids[i], 1, &lg), tsr_llm_error(m), TSR_FAULT_SUBMIT);
        tsr_fault_target_disarm(t);
        CU_ASSERT_EQUAL(tsr_llm_position(m), pos);
      }
      CU_ASSERT_EQUAL_FATAL(tsr_llm_eval(m, &ids[i], 1, &lg), TSR_OK);
      if (pass == 0) {
        memcpy(clean + (size_t)i * (size_t)vocab, lg, sizeof(float) * (size_t)vocab);
        int32_t best = 0;
        for (int32_t v = 1; v < vocab; ++v) best = lg[v] > lg[best] ? v : best;
        ids[i + 1] = best;
      } else {
        memcpy(logit_got, lg, sizeof(float) * (size_t)vocab);
        CU_ASSERT_EQUAL(memcmp(logit_got, clean + (size_t)i * (size_t)vocab, sizeof(float) * (size_t)vocab), 0);
      }
    }
  }
  free(clean);
  free(logit_got);
  tsr_llm_free(m);
  /* Load: device allocations and uploads (none on host-memory targets). */
  for (int k = TSR_FAULT_ALLOC; k <= TSR_FAULT_TRANSFER; ++k) {
    for (uint32_t i = 1; i <= load_counts[k]; ++i) {
      CU_ASSERT_EQUAL_FATAL(tsr_fault_target_arm(t, (tsr_fault_kind)k, i), TSR_OK);
      tsr_status s = lm_load(path, tok, t, &m, &err);
      tsr_fault_target_disarm(t);
      expect_injected(s, &err, (tsr_fault_kind)k);
      CU_ASSERT_PTR_NULL(m);
      g_points[k]++;
    }
  }
  CU_ASSERT_EQUAL_FATAL(lm_load(path, tok, t, &m, &err), TSR_OK);
  CU_ASSERT_EQUAL(lm_generate(m, &got), TSR_OK);
  CU_ASSERT_STRING_EQUAL(got.s, want.s);
  tsr_llm_free(m);
  /* The runtime fallback asked for: each failing run call, the model goes on
   * on the CPU from the same position with the KV cache carried over, and
   * the text is the uninterrupted run's. */
  tsr_target *cpu = NULL;
  tsr_target_options to;
  memset(&to, 0, sizeof(to));
  to.n_threads = 1;
  CU_ASSERT_EQUAL_FATAL(tsr_cpu_target_create(&to, &a, &cpu, &err), TSR_OK);
  unsigned rescued = 0, differ = 0;
  for (int k = 0; k < TSR_FAULT_KIND_COUNT; ++k) {
    for (uint32_t i = 1; i <= counts[k]; ++i) {
      CU_ASSERT_EQUAL_FATAL(lm_load_fb(path, tok, t, cpu, &m, &err), TSR_OK);
      CU_ASSERT_PTR_NULL(tsr_llm_fallback(m)); /* nothing on the fallback yet */
      uint32_t before = tsr_fault_target_injected(t);
      CU_ASSERT_EQUAL_FATAL(tsr_fault_target_arm(t, (tsr_fault_kind)k, i), TSR_OK);
      tsr_status s = lm_generate(m, &got);
      tsr_fault_target_disarm(t);
      CU_ASSERT_EQUAL(s, TSR_OK);
      CU_ASSERT_EQUAL(tsr_fault_target_injected(t), before + 1);
      const char *note = tsr_llm_fallback(m);
      CU_ASSERT_PTR_NOT_NULL(note);
      if (note != NULL) CU_ASSERT_PTR_NOT_NULL(strstr(note, "continues on cpu with its KV cache"));
      if (strcmp(got.s, want.s) != 0) {
        ++differ;
        printf("\n    %s %s %u: fallback text differs:\n      %s\n      %s", name, tsr_fault_kind_name((tsr_fault_kind)k),
               (unsigned)i, want.s, got.s);
      }
      /* And on: the next generation runs on the CPU, the same text. */
      CU_ASSERT_EQUAL(lm_generate(m, &got), TSR_OK);
      CU_ASSERT_STRING_EQUAL(got.s, want.s);
      tsr_llm_free(m);
      ++rescued;
      g_points[k]++;
      g_fallback_points++;
    }
  }
  CU_ASSERT_EQUAL(differ, 0);
  printf("\n    %s stories260K: %u failing calls continued on the CPU, text equal in %u", name, rescued, rescued - differ);
  tsr_target_destroy(cpu);
  tsr_target_destroy(t);
}

static void test_llm(void) {
  char path[512], tok[512];
  if (!fixture_path(STORIES, "fault llm", path, sizeof(path))) return;
  if (!fixture_path(STORIES_TOK, "fault llm", tok, sizeof(tok))) return;
  for (size_t i = 0; i < sizeof(kTargets) / sizeof(kTargets[0]); ++i) lm_faults(path, tok, kTargets[i]);
}

static void test_summary(void) {
  unsigned total = 0;
  for (int k = 0; k < TSR_FAULT_KIND_COUNT; ++k) total += g_points[k];
  printf("\n    injection points covered: %u (submit %u, wait %u, alloc %u, transfer %u), %u of them with the CPU "
         "fallback taking over", total, g_points[TSR_FAULT_SUBMIT], g_points[TSR_FAULT_WAIT], g_points[TSR_FAULT_ALLOC],
         g_points[TSR_FAULT_TRANSFER], g_fallback_points);
  CU_ASSERT_TRUE(g_fixture_skips > 0 || total > 0);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("fault", NULL, NULL);
  CU_add_test(s, "names and arming", test_names);
  CU_add_test(s, "network: every call fails in turn", test_network);
  CU_add_test(s, "llm: every call fails in turn", test_llm);
  CU_add_test(s, "summary", test_summary);
  return fixture_run_all();
}
