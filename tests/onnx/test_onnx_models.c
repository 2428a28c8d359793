/* The ONNX fixture networks against their reference outputs
 * (../shared/models/REFERENCE.md), one test per reference case:
 *   1. import the .onnx, run it on the CPU target (all threads), compare with
 *      the case's tolerance rule, print the largest error;
 *   2. for the first case of each model, convert to .tsr in memory, load it,
 *      run it with one thread: outputs must be bit-identical to step 1 (which
 *      also checks that the result does not depend on the thread count);
 *   3. PilotNet from its PNG frames through the tool's image preprocessing.
 * A case whose fixture files are absent prints SKIPPED; if every case is
 * skipped the program exits 77 (ctest: skipped). TESSERA_TEST_TARGET names
 * the CPU target (default "cpu"; e.g. cpu:avx2 runs the AVX2 kernels on an
 * AVX-512 machine). TESSERA_TEST_CASES, where set, runs only the cases whose
 * title contains one of its comma-separated words (e.g. "pilotnet,mnist":
 * the short set the qemu builds run); a list that selects nothing fails. */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/net/net.h"
#include "engine/onnx/onnx.h"
#include "models_dir.h"
#include "tools/tsr/net_input.h"

enum { RULE_TOL = 0, RULE_QDQ };
enum { CHECK_NONE = 0, CHECK_ARGMAX = 1, CHECK_MASK = 2, CHECK_ARGMAX_FIRST = 4, CHECK_TSR = 8 };

typedef struct ref_io {
  const char *name;
  int32_t ndim;
  int64_t shape[4];
} ref_io;

typedef struct ref_case {
  const char *title;
  const char *model; /* under onnx/ */
  const char *dir;   /* reference case, under onnx/ */
  ref_io in[2];
  int n_in;
  const char *out[3];
  int n_out;
  int rule;
  double atol, rtol;
  int checks;
  bool override_shape; /* import with the inputs' shapes (batch 2) */
} ref_case;

#define PILOT "pilotnet/nvidia_pilotnet.onnx"
#define TWIN "twinlitenet/twinlitenet.onnx"
#define TWINQ "twinlitenet/twinlitenet_preprocessed_quantized.onnx"
#define YOLOX "yolox_nano/yolox_nano.onnx"
#define VIT "vittrack/vitTracker.onnx"
#define SHUF "shufflenet-v2-12-int8/shufflenet-v2-12-int8.onnx"
#define MNIST "mnist-cntk-2018/model.onnx"
#define YUNET "yunet_2023mar/face_detection_yunet_2023mar.onnx"
#define ROAD "road_segmentation_adas_0001/road_segmentation_adas_0001.onnx"
#define PERSON "lightweight_person_detector/lightweight_person_detector.onnx"

