/* The ONNX importer on small models built in memory: errors (malformed and
 * truncated protobuf, unsupported ops, attributes, dtypes, external data),
 * opset-dependent forms (attributes vs inputs), views, fusions checked
 * against the unfused lowering and against values computed here, int8 QDQ
 * patterns, and the .tsr format (parameter encoding of every op, truncated
 * and corrupted files). */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/graph_internal.h"
#include "engine/net/net.h"
#include "engine/onnx/onnx.h"
#include "onnx/onnx_builder.h"

#define F32 ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT

static tsr_allocator g_a;
static mb g_b; /* large: not on the stack */

static tsr_status import(mb *b, uint32_t flags, tsr_net **net, tsr_error *err) {
  size_t len;
  uint8_t *buf = mb_pack(b, &len);
  tsr_onnx_options o;
  memset(&o, 0, sizeof(o));
  o.flags = flags;
  tsr_error_clear(err);
  tsr_status s = tsr_onnx_import(buf, len, &o, &g_a, net, err);
  free(buf);
  return s;
}

/* Imports and expects |code| with every |needle| in the message. */
static void expect_error(mb *b, tsr_status code, const char *n1, const char *n2) {
  tsr_net *net = NULL;
  tsr_error err;
  tsr_status s = import(b, 0, &net, &err);
  printf("\n    -> %s: %s", tsr_status_string(s), err.message);
  CU_ASSERT_EQUAL(s, code);
  CU_ASSERT(net == NULL);
  if (n1) CU_ASSERT(strstr(err.message, n1) != NULL);
  if (n2) CU_ASSERT(strstr(err.message, n2) != NULL);
  tsr_net_destroy(net);
}

/* Runs a single-input single-output net: y = net(x). */
static void run(tsr_net *net, const float *x, size_t nx, float *y, size_t ny) {
  tsr_net_session s;
  tsr_error err;
  tsr_status st = tsr_net_session_open(net, "cpu", 2, &g_a, &s, &err);
  if (st != TSR_OK) printf("\n    session: %s", err.message);
  CU_ASSERT_EQUAL_FATAL(st, TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_program_set_input(s.program, net->inputs[0].tensor, x, nx * sizeof(float)), TSR_OK);
  st = tsr_program_run(s.program, 0, NULL);
  if (st != TSR_OK) printf("\n    run: %s", tsr_program_error(s.program)->message);
  CU_ASSERT_EQUAL(st, TSR_OK);
  CU_ASSERT_EQUAL(tsr_program_get_output(s.program, net->outputs[0].tensor, y, ny * sizeof(float)), TSR_OK);
  tsr_net_session_close(&s);
}

/* Imports with and without fusion, runs both, returns the fused result and
 * the largest difference between the two. */
static double run_both(mb *b, const float *x, size_t nx, float *y, size_t ny, uint32_t *fused_nodes,
                       uint32_t *plain_nodes) {
  tsr_net *n1 = NULL, *n2 = NULL;
  tsr_error err;
  tsr_status s = import(b, 0, &n1, &err);
  if (s != TSR_OK) printf("\n    import: %s", err.message);
  CU_ASSERT_EQUAL_FATAL(s, TSR_OK);
  s = import(b, TSR_ONNX_NO_FUSION, &n2, &err);
  if (s != TSR_OK) printf("\n    import (no fusion): %s", err.message);
  CU_ASSERT_EQUAL_FATAL(s, TSR_OK);
  float *y2 = malloc(ny * sizeof(float));
  run(n1, x, nx, y, ny);
  run(n2, x, nx, y2, ny);
  double d = 0;
  for (size_t i = 0; i < ny; ++i) d = fmax(d, fabs((double)y[i] - (double)y2[i]));
  if (fused_nodes) *fused_nodes = tsr_graph_node_count(n1->graph);
  if (plain_nodes) *plain_nodes = tsr_graph_node_count(n2->graph);
  free(y2);
  tsr_net_destroy(n1);
  tsr_net_destroy(n2);
  return d;
}

static uint32_t count_op(const tsr_net *net, tsr_op_type t) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < net->graph->n_nodes; ++i) n += net->graph->nodes[i].type == t;
  return n;
}

static void fill(float *x, size_t n, uint32_t seed) {
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)((int)(seed >> 9) % 2001 - 1000) / 500.0f;
  }
}

/* ---- errors ---- */

static void test_malformed(void) {
  tsr_net *net = NULL;
  tsr_error err;
  uint8_t junk[257];
  uint32_t r = 7;
  for (int t = 0; t < 20; ++t) {
    for (size_t i = 0; i < sizeof(junk); ++i) {
      r = r * 1103515245u + 12345u;
      junk[i] = (uint8_t)(r >> 16);
    }
    tsr_status s = tsr_onnx_import(junk, sizeof(junk), NULL, &g_a, &net, &err);
    CU_ASSERT(s == TSR_ERR_FORMAT || s == TSR_ERR_UNSUPPORTED);
    CU_ASSERT(net == NULL);
  }
  CU_ASSERT_EQUAL(tsr_onnx_import(junk, 0, NULL, &g_a, &net, &err), TSR_ERR_FORMAT);
  CU_ASSERT_EQUAL(tsr_onnx_import("\x0a\xff\xff\xff\xff\x0f", 6, NULL, &g_a, &net, &err), TSR_ERR_FORMAT);
  CU_ASSERT_EQUAL(tsr_onnx_import(NULL, 5, NULL, &g_a, &net, &err), TSR_ERR_INVALID_ARGUMENT);
}

