/* CONV2D f32 GEMM microkernels for AVX-512: 8x32 tile (8 output channels x
 * 32 grid pixels, 16 zmm accumulators), weights broadcast from the packed
 * panel, pixels loaded as two vectors per tap from b + koff[k]; bias and the
 * fused activation in the epilogue; kept lanes compressed and stored. */
#include <immintrin.h>

#include "conv/conv_dw.h"
#include "conv/conv_gemm.h"
#include "conv/conv_tgemm.h"
#include "conv/x86/vmath_avx512.h"

static inline __attribute__((always_inline)) void gemm_8x32(const int rows, size_t kc, const float *a, const float *b,
                                                            const int64_t *koff, float *c, size_t ldc, uint64_t mask,
                                                            const tsr_conv_ep *ep, size_t m0) {
  __m512 lo[8], hi[8];
  for (int r = 0; r < rows; ++r) lo[r] = hi[r] = _mm512_setzero_ps();
  for (size_t k = 0; k < kc; ++k) {
    const float *bk = b + koff[k];
    const __m512 b0 = _mm512_loadu_ps(bk), b1 = _mm512_loadu_ps(bk + 16);
    for (int r = 0; r < rows; ++r) {
      const __m512 av = _mm512_set1_ps(a[r]);
      lo[r] = _mm512_fmadd_ps(av, b0, lo[r]);
      hi[r] = _mm512_fmadd_ps(av, b1, hi[r]);
    }
    a += 8;
  }
  const __mmask16 m_lo = (__mmask16)(mask & 0xffff), m_hi = (__mmask16)((mask >> 16) & 0xffff);
  const bool full = m_lo == 0xffff && m_hi == 0xffff;
  const int n_lo = __builtin_popcount(m_lo);
  const __mmask16 st_lo = (__mmask16)((1u << n_lo) - 1u), st_hi = (__mmask16)((1u << __builtin_popcount(m_hi)) - 1u);
  const __m512 beta = _mm512_set1_ps(ep->beta);
  for (int r = 0; r < rows; ++r) {
    __m512 v0 = lo[r], v1 = hi[r];
    if (ep->bias) {
      const __m512 bv = _mm512_set1_ps(ep->bias[m0 + r]);
      v0 = _mm512_add_ps(v0, bv);
      v1 = _mm512_add_ps(v1, bv);
    }
    if (ep->act >= 0) {
      const __m512 alpha = _mm512_set1_ps(ep->slope ? ep->slope[m0 + r] : ep->alpha);
      v0 = tsr_v16_act(ep->act, v0, alpha, beta);
      v1 = tsr_v16_act(ep->act, v1, alpha, beta);
    }
    float *cr = c + (size_t)r * ldc;
    if (full) {
      _mm512_storeu_ps(cr, v0);
      _mm512_storeu_ps(cr + 16, v1);
    } else {
      _mm512_mask_storeu_ps(cr, st_lo, _mm512_maskz_compress_ps(m_lo, v0));
      _mm512_mask_storeu_ps(cr + n_lo, st_hi, _mm512_maskz_compress_ps(m_hi, v1));
    }
  }
}

#define UK(R)                                                                                               \
  static void uk_##R(size_t kc, const float *a, const float *b, const int64_t *koff, float *c, size_t ldc,  \
                     uint64_t mask, const tsr_conv_ep *ep, size_t m0) {                                      \
    gemm_8x32(R, kc, a, b, koff, c, ldc, mask, ep, m0);                                                      \
  }
UK(1) UK(2) UK(3) UK(4) UK(5) UK(6) UK(7) UK(8)
#undef UK

const tsr_conv_gemm_isa tsr_conv_gemm_isa_avx512 = {8, 32, {NULL, uk_1, uk_2, uk_3, uk_4, uk_5, uk_6, uk_7, uk_8}};

TSR_CONV_GEMM_KERNEL(tsr_conv2d_f32_ukernel_8x32__avx512, tsr_conv_gemm_isa_avx512, TSR_ISA_AVX512)
TSR_CONV_TGEMM_KERNEL(tsr_conv_transpose2d_f32_ukernel_8x32__avx512, tsr_conv_gemm_isa_avx512, TSR_ISA_AVX512)

/* Depthwise rows: up to 4 output rows x 32 columns (8 zmm accumulators, 8
 * independent FMA chains) per pass over the taps; masked tail stores. */
static inline __attribute__((always_inline)) void dw_block(const int nr, const float *in, size_t ldi, const int64_t *toff,
                                                           const float *w, size_t taps, float *y, size_t ldy, size_t q,
                                                           size_t ow, __m512 bias, __m512 alpha, __m512 beta, int act) {
  __m512 a[4][2];
  for (int r = 0; r < nr; ++r) a[r][0] = a[r][1] = bias;
  for (size_t t = 0; t < taps; ++t) {
    const __m512 wt = _mm512_set1_ps(w[t]);
    const float *s = in + toff[t] + q;
    for (int r = 0; r < nr; ++r) {
      a[r][0] = _mm512_fmadd_ps(wt, _mm512_loadu_ps(s + r * ldi), a[r][0]);
      a[r][1] = _mm512_fmadd_ps(wt, _mm512_loadu_ps(s + r * ldi + 16), a[r][1]);
    }
  }
  const size_t left = ow - q;
  const __mmask16 m0 = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
  const __mmask16 m1 = left >= 32 ? (__mmask16)0xffff : (left <= 16 ? (__mmask16)0 : (__mmask16)((1u << (left - 16)) - 1u));
  for (int r = 0; r < nr; ++r) {
    __m512 v0 = a[r][0], v1 = a[r][1];
    if (act >= 0) {
      v0 = tsr_v16_act(act, v0, alpha, beta);
      if (m1) v1 = tsr_v16_act(act, v1, alpha, beta);
    }
    _mm512_mask_storeu_ps(y + r * ldy + q, m0, v0);
    if (m1) _mm512_mask_storeu_ps(y + r * ldy + q + 16, m1, v1);
  }
}

void tsr_conv_dw_rows_f32__avx512(const float *in, size_t ldi, const int64_t *toff, const float *w, size_t taps, float *y, size_t ldy,
                   size_t nrows, size_t ow, const tsr_conv_ep *ep, size_t m) {
  const __m512 bias = _mm512_set1_ps(ep->bias ? ep->bias[m] : 0.0f);
  const __m512 alpha = _mm512_set1_ps(ep->slope ? ep->slope[m] : ep->alpha), beta = _mm512_set1_ps(ep->beta);
  for (size_t q = 0; q < ow; q += 32) {
    switch (nrows) {
      case 4: dw_block(4, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta, ep->act); break;
      case 3: dw_block(3, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta, ep->act); break;
      case 2: dw_block(2, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta, ep->act); break;
      default: dw_block(1, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta, ep->act); break;
    }
  }
}

TSR_CONV_DW_KERNEL(tsr_conv2d_f32_ukernel_dw_4x32__avx512, tsr_conv_dw_rows_f32__avx512, TSR_ISA_AVX512)