static const ref_case kCases[] = {
    {"pilotnet frame_00010", PILOT, "pilotnet/reference/frame_00010", {{"input", 4, {1, 1, 66, 200}}}, 1, {"output"}, 1,
     RULE_TOL, 1e-5, 1e-4, CHECK_TSR, false},
    {"pilotnet frame_00029", PILOT, "pilotnet/reference/frame_00029", {{"input", 4, {1, 1, 66, 200}}}, 1, {"output"}, 1,
     RULE_TOL, 1e-5, 1e-4, 0, false},
    {"pilotnet batch2_frame_00010_00029", PILOT, "pilotnet/reference/batch2_frame_00010_00029",
     {{"input", 4, {2, 1, 66, 200}}}, 1, {"output"}, 1, RULE_TOL, 1e-5, 1e-4, CHECK_TSR, true},
    {"twinlitenet road_synthetic", TWIN, "twinlitenet/reference/road_synthetic", {{"input", 4, {1, 3, 320, 320}}}, 1,
     {"drivable_area", "lanes"}, 2, RULE_TOL, 3e-4, 1e-3, CHECK_MASK | CHECK_TSR, false},
    {"twinlitenet random_uniform_seed1234", TWIN, "twinlitenet/reference/random_uniform_seed1234",
     {{"input", 4, {1, 3, 320, 320}}}, 1, {"drivable_area", "lanes"}, 2, RULE_TOL, 3e-4, 1e-3, CHECK_MASK, false},
    {"twinlitenet int8 qdq_road_synthetic", TWINQ, "twinlitenet/reference/qdq_road_synthetic",
     {{"input", 4, {1, 3, 320, 320}}}, 1, {"drivable_area", "lanes"}, 2, RULE_QDQ, 0, 0, CHECK_TSR, false},
    {"twinlitenet int8 qdq_random_uniform_seed1234", TWINQ, "twinlitenet/reference/qdq_random_uniform_seed1234",
     {{"input", 4, {1, 3, 320, 320}}}, 1, {"drivable_area", "lanes"}, 2, RULE_QDQ, 0, 0, 0, false},
    {"yolox_nano synthetic_shapes_letterbox", YOLOX, "yolox_nano/reference/synthetic_shapes_letterbox",
     {{"images", 4, {1, 3, 416, 416}}}, 1, {"output"}, 1, RULE_TOL, 5e-4, 1e-3, CHECK_TSR, false},
    {"vittrack synthetic_scene_seed7", VIT, "vittrack/reference/synthetic_scene_seed7",
     {{"template", 4, {1, 3, 128, 128}}, {"search", 4, {1, 3, 256, 256}}}, 2, {"output1", "output2", "output3"}, 3,
     RULE_TOL, 1e-4, 1e-3, CHECK_ARGMAX_FIRST | CHECK_TSR, false},
    {"vittrack random_uniform_seed7", VIT, "vittrack/reference/random_uniform_seed7",
     {{"template", 4, {1, 3, 128, 128}}, {"search", 4, {1, 3, 256, 256}}}, 2, {"output1", "output2", "output3"}, 3,
     RULE_TOL, 1e-4, 1e-3, CHECK_ARGMAX_FIRST, false},
    {"shufflenet-v2-12-int8 test_data_set_0 (spec-exact)", SHUF, "shufflenet-v2-12-int8/reference/test_data_set_0",
     {{"input", 4, {1, 3, 224, 224}}}, 1, {"output"}, 1, RULE_TOL, 1e-5, 0, CHECK_ARGMAX | CHECK_TSR, false},
    {"mnist test_data_0", MNIST, "mnist-cntk-2018/reference/test_data_0", {{"Input3", 4, {1, 1, 28, 28}}}, 1,
     {"Plus214_Output_0"}, 1, RULE_TOL, 1e-4, 1e-4, CHECK_ARGMAX | CHECK_TSR, false},
    {"mnist test_data_1", MNIST, "mnist-cntk-2018/reference/test_data_1", {{"Input3", 4, {1, 1, 28, 28}}}, 1,
     {"Plus214_Output_0"}, 1, RULE_TOL, 1e-4, 1e-4, CHECK_ARGMAX, false},
    {"mnist test_data_2", MNIST, "mnist-cntk-2018/reference/test_data_2", {{"Input3", 4, {1, 1, 28, 28}}}, 1,
     {"Plus214_Output_0"}, 1, RULE_TOL, 1e-4, 1e-4, CHECK_ARGMAX, false},
    /* MANIFEST.md section 6 (tolerances as case.json suggests). YuNet's 12
     * outputs are checked three at a time. */
    {"yunet synthetic_face_640 (cls)", YUNET, "yunet_2023mar/reference/synthetic_face_640",
     {{"input", 4, {1, 3, 640, 640}}}, 1, {"cls_8", "cls_16", "cls_32"}, 3, RULE_TOL, 1e-4, 1e-3, CHECK_TSR, false},
    {"yunet synthetic_face_640 (obj)", YUNET, "yunet_2023mar/reference/synthetic_face_640",
     {{"input", 4, {1, 3, 640, 640}}}, 1, {"obj_8", "obj_16", "obj_32"}, 3, RULE_TOL, 1e-4, 1e-3, 0, false},
    {"yunet synthetic_face_640 (bbox)", YUNET, "yunet_2023mar/reference/synthetic_face_640",
     {{"input", 4, {1, 3, 640, 640}}}, 1, {"bbox_8", "bbox_16", "bbox_32"}, 3, RULE_TOL, 1e-4, 1e-3, 0, false},
    {"yunet synthetic_face_640 (kps)", YUNET, "yunet_2023mar/reference/synthetic_face_640",
     {{"input", 4, {1, 3, 640, 640}}}, 1, {"kps_8", "kps_16", "kps_32"}, 3, RULE_TOL, 1e-4, 1e-3, 0, false},
    {"road-segmentation-adas synthetic_road_896x512 (NHWC, 40 Pad)", ROAD,
     "road_segmentation_adas_0001/reference/synthetic_road_896x512", {{"data", 4, {1, 512, 896, 3}}}, 1,
     {"tf.identity"}, 1, RULE_TOL, 1e-4, 1e-3, CHECK_TSR, false},
    {"lightweight person detector synthetic_person_192", PERSON,
     "lightweight_person_detector/reference/synthetic_person_192", {{"images", 4, {1, 3, 192, 192}}}, 1, {"output"}, 1,
     RULE_TOL, 1e-4, 1e-3, CHECK_TSR, false},
};
#define N_CASES ((int)(sizeof(kCases) / sizeof(kCases[0])))