/* A conv model truncated at every byte: a prefix protobuf rejects gives
 * TSR_ERR_FORMAT; one that still parses must fail cleanly or import. */
static void test_truncated(void) {
  mb *b = &g_b;
  mb_init(b, 13);
  int64_t xd[4] = {1, 2, 5, 5}, wd[4] = {3, 2, 3, 3};
  float w[54];
  fill(w, 54, 1);
  mb_input(b, "x", F32, 4, xd);
  mb_init_f32(b, "w", 4, wd, w);
  Onnx__NodeProto *n = mb_node(b, "Conv", "conv", "x,w", "c");
  mb_attr_ints(b, n, "pads", 4, (int64_t[]){1, 1, 1, 1});
  mb_node(b, "Relu", "relu", "c", "y");
  mb_output(b, "y");
  size_t len;
  uint8_t *buf = mb_pack(b, &len);
  int format = 0, other = 0, ok = 0;
  for (size_t cut = 0; cut < len; ++cut) {
    uint8_t *prefix = malloc(cut ? cut : 1);
    memcpy(prefix, buf, cut);
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, cut, prefix);
    tsr_net *net = NULL;
    tsr_error err;
    tsr_status s = tsr_onnx_import(prefix, cut, NULL, &g_a, &net, &err);
    if (m == NULL) CU_ASSERT_EQUAL(s, TSR_ERR_FORMAT);
    if (m) onnx__model_proto__free_unpacked(m, NULL);
    format += s == TSR_ERR_FORMAT;
    ok += s == TSR_OK;
    other += s != TSR_OK && s != TSR_ERR_FORMAT;
    tsr_net_destroy(net);
    free(prefix);
  }
  printf("\n    %zu truncations: %d TSR_ERR_FORMAT, %d other errors, %d imported", len, format, other, ok);
  tsr_net *net = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL(tsr_onnx_import(buf, len, NULL, &g_a, &net, &err), TSR_OK);
  tsr_net_destroy(net);
  free(buf);
}

static void test_unsupported(void) {
  mb *b = &g_b;
  int64_t xd[2] = {2, 3};
  /* An op the importer does not know. */
  mb_init(b, 13);
  mb_input(b, "x", F32, 2, xd);
  mb_node(b, "Relu", "first", "x", "t");
  mb_node(b, "FancyOp", "the_fancy_node", "t", "y");
  mb_output(b, "y");
  expect_error(b, TSR_ERR_UNSUPPORTED, "the_fancy_node", "FancyOp");
  /* A com.microsoft op other than QLinearAdd/QLinearMul. */
  mb_init(b, 13);
  mb_input(b, "x", F32, 2, xd);
  Onnx__NodeProto *n = mb_node(b, "FusedGemm", "ms_node", "x", "y");
  n->domain = mb_str(b, "com.microsoft");
  mb_output(b, "y");
  expect_error(b, TSR_ERR_UNSUPPORTED, "ms_node", "com.microsoft");
  /* An attribute it does not know. */
  mb_init(b, 13);
  mb_input(b, "x", F32, 2, xd);
  n = mb_node(b, "Relu", "relu_with_extra", "x", "y");
  mb_attr_i(b, n, "mystery", 3);
  mb_output(b, "y");
  expect_error(b, TSR_ERR_UNSUPPORTED, "relu_with_extra", "mystery");
  /* An attribute value it does not support. */
  mb_init(b, 13);
  int64_t x4[4] = {1, 1, 4, 4};
  float sc[4] = {1, 1, 2, 2};
  int64_t sd[1] = {4};
  mb_input(b, "x", F32, 4, x4);
  mb_init_f32(b, "scales", 1, sd, sc);
  n = mb_node(b, "Resize", "crop_resize", "x,,scales", "y");
  mb_attr_s(b, n, "coordinate_transformation_mode", "tf_crop_and_resize");
  mb_output(b, "y");
  expect_error(b, TSR_ERR_UNSUPPORTED, "crop_resize", "coordinate_transformation_mode");
  /* A dtype it does not support. */
  mb_init(b, 13);
  mb_input(b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, 2, xd);
  mb_node(b, "Relu", "relu", "x", "y");
  mb_output(b, "y");
  expect_error(b, TSR_ERR_UNSUPPORTED, "double", "x");
  /* A string initializer. */
  mb_init(b, 13);
  mb_input(b, "x", F32, 2, xd);
  mb_tensor(b, "names", ONNX__TENSOR_PROTO__DATA_TYPE__STRING, 1, (int64_t[]){1});
  mb_node(b, "Relu", "relu", "x", "y");
  mb_output(b, "y");
  expect_error(b, TSR_ERR_UNSUPPORTED, "names", "string");
  /* External data. */
  mb_init(b, 13);
  mb_input(b, "x", F32, 2, xd);
  Onnx__TensorProto *t = mb_tensor(b, "big_weight", F32, 2, xd);
  t->has_data_location = 1;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  mb_node(b, "Add", "add", "x,big_weight", "y");
  mb_output(b, "y");
  expect_error(b, TSR_ERR_UNSUPPORTED, "big_weight", "external data");
  /* An opset newer than supported. */
  mb_init(b, 40);
  mb_input(b, "x", F32, 2, xd);
  mb_node(b, "Relu", "relu", "x", "y");
  mb_output(b, "y");
  expect_error(b, TSR_ERR_UNSUPPORTED, "opset 40", NULL);
  /* Run-time (non-constant) reshape target. */
  mb_init(b, 13);
  mb_input(b, "x", F32, 2, xd);
  mb_node(b, "Shape", "shape", "x", "s");
  mb_node(b, "Relu", "relu", "x", "r");
  mb_node(b, "Cast", "cast", "r", "rf");
  mb_output(b, "rf");
  tsr_net *net = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL(import(b, 0, &net, &err), TSR_ERR_UNSUPPORTED); /* Cast without 'to' = 0 (undefined) */
  tsr_net_destroy(net);
}

