/* ONNX operators against ONNX Runtime: replays every case that
 * tests/onnx/ops/gen_op_cases.py wrote (a small model, its inputs and ONNX
 * Runtime's outputs, listed in tests/onnx/ops/cases.txt with the op family
 * and tolerance) through the importer and the engine, on each CPU target
 * (cpu:ref, cpu:scalar, cpu, cpu:avx2 where the CPU has it). A value passes
 * when |got - want| <= atol + rtol * |want|; integer and bool outputs must
 * be equal. Prints the number of cases per op. No Python needed. */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/net/net.h"
#include "engine/onnx/onnx.h"

#ifndef TSR_ONNX_OPS_DIR
#error "TSR_ONNX_OPS_DIR must name tests/onnx/ops"
#endif

enum { kMaxTensors = TSR_NET_MAX_IO, kOnnxF32 = 1, kOnnxU8 = 2, kOnnxI8 = 3, kOnnxI32 = 6, kOnnxI64 = 7, kOnnxBool = 9 };

typedef struct tensor {
  char name[128];
  uint32_t etype, ndim;
  int64_t dims[8];
  const uint8_t *data;
  size_t bytes;
} tensor;

typedef struct test_case {
  uint8_t *buf; /* the whole file */
  const uint8_t *model;
  uint32_t model_bytes;
  uint32_t n_in, n_out;
  tensor t[2 * kMaxTensors]; /* inputs, then outputs */
} test_case;

static tsr_allocator g_a;

static uint8_t *read_file(const char *path, size_t *out_len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  uint8_t *buf = NULL;
  if (fseek(f, 0, SEEK_END) == 0) {
    long n = ftell(f);
    if (n > 0 && fseek(f, 0, SEEK_SET) == 0) {
      buf = malloc((size_t)n);
      if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
      }
      *out_len = (size_t)n;
    }
  }
  fclose(f);
  return buf;
}

static size_t elem_size(uint32_t et) {
  switch (et) {
    case kOnnxF32: case kOnnxI32: return 4;
    case kOnnxI64: return 8;
    case kOnnxBool: case kOnnxU8: case kOnnxI8: return 1;
    default: return 0;
  }
}

/* Parses a .case file (format in gen_op_cases.py); false if malformed. */
static bool parse_case(uint8_t *buf, size_t len, test_case *c) {
  memset(c, 0, sizeof(*c));
  c->buf = buf;
  size_t p = 0;
#define NEED(n) \
  if (len - p < (size_t)(n)) return false
  NEED(12);
  if (memcmp(buf, "TSRCASE1", 8) != 0) return false;
  p = 8;
  memcpy(&c->model_bytes, buf + p, 4);
  p += 4;
  NEED(c->model_bytes);
  c->model = buf + p;
  p += c->model_bytes;
  NEED(8);
  memcpy(&c->n_in, buf + p, 4);
  memcpy(&c->n_out, buf + p + 4, 4);
  p += 8;
  if (c->n_in > kMaxTensors || c->n_out > kMaxTensors) return false;
  for (uint32_t i = 0; i < c->n_in + c->n_out; ++i) {
    tensor *t = &c->t[i];
    uint32_t nl = 0;
    NEED(4);
    memcpy(&nl, buf + p, 4);
    p += 4;
    NEED(nl);
    if (nl >= sizeof(t->name)) return false;
    memcpy(t->name, buf + p, nl);
    p += nl;
    NEED(8);
    memcpy(&t->etype, buf + p, 4);
    memcpy(&t->ndim, buf + p + 4, 4);
    p += 8;
    if (t->ndim > 8 || elem_size(t->etype) == 0) return false;
    NEED(8 * t->ndim);
    memcpy(t->dims, buf + p, 8 * t->ndim);
    p += 8 * t->ndim;
    size_t n = 1;
    for (uint32_t d = 0; d < t->ndim; ++d) n *= (size_t)t->dims[d];
    t->bytes = n * elem_size(t->etype);
    NEED(t->bytes);
    t->data = buf + p;
    p += t->bytes;
  }
#undef NEED
  return p == len;
}

