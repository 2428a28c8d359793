/* The public network API (tessera/net.h) on the fixture networks, through
 * public headers only:
 *   - PilotNet and MNIST from a path and from a memory block, as .onnx and as
 *     .tsr (written by tsr_network_save_tsr): the IO description, outputs
 *     against the reference files of ../shared/models/REFERENCE.md (PilotNet
 *     |err| <= 1e-5 + 1e-4 |ref|, MNIST <= 1e-4 + 1e-4 |ref| and the argmax
 *     class), .tsr bit-identical to .onnx;
 *   - caller memory bound as input and output (no copy, the arena shrinks by
 *     their size), on the CPU and on a device target where there is one;
 *   - wrong dtype / shape / alignment / lifecycle -> clear errors;
 *   - symbolic batch: a batch-2 session on the batch-1 load against the
 *     batch-2 reference; a fixed dimension or a .tsr asked for another shape
 *     -> refused;
 *   - zero allocator calls in set_input + run + get_output;
 *   - a model built in memory (u8 input with a symbolic batch ->
 *     DequantizeLinear -> Relu -> QuantizeLinear -> u8 output): the
 *     quantization parameters of both ends, batch 3 chosen per session,
 *     values against the ONNX formula.
 * Fixtures absent: the built model only, then exit 77 (skipped). */
#define _POSIX_C_SOURCE 200809L
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onnx/onnx_builder.h" /* builds a small model in memory (protobuf-c) */
#include "tessera/tessera.h"
#include "unit/alloc_counter.h"

#include "models_dir.h"

#define PILOT "onnx/pilotnet/nvidia_pilotnet.onnx"
#define MNIST "onnx/mnist-cntk-2018/model.onnx"

static char g_models[512];
static char g_tmp[1200];

static void *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  /* 64-byte aligned, as firmware places a model in flash. */
  void *buf = aligned_alloc(64, ((size_t)(n > 0 ? n : 1) + 63) & ~(size_t)63);
  if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (size) *size = (size_t)n;
  return buf;
}

static void model_path(char *out, size_t cap, const char *rel) { snprintf(out, cap, "%s/%s", g_models, rel); }

static float *read_ref(const char *rel, size_t *n) {
  char p[1200];
  model_path(p, sizeof(p), rel);
  size_t size = 0;
  float *f = read_file(p, &size);
  if (n) *n = size / 4;
  return f;
}

/* A session on |n| with its own CPU target, prepared and bound. */
static tsr_network_session *open_session(const tsr_network *n, const tsr_network_shape *shapes, uint32_t n_shapes,
                                         void **mem) {
  tsr_network_session_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.n_threads = 1;
  cfg.shapes = shapes;
  cfg.n_shapes = n_shapes;
  size_t size = 0, align = 0;
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_get_size(n, &cfg, &size, &align), TSR_OK);
  *mem = aligned_alloc(align, (size + align - 1) / align * align);
  tsr_network_session *s = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_init(n, &cfg, *mem, size, &s), TSR_OK);
  tsr_status st = tsr_network_session_prepare(s);
  if (st != TSR_OK) printf("\n    prepare: %s\n", tsr_network_session_error(s)->message);
  CU_ASSERT_EQUAL_FATAL(st, TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_bind_arena(s, NULL, 0), TSR_OK);
  return s;
}

static void close_session(tsr_network_session *s, void *mem) {
  tsr_network_session_deinit(s);
  free(mem);
}

/* Runs single-input, single-output |n| on |in| and returns the output
 * (malloc'ed, *n_out floats). */
static float *run_once(const tsr_network *n, const float *in, size_t n_in, size_t *n_out) {
  void *mem = NULL;
  tsr_network_session *s = open_session(n, NULL, 0, &mem);
  tsr_network_io_info ii, oi;
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_input_info(s, 0, &ii), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_output_info(s, 0, &oi), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(ii.nbytes, n_in * 4);
  tsr_tensor t;
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&t, ii.dtype, ii.ndim, ii.shape, (void *)(uintptr_t)in), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_set_input(s, 0, &t), TSR_OK);
  tsr_status st = tsr_network_session_run(s);
  if (st != TSR_OK) printf("\n    run: %s\n", tsr_network_session_error(s)->message);
  CU_ASSERT_EQUAL_FATAL(st, TSR_OK);
  float *out = malloc(oi.nbytes);
  tsr_tensor o;
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&o, oi.dtype, oi.ndim, oi.shape, out), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_get_output(s, 0, &o), TSR_OK);
  *n_out = oi.nbytes / 4;
  close_session(s, mem);
  return out;
}

