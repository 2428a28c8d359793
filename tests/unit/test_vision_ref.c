/* The perception-op reference kernels checked against hand-computed values,
 * published ONNX test vectors, and identities that do not share their code
 * (convolution against its transpose as adjoint, 1x1 convolution against
 * matmul, int8 against the float path); plus the op contracts' messages. */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/common/kernel.h"

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

static void tensor(tsr_tensor *t, tsr_dtype dt, int nd, const int64_t *shape, void *data) {
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(t, dt, nd, shape, data), TSR_OK);
}

static void t4(tsr_tensor *t, tsr_dtype dt, int64_t a, int64_t b, int64_t c, int64_t d, void *data) {
  int64_t s[4] = {a, b, c, d};
  tensor(t, dt, 4, s, data);
}

static void t1(tsr_tensor *t, tsr_dtype dt, int64_t a, void *data) { tensor(t, dt, 1, &a, data); }

static void run_ref(tsr_op *op) {
  tsr_error err;
  tsr_status st = tsr_op_validate(op, &err);
  if (st != TSR_OK) fprintf(stderr, "validate: %s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(st, TSR_OK);
  const tsr_kernel *k = tsr_kernel_reference(op);
  CU_ASSERT_PTR_NOT_NULL_FATAL(k);
  size_t n = k->scratch ? k->scratch(op) : 0;
  void *scratch = malloc(n + 16);
  tsr_kernel_run_serial(k, op, NULL, scratch, NULL);
  free(scratch);
}

static uint64_t g_rng = 0x1234567;
static float frand(void) {
  g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((g_rng >> 40) & 0xffffff) / 8388608.0f - 1.0f;
}

static void test_conv_hand(void) {
  /* x = 1..16 on a 4x4 plane, w = [[1, 0], [0, -1]]: x[i][j] - x[i+1][j+1] = -5. */
  float x[16], w[4] = {1, 0, 0, -1}, y[16], b[1] = {0.5f};
  for (int i = 0; i < 16; ++i) x[i] = (float)(i + 1);
  tsr_op op = {.type = TSR_OP_CONV2D, .n_src = 3};
  t4(&op.src[0], TSR_DTYPE_F32, 1, 1, 4, 4, x);
  t4(&op.src[1], TSR_DTYPE_F32, 1, 1, 2, 2, w);
  t1(&op.src[2], TSR_DTYPE_F32, 1, b);
  t4(&op.dst, TSR_DTYPE_F32, 1, 1, 3, 3, y);
  op.p.conv2d.activation = -1;
  run_ref(&op);
  for (int i = 0; i < 9; ++i) CU_ASSERT_DOUBLE_EQUAL(y[i], -4.5, 1e-6);
  /* pad 1, stride 2: windows start at -1, 1, 3. y[0][0] = -x[0][0] + b = -0.5;
   * y[0][1] = -x[0][2] + b = -2.5; y[1][1] = x[1][1] - x[2][2] + b = 6 - 11 + 0.5;
   * y[2][2] = x[3][3] + b (its second tap is in the pad). */
  op.p.conv2d.pad[0] = op.p.conv2d.pad[1] = op.p.conv2d.pad[2] = op.p.conv2d.pad[3] = 1;
  op.p.conv2d.stride[0] = op.p.conv2d.stride[1] = 2;
  t4(&op.dst, TSR_DTYPE_F32, 1, 1, 3, 3, y);
  run_ref(&op);
  CU_ASSERT_DOUBLE_EQUAL(y[0], -0.5, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[1], -2.5, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[4], -4.5, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[8], 16.5, 1e-6);
  /* fused relu and per-channel PReLU */
  op.p.conv2d.activation = TSR_UNARY_RELU;
  run_ref(&op);
  CU_ASSERT_EQUAL(y[0], 0.0f);
  CU_ASSERT_DOUBLE_EQUAL(y[8], 16.5, 1e-6);
  float slope[1] = {0.25f};
  op.n_src = 4;
  t1(&op.src[3], TSR_DTYPE_F32, 1, slope);
  op.p.conv2d.activation = TSR_UNARY_LEAKY_RELU;
  run_ref(&op);
  CU_ASSERT_DOUBLE_EQUAL(y[4], -4.5 * 0.25, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[8], 16.5, 1e-6);
}

/* <conv(x), v> == <x, conv_transpose(v)> with the same weight memory: checks
 * both references' index arithmetic against each other on strides,
 * dilations, asymmetric pads and groups. */
static void check_adjoint(int c, int h, int w, int m, int kh, int kw, int s, int d, int pt, int pl, int pb, int pr, int g) {
  const int oh = (h + pt + pb - d * (kh - 1) - 1) / s + 1, ow = (w + pl + pr - d * (kw - 1) - 1) / s + 1;
  const int nx = c * h * w, nw = m * (c / g) * kh * kw, ny = m * oh * ow;
  float *x = malloc(sizeof(float) * nx), *wt = malloc(sizeof(float) * nw), *y = malloc(sizeof(float) * ny);
  float *v = malloc(sizeof(float) * ny), *xt = malloc(sizeof(float) * nx);
  for (int i = 0; i < nx; ++i) x[i] = frand();
  for (int i = 0; i < nw; ++i) wt[i] = frand();
  for (int i = 0; i < ny; ++i) v[i] = frand();
  tsr_op op = {.type = TSR_OP_CONV2D, .n_src = 2};
  t4(&op.src[0], TSR_DTYPE_F32, 1, c, h, w, x);
  t4(&op.src[1], TSR_DTYPE_F32, m, c / g, kh, kw, wt);
  t4(&op.dst, TSR_DTYPE_F32, 1, m, oh, ow, y);
  op.p.conv2d = (tsr_conv2d_params){{kh, kw}, {s, s}, {d, d}, {pt, pl, pb, pr}, g, {0, 0}, -1, 0, 0};
  run_ref(&op);
  tsr_op tp = {.type = TSR_OP_CONV_TRANSPOSE2D, .n_src = 2};
  t4(&tp.src[0], TSR_DTYPE_F32, 1, m, oh, ow, v);
  t4(&tp.src[1], TSR_DTYPE_F32, m, c / g, kh, kw, wt);
  t4(&tp.dst, TSR_DTYPE_F32, 1, c, h, w, xt);
  const int oph = (h + pt + pb - d * (kh - 1) - 1) % s, opw = (w + pl + pr - d * (kw - 1) - 1) % s;
  tp.p.conv2d = (tsr_conv2d_params){{kh, kw}, {s, s}, {d, d}, {pt, pl, pb, pr}, g, {oph, opw}, -1, 0, 0};
  run_ref(&tp);
  double a = 0, b = 0, mag = 0;
  for (int i = 0; i < ny; ++i) a += (double)y[i] * v[i];
  for (int i = 0; i < nx; ++i) {
    b += (double)x[i] * xt[i];
    mag += fabs((double)x[i] * xt[i]);
  }
  CU_ASSERT(fabs(a - b) <= 1e-5 * (mag + 1));
  if (fabs(a - b) > 1e-5 * (mag + 1)) fprintf(stderr, "adjoint %g vs %g\n", a, b);
  free(x); free(wt); free(y); free(v); free(xt);
}

static void test_conv_adjoint(void) {
  check_adjoint(3, 7, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1);
  check_adjoint(4, 9, 10, 6, 3, 3, 2, 1, 1, 1, 1, 1, 2);
  check_adjoint(5, 11, 9, 3, 3, 2, 2, 2, 0, 1, 2, 0, 1);
  check_adjoint(6, 8, 8, 6, 3, 3, 1, 3, 3, 3, 3, 3, 6); /* depthwise, dilated */
  check_adjoint(2, 6, 7, 4, 2, 2, 2, 1, 0, 0, 0, 0, 1);
  check_adjoint(3, 10, 10, 5, 5, 5, 3, 1, 2, 2, 1, 1, 1);
}

/* A 1x1 convolution is a matmul of w [M, C] against x [C, HW]. */
static void test_conv_vs_matmul(void) {
  enum { C = 7, M = 5, H = 3, W = 4 };
  float x[C * H * W], w[M * C], y[M * H * W], xt[H * W * C], ym[H * W * M];
  for (int i = 0; i < C * H * W; ++i) x[i] = frand();
  for (int i = 0; i < M * C; ++i) w[i] = frand();
  tsr_op op = {.type = TSR_OP_CONV2D, .n_src = 2};
  t4(&op.src[0], TSR_DTYPE_F32, 1, C, H, W, x);
  t4(&op.src[1], TSR_DTYPE_F32, M, C, 1, 1, w);
  t4(&op.dst, TSR_DTYPE_F32, 1, M, H, W, y);
  op.p.conv2d.activation = -1;
  run_ref(&op);
  for (int c = 0; c < C; ++c)
    for (int p = 0; p < H * W; ++p) xt[p * C + c] = x[c * H * W + p];
  tsr_op mm = {.type = TSR_OP_MATMUL, .n_src = 2};
  int64_t sa[2] = {H * W, C}, sb[2] = {M, C}, sy[2] = {H * W, M};
  tensor(&mm.src[0], TSR_DTYPE_F32, 2, sa, xt);
  tensor(&mm.src[1], TSR_DTYPE_F32, 2, sb, w);
  tensor(&mm.dst, TSR_DTYPE_F32, 2, sy, ym);
  run_ref(&mm);
  for (int m = 0; m < M; ++m)
    for (int p = 0; p < H * W; ++p) CU_ASSERT_DOUBLE_EQUAL(y[m * H * W + p], ym[p * M + m], 1e-6);
}

static void test_conv_transpose_hand(void) {
  /* 2x2 stride 2 (no overlap): y[2i+a][2j+b] = x[i][j] * w[a][b] + bias. */
  float x[4] = {1, 2, 3, 4}, w[4] = {1, 10, 100, 1000}, y[16], b[1] = {0.5f};
  tsr_op op = {.type = TSR_OP_CONV_TRANSPOSE2D, .n_src = 3};
  t4(&op.src[0], TSR_DTYPE_F32, 1, 1, 2, 2, x);
  t4(&op.src[1], TSR_DTYPE_F32, 1, 1, 2, 2, w);
  t1(&op.src[2], TSR_DTYPE_F32, 1, b);
  t4(&op.dst, TSR_DTYPE_F32, 1, 1, 4, 4, y);
  op.p.conv2d = (tsr_conv2d_params){{2, 2}, {2, 2}, {1, 1}, {0, 0, 0, 0}, 1, {0, 0}, -1, 0, 0};
  run_ref(&op);
  CU_ASSERT_DOUBLE_EQUAL(y[0], 1.5, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[1], 10.5, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[5], 1000.5, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[2], 2.5, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[3], 20.5, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[15], 4000.5, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[10], 4.5, 1e-6);
}

static void pool(int kind, int h, int w, const float *x, int k, int s, int p, bool inc, bool ceil, int oh, int ow,
                 float *y) {
  tsr_op op = {.type = TSR_OP_POOL2D, .n_src = 1};
  t4(&op.src[0], TSR_DTYPE_F32, 1, 1, h, w, (void *)x);
  t4(&op.dst, TSR_DTYPE_F32, 1, 1, oh, ow, y);
  op.p.pool2d = (tsr_pool2d_params){kind, {k, k}, {s, s}, {1, 1}, {p, p, p, p}, inc, ceil};
  run_ref(&op);
}

static void test_pool_hand(void) {
  float x[25], y[16];
  for (int i = 0; i < 25; ++i) x[i] = (float)i;
  float x4[16];
  for (int i = 0; i < 16; ++i) x4[i] = (float)i;
  pool(TSR_POOL_MAX, 4, 4, x4, 2, 2, 0, false, false, 2, 2, y);
  CU_ASSERT(y[0] == 5 && y[1] == 7 && y[2] == 13 && y[3] == 15);
  /* 3x3 s2 p1 on 4x4: window (0,0) holds x 0,1,4,5 and 5 pad taps */
  pool(TSR_POOL_AVG, 4, 4, x4, 3, 2, 1, true, false, 2, 2, y);
  CU_ASSERT_DOUBLE_EQUAL(y[0], 10.0 / 9.0, 1e-6);
  pool(TSR_POOL_AVG, 4, 4, x4, 3, 2, 1, false, false, 2, 2, y);
  CU_ASSERT_DOUBLE_EQUAL(y[0], 10.0 / 4.0, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[3], (5 + 6 + 7 + 9 + 10 + 11 + 13 + 14 + 15) / 9.0, 1e-6);
  /* ceil_mode, 3x3 s2 p1 on 4x4: out 3; the last window covers rows 3 (input),
   * 4 (bottom pad) and 5 (overhang): include_pad counts 2 rows, else 1. */
  pool(TSR_POOL_AVG, 4, 4, x4, 3, 2, 1, true, true, 3, 3, y);
  CU_ASSERT_DOUBLE_EQUAL(y[8], 15.0 / 4.0, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[2], (3 + 7) / 6.0, 1e-6); /* rows -1..1 x columns 3, 4 (pad), 5 (overhang) */
  pool(TSR_POOL_AVG, 4, 4, x4, 3, 2, 1, false, true, 3, 3, y);
  CU_ASSERT_DOUBLE_EQUAL(y[8], 15.0, 1e-6);
  /* ceil_mode max 2x2 s2 on 5x5: out 3, last window is the single x[4][4]. */
  pool(TSR_POOL_MAX, 5, 5, x, 2, 2, 0, false, true, 3, 3, y);
  CU_ASSERT(y[8] == 24 && y[2] == 9 && y[6] == 21);
  /* padding never wins a max */
  float neg[4] = {-4, -3, -2, -1};
  pool(TSR_POOL_MAX, 2, 2, neg, 3, 1, 1, false, false, 2, 2, y);
  CU_ASSERT(y[0] == -1 && y[3] == -1);
  /* global */
  tsr_op op = {.type = TSR_OP_POOL2D, .n_src = 1};
  t4(&op.src[0], TSR_DTYPE_F32, 1, 1, 5, 5, x);
  t4(&op.dst, TSR_DTYPE_F32, 1, 1, 1, 1, y);
  op.p.pool2d.kind = TSR_POOL_GLOBAL_AVG;
  run_ref(&op);
  CU_ASSERT_DOUBLE_EQUAL(y[0], 12.0, 1e-6);
  op.p.pool2d.kind = TSR_POOL_GLOBAL_MAX;
  run_ref(&op);
  CU_ASSERT_EQUAL(y[0], 24.0f);
}

static void resize(const float *x, int h, int w, int oh, int ow, int mode, int coord, int nearest, float s, float *y) {
  tsr_op op = {.type = TSR_OP_RESIZE, .n_src = 1};
  t4(&op.src[0], TSR_DTYPE_F32, 1, 1, h, w, (void *)x);
  t4(&op.dst, TSR_DTYPE_F32, 1, 1, oh, ow, y);
  op.p.resize = (tsr_resize_params){mode, coord, nearest, {s, s}};
  run_ref(&op);
}

/* The expected values are the ONNX backend test vectors of Resize. */
static void test_resize_onnx(void) {
  const float x[4] = {1, 2, 3, 4};
  float y[16];
  resize(x, 2, 2, 4, 4, TSR_RESIZE_NEAREST, TSR_RESIZE_ASYMMETRIC, TSR_NEAREST_FLOOR, 2.0f, y);
  const float nn[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
  CU_ASSERT(memcmp(y, nn, sizeof(nn)) == 0);
  /* resize_upsample_scales_linear */
  resize(x, 2, 2, 4, 4, TSR_RESIZE_LINEAR, TSR_RESIZE_HALF_PIXEL, 0, 2.0f, y);
  const float lin[16] = {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4};
  for (int i = 0; i < 16; ++i) CU_ASSERT_DOUBLE_EQUAL(y[i], lin[i], 1e-6);
  /* resize_upsample_scales_linear_align_corners */
  resize(x, 2, 2, 4, 4, TSR_RESIZE_LINEAR, TSR_RESIZE_ALIGN_CORNERS, 0, 2.0f, y);
  const float ac[16] = {1, 1.3333333f, 1.6666667f, 2, 1.6666667f, 2, 2.3333333f, 2.6666667f,
                        2.3333333f, 2.6666667f, 3, 3.3333333f, 3, 3.3333333f, 3.6666667f, 4};
  for (int i = 0; i < 16; ++i) CU_ASSERT_DOUBLE_EQUAL(y[i], ac[i], 1e-5);
  /* resize_downsample_scales_linear and _nearest: [[1,2,3,4],[5,6,7,8]] x 0.6 */
  const float x8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  resize(x8, 2, 4, 1, 2, TSR_RESIZE_LINEAR, TSR_RESIZE_HALF_PIXEL, 0, 0.6f, y);
  CU_ASSERT_DOUBLE_EQUAL(y[0], 2.6666665, 1e-5);
  CU_ASSERT_DOUBLE_EQUAL(y[1], 4.3333331, 1e-5);
  resize(x8, 2, 4, 1, 2, TSR_RESIZE_NEAREST, TSR_RESIZE_HALF_PIXEL, TSR_NEAREST_ROUND_PREFER_FLOOR, 0.6f, y);
  CU_ASSERT(y[0] == 1 && y[1] == 3);
  /* resize_downsample_scales_linear_align_corners: [[1, 3.142857]] */
  resize(x8, 2, 4, 1, 2, TSR_RESIZE_LINEAR, TSR_RESIZE_ALIGN_CORNERS, 0, 0.6f, y);
  CU_ASSERT_DOUBLE_EQUAL(y[0], 1.0, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[1], 4.0, 1e-6); /* align_corners maps o=1 of 2 to 3 on the 4-wide axis */
  /* pytorch_half_pixel with an output extent of 1 reads coordinate 0 */
  resize(x8, 2, 4, 1, 1, TSR_RESIZE_LINEAR, TSR_RESIZE_PYTORCH_HALF_PIXEL, 0, 0.0f, y);
  CU_ASSERT_EQUAL(y[0], 1.0f);
  /* the rounding modes on a coordinate of exactly .5: asymmetric, x1.6 up
   * from 5 wide: output 4 -> 2.5 */
  const float x5[5] = {10, 11, 12, 13, 14};
  resize(x5, 1, 5, 1, 8, TSR_RESIZE_NEAREST, TSR_RESIZE_ASYMMETRIC, TSR_NEAREST_ROUND_PREFER_FLOOR, 1.6f, y);
  CU_ASSERT_EQUAL(y[4], 12.0f);
  resize(x5, 1, 5, 1, 8, TSR_RESIZE_NEAREST, TSR_RESIZE_ASYMMETRIC, TSR_NEAREST_ROUND_PREFER_CEIL, 1.6f, y);
  CU_ASSERT_EQUAL(y[4], 13.0f);
  CU_ASSERT_EQUAL(y[7], 14.0f); /* 4.375 -> 4 */
  resize(x5, 1, 5, 1, 8, TSR_RESIZE_NEAREST, TSR_RESIZE_ASYMMETRIC, TSR_NEAREST_CEIL, 1.6f, y);
  CU_ASSERT_EQUAL(y[1], 11.0f); /* 0.625 -> 1 */
  CU_ASSERT_EQUAL(y[7], 14.0f); /* 4.375 -> 5, clamped */
}

static void test_reduce_hand(void) {
  float x[24], y[6];
  for (int i = 0; i < 24; ++i) x[i] = (float)i;
  tsr_op op = {.type = TSR_OP_REDUCE, .n_src = 1};
  int64_t sx[3] = {2, 3, 4}, sy[3] = {2, 1, 1};
  tensor(&op.src[0], TSR_DTYPE_F32, 3, sx, x);
  tensor(&op.dst, TSR_DTYPE_F32, 3, sy, y);
  op.p.reduce = (tsr_reduce_params){TSR_REDUCE_SUM, 0x6u};
  run_ref(&op);
  CU_ASSERT(y[0] == 66 && y[1] == 210);
  int64_t sy2[3] = {1, 3, 1};
  tensor(&op.dst, TSR_DTYPE_F32, 3, sy2, y);
  op.p.reduce = (tsr_reduce_params){TSR_REDUCE_MEAN, 0x5u};
  run_ref(&op);
  CU_ASSERT_DOUBLE_EQUAL(y[0], (0 + 1 + 2 + 3 + 12 + 13 + 14 + 15) / 8.0, 1e-6);
  op.p.reduce = (tsr_reduce_params){TSR_REDUCE_MAX, 0x5u};
  run_ref(&op);
  CU_ASSERT(y[2] == 23);
  op.p.reduce = (tsr_reduce_params){TSR_REDUCE_MIN, 0x5u};
  run_ref(&op);
  CU_ASSERT(y[1] == 4);
}

static void test_concat_gather(void) {
  float a[6] = {1, 2, 3, 4, 5, 6}, b[2] = {7, 8}, y[8];
  tsr_op op = {.type = TSR_OP_CONCAT, .n_src = 2};
  int64_t sa[2] = {2, 3}, sb[2] = {2, 1}, sy[2] = {2, 4};
  tensor(&op.src[0], TSR_DTYPE_F32, 2, sa, a);
  tensor(&op.src[1], TSR_DTYPE_F32, 2, sb, b);
  tensor(&op.dst, TSR_DTYPE_F32, 2, sy, y);
  op.p.concat.axis = 1;
  run_ref(&op);
  const float want[8] = {1, 2, 3, 7, 4, 5, 6, 8};
  CU_ASSERT(memcmp(y, want, sizeof(want)) == 0);
  /* gather axis 1 with a negative index: x [2, 3], ids [-1, 0] -> [[3, 1], [6, 4]] */
  int64_t ids[2] = {-1, 0};
  tsr_op g = {.type = TSR_OP_GATHER, .n_src = 2};
  int64_t si[1] = {2}, sg[2] = {2, 2};
  tensor(&g.src[0], TSR_DTYPE_F32, 2, sa, a);
  tensor(&g.src[1], TSR_DTYPE_I64, 1, si, ids);
  tensor(&g.dst, TSR_DTYPE_F32, 2, sg, y);
  g.p.gather.axis = 1;
  run_ref(&g);
  CU_ASSERT(y[0] == 3 && y[1] == 1 && y[2] == 6 && y[3] == 4);
  ids[0] = 3; /* out of range: zeros */
  run_ref(&g);
  CU_ASSERT(y[0] == 0 && y[2] == 0 && y[1] == 1);
}

static void test_quantize_hand(void) {
  float x[8] = {0.0f, 1.5f, -1.5f, 2.5f, 1000.0f, -1000.0f, 0.49f, -0.5f}, s = 1.0f, y[8];
  int8_t q[8];
  tsr_op op = {.type = TSR_OP_QUANTIZE_LINEAR, .n_src = 2};
  t1(&op.src[0], TSR_DTYPE_F32, 8, x);
  tensor(&op.src[1], TSR_DTYPE_F32, 0, NULL, &s);
  t1(&op.dst, TSR_DTYPE_I8, 8, q);
  run_ref(&op);
  const int8_t want[8] = {0, 2, -2, 2, 127, -128, 0, 0}; /* halves to even */
  CU_ASSERT(memcmp(q, want, 8) == 0);
  /* u8, zero point 128, scale 0.5, per channel along axis 1 of [2, 2] */
  float xs[4] = {0.25f, 0.75f, -1.0f, 100.0f}, sc[2] = {0.5f, 0.25f};
  uint8_t zp[2] = {128, 10}, qu[4];
  int64_t s22[2] = {2, 2};
  op.n_src = 3;
  tensor(&op.src[0], TSR_DTYPE_F32, 2, s22, xs);
  t1(&op.src[1], TSR_DTYPE_F32, 2, sc);
  t1(&op.src[2], TSR_DTYPE_U8, 2, zp);
  tensor(&op.dst, TSR_DTYPE_U8, 2, s22, qu);
  op.p.qlinear.axis = 1;
  run_ref(&op);
  CU_ASSERT(qu[0] == 128 && qu[1] == 13 && qu[2] == 126 && qu[3] == 255);
  /* dequantize back */
  tsr_op dq = {.type = TSR_OP_DEQUANTIZE_LINEAR, .n_src = 3};
  tensor(&dq.src[0], TSR_DTYPE_U8, 2, s22, qu);
  t1(&dq.src[1], TSR_DTYPE_F32, 2, sc);
  t1(&dq.src[2], TSR_DTYPE_U8, 2, zp);
  tensor(&dq.dst, TSR_DTYPE_F32, 2, s22, y);
  dq.p.qlinear.axis = 1;
  run_ref(&dq);
  CU_ASSERT(y[0] == 0.0f && y[1] == 0.75f && y[2] == -1.0f && y[3] == 61.25f);
}

/* QLINEAR_CONV by hand (1x1, two channels), then against dequantize -> f32
 * conv -> quantize on random data: within one step (the f32 path rounds the
 * sum differently), mostly equal. */
static void test_qlinear_conv(void) {
  uint8_t x[2] = {130, 120}, xz = 128, yz = 100, y[1];
  int8_t w[2] = {3, -2}, wz = 0;
  float xs = 0.5f, ws = 0.25f, ys = 0.125f;
  int32_t bias[1] = {5};
  tsr_op op = {.type = TSR_OP_QLINEAR_CONV, .n_src = 9};
  t4(&op.src[0], TSR_DTYPE_U8, 1, 2, 1, 1, x);
  tensor(&op.src[1], TSR_DTYPE_F32, 0, NULL, &xs);
  tensor(&op.src[2], TSR_DTYPE_U8, 0, NULL, &xz);
  t4(&op.src[3], TSR_DTYPE_I8, 1, 2, 1, 1, w);
  tensor(&op.src[4], TSR_DTYPE_F32, 0, NULL, &ws);
  tensor(&op.src[5], TSR_DTYPE_I8, 0, NULL, &wz);
  tensor(&op.src[6], TSR_DTYPE_F32, 0, NULL, &ys);
  tensor(&op.src[7], TSR_DTYPE_U8, 0, NULL, &yz);
  t1(&op.src[8], TSR_DTYPE_I32, 1, bias);
  t4(&op.dst, TSR_DTYPE_U8, 1, 1, 1, 1, y);
  op.p.qop.conv.activation = -1;
  run_ref(&op);
  /* acc = 2*3 + (-8)*(-2) + 5 = 27; 27 * (0.5*0.25/0.125 = 1) + 100 = 127 */
  CU_ASSERT_EQUAL(y[0], 127);
  bias[0] = 200; /* 222 + 100 saturates */
  run_ref(&op);
  CU_ASSERT_EQUAL(y[0], 255);

  enum { C = 6, H = 7, W = 8, M = 5 };
  uint8_t xq[C * H * W], yq[M * H * W];
  int8_t wq[M * C * 9];
  float wsc[M], xf[C * H * W], wf[M * C * 9], yf[M * H * W];
  uint8_t yz2 = 120;
  xz = 110;
  for (int i = 0; i < C * H * W; ++i) xq[i] = (uint8_t)(128 + 127 * frand());
  for (int i = 0; i < M * C * 9; ++i) wq[i] = (int8_t)(127 * frand());
  for (int i = 0; i < M; ++i) wsc[i] = 0.002f + 0.001f * (float)i;
  xs = 0.02f;
  ys = 0.05f;
  for (int i = 0; i < C * H * W; ++i) xf[i] = (float)(xq[i] - xz) * xs;
  for (int m = 0; m < M; ++m)
    for (int i = 0; i < C * 9; ++i) wf[m * C * 9 + i] = (float)wq[m * C * 9 + i] * wsc[m];
  tsr_op q = {.type = TSR_OP_QLINEAR_CONV, .n_src = 8};
  t4(&q.src[0], TSR_DTYPE_U8, 1, C, H, W, xq);
  tensor(&q.src[1], TSR_DTYPE_F32, 0, NULL, &xs);
  tensor(&q.src[2], TSR_DTYPE_U8, 0, NULL, &xz);
  t4(&q.src[3], TSR_DTYPE_I8, M, C, 3, 3, wq);
  t1(&q.src[4], TSR_DTYPE_F32, M, wsc);
  tensor(&q.src[5], TSR_DTYPE_I8, 0, NULL, &wz);
  tensor(&q.src[6], TSR_DTYPE_F32, 0, NULL, &ys);
  tensor(&q.src[7], TSR_DTYPE_U8, 0, NULL, &yz2);
  t4(&q.dst, TSR_DTYPE_U8, 1, M, H, W, yq);
  q.p.qop.conv = (tsr_conv2d_params){{3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, {0, 0}, -1, 0, 0};
  run_ref(&q);
  tsr_op f = {.type = TSR_OP_CONV2D, .n_src = 2};
  t4(&f.src[0], TSR_DTYPE_F32, 1, C, H, W, xf);
  t4(&f.src[1], TSR_DTYPE_F32, M, C, 3, 3, wf);
  t4(&f.dst, TSR_DTYPE_F32, 1, M, H, W, yf);
  f.p.conv2d = q.p.qop.conv;
  run_ref(&f);
  int off = 0, far = 0, sat = 0;
  for (int i = 0; i < M * H * W; ++i) {
    long r = lrint(yf[i] / ys) + yz2;
    r = r < 0 ? 0 : (r > 255 ? 255 : r);
    if (r != yq[i]) off++;
    if (labs(r - (long)yq[i]) > 1) far++;
    if (yq[i] == 0 || yq[i] == 255) sat++;
  }
  CU_ASSERT_EQUAL(far, 0);
  CU_ASSERT(off < M * H * W / 20);
  CU_ASSERT(sat < M * H * W / 2); /* the data does exercise the non-saturated range */
}

static void test_qlinear_matmul_binary(void) {
  /* a [1, 2] u8 (zp 10), b [N=2, K=2] i8 viewed from ONNX's [K, N] = [[1, 2], [3, 4]] */
  uint8_t a[2] = {12, 14}, az = 10, yz = 0, y[2];
  int8_t bkn[4] = {1, 2, 3, 4}, bz = 0;
  float as = 1.0f, bs = 1.0f, ys = 1.0f;
  tsr_op op = {.type = TSR_OP_QLINEAR_MATMUL, .n_src = 8};
  int64_t sa[2] = {1, 2}, sb[2] = {2, 2}, sy[2] = {1, 2};
  tensor(&op.src[0], TSR_DTYPE_U8, 2, sa, a);
  tensor(&op.src[1], TSR_DTYPE_F32, 0, NULL, &as);
  tensor(&op.src[2], TSR_DTYPE_U8, 0, NULL, &az);
  tensor(&op.src[3], TSR_DTYPE_I8, 2, sb, bkn);
  op.src[3].stride[0] = 1; /* n */
  op.src[3].stride[1] = 2; /* k */
  tensor(&op.src[4], TSR_DTYPE_F32, 0, NULL, &bs);
  tensor(&op.src[5], TSR_DTYPE_I8, 0, NULL, &bz);
  tensor(&op.src[6], TSR_DTYPE_F32, 0, NULL, &ys);
  tensor(&op.src[7], TSR_DTYPE_U8, 0, NULL, &yz);
  tensor(&op.dst, TSR_DTYPE_U8, 2, sy, y);
  run_ref(&op);
  CU_ASSERT(y[0] == 2 * 1 + 4 * 3 && y[1] == 2 * 2 + 4 * 4);
  /* QLinearAdd: (0.5*(10-4) + 0.25*(20-0)) / 1.0 + 3 = 11 */
  int8_t qa = 10, qb = 20, za = 4, zb = 0, zy = 3, qy;
  float sa2 = 0.5f, sb2 = 0.25f, sy2 = 1.0f;
  tsr_op b = {.type = TSR_OP_QLINEAR_BINARY, .n_src = 8};
  tensor(&b.src[0], TSR_DTYPE_I8, 0, NULL, &qa);
  tensor(&b.src[1], TSR_DTYPE_F32, 0, NULL, &sa2);
  tensor(&b.src[2], TSR_DTYPE_I8, 0, NULL, &za);
  tensor(&b.src[3], TSR_DTYPE_I8, 0, NULL, &qb);
  tensor(&b.src[4], TSR_DTYPE_F32, 0, NULL, &sb2);
  tensor(&b.src[5], TSR_DTYPE_I8, 0, NULL, &zb);
  tensor(&b.src[6], TSR_DTYPE_F32, 0, NULL, &sy2);
  tensor(&b.src[7], TSR_DTYPE_I8, 0, NULL, &zy);
  tensor(&b.dst, TSR_DTYPE_I8, 0, NULL, &qy);
  b.p.qop.kind = TSR_BINARY_ADD;
  run_ref(&b);
  CU_ASSERT_EQUAL(qy, 11);
  b.p.qop.kind = TSR_BINARY_MUL; /* 3 * 5 = 15, + 3 */
  run_ref(&b);
  CU_ASSERT_EQUAL(qy, 18);
}

/* The fast f32 convolutions flush denormals while they run (conv_gemm.h):
 * the caller's floating-point environment must come back unchanged, and
 * denormal weights (pruned / BatchNorm-folded models) only change results
 * below FLT_MIN. */
static void test_fast_conv_denormals(void) {
  enum { C = 5, H = 9, W = 11, M = 6 };
  float x[C * H * W], w[M * C * 9], y[M * H * W], yr[M * H * W];
  for (int i = 0; i < C * H * W; ++i) x[i] = frand();
  for (int i = 0; i < M * C * 9; ++i) w[i] = (i % 3) ? frand() : 1e-39f * frand(); /* a third denormal */
  tsr_op op = {.type = TSR_OP_CONV2D, .n_src = 2};
  t4(&op.src[0], TSR_DTYPE_F32, 1, C, H, W, x);
  t4(&op.src[1], TSR_DTYPE_F32, M, C, 3, 3, w);
  op.src[1].flags = TSR_TENSOR_FLAG_CONST;
  t4(&op.dst, TSR_DTYPE_F32, 1, M, H, W, y);
  op.p.conv2d = (tsr_conv2d_params){{3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, {0, 0}, -1, 0, 0};
  tsr_cpu_features f;
  tsr_cpu_detect(&f);
  const tsr_kernel *k = tsr_kernel_select(&op, f.isa, false);
  CU_ASSERT_PTR_NOT_NULL_FATAL(k);
  void *packed = NULL;
  if (k->packed_size && k->packed_size(&op)) {
    packed = malloc(k->packed_size(&op));
    k->pack(&op, packed);
  }
  void *scratch = malloc(tsr_kernel_serial_scratch(k, &op) + 64);
#if defined(__x86_64__)
  const unsigned before = _mm_getcsr();
#endif
  tsr_kernel_run_serial(k, &op, NULL, scratch, packed);
#if defined(__x86_64__)
  CU_ASSERT_EQUAL(_mm_getcsr(), before);
#endif
  tsr_op ref = op;
  ref.dst.data = yr;
  run_ref(&ref);
  double worst = 0;
  for (int i = 0; i < M * H * W; ++i) worst = fmax(worst, fabs((double)y[i] - yr[i]));
  CU_ASSERT(worst < 1e-5);
  free(packed);
  free(scratch);
}

static void test_contract_messages(void) {
  float buf[64];
  tsr_error err;
  tsr_op op = {.type = TSR_OP_CONV2D, .n_src = 2, .name = "/backbone/conv3"};
  t4(&op.src[0], TSR_DTYPE_F32, 1, 4, 5, 5, buf);
  t4(&op.src[1], TSR_DTYPE_F32, 6, 3, 3, 3, buf);
  t4(&op.dst, TSR_DTYPE_F32, 1, 6, 3, 3, buf);
  op.p.conv2d.activation = -1;
  CU_ASSERT_EQUAL(tsr_op_validate(&op, &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "/backbone/conv3"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "channels per group"));
  t4(&op.src[1], TSR_DTYPE_F32, 6, 4, 3, 3, buf);
  CU_ASSERT_EQUAL(tsr_op_validate(&op, NULL), TSR_OK);
  t4(&op.dst, TSR_DTYPE_F32, 1, 6, 4, 3, buf);
  CU_ASSERT_EQUAL(tsr_op_validate(&op, &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "height is 4"));
  t4(&op.dst, TSR_DTYPE_F32, 1, 6, 3, 3, buf);
  op.p.conv2d.groups = 3;
  CU_ASSERT_EQUAL(tsr_op_validate(&op, &err), TSR_ERR_INVALID_ARGUMENT);
  op.p.conv2d.groups = 1;
  op.p.conv2d.activation = 99;
  CU_ASSERT_EQUAL(tsr_op_validate(&op, &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "activation"));
  op.p.conv2d.activation = -1;
  op.n_src = 4;
  t1(&op.src[3], TSR_DTYPE_F32, 6, buf);
  op.src[2].dtype = TSR_DTYPE_NONE;
  CU_ASSERT_EQUAL(tsr_op_validate(&op, &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "slope"));

  tsr_op p = {.type = TSR_OP_POOL2D, .n_src = 1, .name = "pool"};
  t4(&p.src[0], TSR_DTYPE_F32, 1, 1, 5, 5, buf);
  t4(&p.dst, TSR_DTYPE_F32, 1, 1, 2, 2, buf);
  p.p.pool2d = (tsr_pool2d_params){TSR_POOL_MAX, {2, 2}, {2, 2}, {1, 1}, {0, 0, 0, 0}, false, true};
  CU_ASSERT_EQUAL(tsr_op_validate(&p, &err), TSR_ERR_INVALID_ARGUMENT); /* ceil gives 3 */
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "gives 3"));
  p.p.pool2d.ceil_mode = false;
  CU_ASSERT_EQUAL(tsr_op_validate(&p, NULL), TSR_OK);

  tsr_op q = {.type = TSR_OP_QUANTIZE_LINEAR, .n_src = 3, .name = "q"};
  int64_t s[2] = {3, 4};
  tensor(&q.src[0], TSR_DTYPE_F32, 2, s, buf);
  t1(&q.src[1], TSR_DTYPE_F32, 3, buf);
  t1(&q.src[2], TSR_DTYPE_I8, 3, buf);
  tensor(&q.dst, TSR_DTYPE_U8, 2, s, buf);
  CU_ASSERT_EQUAL(tsr_op_validate(&q, &err), TSR_ERR_INVALID_ARGUMENT); /* zp dtype != y dtype */
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "zero_point"));
  tensor(&q.dst, TSR_DTYPE_I8, 2, s, buf);
  CU_ASSERT_EQUAL(tsr_op_validate(&q, NULL), TSR_OK);
  q.p.qlinear.axis = 1; /* 4 channels, scale has 3 */
  CU_ASSERT_EQUAL(tsr_op_validate(&q, &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "scale"));

  tsr_op c = {.type = TSR_OP_CONCAT, .n_src = 2, .name = "cat"};
  int64_t a1[2] = {2, 3}, a2[2] = {3, 3}, ay[2] = {2, 6};
  tensor(&c.src[0], TSR_DTYPE_F32, 2, a1, buf);
  tensor(&c.src[1], TSR_DTYPE_F32, 2, a2, buf);
  tensor(&c.dst, TSR_DTYPE_F32, 2, ay, buf);
  c.p.concat.axis = 1;
  CU_ASSERT_EQUAL(tsr_op_validate(&c, &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "source 1 dimension 0"));
  c.p.concat.axis = 0;
  int64_t ay0[2] = {5, 3};
  tensor(&c.dst, TSR_DTYPE_F32, 2, ay0, buf);
  CU_ASSERT_EQUAL(tsr_op_validate(&c, NULL), TSR_OK);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("vision reference", NULL, NULL);
  CU_add_test(s, "conv2d by hand", test_conv_hand);
  CU_add_test(s, "conv2d and conv_transpose2d are adjoint", test_conv_adjoint);
  CU_add_test(s, "1x1 conv2d equals matmul", test_conv_vs_matmul);
  CU_add_test(s, "conv_transpose2d by hand", test_conv_transpose_hand);
  CU_add_test(s, "pool2d by hand", test_pool_hand);
  CU_add_test(s, "resize: ONNX test vectors", test_resize_onnx);
  CU_add_test(s, "reduce by hand", test_reduce_hand);
  CU_add_test(s, "concat and gather", test_concat_gather);
  CU_add_test(s, "quantize and dequantize", test_quantize_hand);
  CU_add_test(s, "qlinear_conv by hand and against f32", test_qlinear_conv);
  CU_add_test(s, "qlinear_matmul and qlinear_binary by hand", test_qlinear_matmul_binary);
  CU_add_test(s, "fast conv: denormal weights, MXCSR restored", test_fast_conv_denormals);
  CU_add_test(s, "contract messages", test_contract_messages);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return f ? 1 : 0;
}
