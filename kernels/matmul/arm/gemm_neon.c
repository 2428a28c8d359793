/* Float matmul, NEON: MRx8 tiles over F(8) (gemm.h), two f32x4 columns of
 * accumulators per row, one broadcast FMA per row per k and per vector; f16
 * weights widened with vcvt_f32_f16. With MR = 1 (decode) four partial sums
 * over k mod 4 hide the FMA latency, added in a fixed order at the end.
 * aarch64: 6x8; 32-bit ARM (16 q registers): 4x8. */
#include <arm_neon.h>
#include <string.h>

#include "hal/fp16.h"
#include "matmul/gemm.h"
#include "matmul/matmul.h"

#define GA_INLINE static inline __attribute__((always_inline))
#define GA_NR 8

#if defined(__aarch64__) || (defined(__ARM_FP16_FORMAT_IEEE) && defined(__ARM_NEON_FP) && (__ARM_NEON_FP & 2))
#define GA_VCVT_F16 1
#endif

GA_INLINE void ga_load2(const void *w, const int F16, int64_t k, float32x4_t *b0, float32x4_t *b1) {
  if (F16) {
    const uint16_t *p = (const uint16_t *)w + k * GA_NR;
#if GA_VCVT_F16
    *b0 = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
    *b1 = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p + 4)));
#else
    float f[8];
    for (int i = 0; i < 8; ++i) f[i] = tsr_fp16_to_f32(p[i]);
    *b0 = vld1q_f32(f);
    *b1 = vld1q_f32(f + 4);
#endif
  } else {
    const float *p = (const float *)w + k * GA_NR;
    *b0 = vld1q_f32(p);
    *b1 = vld1q_f32(p + 4);
  }
}

GA_INLINE void ga_tile(const int MR, const int F16, int64_t kk, const void *w, const float *const *a,
                       float *tile) {
  float32x4_t c0[6], c1[6];
  for (int m = 0; m < MR; ++m) c0[m] = c1[m] = vdupq_n_f32(0.0f);
  for (int64_t k = 0; k < kk; ++k) {
    float32x4_t b0, b1;
    ga_load2(w, F16, k, &b0, &b1);
    for (int m = 0; m < MR; ++m) {
      const float32x4_t av = vdupq_n_f32(a[m][k]);
      c0[m] = vfmaq_f32(c0[m], av, b0);
      c1[m] = vfmaq_f32(c1[m], av, b1);
    }
  }
  for (int m = 0; m < MR; ++m) {
    vst1q_f32(tile + m * GA_NR, c0[m]);
    vst1q_f32(tile + m * GA_NR + 4, c1[m]);
  }
}

GA_INLINE void ga_row(const int F16, int64_t kk, const void *w, const float *a, float *tile) {
  float32x4_t c0[4], c1[4];
  for (int i = 0; i < 4; ++i) c0[i] = c1[i] = vdupq_n_f32(0.0f);
  int64_t k = 0;
  for (; k + 4 <= kk; k += 4) {
    for (int i = 0; i < 4; ++i) {
      float32x4_t b0, b1;
      ga_load2(w, F16, k + i, &b0, &b1);
      const float32x4_t av = vdupq_n_f32(a[k + i]);
      c0[i] = vfmaq_f32(c0[i], av, b0);
      c1[i] = vfmaq_f32(c1[i], av, b1);
    }
  }
  for (int i = 0; k < kk; ++k, ++i) {
    float32x4_t b0, b1;
    ga_load2(w, F16, k, &b0, &b1);
    const float32x4_t av = vdupq_n_f32(a[k]);
    c0[i] = vfmaq_f32(c0[i], av, b0);
    c1[i] = vfmaq_f32(c1[i], av, b1);
  }
  vst1q_f32(tile, vaddq_f32(vaddq_f32(c0[0], c0[1]), vaddq_f32(c0[2], c0[3])));
  vst1q_f32(tile + 4, vaddq_f32(vaddq_f32(c1[0], c1[1]), vaddq_f32(c1[2], c1[3])));
}

#if defined(__aarch64__)
#define GA_MR 6
#define GA_DISPATCH(F16)                                 \
  switch (mr) {                                          \
    case 1: ga_row(F16, k, w, a[0], tile); break;        \
    case 2: ga_tile(2, F16, k, w, a, tile); break;       \
    case 3: ga_tile(3, F16, k, w, a, tile); break;       \
    case 4: ga_tile(4, F16, k, w, a, tile); break;       \
    case 5: ga_tile(5, F16, k, w, a, tile); break;       \
    default: ga_tile(6, F16, k, w, a, tile); break;      \
  }
#else
#define GA_MR 4
#define GA_DISPATCH(F16)                                 \
  switch (mr) {                                          \
    case 1: ga_row(F16, k, w, a[0], tile); break;        \
    case 2: ga_tile(2, F16, k, w, a, tile); break;       \
    case 3: ga_tile(3, F16, k, w, a, tile); break;       \
    default: ga_tile(4, F16, k, w, a, tile); break;      \
  }
#endif

static void gemm_f32_neon(int64_t mr, int64_t k, const void *w, const float *const *a, float *tile) {
  GA_DISPATCH(0)
}

static void gemm_f16_neon(int64_t mr, int64_t k, const void *w, const float *const *a, float *tile) {
  GA_DISPATCH(1)
}

static const tsr_gemm_desc kDesc = {GA_NR, GA_MR, gemm_f32_neon, gemm_f16_neon, NULL, NULL};
#if defined(__aarch64__)
TSR_GEMM_KERNEL(tsr_matmul_f32_f32_ukernel_6x8__neon, TSR_ISA_NEON, kDesc);
#else
TSR_GEMM_KERNEL(tsr_matmul_f32_f32_ukernel_4x8__neon, TSR_ISA_NEON, kDesc);
#endif