static int argmax(const float *v, size_t n) {
  int best = 0;
  for (size_t i = 1; i < n; ++i) best = v[i] > v[best] ? (int)i : best;
  return best;
}

/* max |a - ref| <= atol + rtol |ref| over every element. */
static void expect_close(const float *a, const float *ref, size_t n, double atol, double rtol, const char *what) {
  double worst = 0;
  size_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    double d = fabs((double)a[i] - (double)ref[i]);
    worst = d > worst ? d : worst;
    bad += d > atol + rtol * fabs((double)ref[i]);
  }
  printf("\n    %s: max |err| %.3g over %zu values", what, worst, n);
  CU_ASSERT_EQUAL(bad, 0);
}

/* ---- tests ---- */

/* Converts |onnx_rel| to a .tsr at |tsr_path|, by path or (|stream|) through
 * an open FILE. */
static void write_tsr(const char *onnx_rel, const char *tsr_path, bool stream) {
  char p[1200];
  model_path(p, sizeof(p), onnx_rel);
  tsr_network *n = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(tsr_network_load_file(p, NULL, &n, &err), TSR_OK);
  tsr_status st;
  if (stream) {
    FILE *f = fopen(tsr_path, "wb");
    CU_ASSERT_FATAL(f != NULL);
    st = tsr_network_write_tsr(n, f, &err);
    CU_ASSERT_EQUAL(fclose(f), 0);
  } else {
    st = tsr_network_save_tsr(n, tsr_path, &err);
  }
  if (st != TSR_OK) printf("\n    save: %s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(st, TSR_OK);
  tsr_network_free(n);
}

static void test_pilotnet_four_ways(void) {
  char onnx[1200], tsr[1300];
  model_path(onnx, sizeof(onnx), PILOT);
  snprintf(tsr, sizeof(tsr), "%s_pilotnet.tsr", g_tmp);
  write_tsr(PILOT, tsr, false);
  size_t n_in = 0, n_ref = 0;
  float *in = read_ref("onnx/pilotnet/reference/frame_00010/input.f32", &n_in);
  float *ref = read_ref("onnx/pilotnet/reference/frame_00010/output.f32", &n_ref);
  CU_ASSERT_FATAL(in != NULL && ref != NULL && n_in == 66 * 200 && n_ref == 1);
  const char *paths[2] = {onnx, tsr};
  float *first = NULL;
  for (int k = 0; k < 4; ++k) {
    const char *path = paths[k / 2];
    bool memory = k % 2 == 1;
    tsr_network *n = NULL;
    tsr_error err;
    void *blob = NULL;
    tsr_status st;
    if (memory) {
      size_t size = 0;
      blob = read_file(path, &size);
      CU_ASSERT_FATAL(blob != NULL);
      st = tsr_network_load_memory(blob, size, NULL, &n, &err);
    } else {
      st = tsr_network_load_file(path, NULL, &n, &err);
    }
    if (st != TSR_OK) printf("\n    load %s: %s\n", path, err.message);
    CU_ASSERT_EQUAL_FATAL(st, TSR_OK);
    tsr_network_info info;
    CU_ASSERT_EQUAL(tsr_network_get_info(n, &info), TSR_OK);
    CU_ASSERT_EQUAL(info.format, k < 2 ? TSR_NETWORK_FORMAT_ONNX : TSR_NETWORK_FORMAT_TSR);
    CU_ASSERT_EQUAL(info.n_inputs, 1);
    CU_ASSERT_EQUAL(info.n_outputs, 1);
    CU_ASSERT(info.n_nodes > 0 && info.n_consts > 0 && info.const_bytes > 0);
    tsr_network_io_info ii, oi;
    CU_ASSERT_EQUAL_FATAL(tsr_network_input_info(n, 0, &ii), TSR_OK);
    CU_ASSERT_EQUAL_FATAL(tsr_network_output_info(n, 0, &oi), TSR_OK);
    CU_ASSERT_STRING_EQUAL(ii.name, "input");
    CU_ASSERT_STRING_EQUAL(oi.name, "output");
    CU_ASSERT_EQUAL(ii.dtype, TSR_DTYPE_F32);
    CU_ASSERT_EQUAL(ii.ndim, 4);
    CU_ASSERT(ii.shape[0] == 1 && ii.shape[1] == 1 && ii.shape[2] == 66 && ii.shape[3] == 200);
    CU_ASSERT_EQUAL(ii.nbytes, 66 * 200 * 4);
    CU_ASSERT_EQUAL(ii.dynamic_dims, k < 2 ? 1u : 0u); /* the batch is symbolic in the .onnx */
    CU_ASSERT_FALSE(ii.has_quant);
    CU_ASSERT(oi.ndim == 2 && oi.shape[0] == 1 && oi.shape[1] == 1);
    CU_ASSERT_EQUAL(tsr_network_find_input(n, "input"), 0);
    CU_ASSERT_EQUAL(tsr_network_find_output(n, "output"), 0);
    CU_ASSERT_EQUAL(tsr_network_find_input(n, "nope"), -1);
    CU_ASSERT_EQUAL(tsr_network_input_info(n, 1, &ii), TSR_ERR_INVALID_ARGUMENT);
    size_t n_out = 0;
    float *out = run_once(n, in, n_in, &n_out);
    CU_ASSERT_EQUAL(n_out, 1);
    expect_close(out, ref, 1, 1e-5, 1e-4, path);
    if (first == NULL) first = out;
    else {
      CU_ASSERT_EQUAL(memcmp(first, out, 4), 0); /* .tsr, memory: bit-identical */
      free(out);
    }
    if (memory && k >= 2) { /* a .tsr a byte off its alignment: refused */
      size_t size = 0;
      uint8_t *b2 = read_file(path, &size);
      uint8_t *odd = aligned_alloc(64, size + 64);
      memcpy(odd + 1, b2, size);
      tsr_network *n2 = NULL;
      CU_ASSERT_EQUAL(tsr_network_load_memory(odd + 1, size, NULL, &n2, &err), TSR_ERR_INVALID_ARGUMENT);
      CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "aligned"));
      free(odd);
      free(b2);
    }
    tsr_network_free(n);
    free(blob);
  }
  free(first);
  free(in);
  free(ref);
  remove(tsr);
}

