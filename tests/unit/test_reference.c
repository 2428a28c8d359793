/* The reference kernels checked against hand-computed values and against
 * straightforward double-precision math written here, independently. */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hal/fp16.h"
#include "kernels/common/kernel.h"
#include "kernels/convert/convert.h"
#include "kernels/elementwise/elementwise.h"

static float g_scratch[1 << 16];

static void tensor(tsr_tensor *t, tsr_dtype dt, int nd, const int64_t *shape, void *data) {
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(t, dt, nd, shape, data), TSR_OK);
}

static void run_ref(tsr_op *op, const tsr_dyn_values *dyn) {
  CU_ASSERT_EQUAL_FATAL(tsr_op_validate(op, NULL), TSR_OK);
  const tsr_kernel *k = tsr_kernel_reference(op);
  CU_ASSERT_PTR_NOT_NULL_FATAL(k);
  CU_ASSERT_FATAL(!k->scratch || k->scratch(op) <= sizeof(g_scratch));
  tsr_kernel_run_serial(k, op, dyn, g_scratch, NULL);
}

static void test_fp16(void) {
  CU_ASSERT_EQUAL(tsr_f32_to_fp16(1.0f), 0x3c00);
  CU_ASSERT_EQUAL(tsr_f32_to_fp16(-2.0f), 0xc000);
  CU_ASSERT_EQUAL(tsr_f32_to_fp16(65504.0f), 0x7bff);
  CU_ASSERT_EQUAL(tsr_f32_to_fp16(65520.0f), 0x7c00);       /* rounds to inf */
  CU_ASSERT_EQUAL(tsr_f32_to_fp16(5.9604645e-8f), 0x0001);  /* smallest subnormal */
  CU_ASSERT_EQUAL(tsr_f32_to_fp16(2.9802322e-8f), 0x0000);  /* half of it: ties to even */
  CU_ASSERT_EQUAL(tsr_f32_to_fp16(1.0009765625f), 0x3c01);
  CU_ASSERT_EQUAL(tsr_f32_to_fp16(1.00048828125f), 0x3c00); /* tie, even */
  CU_ASSERT_EQUAL(tsr_f32_to_fp16(1.00146484375f), 0x3c02); /* tie, even (up) */
  CU_ASSERT(isnan(tsr_fp16_to_f32(tsr_f32_to_fp16(NAN))));
  /* Every half round-trips exactly. */
  int bad = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    if (((h >> 10) & 0x1f) == 0x1f && (h & 0x3ff)) continue; /* NaN */
    if (tsr_f32_to_fp16(tsr_fp16_to_f32((uint16_t)h)) != h) bad++;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(tsr_f32_to_bf16(1.0f), 0x3f80);
  CU_ASSERT_EQUAL(tsr_bf16_to_f32(0x4049), 3.140625f);
}

