/* CONV2D f32 GEMM microkernels for AVX2 + FMA: 6x16 tile (6 output channels
 * x 16 pixels, 12 ymm accumulators), weights broadcast from the packed
 * panel, pixels read from b + koff[k]; bias and the fused activation in the
 * epilogue; partial strips keep their lanes through a stack buffer. */
#include <immintrin.h>

#include "conv/conv_dw.h"
#include "conv/conv_fill.h"
#include "conv/conv_gemm.h"
#include "conv/conv_tgemm.h"
#include "conv/x86/vmath_avx2.h"

/* Register tiles: every loop over the tile's rows fully unrolled (a loop
 * left rolled makes the accumulator array addressable: GCC then stores it
 * to the stack on every k step). */
#define TSR_UNROLL _Pragma("GCC unroll 8")

/* tsr_v8_act with ReLU and SiLU inlined where |act| is a constant. */
static inline __attribute__((always_inline)) __m256 act8(const int act, __m256 x, __m256 alpha, __m256 beta) {
  if (act == TSR_UNARY_RELU) return _mm256_max_ps(x, _mm256_setzero_ps());
  if (act == TSR_UNARY_SILU) return _mm256_mul_ps(x, tsr_v8_sigmoid(x));
  return tsr_v8_act(act, x, alpha, beta);
}

/* Stores the kept lanes of v (16 lanes, |mask|) contiguously from |c|. */
static inline __attribute__((always_inline)) void store_16(float *c, __m256 v0, __m256 v1, uint64_t mask) {
  if (mask == 0xffff) {
    _mm256_storeu_ps(c, v0);
    _mm256_storeu_ps(c + 8, v1);
    return;
  }
  if ((mask & (mask + 1)) == 0) { /* a prefix of n lanes: masked stores */
    const int n = __builtin_popcountll(mask);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    _mm256_maskstore_ps(c, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane), v0);
    if (n > 8) _mm256_maskstore_ps(c + 8, _mm256_cmpgt_epi32(_mm256_set1_epi32(n - 8), lane), v1);
    return;
  }
  float tmp[16];
  _mm256_storeu_ps(tmp, v0);
  _mm256_storeu_ps(tmp + 8, v1);
  size_t o = 0;
  for (uint64_t m = mask & 0xffff; m; m &= m - 1) c[o++] = tmp[__builtin_ctzll(m)];
}

/* Activation |act| (a constant where inlined: that kind's code only) on the
 * accumulators, then the kept lanes stored. */
static inline __attribute__((always_inline)) void store_6x16(const int rows, const int act, __m256 lo[6], __m256 hi[6],
                                                             float *c, size_t ldc, uint64_t mask, const tsr_conv_ep *ep,
                                                             size_t m0) {
  const __m256 beta = _mm256_set1_ps(ep->beta);
  TSR_UNROLL
  for (int r = 0; r < rows; ++r) {
    __m256 v0 = lo[r], v1 = hi[r];
    if (act >= 0) {
      const __m256 alpha = _mm256_set1_ps(ep->slope ? ep->slope[m0 + r] : ep->alpha);
      v0 = act8(act, v0, alpha, beta);
      v1 = act8(act, v1, alpha, beta);
    }
    store_16(c + (size_t)r * ldc, v0, v1, mask);
  }
}

/* Accumulators start from the bias; row k + TSR_CONV_PREFETCH of B is
 * prefetched (koff carries those entries). */
static inline __attribute__((always_inline)) void gemm_6x16(const int rows, size_t kc, const float *a, const float *b,
                                                            const int64_t *koff, float *c, size_t ldc, uint64_t mask,
                                                            const tsr_conv_ep *ep, size_t m0) {
  __m256 lo[6], hi[6];
  TSR_UNROLL
  for (int r = 0; r < rows; ++r) lo[r] = hi[r] = _mm256_set1_ps(ep->bias ? ep->bias[m0 + r] : 0.0f);
  for (size_t k = 0; k < kc; ++k) {
    const float *bk = b + koff[k];
    const float *bp = b + koff[k + TSR_CONV_PREFETCH];
    _mm_prefetch((const char *)bp, _MM_HINT_T0);
    _mm_prefetch((const char *)(bp + 15), _MM_HINT_T0);
    const __m256 b0 = _mm256_loadu_ps(bk), b1 = _mm256_loadu_ps(bk + 8);
    TSR_UNROLL
  for (int r = 0; r < rows; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r);
      lo[r] = _mm256_fmadd_ps(av, b0, lo[r]);
      hi[r] = _mm256_fmadd_ps(av, b1, hi[r]);
    }
    a += 6;
  }
  switch (ep->act) { /* the common kinds inlined */
    case -1: store_6x16(rows, -1, lo, hi, c, ldc, mask, ep, m0); break;
    case TSR_UNARY_SILU: store_6x16(rows, TSR_UNARY_SILU, lo, hi, c, ldc, mask, ep, m0); break;
    case TSR_UNARY_RELU: store_6x16(rows, TSR_UNARY_RELU, lo, hi, c, ldc, mask, ep, m0); break;
    default: store_6x16(rows, ep->act, lo, hi, c, ldc, mask, ep, m0); break; /* tsr_v8_act out of line */
  }
}