static void test_inconsistent(void) {
  mb *b = &g_b;
  int64_t xd[2] = {2, 3};
  mb_init(b, 13);
  mb_input(b, "x", F32, 2, xd);
  mb_node(b, "Relu", "relu", "nowhere", "y");
  mb_output(b, "y");
  expect_error(b, TSR_ERR_FORMAT, "relu", "nowhere");
  mb_init(b, 13);
  mb_input(b, "x", F32, 2, xd);
  mb_node(b, "Relu", "relu", "x", "y");
  mb_output(b, "missing_output");
  expect_error(b, TSR_ERR_FORMAT, "missing_output", NULL);
  mb_init(b, 13);
  mb_input(b, "x", F32, 2, xd);
  mb_node(b, "Relu", "relu", "x", "y");
  mb_node(b, "Relu", "relu2", "x", "y");
  mb_output(b, "y");
  expect_error(b, TSR_ERR_FORMAT, "defined twice", NULL);
  /* Shapes that do not broadcast. */
  mb_init(b, 13);
  int64_t bd[2] = {2, 4};
  float bv[8] = {0};
  mb_input(b, "x", F32, 2, xd);
  mb_init_f32(b, "b", 2, bd, bv);
  mb_node(b, "Add", "bad_add", "x,b", "y");
  mb_output(b, "y");
  expect_error(b, TSR_ERR_FORMAT, "bad_add", "broadcast");
  /* Initializer data shorter than its shape. */
  mb_init(b, 13);
  mb_input(b, "x", F32, 2, xd);
  mb_init_raw(b, "short", F32, 2, xd, bv, 8);
  mb_node(b, "Add", "add", "x,short", "y");
  mb_output(b, "y");
  expect_error(b, TSR_ERR_FORMAT, "short", NULL);
}

/* ---- forms and views ---- */

/* x [2, 3, 4] -> Transpose(0, 2, 1) -> Reshape [2, 12] -> Slice(axis 1, 1:11:3)
 * -> Unsqueeze(0) (opset 13 input) -> Squeeze -> y [2, 4] */
static void test_views(void) {
  mb *b = &g_b;
  mb_init(b, 13);
  int64_t xd[3] = {2, 3, 4}, one[1] = {1}, two[1] = {2};
  int64_t shp[2] = {2, 12}, st[1] = {1}, en[1] = {11}, ax[1] = {1}, sp[1] = {3}, ax0[1] = {0};
  mb_input(b, "x", F32, 3, xd);
  mb_init_i64(b, "shape", 1, two, shp);
  mb_init_i64(b, "starts", 1, one, st);
  mb_init_i64(b, "ends", 1, one, en);
  mb_init_i64(b, "axes", 1, one, ax);
  mb_init_i64(b, "steps", 1, one, sp);
  mb_init_i64(b, "axes0", 1, one, ax0);
  Onnx__NodeProto *n = mb_node(b, "Transpose", "t", "x", "xt");
  mb_attr_ints(b, n, "perm", 3, (int64_t[]){0, 2, 1});
  mb_node(b, "Reshape", "r", "xt,shape", "xr");
  mb_node(b, "Slice", "s", "xr,starts,ends,axes,steps", "xs");
  mb_node(b, "Unsqueeze", "u", "xs,axes0", "xu");
  mb_node(b, "Squeeze", "q", "xu,axes0", "y");
  mb_output(b, "y");
  float x[24], y[8];
  for (int i = 0; i < 24; ++i) x[i] = (float)i;
  uint32_t nf = 0, np = 0;
  double d = run_both(b, x, 24, y, 8, &nf, &np);
  CU_ASSERT_EQUAL(d, 0.0);
  /* xt[b][w][h] = x[b][h][w]; flattened row r = w*3 + h; columns 1, 4, 7, 10. */
  for (int bb = 0; bb < 2; ++bb) {
    for (int k = 0; k < 4; ++k) {
      int r = 1 + 3 * k, w = r / 3, h = r % 3;
      CU_ASSERT_EQUAL(y[bb * 4 + k], x[bb * 12 + h * 4 + w]);
    }
  }
  printf("\n    %u nodes (all data movement as views and one copy)", nf);
  CU_ASSERT(nf <= 2);
}

/* Split (opset 13 input) + Concat in another order + Gather scalar and
 * vector indices + Expand and a broadcasting Sub. */