static void test_mnist(void) {
  char onnx[1200], tsr[1300];
  model_path(onnx, sizeof(onnx), MNIST);
  snprintf(tsr, sizeof(tsr), "%s_mnist.tsr", g_tmp);
  write_tsr(MNIST, tsr, true);
  static const int kClass[3] = {5, 0, 4};
  for (int fmt = 0; fmt < 2; ++fmt) {
    size_t size = 0;
    void *blob = read_file(fmt ? tsr : onnx, &size);
    CU_ASSERT_FATAL(blob != NULL);
    tsr_network *n = NULL;
    tsr_error err;
    CU_ASSERT_EQUAL_FATAL(tsr_network_load_memory(blob, size, NULL, &n, &err), TSR_OK);
    tsr_network_io_info ii;
    CU_ASSERT_EQUAL_FATAL(tsr_network_input_info(n, 0, &ii), TSR_OK);
    CU_ASSERT_STRING_EQUAL(ii.name, "Input3");
    for (int c = 0; c < 3; ++c) {
      char pi[160], po[160];
      snprintf(pi, sizeof(pi), "onnx/mnist-cntk-2018/reference/test_data_%d/Input3.f32", c);
      snprintf(po, sizeof(po), "onnx/mnist-cntk-2018/reference/test_data_%d/Plus214_Output_0.f32", c);
      size_t n_in = 0, n_ref = 0, n_out = 0;
      float *in = read_ref(pi, &n_in), *ref = read_ref(po, &n_ref);
      CU_ASSERT_FATAL(in != NULL && ref != NULL && n_ref == 10);
      float *out = run_once(n, in, n_in, &n_out);
      CU_ASSERT_EQUAL_FATAL(n_out, 10);
      expect_close(out, ref, 10, 1e-4, 1e-4, fmt ? "mnist .tsr" : "mnist .onnx");
      CU_ASSERT_EQUAL(argmax(out, 10), kClass[c]);
      free(in);
      free(ref);
      free(out);
    }
    tsr_network_free(n);
    free(blob);
  }
  remove(tsr);
}

