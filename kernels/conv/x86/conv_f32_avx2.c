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

static inline __attribute__((always_inline)) void gemm_6x16(const int rows, size_t kc, const float *a, const float *b,
                                                            const int64_t *koff, float *c, size_t ldc, uint64_t mask,
                                                            const tsr_conv_ep *ep, size_t m0) {
  __m256 lo[6], hi[6];
  for (int r = 0; r < rows; ++r) lo[r] = hi[r] = _mm256_setzero_ps();
  for (size_t k = 0; k < kc; ++k) {
    const float *bk = b + koff[k];
    const __m256 b0 = _mm256_loadu_ps(bk), b1 = _mm256_loadu_ps(bk + 8);
    for (int r = 0; r < rows; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r);
      lo[r] = _mm256_fmadd_ps(av, b0, lo[r]);
      hi[r] = _mm256_fmadd_ps(av, b1, hi[r]);
    }
    a += 6;
  }
  const __m256 beta = _mm256_set1_ps(ep->beta);
  for (int r = 0; r < rows; ++r) {
    __m256 v0 = lo[r], v1 = hi[r];
    if (ep->bias) {
      const __m256 bv = _mm256_set1_ps(ep->bias[m0 + r]);
      v0 = _mm256_add_ps(v0, bv);
      v1 = _mm256_add_ps(v1, bv);
    }
    if (ep->act >= 0) {
      const __m256 alpha = _mm256_set1_ps(ep->slope ? ep->slope[m0 + r] : ep->alpha);
      v0 = tsr_v8_act(ep->act, v0, alpha, beta);
      v1 = tsr_v8_act(ep->act, v1, alpha, beta);
    }
    float *cr = c + (size_t)r * ldc;
    if (mask == 0xffff) {
      _mm256_storeu_ps(cr, v0);
      _mm256_storeu_ps(cr + 8, v1);
    } else {
      float tmp[16];
      _mm256_storeu_ps(tmp, v0);
      _mm256_storeu_ps(tmp + 8, v1);
      size_t o = 0;
      for (int q = 0; q < 16; ++q) {
        if ((mask >> q) & 1u) cr[o++] = tmp[q];
      }
    }
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
