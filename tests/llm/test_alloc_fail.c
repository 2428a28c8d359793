/* Allocation failure at every step: an allocator that fails its N-th call,
 * for every N from 1 to the number of calls a full load-and-prepare makes,
 * on the LM (stories260K: llama2.c checkpoint with its tokenizer, and GGUF)
 * and on a network (PilotNet: .tsr load and session, ONNX import). Each
 * failure must be a clean TSR_ERR_OUT_OF_MEMORY with nothing left allocated
 * (the allocator counts what is live; run under the asan preset for memory
 * errors too), and N one past the end must load. Prints the number of
 * injection points covered. */
#define _POSIX_C_SOURCE 200809L
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/net/net.h"
#include "engine/onnx/onnx.h"
#include "llm/fixture.h"
#include "tessera/tessera.h"

typedef struct fail_alloc {
  tsr_allocator sys;
  long calls;   /* alloc calls so far */
  long fail_at; /* the call that returns NULL (0: none) */
  long live;    /* blocks not yet freed */
} fail_alloc;

static void *fa_alloc(void *user, size_t size, size_t align) {
  fail_alloc *f = user;
  if (++f->calls == f->fail_at) return NULL;
  void *p = tsr_alloc(&f->sys, size, align);
  if (p != NULL) f->live++;
  return p;
}

static void fa_free(void *user, void *ptr) {
  fail_alloc *f = user;
  if (ptr == NULL) return;
  f->live--;
  tsr_free(&f->sys, ptr);
}

static tsr_allocator fa_make(fail_alloc *f, long fail_at) {
  memset(f, 0, sizeof(*f));
  f->sys = tsr_allocator_system();
  f->fail_at = fail_at;
  return (tsr_allocator){fa_alloc, fa_free, f};
}

/* One load-and-prepare through |a|; everything it made released again.
 * Returns the status of the load. */
typedef tsr_status (*workload_fn)(const void *ctx, const tsr_allocator *a, tsr_error *err);

/* Counts the calls of a clean run, then fails each in turn. */
static void every_step(const char *what, workload_fn fn, const void *ctx) {
  fail_alloc f;
  tsr_allocator a = fa_make(&f, 0);
  tsr_error err;
  tsr_status s = fn(ctx, &a, &err);
  CU_ASSERT_EQUAL_FATAL(s, TSR_OK);
  CU_ASSERT_EQUAL(f.live, 0);
  const long total = f.calls;
  CU_ASSERT_FATAL(total > 0);
  long bad_status = 0, leaks = 0;
  for (long n = 1; n <= total + 1; ++n) {
    a = fa_make(&f, n);
    tsr_error_clear(&err);
    s = fn(ctx, &a, &err);
    bool want_ok = n > total;
    if (want_ok ? s != TSR_OK : s != TSR_ERR_OUT_OF_MEMORY) {
      if (bad_status++ < 5)
        printf("\n    %s: allocation %ld of %ld failed: got %s (%s)", what, n, total, tsr_status_string(s), err.message);
    }
    if (f.live != 0) {
      if (leaks++ < 5) printf("\n    %s: allocation %ld of %ld failed: %ld blocks left allocated", what, n, total, f.live);
    }
  }
  CU_ASSERT_EQUAL(bad_status, 0);
  CU_ASSERT_EQUAL(leaks, 0);
  printf("\n    %s: %ld injection points covered; %ld with another status, %ld leaving blocks allocated", what, total,
         bad_status, leaks);
}

/* ---- the LM ---- */

typedef struct llm_ctx {
  const void *model, *tok;
  size_t model_size, tok_size;
} llm_ctx;

static tsr_status llm_workload(const void *ctx, const tsr_allocator *a, tsr_error *err) {
  const llm_ctx *c = ctx;
  tsr_llm_options o;
  memset(&o, 0, sizeof(o));
  o.allocator = a;
  o.n_threads = 1;
  o.n_ctx = 64;
  o.tokenizer_data = c->tok;
  o.tokenizer_size = c->tok_size;
  tsr_llm *m = NULL;
  tsr_status s = tsr_llm_load_memory(c->model, c->model_size, &o, &m, err);
  if (s == TSR_OK) {
    /* Prepared and usable: one token. */
    const float *logits = NULL;
    int32_t bos = tsr_llm_bos(m);
    s = tsr_llm_eval(m, &bos, 1, &logits);
  }
  tsr_llm_free(m);
  return s;
}