static void test_split_gather_expand(void) {
  mb *b = &g_b;
  mb_init(b, 13);
  int64_t xd[2] = {3, 4}, two[1] = {2}, spl[2] = {1, 3}, i0 = 2, vi[2] = {0, 2};
  int64_t eshape[2] = {3, 3};
  mb_input(b, "x", F32, 2, xd);
  mb_init_i64(b, "split", 1, two, spl);
  mb_init_i64(b, "scalar_index", 0, NULL, &i0);
  mb_init_i64(b, "vector_index", 1, two, vi);
  mb_init_i64(b, "eshape", 1, two, eshape);
  Onnx__NodeProto *n = mb_node(b, "Split", "split", "x,split", "a,c");
  mb_attr_i(b, n, "axis", 1);
  n = mb_node(b, "Concat", "cat", "c,a", "cc"); /* [3, 4] columns rotated */
  mb_attr_i(b, n, "axis", 1);
  n = mb_node(b, "Gather", "g0", "cc,scalar_index", "col"); /* cc[:, 2] -> [3] */
  mb_attr_i(b, n, "axis", 1);
  n = mb_node(b, "Gather", "g1", "cc,vector_index", "cols"); /* cc[:, [0, 2]] -> [3, 2] */
  mb_attr_i(b, n, "axis", 1);
  mb_node(b, "Expand", "ex", "col,eshape", "colx"); /* [3] -> [3, 3], broadcast on rows */
  mb_node(b, "ReduceSum", "rs", "cols", "s2"); /* keepdims: [1, 1] */
  mb_node(b, "Sub", "sub", "colx,s2", "y");
  mb_output(b, "y");
  float x[12], y[9];
  for (int i = 0; i < 12; ++i) x[i] = (float)(i * i % 7) - 2.5f;
  double d = run_both(b, x, 12, y, 9, NULL, NULL);
  CU_ASSERT(d <= 1e-6);
  /* cc = [x[:, 1:4], x[:, 0:1]]; col = cc[:, 2] = x[:, 3]; cols = x[:, {1, 3}]. */
  double s = 0;
  for (int r = 0; r < 3; ++r) s += x[r * 4 + 1] + x[r * 4 + 3];
  for (int r = 0; r < 3; ++r) {
    for (int k = 0; k < 3; ++k) CU_ASSERT(fabs(y[r * 3 + k] - (x[k * 4 + 3] - s)) < 1e-5);
  }
}

/* Opset 1 Add with broadcast/axis, opset 6 Clip with attributes and opset 11
 * Clip with inputs, Reshape with a shape attribute (opset 1). */
static void test_legacy_forms(void) {
  mb *b = &g_b;
  mb_init(b, 1);
  int64_t xd[4] = {1, 2, 2, 2}, cd[1] = {2};
  float bias[2] = {10, -10};
  mb_input(b, "x", F32, 4, xd);
  mb_init_f32(b, "bias", 1, cd, bias);
  Onnx__NodeProto *n = mb_node(b, "Add", "add", "x,bias", "a");
  mb_attr_i(b, n, "broadcast", 1);
  mb_attr_i(b, n, "axis", 1);
  n = mb_node(b, "Reshape", "r", "a", "y");
  mb_attr_ints(b, n, "shape", 2, (int64_t[]){2, 4});
  mb_output(b, "y");
  float x[8], y[8];
  for (int i = 0; i < 8; ++i) x[i] = (float)i;
  double d = run_both(b, x, 8, y, 8, NULL, NULL);
  CU_ASSERT_EQUAL(d, 0.0);
  for (int i = 0; i < 8; ++i) CU_ASSERT_EQUAL(y[i], x[i] + bias[i / 4]);
  /* Clip: attributes (opset 6) and inputs (opset 11) give the same. */
  for (int v = 0; v < 2; ++v) {
    mb_init(b, v ? 11 : 6);
    int64_t d2[2] = {2, 4};
    float lo = -1.5f, hi = 2.0f;
    mb_input(b, "x", F32, 2, d2);
    if (v) {
      mb_init_f32(b, "lo", 0, NULL, &lo);
      mb_init_f32(b, "hi", 0, NULL, &hi);
      mb_node(b, "Clip", "clip", "x,lo,hi", "y");
    } else {
      n = mb_node(b, "Clip", "clip", "x", "y");
      mb_attr_f(b, n, "min", lo);
      mb_attr_f(b, n, "max", hi);
    }
    mb_output(b, "y");
    float xs[8] = {-3, -1.5f, -1, 0, 1, 2, 2.5f, 9};
    run_both(b, xs, 8, y, 8, NULL, NULL);
    for (int i = 0; i < 8; ++i) CU_ASSERT_EQUAL(y[i], fminf(fmaxf(xs[i], lo), hi));
  }
}

/* ---- fusions ---- */