static char g_models[1024];
static char g_target[64]; /* the CPU target the cases run on */
static tsr_allocator g_a;
static int g_skipped, g_ran;

static bool file_exists(const char *p) {
  FILE *f = fopen(p, "rb");
  if (f) fclose(f);
  return f != NULL;
}

/* Reads a whole file; NULL if absent. */
static void *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  void *buf = malloc(n > 0 ? (size_t)n : 1);
  if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (size) *size = (size_t)n;
  return buf;
}

static void skip(const char *title, const char *what) {
  printf("\n    SKIPPED: %s: fixture %s not found (set TESSERA_MODELS)\n", title, what);
  g_skipped++;
}

/* Runs |net| on the case's inputs with |threads| threads; outputs are copied
 * into |outs| (malloc'ed). */
static bool run_net(const tsr_net *net, const ref_case *rc, uint32_t threads, float **outs, int64_t *counts) {
  tsr_net_session s;
  tsr_error err;
  tsr_error_clear(&err);
  tsr_status st = tsr_net_session_open(net, g_target, threads, &g_a, &s, &err);
  if (st != TSR_OK) printf("\n    session: %s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(st, TSR_OK);
  for (int i = 0; i < rc->n_in; ++i) {
    int32_t k = tsr_net_find_io(net, true, rc->in[i].name);
    CU_ASSERT_FATAL(k >= 0);
    char path[1200];
    snprintf(path, sizeof(path), "%s/onnx/%s/%s.f32", g_models, rc->dir, rc->in[i].name);
    size_t size = 0;
    void *data = read_file(path, &size);
    CU_ASSERT_FATAL(data != NULL);
    st = tsr_program_set_input(s.program, net->inputs[k].tensor, data, size);
    if (st != TSR_OK) printf("\n    input %s: %s\n", rc->in[i].name, tsr_program_error(s.program)->message);
    CU_ASSERT_EQUAL(st, TSR_OK);
    free(data);
  }
  st = tsr_program_run(s.program, 0, NULL);
  if (st != TSR_OK) printf("\n    run: %s\n", tsr_program_error(s.program)->message);
  CU_ASSERT_EQUAL(st, TSR_OK);
  for (int i = 0; i < rc->n_out; ++i) {
    int32_t k = tsr_net_find_io(net, false, rc->out[i]);
    CU_ASSERT_FATAL(k >= 0);
    tsr_tensor t;
    CU_ASSERT_FATAL(tsr_graph_tensor_info(net->graph, net->outputs[k].tensor, NULL, &t) == TSR_OK);
    CU_ASSERT_FATAL(t.dtype == TSR_DTYPE_F32);
    counts[i] = tsr_tensor_numel(&t);
    outs[i] = malloc(sizeof(float) * (size_t)counts[i]);
    CU_ASSERT_FATAL(outs[i] != NULL);
    CU_ASSERT_EQUAL(tsr_program_get_output(s.program, net->outputs[k].tensor, outs[i], sizeof(float) * (size_t)counts[i]),
                    TSR_OK);
  }
  tsr_net_session_close(&s);
  return st == TSR_OK;
}

static int64_t argmax(const float *v, int64_t n) {
  int64_t b = 0;
  for (int64_t i = 1; i < n; ++i) b = v[i] > v[b] ? i : b;
  return b;
}

/* Compares one output with its reference by the case's rule. */
static void compare(const ref_case *rc, int oi, const float *y, const float *ref, int64_t n) {
  double max_abs = 0, sum_abs = 0;
  int64_t viol = 0, big = 0, worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    double d = fabs((double)y[i] - (double)ref[i]);
    if (!(d <= max_abs)) {
      max_abs = d;
      worst = i;
    }
    sum_abs += d;
    if (!(d <= rc->atol + rc->rtol * fabs((double)ref[i]))) viol++;
    if (d > 0.05) big++;
  }
  printf("\n    %-16s max|d| %.3g (at %lld: %.7g vs %.7g), mean|d| %.3g", rc->out[oi], max_abs, (long long)worst,
         (double)y[worst], (double)ref[worst], sum_abs / (double)n);
  if (rc->rule == RULE_TOL) {
    if (viol) printf(", %lld elements outside atol %g + rtol %g", (long long)viol, rc->atol, rc->rtol);
    CU_ASSERT_EQUAL(viol, 0);
  }
  /* Channel-argmax agreement for 2-class maps [1, 2, H, W]. */
  if (rc->rule == RULE_QDQ || (rc->checks & CHECK_MASK)) {
    int64_t hw = n / 2, agree = 0;
    for (int64_t p = 0; p < hw; ++p) agree += (y[p] < y[hw + p]) == (ref[p] < ref[hw + p]);
    double frac = (double)agree / (double)hw, fbig = (double)big / (double)n, mean = sum_abs / (double)n;
    printf(", argmax agreement %.5f", frac);
    if (rc->rule == RULE_QDQ) {
      printf(", |d|>0.05: %.5f", fbig);
      CU_ASSERT(frac >= 0.999);
      CU_ASSERT(fbig <= 0.005);
      CU_ASSERT(mean <= 0.005);
    } else {
      CU_ASSERT(frac >= 0.9999);
    }
  }
  if ((rc->checks & CHECK_ARGMAX) || ((rc->checks & CHECK_ARGMAX_FIRST) && oi == 0)) {
    int64_t a = argmax(y, n), b = argmax(ref, n);
    printf(", argmax %lld (reference %lld)", (long long)a, (long long)b);
    CU_ASSERT_EQUAL(a, b);
  }
}