static void test_llm(void) {
  char bin[512], tok[512], gguf[512];
  if (!fixture_path("llm/llama2c/stories260K.bin", "alloc failure LM", bin, sizeof(bin)) ||
      !fixture_path("llm/llama2c/tok512.bin", "alloc failure LM", tok, sizeof(tok)) ||
      !fixture_path("llm/gguf/stories260K.gguf", "alloc failure LM", gguf, sizeof(gguf)))
    return;
  llm_ctx c;
  memset(&c, 0, sizeof(c));
  unsigned char *mb = fixture_slurp(bin, &c.model_size), *tb = fixture_slurp(tok, &c.tok_size);
  CU_ASSERT_FATAL(mb != NULL && tb != NULL);
  c.model = mb;
  c.tok = tb;
  every_step("stories260K.bin + tok512.bin", llm_workload, &c);
  llm_ctx g;
  memset(&g, 0, sizeof(g));
  unsigned char *gb = fixture_slurp(gguf, &g.model_size);
  CU_ASSERT_FATAL(gb != NULL);
  g.model = gb;
  every_step("stories260K.gguf", llm_workload, &g);
  free(mb);
  free(tb);
  free(gb);
}

/* ---- a network ---- */

typedef struct net_ctx {
  const void *data;
  size_t size;
} net_ctx;

#if defined(TSR_HAVE_ONNX) /* the .tsr is made from an ONNX file */
static tsr_status tsr_workload(const void *ctx, const tsr_allocator *a, tsr_error *err) {
  const net_ctx *c = ctx;
  tsr_net *net = NULL;
  tsr_status s = tsr_net_load_tsr(c->data, c->size, a, &net, err);
  if (s != TSR_OK) return s;
  tsr_net_session_options so;
  memset(&so, 0, sizeof(so));
  so.n_threads = 1;
  tsr_net_session ses;
  s = tsr_net_session_open_ex(net, &so, a, &ses, err);
  if (s == TSR_OK) {
    s = tsr_program_run(ses.program, 0, NULL);
    tsr_net_session_close(&ses);
  }
  tsr_net_destroy(net);
  return s;
}

static tsr_status onnx_workload(const void *ctx, const tsr_allocator *a, tsr_error *err) {
  const net_ctx *c = ctx;
  tsr_net *net = NULL;
  tsr_status s = tsr_onnx_import(c->data, c->size, NULL, a, &net, err);
  tsr_net_destroy(net);
  return s;
}

static void test_net(void) {
  char path[512];
  if (!fixture_path("onnx/pilotnet/nvidia_pilotnet.onnx", "alloc failure net", path, sizeof(path))) return;
  net_ctx onnx = {NULL, 0};
  unsigned char *ob = fixture_slurp(path, &onnx.size);
  CU_ASSERT_FATAL(ob != NULL);
  onnx.data = ob;
  every_step("nvidia_pilotnet.onnx import", onnx_workload, &onnx);
  /* The .tsr of it, in memory (64-byte aligned: constants are used in place). */
  tsr_allocator sys = tsr_allocator_system();
  tsr_net *net = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(tsr_onnx_import(ob, onnx.size, NULL, &sys, &net, &err), TSR_OK);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_EQUAL(tsr_net_write_tsr(net, f, &err), TSR_OK);
  fclose(f);
  tsr_net_destroy(net);
  void *mem = aligned_alloc(64, (len + 63) / 64 * 64);
  CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
  memcpy(mem, buf, len);
  free(buf);
  net_ctx t = {mem, len};
  every_step("nvidia_pilotnet.tsr load + session", tsr_workload, &t);
  free(mem);
  free(ob);
}
#endif

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("allocation failure at every step", NULL, NULL);
  CU_add_test(s, "LM load and prepare", test_llm);
#if defined(TSR_HAVE_ONNX)
  CU_add_test(s, "network import, load and prepare", test_net);
#endif
  return fixture_run_all();
}
