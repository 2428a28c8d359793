/* CONV2D f32 GEMM microkernels for AVX-512: 8x32 tile (8 output channels x
 * 32 pixels, 16 zmm accumulators), weights broadcast from the packed panel,
 * pixels loaded as two vectors per k; bias and the fused activation in the
 * epilogue, masked stores for the pixel tail. */
#include <immintrin.h>

#include "conv/conv_gemm.h"
#include "conv/x86/vmath_avx512.h"

static inline __attribute__((always_inline)) void gemm_8x32(const int rows, size_t kc, const float *a, const float *b,
                                                            size_t ldb, float *c, size_t ldc, size_t nc,
                                                            const tsr_conv_ep *ep, size_t m0) {
  __m512 lo[8], hi[8];
  for (int r = 0; r < rows; ++r) lo[r] = hi[r] = _mm512_setzero_ps();
  for (size_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
    b += ldb;
    for (int r = 0; r < rows; ++r) {
      const __m512 av = _mm512_set1_ps(a[r]);
      lo[r] = _mm512_fmadd_ps(av, b0, lo[r]);
      hi[r] = _mm512_fmadd_ps(av, b1, hi[r]);
    }
    a += 8;
  }
  const __mmask16 m_lo = nc >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nc) - 1u);
  const __mmask16 m_hi = nc >= 32 ? (__mmask16)0xffff : (nc <= 16 ? (__mmask16)0 : (__mmask16)((1u << (nc - 16)) - 1u));
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
    _mm512_mask_storeu_ps(cr, m_lo, v0);
    _mm512_mask_storeu_ps(cr + 16, m_hi, v1);
  }
}

#define UK(R)                                                                                               \
  static void uk_##R(size_t kc, const float *a, const float *b, size_t ldb, float *c, size_t ldc, size_t nc, \
                     const tsr_conv_ep *ep, size_t m0) {                                                     \
    gemm_8x32(R, kc, a, b, ldb, c, ldc, nc, ep, m0);                                                         \
  }
UK(1) UK(2) UK(3) UK(4) UK(5) UK(6) UK(7) UK(8)
#undef UK

static const tsr_conv_gemm_isa kIsa = {8, 32, {NULL, uk_1, uk_2, uk_3, uk_4, uk_5, uk_6, uk_7, uk_8}};

TSR_CONV_GEMM_KERNEL(tsr_conv2d_f32_ukernel_8x32__avx512, kIsa, TSR_ISA_AVX512)