/* Conv -> BatchNormalization -> Add(per-channel constant) -> Relu: one conv. */
static void test_conv_bn_relu(void) {
  mb *b = &g_b;
  mb_init(b, 11);
  int64_t xd[4] = {1, 3, 7, 6}, wd[4] = {4, 3, 3, 3}, cd[1] = {4}, ad[3] = {4, 1, 1};
  static float w[108], bias[4], g[4], be[4], mu[4], var[4], add[4];
  fill(w, 108, 3);
  fill(bias, 4, 4);
  fill(g, 4, 5);
  fill(be, 4, 6);
  fill(mu, 4, 7);
  fill(add, 4, 8);
  for (int i = 0; i < 4; ++i) var[i] = 0.5f + (float)i;
  mb_input(b, "x", F32, 4, xd);
  mb_init_f32(b, "w", 4, wd, w);
  mb_init_f32(b, "b", 1, cd, bias);
  mb_init_f32(b, "g", 1, cd, g);
  mb_init_f32(b, "be", 1, cd, be);
  mb_init_f32(b, "mu", 1, cd, mu);
  mb_init_f32(b, "var", 1, cd, var);
  mb_init_f32(b, "add", 3, ad, add);
  Onnx__NodeProto *n = mb_node(b, "Conv", "conv", "x,w,b", "c");
  mb_attr_ints(b, n, "pads", 4, (int64_t[]){1, 0, 1, 2});
  mb_attr_ints(b, n, "strides", 2, (int64_t[]){2, 1});
  n = mb_node(b, "BatchNormalization", "bn", "c,g,be,mu,var", "n");
  mb_attr_f(b, n, "epsilon", 1e-3f);
  mb_node(b, "Add", "add", "n,add", "a");
  mb_node(b, "Relu", "relu", "a", "y");
  mb_output(b, "y");
  float x[126];
  fill(x, 126, 9);
  /* y: [1, 4, 4, 6] */
  float y[96];
  uint32_t nf = 0, np = 0;
  double d = run_both(b, x, 126, y, 96, &nf, &np);
  printf("\n    fused %u node(s), unfused %u; max |fused - unfused| %.3g", nf, np, d);
  CU_ASSERT(d <= 2e-5);
  CU_ASSERT_EQUAL(nf, 1);
  /* Direct check of one output against the definition. */
  int m = 2, oy = 1, ox = 3;
  double acc = bias[m];
  for (int c = 0; c < 3; ++c)
    for (int ky = 0; ky < 3; ++ky)
      for (int kx = 0; kx < 3; ++kx) {
        int iy = oy * 2 - 1 + ky, ix = ox - 0 + kx;
        if (iy < 0 || iy >= 7 || ix < 0 || ix >= 6) continue;
        acc += (double)x[(c * 7 + iy) * 6 + ix] * w[((m * 3 + c) * 3 + ky) * 3 + kx];
      }
  double ref = (acc - mu[m]) * g[m] / sqrt(var[m] + 1e-3) + be[m] + add[m];
  ref = ref > 0 ? ref : 0;
  CU_ASSERT(fabs(y[(m * 4 + oy) * 6 + ox] - ref) < 1e-4);
}

/* Conv -> Sigmoid x Mul (SiLU) and PRelu per channel fuse into the conv;
 * standalone x * sigmoid(x) becomes one SiLU. */
static void test_silu_prelu(void) {
  mb *b = &g_b;
  mb_init(b, 13);
  int64_t xd[4] = {1, 2, 5, 5}, wd[4] = {3, 2, 1, 1}, sd[3] = {3, 1, 1};
  static float w[6], slope[3] = {0.1f, -0.2f, 0.3f};
  fill(w, 6, 11);
  mb_input(b, "x", F32, 4, xd);
  mb_init_f32(b, "w", 4, wd, w);
  mb_init_f32(b, "slope", 3, sd, slope);
  mb_node(b, "Conv", "conv", "x,w", "c");
  mb_node(b, "Sigmoid", "sig", "c", "s");
  mb_node(b, "Mul", "mul", "c,s", "silu");
  mb_node(b, "Sigmoid", "sig2", "silu", "s2");
  mb_node(b, "Mul", "mul2", "s2,silu", "silu2");
  mb_node(b, "PRelu", "prelu", "silu2,slope", "y");
  mb_output(b, "y");
  float x[50], y[75];
  fill(x, 50, 12);
  uint32_t nf = 0, np = 0;
  double d = run_both(b, x, 50, y, 75, &nf, &np);
  printf("\n    fused %u nodes, unfused %u; max diff %.3g", nf, np, d);
  CU_ASSERT(d <= 1e-5);
  CU_ASSERT_EQUAL(nf, 3); /* conv+silu, silu, prelu */
  for (int m = 0; m < 3; ++m) {
    for (int p = 0; p < 25; ++p) {
      double c = 0;
      for (int k = 0; k < 2; ++k) c += (double)w[m * 2 + k] * x[k * 25 + p];
      double s1 = c / (1 + exp(-c)), s2 = s1 / (1 + exp(-s1)), r = s2 < 0 ? s2 * slope[m] : s2;
      CU_ASSERT(fabs(y[m * 25 + p] - r) < 1e-5);
    }
  }
}

/* The LayerNorm and Erf-GELU sub-graphs (as PyTorch exports them) and
 * MatMul + bias: one LAYERNORM, one GELU, one MATMUL with bias. */