/* Caller memory as input and output; zero allocator calls per frame. */
static void test_bind_and_no_alloc(void) {
  char onnx[1200];
  model_path(onnx, sizeof(onnx), PILOT);
  tsr_network *n = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(tsr_network_load_file(onnx, NULL, &n, &err), TSR_OK);
  size_t n_in = 0, n_ref = 0;
  float *in = read_ref("onnx/pilotnet/reference/frame_00029/input.f32", &n_in);
  float *ref = read_ref("onnx/pilotnet/reference/frame_00029/output.f32", &n_ref);
  CU_ASSERT_FATAL(in != NULL && ref != NULL && n_in == 66 * 200);
  tsr_network_session_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.n_threads = 1;
  size_t size = 0, align = 0;
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_get_size(n, &cfg, &size, &align), TSR_OK);
  void *smem = aligned_alloc(align, (size + align - 1) / align * align);
  tsr_network_session *s = NULL;
  CU_ASSERT_EQUAL(tsr_network_session_init(n, &cfg, smem, size - 1, &s), TSR_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_init(n, &cfg, smem, size, &s), TSR_OK);
  /* Lifecycle: nothing before prepare. */
  CU_ASSERT_EQUAL(tsr_network_session_run(s), TSR_ERR_STATE);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_prepare(s), TSR_OK);
  CU_ASSERT_EQUAL(tsr_network_session_run(s), TSR_ERR_STATE);
  size_t arena_before = 0, al = 0;
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_get_arena_size(s, &arena_before, &al), TSR_OK);

  /* Wrong dtype, shape, alignment: clear errors naming the tensor. */
  int64_t shape[4] = {1, 1, 66, 200}, bad_shape[4] = {1, 1, 66, 100};
  float *fin = aligned_alloc(64, 66 * 200 * 4), *fout = aligned_alloc(64, 64);
  memcpy(fin, in, 66 * 200 * 4);
  tsr_tensor t;
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&t, TSR_DTYPE_U8, 4, shape, fin), TSR_OK);
  CU_ASSERT_EQUAL(tsr_network_session_bind_input(s, 0, &t), TSR_ERR_INVALID_ARGUMENT);
  printf("\n    wrong dtype: %s", tsr_network_session_error(s)->message);
  CU_ASSERT_PTR_NOT_NULL(strstr(tsr_network_session_error(s)->message, "input 'input' is f32[1,1,66,200]"));
  CU_ASSERT_PTR_NOT_NULL(strstr(tsr_network_session_error(s)->message, "u8[1,1,66,200]"));
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&t, TSR_DTYPE_F32, 4, bad_shape, fin), TSR_OK);
  CU_ASSERT_EQUAL(tsr_network_session_bind_input(s, 0, &t), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(tsr_network_session_error(s)->message, "f32[1,1,66,100]"));
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&t, TSR_DTYPE_F32, 4, shape, (uint8_t *)fin + 4), TSR_OK);
  CU_ASSERT_EQUAL(tsr_network_session_bind_input(s, 0, &t), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(tsr_network_session_error(s)->message, "aligned"));
  CU_ASSERT_EQUAL(tsr_network_session_bind_input(s, 1, &t), TSR_ERR_INVALID_ARGUMENT);

  /* Bound: the ops read |fin| and write |fout| in place. */
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&t, TSR_DTYPE_F32, 4, shape, fin), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_bind_input(s, 0, &t), TSR_OK);
  int64_t oshape[2] = {1, 1};
  tsr_tensor o;
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&o, TSR_DTYPE_F32, 2, oshape, fout), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_bind_output(s, 0, &o), TSR_OK);
  size_t arena_after = 0;
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_get_arena_size(s, &arena_after, &al), TSR_OK);
  printf("\n    arena %zu bytes unbound, %zu with input and output bound", arena_before, arena_after);
  CU_ASSERT(arena_after + 66 * 200 * 4 <= arena_before);
  void *arena = aligned_alloc(al, (arena_after + al - 1) / al * al);
  CU_ASSERT_EQUAL(tsr_network_session_bind_arena(s, arena, arena_after - 1), TSR_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_bind_arena(s, arena, arena_after), TSR_OK);
  CU_ASSERT_EQUAL(tsr_network_session_bind_input(s, 0, &t), TSR_ERR_STATE); /* after the arena: refused */
  void *where = NULL;
  const void *owhere = NULL;
  CU_ASSERT_EQUAL(tsr_network_session_input_data(s, 0, &where), TSR_OK);
  CU_ASSERT_EQUAL(tsr_network_session_output_data(s, 0, &owhere), TSR_OK);
  CU_ASSERT_PTR_EQUAL(where, fin);
  CU_ASSERT_PTR_EQUAL(owhere, fout);
  fout[0] = NAN;
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_run(s), TSR_OK);
  expect_close(fout, ref, 1, 1e-5, 1e-4, "pilotnet bound");
  CU_ASSERT_EQUAL(memcmp(fin, in, 66 * 200 * 4), 0); /* the input is not written */

  /* Per frame: set (copy), run, get (copy): no allocator call. */
  float got = 0;
  tsr_tensor gt;
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&gt, TSR_DTYPE_F32, 2, oshape, &got), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&t, TSR_DTYPE_F32, 4, shape, in), TSR_OK);
  alloc_counter_install();
  alloc_counter_arm();
  tsr_status st = TSR_OK;
  for (int i = 0; i < 5 && st == TSR_OK; ++i) {
    st = tsr_network_session_set_input(s, 0, &t);
    if (st == TSR_OK) st = tsr_network_session_run(s);
    if (st == TSR_OK) st = tsr_network_session_get_output(s, 0, &gt);
  }
  long calls = alloc_counter_disarm();
  printf("\n    allocator calls in 5 x (set_input, run, get_output): %ld", calls);
  CU_ASSERT_EQUAL(st, TSR_OK);
  CU_ASSERT_EQUAL(calls, 0);
  CU_ASSERT_EQUAL(memcmp(&got, fout, 4), 0);
  tsr_network_session_deinit(s);
  free(arena);
  free(smem);
  free(fin);
  free(fout);
  free(in);
  free(ref);
  tsr_network_free(n);
}