/* Hand-built blocks with known dequantized values. */
static void test_dequant_hand(void) {
  tsr_block_q8_0 b8;
  b8.d = tsr_f32_to_fp16(0.5f);
  for (int i = 0; i < 32; ++i) b8.qs[i] = (int8_t)(i - 16);
  float y[256];
  tsr_dequantize_row(TSR_DTYPE_Q8_0, &b8, y, 32);
  CU_ASSERT_EQUAL(y[0], -8.0f);
  CU_ASSERT_EQUAL(y[31], 7.5f);

  tsr_block_q4_0 b4;
  b4.d = tsr_f32_to_fp16(2.0f);
  for (int i = 0; i < 16; ++i) b4.qs[i] = (uint8_t)(i | ((15 - i) << 4));
  tsr_dequantize_row(TSR_DTYPE_Q4_0, &b4, y, 32);
  CU_ASSERT_EQUAL(y[0], -16.0f);  /* (0 - 8) * 2 */
  CU_ASSERT_EQUAL(y[15], 14.0f);  /* (15 - 8) * 2 */
  CU_ASSERT_EQUAL(y[16], 14.0f);  /* high nibble of byte 0: 15 */
  CU_ASSERT_EQUAL(y[31], -16.0f);

  /* q4_K: d = 1, dmin = 0.5; sub-block 0 scale 2 min 4, sub-block 5 scale
   * 33 (needs the high bits) min 17. */
  tsr_block_q4_k bk;
  memset(&bk, 0, sizeof(bk));
  bk.d = tsr_f32_to_fp16(1.0f);
  bk.dmin = tsr_f32_to_fp16(0.5f);
  bk.scales[0] = 2;
  bk.scales[4] = 4;
  /* j = 5: d = (q[9] & 0xF) | ((q[1] >> 6) << 4); m = (q[9] >> 4) | ((q[5] >> 6) << 4) */
  bk.scales[9] = (uint8_t)((33 & 0xF) | ((17 & 0xF) << 4));
  bk.scales[1] = (uint8_t)((33 >> 4) << 6);
  bk.scales[5] = (uint8_t)((17 >> 4) << 6);
  for (int i = 0; i < 128; ++i) bk.qs[i] = (uint8_t)(3 | (9 << 4));
  tsr_dequantize_row(TSR_DTYPE_Q4_K, &bk, y, 256);
  CU_ASSERT_DOUBLE_EQUAL(y[0], 2 * 3 - 0.5 * 4, 1e-6);         /* sub-block 0, low nibble */
  CU_ASSERT_DOUBLE_EQUAL(y[32 * 5], 33 * 9 - 0.5 * 17, 1e-6);  /* sub-block 5 = high nibbles of bytes 64.. */

  /* q6_K: d = 0.25, all scales 2, one value at the extremes. */
  tsr_block_q6_k b6;
  memset(&b6, 0, sizeof(b6));
  b6.d = tsr_f32_to_fp16(0.25f);
  for (int i = 0; i < 16; ++i) b6.scales[i] = 2;
  b6.ql[0] = 0x0F;  /* element 0 low 4 bits = 15; element 64 low bits = 0 */
  b6.qh[0] = 0x03;  /* element 0 high 2 bits = 3 -> q = 63 - 32 = 31 */
  tsr_dequantize_row(TSR_DTYPE_Q6_K, &b6, y, 256);
  CU_ASSERT_DOUBLE_EQUAL(y[0], 0.25 * 2 * 31, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[64], 0.25 * 2 * -32, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[1], 0.25 * 2 * -32, 1e-6);
}

/* quantize -> dequantize error bounded by the format's resolution. */
static void test_quant_roundtrip(void) {
  static const tsr_dtype types[] = {TSR_DTYPE_Q8_0, TSR_DTYPE_Q4_0, TSR_DTYPE_Q4_K, TSR_DTYPE_Q5_K, TSR_DTYPE_Q6_K,
                                    TSR_DTYPE_F16, TSR_DTYPE_BF16};
  static const double max_nmse[] = {1e-4, 1.5e-2, 1e-2, 3e-3, 1e-3, 1e-7, 1e-5};
  float x[1024], y[1024];
  uint8_t q[2048];
  uint64_t s = 12345;
  for (int i = 0; i < 1024; ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
  }
  for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); ++t) {
    tsr_quantize_row(types[t], x, q, 1024);
    tsr_dequantize_row(types[t], q, y, 1024);
    double se = 0, sx = 0;
    for (int i = 0; i < 1024; ++i) {
      se += (double)(y[i] - x[i]) * (y[i] - x[i]);
      sx += (double)x[i] * x[i];
    }
    CU_ASSERT(se / sx < max_nmse[t]);
    if (se / sx >= max_nmse[t]) printf("\n  %s nmse %g\n", tsr_dtype_name(types[t]), se / sx);
  }
  /* Integer stores round half to even and saturate. */
  float v[5] = {2.5f, 3.5f, -2.5f, 300.0f, -300.0f};
  int8_t i8[5];
  tsr_store_f32(TSR_DTYPE_I8, v, (uint8_t *)i8, 1, 5);
  CU_ASSERT(i8[0] == 2 && i8[1] == 4 && i8[2] == -2 && i8[3] == 127 && i8[4] == -128);
}

static void test_matmul_hand(void) {
  /* [1 2; 3 4] @ [5 6; 7 8]^T = [17 23; 39 53] */
  float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8}, y[4], bias[2] = {0.5f, -1.0f};
  int64_t s[2] = {2, 2}, sb[1] = {2};
  tsr_op op = {.type = TSR_OP_MATMUL, .n_src = 2};
  tensor(&op.src[0], TSR_DTYPE_F32, 2, s, a);
  tensor(&op.src[1], TSR_DTYPE_F32, 2, s, b);
  tensor(&op.dst, TSR_DTYPE_F32, 2, s, y);
  run_ref(&op, NULL);
  CU_ASSERT(y[0] == 17 && y[1] == 23 && y[2] == 39 && y[3] == 53);
  op.n_src = 3;
  tensor(&op.src[2], TSR_DTYPE_F32, 1, sb, bias);
  op.p.matmul.alpha = 2.0f;
  run_ref(&op, NULL);
  CU_ASSERT(y[0] == 34.5f && y[1] == 45.0f && y[2] == 78.5f && y[3] == 105.0f);
}