static tsr_status import(const ref_case *rc, uint32_t flags, tsr_net **out, tsr_error *err) {
  char path[1200];
  snprintf(path, sizeof(path), "%s/onnx/%s", g_models, rc->model);
  tsr_onnx_shape shapes[2];
  tsr_onnx_options o;
  memset(&o, 0, sizeof(o));
  memset(shapes, 0, sizeof(shapes));
  if (rc->override_shape) {
    for (int i = 0; i < rc->n_in; ++i) {
      shapes[i].name = rc->in[i].name;
      shapes[i].ndim = rc->in[i].ndim;
      memcpy(shapes[i].shape, rc->in[i].shape, sizeof(rc->in[i].shape));
    }
    o.shapes = shapes;
    o.n_shapes = (uint32_t)rc->n_in;
  }
  o.flags = flags;
  return tsr_net_open(path, &o, &g_a, out, err);
}

static void run_case(const ref_case *rc) {
  char path[1200];
  snprintf(path, sizeof(path), "%s/onnx/%s", g_models, rc->model);
  if (!file_exists(path)) {
    skip(rc->title, rc->model);
    return;
  }
  snprintf(path, sizeof(path), "%s/onnx/%s/%s.f32", g_models, rc->dir, rc->out[0]);
  if (!file_exists(path)) {
    skip(rc->title, rc->dir);
    return;
  }
  g_ran++;
  tsr_net *net = NULL;
  tsr_error err;
  tsr_error_clear(&err);
  tsr_status st = import(rc, 0, &net, &err);
  if (st != TSR_OK) printf("\n    import: %s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(st, TSR_OK);
  float *y[3] = {NULL, NULL, NULL};
  int64_t n[3] = {0, 0, 0};
  if (run_net(net, rc, 0, y, n)) {
    for (int i = 0; i < rc->n_out; ++i) {
      snprintf(path, sizeof(path), "%s/onnx/%s/%s.f32", g_models, rc->dir, rc->out[i]);
      size_t size = 0;
      float *ref = read_file(path, &size);
      CU_ASSERT_FATAL(ref != NULL);
      CU_ASSERT_EQUAL_FATAL((int64_t)(size / 4), n[i]);
      compare(rc, i, y[i], ref, n[i]);
      free(ref);
    }
  }
  if (rc->checks & CHECK_TSR) {
    /* Convert, reload from memory, run with one thread: bit-identical. */
    FILE *f = tmpfile();
    CU_ASSERT_FATAL(f != NULL);
    st = tsr_net_write_tsr(net, f, &err);
    if (st != TSR_OK) printf("\n    write .tsr: %s\n", err.message);
    CU_ASSERT_EQUAL_FATAL(st, TSR_OK);
    long size = ftell(f);
    rewind(f);
    uint8_t *blob = malloc((size_t)size);
    CU_ASSERT_FATAL(blob != NULL && fread(blob, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    tsr_net *tn = NULL;
    st = tsr_net_load_tsr(blob, (size_t)size, &g_a, &tn, &err);
    if (st != TSR_OK) printf("\n    load .tsr: %s\n", err.message);
    CU_ASSERT_EQUAL_FATAL(st, TSR_OK);
    CU_ASSERT_EQUAL(tsr_graph_node_count(tn->graph), tsr_graph_node_count(net->graph));
    float *z[3] = {NULL, NULL, NULL};
    int64_t nz[3] = {0, 0, 0};
    if (run_net(tn, rc, 1, z, nz)) {
      int64_t diff = 0;
      for (int i = 0; i < rc->n_out; ++i) {
        CU_ASSERT_EQUAL_FATAL(nz[i], n[i]);
        diff += memcmp(y[i], z[i], sizeof(float) * (size_t)n[i]) != 0;
      }
      printf("\n    .tsr (%ld bytes, 1 thread) vs .onnx: %s", size, diff ? "DIFFERENT" : "bit-identical");
      CU_ASSERT_EQUAL(diff, 0);
    }
    for (int i = 0; i < 3; ++i) free(z[i]);
    tsr_net_destroy(tn);
    free(blob);
  }
  for (int i = 0; i < 3; ++i) free(y[i]);
  tsr_net_destroy(net);
  printf("\n    ");
}

#define CASE_FN(i) \
  static void test_case_##i(void) { run_case(&kCases[i]); }
CASE_FN(0) CASE_FN(1) CASE_FN(2) CASE_FN(3) CASE_FN(4) CASE_FN(5) CASE_FN(6) CASE_FN(7) CASE_FN(8) CASE_FN(9)
CASE_FN(10) CASE_FN(11) CASE_FN(12) CASE_FN(13) CASE_FN(14) CASE_FN(15) CASE_FN(16) CASE_FN(17) CASE_FN(18)
CASE_FN(19)
_Static_assert(N_CASES == 20, "one CASE_FN per case");
static void (*const kCaseFns[])(void) = {test_case_0, test_case_1, test_case_2, test_case_3,  test_case_4,
                                         test_case_5, test_case_6, test_case_7, test_case_8,  test_case_9,
                                         test_case_10, test_case_11, test_case_12, test_case_13, test_case_14,
                                         test_case_15, test_case_16, test_case_17, test_case_18, test_case_19};

/* PilotNet from the PNG frames through the tool's preprocessing (gray,
 * INTER_AREA, x / 127.5 - 1): the tensors equal the stored reference inputs
 * and the steering angles match. */
static void test_pilotnet_png(void) {
  char model[1200];
  snprintf(model, sizeof(model), "%s/onnx/" PILOT, g_models);
  if (!file_exists(model)) {
    skip("pilotnet png", PILOT);
    return;
  }
  g_ran++;
  tsr_net *net = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(tsr_net_open(model, NULL, &g_a, &net, &err), TSR_OK);
  tsr_pre pre;
  tsr_pre_default(&pre);
  char msg[256];
  CU_ASSERT_FATAL(tsr_pre_parse("pilotnet", &pre, msg, sizeof(msg)));
  static const char *const frames[2] = {"frame_00010", "frame_00029"};
  for (int f = 0; f < 2; ++f) {
    char png[1200], refin[1200], refout[1200];
    snprintf(png, sizeof(png), "%s/onnx/pilotnet/%s.png", g_models, frames[f]);
    snprintf(refin, sizeof(refin), "%s/onnx/pilotnet/reference/%s/input.f32", g_models, frames[f]);
    snprintf(refout, sizeof(refout), "%s/onnx/pilotnet/reference/%s/output.f32", g_models, frames[f]);
    size_t nin = 0, nout = 0;
    float *rin = read_file(refin, &nin), *rout = read_file(refout, &nout);
    if (!file_exists(png) || rin == NULL || rout == NULL) {
      free(rin);
      free(rout);
      skip("pilotnet png", png);
      continue;
    }
    int64_t shape[4] = {1, 1, 66, 200};
    float *x = malloc(sizeof(float) * 66 * 200);
    CU_ASSERT_FATAL(x != NULL);
    CU_ASSERT_FATAL(tsr_pre_image(png, &pre, 4, shape, x, msg, sizeof(msg)));
    double dmax = 0;
    for (int i = 0; i < 66 * 200; ++i) dmax = fmax(dmax, fabs((double)x[i] - (double)rin[i]));
    tsr_net_session s;
    CU_ASSERT_EQUAL_FATAL(tsr_net_session_open(net, g_target, 0, &g_a, &s, &err), TSR_OK);
    CU_ASSERT_EQUAL(tsr_program_set_input(s.program, net->inputs[0].tensor, x, sizeof(float) * 66 * 200), TSR_OK);
    CU_ASSERT_EQUAL(tsr_program_run(s.program, 0, NULL), TSR_OK);
    float y = 0;
    CU_ASSERT_EQUAL(tsr_program_get_output(s.program, net->outputs[0].tensor, &y, sizeof(y)), TSR_OK);
    printf("\n    %s.png: input max|d| %.3g vs reference input, steering %.6f (reference %.6f)", frames[f], dmax, (double)y,
           (double)rout[0]);
    CU_ASSERT(dmax <= 1.0 / 127.5 + 1e-6); /* at most one 8-bit level */
    CU_ASSERT(fabs((double)y - (double)rout[0]) <= 1e-5 + 1e-4 * fabs((double)rout[0]) || dmax > 0);
    tsr_net_session_close(&s);
    free(x);
    free(rin);
    free(rout);
  }
  tsr_net_destroy(net);
  printf("\n    ");
}

/* Whether a case's title contains one of the comma-separated words of
 * `only` (every case where `only` is NULL). */
static bool selected(const char *only, const char *title) {
  if (only == NULL) return true;
  const char *p = only;
  while (*p) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n > 0) {
      for (const char *t = title; strlen(t) >= n; ++t) {
        if (strncmp(t, p, n) == 0) return true;
      }
    }
    if (e == NULL) break;
    p = e + 1;
  }
  return false;
}

int main(void) {
  snprintf(g_models, sizeof(g_models), "%s", tsr_test_models_dir());
  const char *t = getenv("TESSERA_TEST_TARGET");
  snprintf(g_target, sizeof(g_target), "%s", t && *t ? t : "cpu");
  printf("target: %s\n", g_target);
  g_a = tsr_allocator_system();
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("onnx_models", NULL, NULL);
  const char *only = getenv("TESSERA_TEST_CASES");
  if (only && !*only) only = NULL;
  int added = 0;
  for (int i = 0; i < N_CASES; ++i) {
    if (selected(only, kCases[i].title)) {
      CU_add_test(s, kCases[i].title, kCaseFns[i]);
      added++;
    }
  }
  static const char png_title[] = "pilotnet from PNG frames (image preprocessing)";
  if (selected(only, png_title)) {
    CU_add_test(s, png_title, test_pilotnet_png);
    added++;
  }
  if (added == 0) {
    printf("TESSERA_TEST_CASES=\"%s\" selects no case\n", only);
    CU_cleanup_registry();
    return 1;
  }
  if (only) printf("TESSERA_TEST_CASES=\"%s\": %d case(s)\n", only, added);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  if (g_skipped && tsr_test_models_required()) {
    printf("%d case(s) FAILED: fixtures missing at %s, and required here (CI, TESSERA_REQUIRE_MODELS)\n", g_skipped,
           g_models);
    return 1;
  }
  if (f == 0 && g_ran == 0) {
    printf("all fixture cases SKIPPED (no models at %s)\n", g_models);
    return 77;
  }
  return f ? 1 : 0;
}