/* The symbolic batch of PilotNet, chosen per session. */
static void test_symbolic_batch(void) {
  char onnx[1200], tsr[1300];
  model_path(onnx, sizeof(onnx), PILOT);
  tsr_network *n = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(tsr_network_load_file(onnx, NULL, &n, &err), TSR_OK);
  size_t n_in = 0, n_ref = 0;
  float *in = read_ref("onnx/pilotnet/reference/batch2_frame_00010_00029/input.f32", &n_in);
  float *ref = read_ref("onnx/pilotnet/reference/batch2_frame_00010_00029/output.f32", &n_ref);
  CU_ASSERT_FATAL(in != NULL && ref != NULL && n_in == 2 * 66 * 200 && n_ref == 2);
  tsr_network_shape b2 = {"input", 4, {2, 1, 66, 200}};
  void *mem = NULL;
  tsr_network_session *s = open_session(n, &b2, 1, &mem);
  tsr_network_io_info ii, oi;
  CU_ASSERT_EQUAL(tsr_network_session_input_info(s, 0, &ii), TSR_OK);
  CU_ASSERT_EQUAL(tsr_network_session_output_info(s, 0, &oi), TSR_OK);
  CU_ASSERT_EQUAL(ii.shape[0], 2);
  CU_ASSERT(oi.ndim == 2 && oi.shape[0] == 2 && oi.shape[1] == 1);
  tsr_tensor t;
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&t, TSR_DTYPE_F32, 4, b2.shape, in), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_set_input(s, 0, &t), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_run(s), TSR_OK);
  const void *out = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_output_data(s, 0, &out), TSR_OK);
  expect_close(out, ref, 2, 1e-5, 1e-4, "pilotnet batch 2 session");
  close_session(s, mem);
  /* The network itself still has batch 1. */
  CU_ASSERT_EQUAL(tsr_network_input_info(n, 0, &ii), TSR_OK);
  CU_ASSERT_EQUAL(ii.shape[0], 1);

  /* Refusals: a fixed dimension, a wrong rank, an unknown name. */
  tsr_network_shape bad[3] = {{"input", 4, {1, 1, 66, 100}}, {"input", 3, {1, 66, 200}}, {"nope", 4, {1, 1, 66, 200}}};
  for (int k = 0; k < 3; ++k) {
    tsr_network_session_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.n_threads = 1;
    cfg.shapes = &bad[k];
    cfg.n_shapes = 1;
    size_t size = 0, align = 0;
    CU_ASSERT_EQUAL_FATAL(tsr_network_session_get_size(n, &cfg, &size, &align), TSR_OK);
    mem = aligned_alloc(align, (size + align - 1) / align * align);
    CU_ASSERT_EQUAL_FATAL(tsr_network_session_init(n, &cfg, mem, size, &s), TSR_OK);
    CU_ASSERT_EQUAL(tsr_network_session_prepare(s), TSR_ERR_INVALID_ARGUMENT);
    printf("\n    refused: %s", tsr_network_session_error(s)->message);
    tsr_network_session_deinit(s);
    free(mem);
  }

  /* A .tsr keeps its shapes. */
  snprintf(tsr, sizeof(tsr), "%s_pilotnet_b1.tsr", g_tmp);
  CU_ASSERT_EQUAL_FATAL(tsr_network_save_tsr(n, tsr, &err), TSR_OK);
  tsr_network *nt = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_network_load_file(tsr, NULL, &nt, &err), TSR_OK);
  tsr_network_session_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.shapes = &b2;
  cfg.n_shapes = 1;
  size_t size = 0, align = 0;
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_get_size(nt, &cfg, &size, &align), TSR_OK);
  mem = aligned_alloc(align, (size + align - 1) / align * align);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_init(nt, &cfg, mem, size, &s), TSR_OK);
  CU_ASSERT_EQUAL(tsr_network_session_prepare(s), TSR_ERR_UNSUPPORTED);
  printf("\n    .tsr: %s", tsr_network_session_error(s)->message);
  tsr_network_session_deinit(s);
  free(mem);
  /* ... and refuses another shape at load too. */
  tsr_network_options lo;
  memset(&lo, 0, sizeof(lo));
  lo.shapes = &b2;
  lo.n_shapes = 1;
  tsr_network *nt2 = NULL;
  CU_ASSERT_EQUAL(tsr_network_load_file(tsr, &lo, &nt2, &err), TSR_ERR_UNSUPPORTED);
  tsr_network_free(nt);
  remove(tsr);

  /* A load-time shape: batch 2 from the start. */
  tsr_network *n2 = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_network_load_file(onnx, &lo, &n2, &err), TSR_OK);
  CU_ASSERT_EQUAL(tsr_network_input_info(n2, 0, &ii), TSR_OK);
  CU_ASSERT_EQUAL(ii.shape[0], 2);
  tsr_network_free(n2);
  tsr_network_free(n);
  free(in);
  free(ref);
}