/* Quantized matmul equals f32 matmul on the dequantized weights. */
static void test_matmul_quant_vs_double(void) {
  enum { M = 3, N = 5, K = 512 };
  static float a[M * K], w[N * K], wd[N * K], y[M * N];
  static uint8_t wq[N * K * 2];
  for (int i = 0; i < M * K; ++i) a[i] = sinf((float)i * 0.37f);
  for (int i = 0; i < N * K; ++i) w[i] = cosf((float)i * 0.11f) * 0.5f;
  static const tsr_dtype types[] = {TSR_DTYPE_Q8_0, TSR_DTYPE_Q4_0, TSR_DTYPE_Q4_K, TSR_DTYPE_Q5_K, TSR_DTYPE_Q6_K, TSR_DTYPE_F16};
  for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); ++t) {
    size_t rb = tsr_dtype_row_bytes(types[t], K);
    for (int n = 0; n < N; ++n) {
      tsr_quantize_row(types[t], w + n * K, wq + n * rb, K);
      tsr_dequantize_row(types[t], wq + n * rb, wd + n * K, K);
    }
    int64_t sa[2] = {M, K}, sw[2] = {N, K}, sy[2] = {M, N};
    tsr_op op = {.type = TSR_OP_MATMUL, .n_src = 2};
    tensor(&op.src[0], TSR_DTYPE_F32, 2, sa, a);
    tensor(&op.src[1], types[t], 2, sw, wq);
    tensor(&op.dst, TSR_DTYPE_F32, 2, sy, y);
    run_ref(&op, NULL);
    for (int m = 0; m < M; ++m) {
      for (int n = 0; n < N; ++n) {
        double acc = 0;
        for (int k = 0; k < K; ++k) acc += (double)a[m * K + k] * wd[n * K + k];
        CU_ASSERT_DOUBLE_EQUAL(y[m * N + n], acc, 1e-4 * (1 + fabs(acc)));
      }
    }
  }
}

static void test_norms(void) {
  float x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 2, 2}, b[4] = {0, 0, 1, 1}, y[4];
  int64_t s[1] = {4};
  tsr_op op = {.type = TSR_OP_RMSNORM, .n_src = 2};
  tensor(&op.src[0], TSR_DTYPE_F32, 1, s, x);
  tensor(&op.src[1], TSR_DTYPE_F32, 1, s, w);
  tensor(&op.dst, TSR_DTYPE_F32, 1, s, y);
  run_ref(&op, NULL);
  double r = 1.0 / sqrt(30.0 / 4.0); /* mean(x^2) = 7.5, eps 0 */
  CU_ASSERT_DOUBLE_EQUAL(y[0], 1 * r, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[3], 8 * r, 1e-6);
  op.type = TSR_OP_LAYERNORM;
  op.n_src = 3;
  tensor(&op.src[2], TSR_DTYPE_F32, 1, s, b);
  op.p.norm.eps = 1e-5f;
  run_ref(&op, NULL);
  double inv = 1.0 / sqrt(1.25 + 1e-5); /* mean 2.5, var 1.25 */
  CU_ASSERT_DOUBLE_EQUAL(y[0], -1.5 * inv, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[3], 1.5 * inv * 2 + 1, 1e-6);
}

static void test_softmax(void) {
  float x[6] = {0, 1, 2, 3, 3, 3}, y[6];
  int64_t s[2] = {2, 3};
  tsr_op op = {.type = TSR_OP_SOFTMAX, .n_src = 1};
  tensor(&op.src[0], TSR_DTYPE_F32, 2, s, x);
  tensor(&op.dst, TSR_DTYPE_F32, 2, s, y);
  run_ref(&op, NULL);
  double e = exp(0) + exp(1) + exp(2);
  CU_ASSERT_DOUBLE_EQUAL(y[0], 1 / e, 1e-7);
  CU_ASSERT_DOUBLE_EQUAL(y[2], exp(2) / e, 1e-7);
  CU_ASSERT_DOUBLE_EQUAL(y[4], 1.0 / 3, 1e-7);
  /* Causal at q_pos 0: row 0 sees one element, row 1 two. */
  op.p.softmax.causal = true;
  op.p.softmax.q_pos = TSR_DYN_STATIC(0);
  run_ref(&op, NULL);
  CU_ASSERT(y[0] == 1.0f && y[1] == 0.0f && y[2] == 0.0f);
  CU_ASSERT_DOUBLE_EQUAL(y[3], 0.5, 1e-7);
  CU_ASSERT(y[5] == 0.0f);
}

