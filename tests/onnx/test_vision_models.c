/* Post-processing on the fixture networks. End to end: YOLOX-Nano on its reference input (a 640x480 synthetic scene,
 * letterboxed to 416x416) through the engine, the head decoded by
 * tsr_yolo_decode + tsr_nms and mapped back to frame pixels, against boxes a
 * straightforward numpy decoding of the stored reference output gave
 * (tests/vision/yolox_nano_boxes.txt, from tests/vision/yolox_expected.py).
 * TwinLiteNet's stored reference outputs to masks (coverage as recorded in
 * case.json); PilotNet's steering through tsr_regression_value.
 * Exits 77 (skipped) without the fixtures. */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/net/net.h"
#include "tessera/tessera.h"

#include "models_dir.h"

#define CASE "onnx/yolox_nano/reference/synthetic_shapes_letterbox"
enum { NA = 3549, K = 85, MAXB = 100 };

static char g_models[1024];
static int g_ran;

typedef struct expected {
  int n;
  int anchor[MAXB], cls[MAXB];
  double score[MAXB], box[MAXB][4];
} expected;

static bool read_expected(expected *e) {
  FILE *f = fopen(TSR_VISION_DIR "/yolox_nano_boxes.txt", "r");
  if (f == NULL) return false;
  char line[256];
  e->n = 0;
  while (fgets(line, sizeof(line), f) && e->n < MAXB) {
    if (line[0] == '#') continue;
    int i = e->n;
    if (sscanf(line, "%d %d %lf %lf %lf %lf %lf", &e->anchor[i], &e->cls[i], &e->score[i], &e->box[i][0], &e->box[i][1],
               &e->box[i][2], &e->box[i][3]) == 7)
      e->n++;
  }
  fclose(f);
  return e->n > 0;
}

static float *read_f32(const char *path, size_t n) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  float *v = malloc(n * sizeof(float));
  if (v != NULL && fread(v, sizeof(float), n, f) != n) {
    free(v);
    v = NULL;
  }
  fclose(f);
  return v;
}

/* Decodes |head| and runs NMS as the generator does; returns the count. */
static int32_t decode(const float *head, tsr_detection *d) {
  tsr_letterbox map;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(tsr_letterbox_compute(640, 480, NULL, 416, 416, TSR_FIT_LETTERBOX, &map, &err), TSR_OK);
  tsr_yolo_params p = {416, 416, 80, NULL, 0, TSR_YOLO_ROWS, true, true, false, 0.1f};
  int32_t n = 0, total = 0, kept = 0;
  CU_ASSERT_EQUAL_FATAL(tsr_yolo_decode(head, (int64_t)NA * K, &p, &map, d, NA, &n, &total, &err), TSR_OK);
  CU_ASSERT_EQUAL(n, total);
  tsr_nms_params np = {0.45f, 0.1f, MAXB, false};
  CU_ASSERT_EQUAL_FATAL(tsr_nms(d, n, &np, &kept, &err), TSR_OK);
  return kept;
}

/* Boxes |d| (n) against the expected list within |tol_px| and |tol_score|. */
static void compare(const char *what, const tsr_detection *d, int32_t n, const expected *e, double tol_px, double tol_score) {
  CU_ASSERT_EQUAL(n, e->n);
  double dbox = 0, dscore = 0;
  int mism = 0;
  for (int i = 0; i < n && i < e->n; ++i) {
    mism += d[i].anchor != e->anchor[i] || d[i].class_id != e->cls[i];
    dscore = fmax(dscore, fabs(d[i].score - e->score[i]));
    const float b[4] = {d[i].x0, d[i].y0, d[i].x1, d[i].y1};
    for (int k = 0; k < 4; ++k) dbox = fmax(dbox, fabs(b[k] - e->box[i][k]));
  }
  printf("\n    %s: %d boxes (expected %d), %d anchor/class mismatches, max |d| box %.3g px, score %.3g", what, (int)n, e->n,
         mism, dbox, dscore);
  if (n > 0)
    printf("; top: class %d score %.4f (%.1f,%.1f)-(%.1f,%.1f)", (int)d[0].class_id, (double)d[0].score, (double)d[0].x0,
           (double)d[0].y0, (double)d[0].x1, (double)d[0].y1);
  CU_ASSERT_EQUAL(mism, 0);
  CU_ASSERT(dbox <= tol_px);
  CU_ASSERT(dscore <= tol_score);
}