static void test_bad_blobs(void) {
  _Alignas(TSR_NETWORK_TSR_ALIGN) static const uint8_t junk[64] = {1, 2, 3, 4, 5};
  tsr_network *n = NULL;
  tsr_error err;
  tsr_status st = tsr_network_load_memory(junk, sizeof(junk), NULL, &n, &err);
  CU_ASSERT_EQUAL(st, TSR_ERR_FORMAT);
  CU_ASSERT_PTR_NULL(n);
  /* Aligned as a .tsr must be (a uint8_t array on a 32-bit stack is only
   * 4-byte aligned: the load would fail on that, not on the format). */
  _Alignas(TSR_NETWORK_TSR_ALIGN) uint8_t gguf[64] = {'G', 'G', 'U', 'F', 3, 0, 0, 0};
  CU_ASSERT_EQUAL(tsr_network_load_memory(gguf, sizeof(gguf), NULL, &n, &err), TSR_ERR_FORMAT);
  CU_ASSERT_PTR_NULL(n);
  CU_ASSERT_EQUAL(tsr_network_load_file("/nonexistent/x.onnx", NULL, &n, &err), TSR_ERR_IO);
  CU_ASSERT_EQUAL(tsr_network_load_memory(NULL, 4, NULL, &n, &err), TSR_ERR_INVALID_ARGUMENT);
}

/* Bound caller memory on a device target (Vulkan, else OpenCL; skipped if
 * neither is here): the run uploads the input from it and downloads the
 * output into it. */