static void test_rope(void) {
  /* One head, D = 4, position 1, base 10000: pairs rotate by 1 and 0.01. */
  float x[4] = {1, 0, 1, 0}, y[4];
  int64_t s[3] = {1, 1, 4};
  tsr_op op = {.type = TSR_OP_ROPE, .n_src = 1};
  tensor(&op.src[0], TSR_DTYPE_F32, 3, s, x);
  tensor(&op.dst, TSR_DTYPE_F32, 3, s, y);
  op.p.rope = (tsr_rope_params){4, TSR_ROPE_INTERLEAVED, 10000.0f, 0.0f, TSR_DYN_STATIC(1)};
  run_ref(&op, NULL);
  CU_ASSERT_DOUBLE_EQUAL(y[0], cos(1.0), 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[1], sin(1.0), 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[2], cos(0.01), 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[3], sin(0.01), 1e-6);
  /* NeoX pairs (0, 2) and (1, 3). */
  float xn[4] = {1, 1, 0, 0};
  op.src[0].data = xn;
  op.p.rope.mode = TSR_ROPE_NEOX;
  run_ref(&op, NULL);
  CU_ASSERT_DOUBLE_EQUAL(y[0], cos(1.0), 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[2], sin(1.0), 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[1], cos(0.01), 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(y[3], sin(0.01), 1e-6);
}

/* Attention with GQA against a naive implementation written here. */
static void test_attention_vs_naive(void) {
  enum { TQ = 3, HQ = 4, HKV = 2, D = 5, S = 9 };
  static float q[TQ * HQ * D], k[S * HKV * D], v[S * HKV * D], y[TQ * HQ * D];
  for (int i = 0; i < TQ * HQ * D; ++i) q[i] = sinf((float)i);
  for (int i = 0; i < S * HKV * D; ++i) {
    k[i] = cosf((float)i * 0.7f);
    v[i] = sinf((float)i * 1.3f);
  }
  int64_t sq[3] = {TQ, HQ, D}, sk[3] = {S, HKV, D};
  tsr_op op = {.type = TSR_OP_ATTENTION, .n_src = 3};
  tensor(&op.src[0], TSR_DTYPE_F32, 3, sq, q);
  tensor(&op.src[1], TSR_DTYPE_F32, 3, sk, k);
  tensor(&op.src[2], TSR_DTYPE_F32, 3, sk, v);
  tensor(&op.dst, TSR_DTYPE_F32, 3, sq, y);
  op.p.attention.causal = true;
  op.p.attention.q_pos = TSR_DYN_SLOT(0, 0);
  op.p.attention.kv_len = TSR_DYN_SLOT(0, TQ);
  tsr_dyn_values dyn = {{4}};
  run_ref(&op, &dyn);
  for (int t = 0; t < TQ; ++t) {
    for (int h = 0; h < HQ; ++h) {
      int kh = h / 2, last = 4 + t;
      double sc[S], mx = -1e300, sum = 0;
      for (int s = 0; s <= last; ++s) {
        double d = 0;
        for (int i = 0; i < D; ++i) d += (double)q[(t * HQ + h) * D + i] * k[(s * HKV + kh) * D + i];
        sc[s] = d / sqrt((double)D);
        if (sc[s] > mx) mx = sc[s];
      }
      for (int s = 0; s <= last; ++s) sum += exp(sc[s] - mx);
      for (int i = 0; i < D; ++i) {
        double o = 0;
        for (int s = 0; s <= last; ++s) o += exp(sc[s] - mx) / sum * v[(s * HKV + kh) * D + i];
        CU_ASSERT_DOUBLE_EQUAL(y[(t * HQ + h) * D + i], o, 1e-6);
      }
    }
  }
}

static void test_elementwise(void) {
  CU_ASSERT_DOUBLE_EQUAL(tsr_unary_eval(TSR_UNARY_SILU, 1.0, 0, 0), 0.7310585786300049, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(tsr_unary_eval(TSR_UNARY_GELU_ERF, 1.0, 0, 0), 0.8413447460685429, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(tsr_unary_eval(TSR_UNARY_GELU_TANH, 1.0, 0, 0), 0.8411919906082768, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(tsr_unary_eval(TSR_UNARY_HARD_SWISH, 1.0, 0, 0), 2.0 / 3.0, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(tsr_binary_eval(TSR_BINARY_SWIGLU, 1.0, 2.0), 1.4621171572600098, 1e-12);
  /* Broadcast: [2,3] + [3] */
  float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {10, 20, 30}, y[6];
  int64_t sa[2] = {2, 3}, sb[1] = {3};
  tsr_op op = {.type = TSR_OP_BINARY, .n_src = 2};
  tensor(&op.src[0], TSR_DTYPE_F32, 2, sa, a);
  tensor(&op.src[1], TSR_DTYPE_F32, 1, sb, b);
  tensor(&op.dst, TSR_DTYPE_F32, 2, sa, y);
  op.p.binary.kind = TSR_BINARY_ADD;
  run_ref(&op, NULL);
  CU_ASSERT(y[0] == 11 && y[2] == 33 && y[3] == 14 && y[5] == 36);
}

static void test_rows(void) {
  float table[12] = {0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32}, y[9];
  int32_t ids[3] = {3, 0, 7};
  int64_t st[2] = {4, 3}, si[1] = {3}, sy[2] = {3, 3};
  tsr_op op = {.type = TSR_OP_GET_ROWS, .n_src = 2};
  tensor(&op.src[0], TSR_DTYPE_F32, 2, st, table);
  tensor(&op.src[1], TSR_DTYPE_I32, 1, si, ids);
  tensor(&op.dst, TSR_DTYPE_F32, 2, sy, y);
  run_ref(&op, NULL);
  CU_ASSERT(y[0] == 30 && y[2] == 32 && y[3] == 0 && y[6] == 0 && y[8] == 0);
  /* SET_ROWS into a 4-row cache at position 2: row 3 written, row 4 dropped. */
  float cache[12] = {0}, src[6] = {1, 2, 3, 4, 5, 6};
  int64_t ss[2] = {2, 3};
  tsr_op w = {.type = TSR_OP_SET_ROWS, .n_src = 1};
  tensor(&w.src[0], TSR_DTYPE_F32, 2, ss, src);
  tensor(&w.dst, TSR_DTYPE_F32, 2, st, cache);
  w.p.set_rows.pos = TSR_DYN_SLOT(0, 0);
  tsr_dyn_values dyn = {{3}};
  run_ref(&w, &dyn);
  CU_ASSERT(cache[9] == 1 && cache[11] == 3 && cache[0] == 0 && cache[6] == 0);
}

static void test_validate_errors(void) {
  float x[4];
  int64_t s2[2] = {2, 2}, s3[2] = {2, 3};
  tsr_op op = {.type = TSR_OP_MATMUL, .n_src = 2, .name = "blk.0.ffn"};
  tensor(&op.src[0], TSR_DTYPE_F32, 2, s2, x);
  tensor(&op.src[1], TSR_DTYPE_F32, 2, s3, x);
  tensor(&op.dst, TSR_DTYPE_F32, 2, s2, x);
  tsr_error err;
  CU_ASSERT_EQUAL(tsr_op_validate(&op, &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "blk.0.ffn"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "inner dimensions"));
  op.type = TSR_OP_CONV2D;
  CU_ASSERT_EQUAL(tsr_op_validate(&op, &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "4-D"));
  op.type = (tsr_op_type)999;
  CU_ASSERT_EQUAL(tsr_op_validate(&op, &err), TSR_ERR_INVALID_ARGUMENT);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("reference", NULL, NULL);
  CU_add_test(s, "fp16 and bf16 conversion", test_fp16);
  CU_add_test(s, "dequantize hand-built blocks", test_dequant_hand);
  CU_add_test(s, "quantize round trip", test_quant_roundtrip);
  CU_add_test(s, "matmul hand values", test_matmul_hand);
  CU_add_test(s, "quantized matmul vs double", test_matmul_quant_vs_double);
  CU_add_test(s, "rmsnorm and layernorm", test_norms);
  CU_add_test(s, "softmax", test_softmax);
  CU_add_test(s, "rope", test_rope);
  CU_add_test(s, "attention vs naive", test_attention_vs_naive);
  CU_add_test(s, "elementwise", test_elementwise);
  CU_add_test(s, "get_rows and set_rows", test_rows);
  CU_add_test(s, "validation errors", test_validate_errors);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return f ? 1 : 0;
}
