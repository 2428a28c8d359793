/* CONV2D f32 GEMM microkernels for AVX2 + FMA: 6x16 tile (6 output channels
 * x 16 pixels, 12 ymm accumulators), weights broadcast from the packed
 * panel; bias and the fused activation in the epilogue; the pixel tail goes
 * through a stack buffer. */
#include <immintrin.h>
#include <string.h>

#include "conv/conv_gemm.h"
#include "conv/x86/vmath_avx2.h"

static inline __attribute__((always_inline)) void gemm_6x16(const int rows, size_t kc, const float *a, const float *b,
                                                            size_t ldb, float *c, size_t ldc, size_t nc,
                                                            const tsr_conv_ep *ep, size_t m0) {
  __m256 lo[6], hi[6];
  for (int r = 0; r < rows; ++r) lo[r] = hi[r] = _mm256_setzero_ps();
  for (size_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    b += ldb;
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
    if (nc == 16) {
      _mm256_storeu_ps(cr, v0);
      _mm256_storeu_ps(cr + 8, v1);
    } else {
      float tmp[16];
      _mm256_storeu_ps(tmp, v0);
      _mm256_storeu_ps(tmp + 8, v1);
      memcpy(cr, tmp, nc * sizeof(float));
    }
  }
}

#define UK(R)                                                                                               \
  static void uk_##R(size_t kc, const float *a, const float *b, size_t ldb, float *c, size_t ldc, size_t nc, \
                     const tsr_conv_ep *ep, size_t m0) {                                                     \
    gemm_6x16(R, kc, a, b, ldb, c, ldc, nc, ep, m0);                                                         \
  }
UK(1) UK(2) UK(3) UK(4) UK(5) UK(6)
#undef UK

static const tsr_conv_gemm_isa kIsa = {6, 16, {NULL, uk_1, uk_2, uk_3, uk_4, uk_5, uk_6, NULL, NULL}};

TSR_CONV_GEMM_KERNEL(tsr_conv2d_f32_ukernel_6x16__avx2, kIsa, TSR_ISA_AVX2)
