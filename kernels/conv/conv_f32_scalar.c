/* CONV2D f32 GEMM microkernel in portable C: 4x16 tile with the pixel loop
 * innermost so compilers vectorize it for any target (SSE2, NEON); pixels
 * read from b + koff[k]; kept lanes stored in order. */
#include "conv/conv_gemm.h"
#include "conv/conv_tgemm.h"

static inline void gemm_4x16(const int rows, size_t kc, const float *a, const float *b, const int64_t *koff, float *c,
                             size_t ldc, uint64_t mask, const tsr_conv_ep *ep, size_t m0) {
  float acc[4][16];
  for (int r = 0; r < 4; ++r)
    for (int q = 0; q < 16; ++q) acc[r][q] = 0.0f;
  for (size_t k = 0; k < kc; ++k) {
    const float *bk = b + koff[k];
    for (int r = 0; r < rows; ++r) {
      const float av = a[r];
      for (int q = 0; q < 16; ++q) acc[r][q] += av * bk[q];
    }
    a += 4;
  }
  for (int r = 0; r < rows; ++r) {
    const float bias = ep->bias ? ep->bias[m0 + r] : 0.0f;
    const float alpha = ep->slope ? ep->slope[m0 + r] : ep->alpha;
    float *cr = c + (size_t)r * ldc;
    size_t o = 0;
    for (int q = 0; q < 16; ++q) {
      if (!((mask >> q) & 1u)) continue;
      const float v = acc[r][q] + bias;
      cr[o++] = ep->act >= 0 ? tsr_conv_act_f32(ep->act, v, alpha, ep->beta) : v;
    }
  }
}

#define UK(R)                                                                                               \
  static void uk_##R(size_t kc, const float *a, const float *b, const int64_t *koff, float *c, size_t ldc,  \
                     uint64_t mask, const tsr_conv_ep *ep, size_t m0) {                                      \
    gemm_4x16(R, kc, a, b, koff, c, ldc, mask, ep, m0);                                                      \
  }
UK(1) UK(2) UK(3) UK(4)
#undef UK

const tsr_conv_gemm_isa tsr_conv_gemm_isa_scalar = {4, 16, {NULL, uk_1, uk_2, uk_3, uk_4, NULL, NULL, NULL, NULL}, NULL, NULL};

TSR_CONV_GEMM_KERNEL(tsr_conv2d_f32_ukernel_4x16__scalar, tsr_conv_gemm_isa_scalar, 0)