static void test_layernorm_gelu(void) {
  mb *b = &g_b;
  mb_init(b, 13);
  int64_t xd[3] = {1, 5, 8}, cd[1] = {8}, wd[2] = {8, 6}, bd[1] = {6};
  static float gam[8], bet[8], W[48], bias[6];
  fill(gam, 8, 21);
  fill(bet, 8, 22);
  fill(W, 48, 23);
  fill(bias, 6, 24);
  float two = 2.0f, eps = 1e-5f, sq2 = 1.4142135f, one = 1.0f, half = 0.5f;
  mb_input(b, "x", F32, 3, xd);
  mb_init_f32(b, "gamma", 1, cd, gam);
  mb_init_f32(b, "beta", 1, cd, bet);
  mb_init_f32(b, "two", 0, NULL, &two);
  mb_init_f32(b, "eps", 0, NULL, &eps);
  mb_init_f32(b, "sq2", 0, NULL, &sq2);
  mb_init_f32(b, "one", 0, NULL, &one);
  mb_init_f32(b, "half", 0, NULL, &half);
  mb_init_f32(b, "W", 2, wd, W);
  mb_init_f32(b, "bias", 1, bd, bias);
  Onnx__NodeProto *n = mb_node(b, "ReduceMean", "mean", "x", "m");
  mb_attr_ints(b, n, "axes", 1, (int64_t[]){-1});
  mb_node(b, "Sub", "sub", "x,m", "d");
  mb_node(b, "Pow", "pow", "d,two", "d2");
  n = mb_node(b, "ReduceMean", "var", "d2", "v");
  mb_attr_ints(b, n, "axes", 1, (int64_t[]){-1});
  mb_node(b, "Add", "addeps", "v,eps", "ve");
  mb_node(b, "Sqrt", "sqrt", "ve", "sd");
  mb_node(b, "Div", "div", "d,sd", "nrm");
  mb_node(b, "Mul", "mulg", "nrm,gamma", "ng");
  mb_node(b, "Add", "addb", "ng,beta", "ln");
  mb_node(b, "MatMul", "mm", "ln,W", "h0");
  mb_node(b, "Add", "mmb", "bias,h0", "h");
  mb_node(b, "Div", "gdiv", "h,sq2", "g1");
  mb_node(b, "Erf", "erf", "g1", "g2");
  mb_node(b, "Add", "gadd", "g2,one", "g3");
  mb_node(b, "Mul", "gmul", "h,g3", "g4");
  mb_node(b, "Mul", "ghalf", "g4,half", "y");
  mb_output(b, "y");
  float x[40], y[30];
  fill(x, 40, 25);
  uint32_t nf = 0, np = 0;
  double d = run_both(b, x, 40, y, 30, &nf, &np);
  printf("\n    fused %u nodes, unfused %u; max diff %.3g", nf, np, d);
  CU_ASSERT(d <= 2e-5);
  CU_ASSERT_EQUAL(nf, 3);
  for (int r = 0; r < 5; ++r) {
    double mean = 0, var = 0, ln[8];
    for (int i = 0; i < 8; ++i) mean += x[r * 8 + i] / 8.0;
    for (int i = 0; i < 8; ++i) var += (x[r * 8 + i] - mean) * (x[r * 8 + i] - mean) / 8.0;
    for (int i = 0; i < 8; ++i) ln[i] = (x[r * 8 + i] - mean) / sqrt(var + 1e-5) * gam[i] + bet[i];
    for (int j = 0; j < 6; ++j) {
      double h = bias[j];
      for (int i = 0; i < 8; ++i) h += ln[i] * W[i * 6 + j];
      double ref = 0.5 * h * (1 + erf(h / sqrt(2.0)));
      CU_ASSERT(fabs(y[r * 6 + j] - ref) < 1e-4);
    }
  }
}

/* Attention: MatMul(q * s, Transpose(k)) -> Softmax -> MatMul(., v) with
 * q, k, v split from one tensor, and Gemm transA / transB / beta. */
static void test_attention_gemm(void) {
  mb *b = &g_b;
  mb_init(b, 13);
  int64_t xd[3] = {3, 4, 5}, three[1] = {3}, spl[3] = {1, 1, 1}, ax0[1] = {0};
  float s = 0.5f;
  mb_input(b, "x", F32, 3, xd);
  mb_init_i64(b, "split", 1, three, spl);
  mb_init_i64(b, "ax0", 1, (int64_t[]){1}, ax0);
  mb_init_f32(b, "s", 0, NULL, &s);
  Onnx__NodeProto *n = mb_node(b, "Split", "split", "x,split", "q3,k3,v3");
  mb_attr_i(b, n, "axis", 0);
  mb_node(b, "Squeeze", "sq", "q3,ax0", "q");
  mb_node(b, "Squeeze", "sk", "k3,ax0", "k");
  mb_node(b, "Squeeze", "sv", "v3,ax0", "v");
  mb_node(b, "Mul", "scale", "q,s", "qs");
  n = mb_node(b, "Transpose", "kt", "k", "kT");
  mb_attr_ints(b, n, "perm", 2, (int64_t[]){1, 0});
  mb_node(b, "MatMul", "qk", "qs,kT", "att");
  n = mb_node(b, "Softmax", "sm", "att", "p");
  mb_attr_i(b, n, "axis", -1);
  mb_node(b, "MatMul", "pv", "p,v", "o"); /* [4, 5] */
  static float G[15], C[3];
  fill(G, 15, 31);
  fill(C, 3, 32);
  mb_init_f32(b, "G", 2, (int64_t[]){3, 5}, G);
  mb_init_f32(b, "C", 1, (int64_t[]){3}, C);
  n = mb_node(b, "Gemm", "gemm", "o,G,C", "y"); /* o [4,5] @ G^T [5,3] * 2 + 0.5 C */
  mb_attr_i(b, n, "transB", 1);
  mb_attr_f(b, n, "alpha", 2.0f);
  mb_attr_f(b, n, "beta", 0.5f);
  mb_output(b, "y");
  float x[60], y[12];
  fill(x, 60, 33);
  double d = run_both(b, x, 60, y, 12, NULL, NULL);
  CU_ASSERT(d <= 1e-5);
  const float *q = x, *k = x + 20, *v = x + 40;
  for (int i = 0; i < 4; ++i) {
    double a[4], mx = -1e30, sum = 0, o[5] = {0};
    for (int j = 0; j < 4; ++j) {
      a[j] = 0;
      for (int e = 0; e < 5; ++e) a[j] += 0.5 * q[i * 5 + e] * k[j * 5 + e];
      mx = fmax(mx, a[j]);
    }
    for (int j = 0; j < 4; ++j) sum += (a[j] = exp(a[j] - mx));
    for (int j = 0; j < 4; ++j)
      for (int e = 0; e < 5; ++e) o[e] += a[j] / sum * v[j * 5 + e];
    for (int c = 0; c < 3; ++c) {
      double r = 0.5 * C[c];
      for (int e = 0; e < 5; ++e) r += 2.0 * o[e] * G[c * 5 + e];
      CU_ASSERT(fabs(y[i * 3 + c] - r) < 1e-4);
    }
  }
}