static double load(const tensor *t, const uint8_t *p, size_t i) {
  if (t->etype == kOnnxF32) {
    float v;
    memcpy(&v, p + 4 * i, 4);
    return v;
  }
  if (t->etype == kOnnxI64) {
    int64_t v;
    memcpy(&v, p + 8 * i, 8);
    return (double)v;
  }
  if (t->etype == kOnnxI32) {
    int32_t v;
    memcpy(&v, p + 4 * i, 4);
    return v;
  }
  if (t->etype == kOnnxI8) return (int8_t)p[i];
  return p[i];
}

/* Runs case |c| on |target|: 1 passed, 0 failed, -1 target not available. */
static int run_case(const char *name, const test_case *c, const tsr_net *net, const char *target, double atol,
                    double rtol) {
  tsr_net_session s;
  tsr_error err;
  tsr_status st = tsr_net_session_open(net, target, 1, &g_a, &s, &err);
  if (st == TSR_ERR_UNSUPPORTED && strcmp(target, "cpu:avx2") == 0) return -1;
  if (st != TSR_OK) {
    printf("\n    %s on %s: session: %s", name, target, err.message);
    return 0;
  }
  int ok = 1;
  for (uint32_t i = 0; i < c->n_in && ok; ++i) {
    int32_t k = tsr_net_find_io(net, true, c->t[i].name);
    if (k < 0 || tsr_program_set_input(s.program, net->inputs[k].tensor, c->t[i].data, c->t[i].bytes) != TSR_OK) {
      printf("\n    %s on %s: cannot set input %s", name, target, c->t[i].name);
      ok = 0;
    }
  }
  if (ok && (st = tsr_program_run(s.program, 0, NULL)) != TSR_OK) {
    printf("\n    %s on %s: run: %s", name, target, tsr_program_error(s.program)->message);
    ok = 0;
  }
  for (uint32_t o = 0; o < c->n_out && ok; ++o) {
    const tensor *want = &c->t[c->n_in + o];
    int32_t k = tsr_net_find_io(net, false, want->name);
    uint8_t *got = malloc(want->bytes ? want->bytes : 1);
    if (k < 0 || got == NULL ||
        tsr_program_get_output(s.program, net->outputs[k].tensor, got, want->bytes) != TSR_OK) {
      printf("\n    %s on %s: cannot read output %s", name, target, want->name);
      ok = 0;
    }
    size_t n = want->bytes / elem_size(want->etype), bad = 0;
    double worst = 0;
    for (size_t i = 0; ok && i < n; ++i) {
      double g = load(want, got, i), w = load(want, want->data, i);
      double lim = want->etype == kOnnxF32 ? atol + rtol * fabs(w) : 0.0;
      bool same = g == w || (isnan(g) && isnan(w)) || fabs(g - w) <= lim;
      if (!same) {
        if (bad++ == 0) printf("\n    %s on %s: %s[%zu] = %.9g, ONNX Runtime %.9g", name, target, want->name, i, g, w);
        if (fabs(g - w) > worst) worst = fabs(g - w);
      }
    }
    if (bad) {
      printf(" (%zu of %zu values off, worst by %.3g)", bad, n, worst);
      ok = 0;
    }
    free(got);
  }
  tsr_net_session_close(&s);
  return ok;
}

/* A model the importer must refuse: TSR_ERR_UNSUPPORTED, the message naming
 * the node (its name in the model), the op and |needle| ("-": none). */