static void test_bound_device(void) {
  tsr_allocator sys = tsr_allocator_system();
  tsr_target *dev = NULL, *cpu = NULL;
  tsr_error err;
  const char *names[2] = {"vulkan", "opencl"};
  for (int i = 0; i < 2 && dev == NULL; ++i) {
    tsr_target_options to;
    memset(&to, 0, sizeof(to));
    if (tsr_target_create(names[i], &to, &sys, &dev, &err) != TSR_OK) dev = NULL;
  }
  if (dev == NULL) {
    printf("\n    SKIPPED: no device target here");
    return;
  }
  tsr_target_options to;
  memset(&to, 0, sizeof(to));
  to.n_threads = 1;
  CU_ASSERT_EQUAL_FATAL(tsr_target_create("cpu", &to, &sys, &cpu, &err), TSR_OK);
  char onnx[1200];
  model_path(onnx, sizeof(onnx), PILOT);
  tsr_network *n = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_network_load_file(onnx, NULL, &n, &err), TSR_OK);
  size_t n_in = 0, n_ref = 0;
  float *in = read_ref("onnx/pilotnet/reference/frame_00010/input.f32", &n_in);
  float *ref = read_ref("onnx/pilotnet/reference/frame_00010/output.f32", &n_ref);
  CU_ASSERT_FATAL(in != NULL && ref != NULL && n_in == 66 * 200);
  tsr_network_session_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.targets[0] = dev;
  cfg.n_targets = 1;
  cfg.fallback = cpu; /* asked for: ops the device lacks run on the CPU */
  size_t size = 0, align = 0;
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_get_size(n, &cfg, &size, &align), TSR_OK);
  void *mem = aligned_alloc(align, (size + align - 1) / align * align);
  tsr_network_session *s = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_init(n, &cfg, mem, size, &s), TSR_OK);
  tsr_status st = tsr_network_session_prepare(s);
  if (st != TSR_OK) printf("\n    prepare: %s", tsr_network_session_error(s)->message);
  CU_ASSERT_EQUAL_FATAL(st, TSR_OK);
  int64_t shape[4] = {1, 1, 66, 200}, oshape[2] = {1, 1};
  float *fin = aligned_alloc(64, 66 * 200 * 4), *fout = aligned_alloc(64, 64);
  memcpy(fin, in, 66 * 200 * 4);
  tsr_tensor t, o;
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&t, TSR_DTYPE_F32, 4, shape, fin), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&o, TSR_DTYPE_F32, 2, oshape, fout), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_bind_input(s, 0, &t), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_bind_output(s, 0, &o), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_bind_arena(s, NULL, 0), TSR_OK);
  fout[0] = NAN;
  st = tsr_network_session_run(s);
  if (st != TSR_OK) printf("\n    run: %s", tsr_network_session_error(s)->message);
  CU_ASSERT_EQUAL_FATAL(st, TSR_OK);
  tsr_program_stats ps;
  CU_ASSERT_EQUAL(tsr_network_session_get_stats(s, &ps), TSR_OK);
  tsr_target_caps caps;
  CU_ASSERT_EQUAL(tsr_target_get_caps(dev, &caps), TSR_OK);
  printf("\n    %s: %u of %u nodes on the device, %u copies", caps.name, (unsigned)ps.nodes_per_target[0],
         (unsigned)ps.n_nodes, (unsigned)ps.n_copies);
  expect_close(fout, ref, 1, 1e-4, 1e-3, "pilotnet bound, device");
  tsr_network_session_deinit(s);
  free(mem);
  free(fin);
  free(fout);
  free(in);
  free(ref);
  tsr_network_free(n);
  tsr_target_destroy(cpu);
  tsr_target_destroy(dev);
}

static mb g_b; /* large: not on the stack */