/* DequantizeLinear -> Conv -> QuantizeLinear -> DequantizeLinear: the int8
 * QLinearConv path against the float QDQ path (at most one output step). */
static void test_qdq_conv(void) {
  mb *b = &g_b;
  mb_init(b, 13);
  int64_t xd[4] = {1, 3, 6, 6}, wd[4] = {4, 3, 3, 3}, cd[1] = {4};
  static int8_t wq[108];
  static int32_t bq[4] = {100, -250, 0, 37};
  static float ws[4] = {0.01f, 0.02f, 0.015f, 0.03f}, bs[4];
  int8_t zero8 = 0, wz[4] = {0, 0, 0, 0};
  int32_t bz[4] = {0, 0, 0, 0};
  float xs = 0.05f, ys = 0.1f;
  int8_t yz = 3;
  for (int i = 0; i < 108; ++i) wq[i] = (int8_t)((i * 37) % 255 - 127);
  for (int i = 0; i < 4; ++i) bs[i] = xs * ws[i];
  mb_input(b, "x", F32, 4, xd);
  mb_init_raw(b, "wq", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 4, wd, wq, sizeof(wq));
  mb_init_f32(b, "ws", 1, cd, ws);
  mb_init_raw(b, "wz", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 1, cd, wz, sizeof(wz));
  mb_init_raw(b, "bq", ONNX__TENSOR_PROTO__DATA_TYPE__INT32, 1, cd, bq, sizeof(bq));
  mb_init_f32(b, "bs", 1, cd, bs);
  mb_init_raw(b, "bz", ONNX__TENSOR_PROTO__DATA_TYPE__INT32, 1, cd, bz, sizeof(bz));
  mb_init_f32(b, "xs", 0, NULL, &xs);
  mb_init_raw(b, "xz", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 0, NULL, &zero8, 1);
  mb_init_f32(b, "ys", 0, NULL, &ys);
  mb_init_raw(b, "yz", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 0, NULL, &yz, 1);
  mb_node(b, "QuantizeLinear", "qx", "x,xs,xz", "xq");
  mb_node(b, "DequantizeLinear", "dqx", "xq,xs,xz", "xd");
  Onnx__NodeProto *n = mb_node(b, "DequantizeLinear", "dqw", "wq,ws,wz", "w");
  mb_attr_i(b, n, "axis", 0);
  mb_node(b, "DequantizeLinear", "dqb", "bq,bs,bz", "bias");
  n = mb_node(b, "Conv", "conv", "xd,w,bias", "c");
  mb_attr_ints(b, n, "pads", 4, (int64_t[]){1, 1, 1, 1});
  mb_node(b, "QuantizeLinear", "qy", "c,ys,yz", "yq");
  mb_node(b, "DequantizeLinear", "dqy", "yq,ys,yz", "y");
  mb_output(b, "y");
  float x[108], y1[144], y2[144];
  fill(x, 108, 41);
  tsr_net *n1 = NULL, *n2 = NULL;
  tsr_error err;
  tsr_status st = import(b, 0, &n1, &err);
  if (st != TSR_OK) printf("\n    import: %s", err.message);
  CU_ASSERT_EQUAL_FATAL(st, TSR_OK);
  CU_ASSERT_EQUAL_FATAL(import(b, TSR_ONNX_QDQ_FLOAT, &n2, &err), TSR_OK);
  CU_ASSERT_EQUAL(count_op(n1, TSR_OP_QLINEAR_CONV), 1);
  CU_ASSERT_EQUAL(count_op(n2, TSR_OP_QLINEAR_CONV), 0);
  run(n1, x, 108, y1, 144);
  run(n2, x, 108, y2, 144);
  int differ = 0;
  for (int i = 0; i < 144; ++i) {
    CU_ASSERT(fabs(y1[i] - y2[i]) <= ys * 1.001);
    differ += y1[i] != y2[i];
  }
  printf("\n    int8 vs float QDQ: %d of 144 outputs one step apart", differ);
  tsr_net_destroy(n1);
  tsr_net_destroy(n2);
}

/* ---- .tsr ---- */