static void test_yolox_boxes(void) {
  char path[1200];
  expected e;
  snprintf(path, sizeof(path), "%s/" CASE "/output.f32", g_models);
  float *ref = read_f32(path, (size_t)NA * K);
  snprintf(path, sizeof(path), "%s/" CASE "/images.f32", g_models);
  float *img = read_f32(path, 3 * 416 * 416);
  if (ref == NULL || img == NULL) {
    printf("\n    SKIPPED: fixture %s not found (set TESSERA_MODELS)\n", CASE);
    free(ref);
    free(img);
    return;
  }
  CU_ASSERT_FATAL(read_expected(&e));
  g_ran++;
  tsr_detection *d = malloc(sizeof(tsr_detection) * NA);
  /* 1. The stored reference output: the decode itself. */
  int32_t n = decode(ref, d);
  compare("reference output", d, n, &e, 2e-3, 1e-5);
  CU_ASSERT(n >= 1 && d[0].class_id == 29 && fabs(d[0].score - 0.8843) < 1e-3);
  /* 2. The engine's output on the reference input, twice: the same boxes. */
  tsr_allocator a = tsr_allocator_system();
  tsr_net *net = NULL;
  tsr_error err;
  snprintf(path, sizeof(path), "%s/onnx/yolox_nano/yolox_nano.onnx", g_models);
  tsr_status st = tsr_net_open(path, NULL, &a, &net, &err);
  if (st != TSR_OK) printf("\n    open: %s", err.message);
  CU_ASSERT_EQUAL_FATAL(st, TSR_OK);
  tsr_net_session s;
  CU_ASSERT_EQUAL_FATAL(tsr_net_session_open(net, "cpu", 0, &a, &s, &err), TSR_OK);
  float *y = malloc(sizeof(float) * NA * K);
  tsr_detection *d2 = malloc(sizeof(tsr_detection) * NA);
  int32_t n2 = 0;
  for (int run = 0; run < 2; ++run) {
    CU_ASSERT_EQUAL_FATAL(tsr_program_set_input(s.program, net->inputs[0].tensor, img, sizeof(float) * 3 * 416 * 416), TSR_OK);
    CU_ASSERT_EQUAL_FATAL(tsr_program_run(s.program, 0, NULL), TSR_OK);
    CU_ASSERT_EQUAL_FATAL(tsr_program_get_output(s.program, net->outputs[0].tensor, y, sizeof(float) * NA * K), TSR_OK);
    if (run == 0) {
      n = decode(y, d);
      /* the engine agrees with the reference to ~1e-4: boxes within 0.5 px */
      compare("engine output", d, n, &e, 0.5, 1e-3);
    } else {
      n2 = decode(y, d2);
      CU_ASSERT(n2 == n && memcmp(d, d2, sizeof(tsr_detection) * (size_t)n) == 0);
    }
  }
  tsr_net_session_close(&s);
  tsr_net_destroy(net);
  free(y);
  free(d);
  free(d2);
  free(ref);
  free(img);
  printf("\n    ");
}

/* TwinLiteNet drivable area and lanes ([1, 2, 320, 320] each) -> u8 masks:
 * the coverage case.json records (argmax == 1: 9970 and 915 of 102400
 * pixels). */
static void test_twinlitenet_masks(void) {
  static const char *const outs[2] = {"drivable_area", "lanes"};
  static const double want[2] = {0.09736328125, 0.008935546875};
  for (int i = 0; i < 2; ++i) {
    char path[1200];
    snprintf(path, sizeof(path), "%s/onnx/twinlitenet/reference/road_synthetic/%s.f32", g_models, outs[i]);
    float *v = read_f32(path, 2 * 320 * 320);
    if (v == NULL) {
      printf("\n    SKIPPED: %s not found", path);
      continue;
    }
    g_ran++;
    uint8_t *mask = malloc(320 * 320);
    float cov[2];
    tsr_error err;
    CU_ASSERT_EQUAL_FATAL(tsr_seg_argmax(v, 2, 320, 320, TSR_LAYOUT_NCHW, mask, 320, 320 * 320, cov, &err), TSR_OK);
    printf("\n    %s: coverage %.6f (case.json %.6f)", outs[i], (double)cov[1], want[i]);
    CU_ASSERT(fabs(cov[1] - want[i]) < 1e-7);
    CU_ASSERT(fabs(cov[0] + cov[1] - 1.0) < 1e-6);
    free(mask);
    free(v);
  }
  printf("\n    ");
}

/* PilotNet's [1, 1] output as a steering value (0.58293, case.json). */
static void test_pilotnet_value(void) {
  char path[1200];
  snprintf(path, sizeof(path), "%s/onnx/pilotnet/reference/frame_00029/output.f32", g_models);
  float *v = read_f32(path, 1);
  if (v == NULL) {
    printf("\n    SKIPPED: %s not found", path);
    return;
  }
  g_ran++;
  tsr_regression_params p = {0, TSR_DTYPE_F32, 1.0f, 0, 1.0f, 0.0f};
  float x = 0;
  tsr_error err;
  CU_ASSERT_EQUAL(tsr_regression_value(v, 1, &p, &x, &err), TSR_OK);
  CU_ASSERT(fabs(x - 0.58293) < 1e-5);
  free(v);
}

int main(void) {
  snprintf(g_models, sizeof(g_models), "%s", tsr_test_models_dir());
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("vision_models", NULL, NULL);
  CU_add_test(s, "YOLOX-Nano head decoded to frame boxes (reference and engine)", test_yolox_boxes);
  CU_add_test(s, "TwinLiteNet outputs to masks with coverage", test_twinlitenet_masks);
  CU_add_test(s, "PilotNet output as a regression value", test_pilotnet_value);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  const unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  if (f == 0 && g_ran == 0) {
    if (tsr_test_models_required()) {
      printf("FAILED: fixtures missing at %s, and required here (CI, TESSERA_REQUIRE_MODELS)\n", g_models);
      return 1;
    }
    return 77;
  }
  return f ? 1 : 0;
}