static void test_quantized_symbolic(void) {
  mb *b = &g_b;
  mb_init(b, 13);
  int64_t xd[2] = {0, 4}; /* [batch, 4], batch symbolic */
  float xs = 0.5f, ys = 0.25f;
  uint8_t xz = 10, yz = 3;
  mb_input(b, "xq", ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, 2, xd);
  mb_init_f32(b, "xs", 0, NULL, &xs);
  mb_init_raw(b, "xz", ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, 0, NULL, &xz, 1);
  mb_init_f32(b, "ys", 0, NULL, &ys);
  mb_init_raw(b, "yz", ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, 0, NULL, &yz, 1);
  mb_node(b, "DequantizeLinear", "dq", "xq,xs,xz", "x");
  mb_node(b, "Relu", "relu", "x", "r");
  mb_node(b, "QuantizeLinear", "q", "r,ys,yz", "yq");
  mb_output(b, "yq");
  size_t len = 0;
  uint8_t *blob = mb_pack(b, &len);
  CU_ASSERT_FATAL(blob != NULL);
  tsr_network *n = NULL;
  tsr_error err;
  tsr_status st = tsr_network_load_memory(blob, len, NULL, &n, &err);
  if (st != TSR_OK) printf("\n    load: %s", err.message);
  CU_ASSERT_EQUAL_FATAL(st, TSR_OK);
  tsr_network_io_info ii, oi;
  CU_ASSERT_EQUAL_FATAL(tsr_network_input_info(n, 0, &ii), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_output_info(n, 0, &oi), TSR_OK);
  CU_ASSERT_EQUAL(ii.dtype, TSR_DTYPE_U8);
  CU_ASSERT(ii.ndim == 2 && ii.shape[0] == 1 && ii.shape[1] == 4);
  CU_ASSERT_EQUAL(ii.dynamic_dims, 1u);
  CU_ASSERT(ii.has_quant && ii.scale == 0.5f && ii.zero_point == 10);
  CU_ASSERT_EQUAL(oi.dtype, TSR_DTYPE_U8);
  CU_ASSERT(oi.has_quant && oi.scale == 0.25f && oi.zero_point == 3);
  printf("\n    input %s scale %g zp %d, output %s scale %g zp %d", ii.name, ii.scale, (int)ii.zero_point, oi.name,
         oi.scale, (int)oi.zero_point);
  /* Batch 3 for this session: re-imported, values as the ONNX formula. */
  tsr_network_shape b3 = {NULL, 2, {3, 4}};
  void *mem = NULL;
  tsr_network_session *s = open_session(n, &b3, 1, &mem);
  uint8_t x[12], y[12];
  for (int i = 0; i < 12; ++i) x[i] = (uint8_t)(i * 21);
  int64_t shape[2] = {3, 4};
  tsr_tensor t, o;
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&t, TSR_DTYPE_U8, 2, shape, x), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&o, TSR_DTYPE_U8, 2, shape, y), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_set_input(s, 0, &t), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_run(s), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_network_session_get_output(s, 0, &o), TSR_OK);
  for (int i = 0; i < 12; ++i) {
    float r = ((float)x[i] - 10.0f) * 0.5f;
    r = r > 0 ? r : 0;
    long q = lrintf(r / 0.25f) + 3;
    CU_ASSERT_EQUAL(y[i], (uint8_t)(q > 255 ? 255 : q));
  }
  close_session(s, mem);
  tsr_network_free(n);
  free(blob);
}

int main(void) {
  snprintf(g_models, sizeof(g_models), "%s", tsr_test_models_dir());
  char probe[1200];
  model_path(probe, sizeof(probe), PILOT);
  FILE *f = fopen(probe, "rb");
  char probe2[1200];
  model_path(probe2, sizeof(probe2), MNIST);
  FILE *f2 = fopen(probe2, "rb");
  const bool fixtures = f != NULL && f2 != NULL;
  if (f) fclose(f);
  if (f2) fclose(f2);
  const char *tmp = getenv("TMPDIR");
  snprintf(g_tmp, sizeof(g_tmp), "%s/tsr_test_network_%ld", tmp && tmp[0] ? tmp : "/tmp", (long)getpid());
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("network", NULL, NULL);
  CU_add_test(s, "built model: quantization parameters, symbolic batch", test_quantized_symbolic);
  CU_add_test(s, "malformed blobs", test_bad_blobs);
  if (fixtures) {
    CU_add_test(s, "pilotnet: onnx/tsr x file/memory, describe, reference", test_pilotnet_four_ways);
    CU_add_test(s, "mnist: onnx/tsr from memory, three references", test_mnist);
    CU_add_test(s, "bound caller memory, errors, zero allocations per frame", test_bind_and_no_alloc);
    CU_add_test(s, "symbolic batch per session; .tsr keeps its shapes", test_symbolic_batch);
    CU_add_test(s, "bound caller memory on a device target", test_bound_device);
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  if (failed) return 1;
  if (!fixtures) {
    if (tsr_test_models_required()) {
      printf("FAILED: fixtures %s / %s not found, and required here (CI, TESSERA_REQUIRE_MODELS)\n", probe, probe2);
      return 1;
    }
    printf("SKIPPED: fixtures %s / %s not found (set TESSERA_MODELS)\n", probe, probe2);
    return 77;
  }
  return 0;
}