static bool check_refusal(const char *op, const char *name, const char *needle) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s.case", TSR_ONNX_OPS_DIR, name);
  size_t len = 0;
  uint8_t *buf = read_file(path, &len);
  test_case c;
  bool ok = buf != NULL && parse_case(buf, len, &c);
  CU_ASSERT(ok);
  if (ok) {
    tsr_net *net = NULL;
    tsr_error err;
    tsr_error_clear(&err);
    tsr_status s = tsr_onnx_import(c.model, c.model_bytes, NULL, &g_a, &net, &err);
    char node[300];
    snprintf(node, sizeof(node), "node %s (%s)", name + strlen("refuse_"), op);
    ok = s == TSR_ERR_UNSUPPORTED && net == NULL && strstr(err.message, node) != NULL &&
         (strcmp(needle, "-") == 0 || strstr(err.message, needle) != NULL);
    printf("\n    %s: %s: %s%s", name, tsr_status_string(s), err.message, ok ? "" : "  <- expected");
    tsr_net_destroy(net);
  }
  free(buf);
  CU_ASSERT(ok);
  return ok;
}

typedef struct op_count {
  char op[40];
  int cases, passed;
} op_count;

static void test_ops(void) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/cases.txt", TSR_ONNX_OPS_DIR);
  FILE *list = fopen(path, "r");
  CU_ASSERT_PTR_NOT_NULL_FATAL(list);
  static const char *const kTargets[] = {"cpu:ref", "cpu:scalar", "cpu", "cpu:avx2"};
  op_count ops[64];
  int n_ops = 0, total = 0, passed = 0;
  char line[512];
  int refused = 0, n_refuse = 0;
  while (fgets(line, sizeof(line), list) != NULL) {
    char op[40], name[200], needle[64];
    double atol, rtol;
    if (line[0] == '#') continue;
    if (sscanf(line, "refuse %39s %199s %63s", op, name, needle) == 3) {
      n_refuse++;
      if (check_refusal(op, name, needle)) refused++;
      continue;
    }
    if (sscanf(line, "%39s %199s %lf %lf", op, name, &atol, &rtol) != 4) continue;
    int k = 0;
    while (k < n_ops && strcmp(ops[k].op, op) != 0) ++k;
    if (k == n_ops) {
      CU_ASSERT_FATAL(n_ops < 64);
      memset(&ops[k], 0, sizeof(ops[k]));
      snprintf(ops[k].op, sizeof(ops[k].op), "%s", op);
      ++n_ops;
    }
    ops[k].cases++;
    total++;
    snprintf(path, sizeof(path), "%s/%s.case", TSR_ONNX_OPS_DIR, name);
    size_t len = 0;
    uint8_t *buf = read_file(path, &len);
    test_case c;
    bool ok = buf != NULL && parse_case(buf, len, &c);
    if (!ok) printf("\n    %s: cannot read %s", name, path);
    tsr_net *net = NULL;
    if (ok) {
      tsr_error err;
      tsr_status s = tsr_onnx_import(c.model, c.model_bytes, NULL, &g_a, &net, &err);
      if (s != TSR_OK) {
        printf("\n    %s: import: %s: %s", name, tsr_status_string(s), err.message);
        ok = false;
      }
    }
    for (size_t t = 0; ok && t < sizeof(kTargets) / sizeof(kTargets[0]); ++t) {
      int r = run_case(name, &c, net, kTargets[t], atol, rtol);
      if (r == 0) ok = false;
    }
    CU_ASSERT(ok);
    if (ok) {
      ops[k].passed++;
      passed++;
    }
    tsr_net_destroy(net);
    free(buf);
  }
  fclose(list);
  printf("\n    ONNX Runtime cases per op (passed/cases, tolerance in cases.txt):");
  for (int k = 0; k < n_ops; ++k) printf("\n      %-22s %d/%d", ops[k].op, ops[k].passed, ops[k].cases);
  printf("\n    total %d/%d; refused as expected (TSR_ERR_UNSUPPORTED naming node, op, attribute): %d/%d\n", passed,
         total, refused, n_refuse);
  CU_ASSERT(total > 0);
}

int main(void) {
  g_a = tsr_allocator_system();
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("onnx_ops", NULL, NULL);
  CU_add_test(s, "operators against ONNX Runtime, every CPU target", test_ops);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return f ? 1 : 0;
}