static void test_params_roundtrip(void) {
  for (int t = 1; t < TSR_OP_COUNT; ++t) {
    tsr_op_params p, q;
    uint8_t *raw = (uint8_t *)&p;
    /* Bytes of 0 and 1 only, so that bool fields hold valid values. */
    for (size_t i = 0; i < sizeof(p); ++i) raw[i] = (uint8_t)(((i * 7 + (size_t)t) >> 1) & 1);
    uint32_t w[64];
    int n = tsr_net_params_encode((tsr_op_type)t, &p, w, 64);
    CU_ASSERT(n >= 1);
    CU_ASSERT_EQUAL_FATAL(tsr_net_params_decode((tsr_op_type)t, w, n, &q), TSR_OK);
    uint32_t w2[64];
    CU_ASSERT_EQUAL(tsr_net_params_encode((tsr_op_type)t, &q, w2, 64), n);
    CU_ASSERT(memcmp(w, w2, sizeof(uint32_t) * (size_t)n) == 0);
    CU_ASSERT_EQUAL(tsr_net_params_decode((tsr_op_type)t, w, n - 1, &q), TSR_ERR_FORMAT);
    CU_ASSERT_EQUAL(tsr_net_params_decode((tsr_op_type)t, w, n + 1, &q), TSR_ERR_FORMAT);
  }
}

/* A converted model: reloads with the same graph; every truncation and a
 * set of corrupted bytes fail cleanly. */
static void test_tsr_damage(void) {
  mb *b = &g_b;
  mb_init(b, 13);
  int64_t xd[4] = {1, 2, 4, 4}, wd[4] = {2, 2, 3, 3};
  static float w[36];
  fill(w, 36, 51);
  mb_input(b, "x", F32, 4, xd);
  mb_init_f32(b, "w", 4, wd, w);
  Onnx__NodeProto *n = mb_node(b, "Conv", "conv", "x,w", "c");
  mb_attr_ints(b, n, "pads", 4, (int64_t[]){1, 1, 1, 1});
  mb_node(b, "Relu", "relu", "c", "y");
  mb_output(b, "y");
  tsr_net *net = NULL, *back = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(import(b, 0, &net, &err), TSR_OK);
  FILE *f = tmpfile();
  CU_ASSERT_EQUAL_FATAL(tsr_net_write_tsr(net, f, &err), TSR_OK);
  long size = ftell(f);
  rewind(f);
  uint8_t *blob = malloc((size_t)size);
  CU_ASSERT_FATAL(fread(blob, 1, (size_t)size, f) == (size_t)size);
  fclose(f);
  CU_ASSERT(tsr_net_is_tsr(blob, (size_t)size));
  CU_ASSERT_EQUAL_FATAL(tsr_net_load_tsr(blob, (size_t)size, &g_a, &back, &err), TSR_OK);
  CU_ASSERT_EQUAL(tsr_graph_node_count(back->graph), tsr_graph_node_count(net->graph));
  CU_ASSERT_EQUAL(tsr_graph_tensor_count(back->graph), tsr_graph_tensor_count(net->graph));
  float x[32], y1[32], y2[32];
  fill(x, 32, 52);
  run(net, x, 32, y1, 32);
  run(back, x, 32, y2, 32);
  CU_ASSERT(memcmp(y1, y2, sizeof(y1)) == 0);
  tsr_net_destroy(back);
  int fmt = 0, other = 0;
  /* (The last 64 bytes may be alignment padding after the last tensor.) */
  for (long cut = 0; cut < size - 64; cut += (cut < 256 ? 1 : 17)) {
    tsr_net *t = NULL;
    tsr_status s = tsr_net_load_tsr(blob, (size_t)cut, &g_a, &t, &err);
    CU_ASSERT(s != TSR_OK);
    fmt += s == TSR_ERR_FORMAT;
    other += s != TSR_ERR_FORMAT;
    tsr_net_destroy(t);
  }
  printf("\n    %ld-byte .tsr: truncations gave %d TSR_ERR_FORMAT, %d other errors", size, fmt, other);
  CU_ASSERT_EQUAL(other, 0);
  /* Flip bytes through the metadata: never a crash; loads that still succeed
   * must give a valid graph (validated by the loader). */
  uint8_t *copy = malloc((size_t)size);
  int loaded = 0;
  for (long i = 8; i < size; i += 13) {
    memcpy(copy, blob, (size_t)size);
    copy[i] ^= 0x5a;
    tsr_net *t = NULL;
    if (tsr_net_load_tsr(copy, (size_t)size, &g_a, &t, &err) == TSR_OK) loaded++;
    tsr_net_destroy(t);
  }
  printf(", %d of %ld corrupted copies still loaded", loaded, (size - 8) / 13);
  free(copy);
  free(blob);
  tsr_net_destroy(net);
}

int main(void) {
  g_a = tsr_allocator_system();
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("onnx_import", NULL, NULL);
  CU_add_test(s, "malformed protobuf", test_malformed);
  CU_add_test(s, "truncated model", test_truncated);
  CU_add_test(s, "unsupported op, attribute, value, dtype, external data", test_unsupported);
  CU_add_test(s, "inconsistent graphs", test_inconsistent);
  CU_add_test(s, "transpose, reshape, slice, (un)squeeze as views", test_views);
  CU_add_test(s, "split, concat, gather, expand", test_split_gather_expand);
  CU_add_test(s, "opset 1 and opset 6 forms", test_legacy_forms);
  CU_add_test(s, "conv + batchnorm + bias + relu", test_conv_bn_relu);
  CU_add_test(s, "silu and per-channel prelu", test_silu_prelu);
  CU_add_test(s, "layernorm, gelu, matmul + bias", test_layernorm_gelu);
  CU_add_test(s, "attention and gemm", test_attention_gemm);
  CU_add_test(s, "qdq conv as int8", test_qdq_conv);
  CU_add_test(s, "tsr parameter encoding", test_params_roundtrip);
  CU_add_test(s, "tsr truncated and corrupted", test_tsr_damage);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return f ? 1 : 0;
}