#define UK(R)                                                                                               \
  static void uk_##R(size_t kc, const float *a, const float *b, const int64_t *koff, float *c, size_t ldc,  \
                     uint64_t mask, const tsr_conv_ep *ep, size_t m0) {                                      \
    gemm_6x16(R, kc, a, b, koff, c, ldc, mask, ep, m0);                                                      \
  }
UK(1) UK(2) UK(3) UK(4) UK(5) UK(6)
#undef UK

/* The band copy built for AVX2. */
static void fill256(const tsr_conv_geom *g, int64_t channels, const float *x, int64_t oh0, int64_t rows, int64_t wq,
                    int64_t rp, float pad, float *band) {
  tsr_conv_fill_band_body(g, channels, x, oh0, rows, wq, rp, pad, band);
}

const tsr_conv_gemm_isa tsr_conv_gemm_isa_avx2 = {6, 16, {NULL, uk_1, uk_2, uk_3, uk_4, uk_5, uk_6, NULL, NULL}, fill256, NULL};

TSR_CONV_GEMM_KERNEL(tsr_conv2d_f32_ukernel_6x16__avx2, tsr_conv_gemm_isa_avx2, TSR_ISA_AVX2)
TSR_CONV_TGEMM_KERNEL(tsr_conv_transpose2d_f32_ukernel_6x16__avx2, tsr_conv_gemm_isa_avx2, TSR_ISA_AVX2)

/* Depthwise rows: up to 4 output rows x 16 columns (8 ymm accumulators, 8
 * independent FMA chains) per pass over the taps. */
static inline __attribute__((always_inline)) void dw_block(const int nr, const float *in, size_t ldi, const int64_t *toff,
                                                           const float *w, size_t taps, float *y, size_t ldy, size_t q,
                                                           size_t ow, __m256 bias, __m256 alpha, __m256 beta, int act) {
  __m256 a[4][2];
  for (int r = 0; r < nr; ++r) a[r][0] = a[r][1] = bias;
  for (size_t t = 0; t < taps; ++t) {
    const __m256 wt = _mm256_broadcast_ss(w + t);
    const float *s = in + toff[t] + q;
    for (int r = 0; r < nr; ++r) {
      a[r][0] = _mm256_fmadd_ps(wt, _mm256_loadu_ps(s + r * ldi), a[r][0]);
      a[r][1] = _mm256_fmadd_ps(wt, _mm256_loadu_ps(s + r * ldi + 8), a[r][1]);
    }
  }
  const size_t left = ow - q;
  for (int r = 0; r < nr; ++r) {
    __m256 v0 = a[r][0], v1 = a[r][1];
    if (act >= 0) {
      v0 = tsr_v8_act(act, v0, alpha, beta);
      if (left > 8) v1 = tsr_v8_act(act, v1, alpha, beta);
    }
    float *d = y + r * ldy + q;
    if (left >= 16) {
      _mm256_storeu_ps(d, v0);
      _mm256_storeu_ps(d + 8, v1);
    } else {
      float tmp[16];
      _mm256_storeu_ps(tmp, v0);
      _mm256_storeu_ps(tmp + 8, v1);
      for (size_t i = 0; i < left; ++i) d[i] = tmp[i];
    }
  }
}

void tsr_conv_dw_rows_f32__avx2(const float *in, size_t ldi, const int64_t *toff, const float *w, size_t taps, float *y, size_t ldy,
                   size_t nrows, size_t ow, const tsr_conv_ep *ep, size_t m) {
  const __m256 bias = _mm256_set1_ps(ep->bias ? ep->bias[m] : 0.0f);
  const __m256 alpha = _mm256_set1_ps(ep->slope ? ep->slope[m] : ep->alpha), beta = _mm256_set1_ps(ep->beta);
  for (size_t q = 0; q < ow; q += 16) {
    switch (nrows) {
      case 4: dw_block(4, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta, ep->act); break;
      case 3: dw_block(3, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta, ep->act); break;
      case 2: dw_block(2, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta, ep->act); break;
      default: dw_block(1, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta, ep->act); break;
    }
  }
}

TSR_CONV_DW_KERNEL(tsr_conv2d_f32_ukernel_dw_4x16__avx2, tsr_conv_dw_rows_f32__avx2, fill256, TSR_ISA_AVX2)
