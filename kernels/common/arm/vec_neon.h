/* f32 vector helpers for ARM kernel variants: the vx_* API of
 * common/x86/vec_x86.h with 4-lane NEON vectors (VX_W 4), so that the
 * ISA-neutral op templates written against it (kernels/norm/x86/norm_x86.h,
 * softmax_x86.h, attention_x86.h) compile for NEON unchanged. Including this
 * file first defines vec_x86.h's include guard, so their own include of the
 * x86 header is empty. Works on aarch64 and on 32-bit ARM with NEON + VFPv4
 * (division, rounding and f16 loads done without the aarch64-only
 * instructions there). Horizontal reductions use a fixed tree. */
#ifndef TESSERA_KERNELS_COMMON_ARM_VEC_NEON_H_
#define TESSERA_KERNELS_COMMON_ARM_VEC_NEON_H_
#define TESSERA_KERNELS_COMMON_X86_VEC_X86_H_ /* the templates' x86 include: use this one */

#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

#include "hal/fp16.h"

#ifndef VX_W
#define VX_W 4
#endif
#if VX_W != 4
#error "vec_neon.h: VX_W must be 4"
#endif

#define VX_INLINE static inline __attribute__((always_inline))

typedef float32x4_t vx_f;
typedef int32x4_t vx_i;

VX_INLINE vx_f vx_load(const float *p) { return vld1q_f32(p); }
VX_INLINE void vx_store(float *p, vx_f v) { vst1q_f32(p, v); }
VX_INLINE vx_f vx_set(float x) { return vdupq_n_f32(x); }
VX_INLINE vx_f vx_zero(void) { return vdupq_n_f32(0.0f); }
VX_INLINE vx_f vx_add(vx_f a, vx_f b) { return vaddq_f32(a, b); }
VX_INLINE vx_f vx_sub(vx_f a, vx_f b) { return vsubq_f32(a, b); }
VX_INLINE vx_f vx_mul(vx_f a, vx_f b) { return vmulq_f32(a, b); }
VX_INLINE vx_f vx_div(vx_f a, vx_f b) {
#if defined(__aarch64__)
  return vdivq_f32(a, b);
#else
  float x[4], y[4];
  vst1q_f32(x, a);
  vst1q_f32(y, b);
  for (int i = 0; i < 4; ++i) x[i] /= y[i];
  return vld1q_f32(x);
#endif
}
VX_INLINE vx_f vx_max(vx_f a, vx_f b) { return vmaxq_f32(a, b); }
VX_INLINE vx_f vx_min(vx_f a, vx_f b) { return vminq_f32(a, b); }
/* a * b + c, and c - a * b */
VX_INLINE vx_f vx_fma(vx_f a, vx_f b, vx_f c) { return vfmaq_f32(c, a, b); }
VX_INLINE vx_f vx_fnma(vx_f a, vx_f b, vx_f c) { return vfmsq_f32(c, a, b); }
VX_INLINE vx_f vx_and(vx_f a, vx_f b) {
  return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), vreinterpretq_u32_f32(b)));
}
/* ~a & b, as _mm_andnot_ps */
VX_INLINE vx_f vx_andnot(vx_f a, vx_f b) {
  return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(b), vreinterpretq_u32_f32(a)));
}
/* 4 f16 at |p| widened. */
VX_INLINE vx_f vx_loadh(const void *p) {
#if defined(__aarch64__)
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const uint16_t *)p)));
#else
  uint16_t h[4];
  float f[4];
  memcpy(h, p, sizeof(h));
  for (int i = 0; i < 4; ++i) f[i] = tsr_fp16_to_f32(h[i]);
  return vld1q_f32(f);
#endif
}
/* Elements [0, n) of p (n < VX_W), zeros elsewhere; and the matching store. */
VX_INLINE vx_f vx_load_n(const float *p, int n) {
  float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  memcpy(t, p, sizeof(float) * (size_t)n);
  return vld1q_f32(t);
}
VX_INLINE void vx_store_n(float *p, vx_f v, int n) {
  float t[4];
  vst1q_f32(t, v);
  memcpy(p, t, sizeof(float) * (size_t)n);
}
/* (v0 + v2) + (v1 + v3) */
VX_INLINE float vx_hsum(vx_f v) {
  const float32x2_t s = vadd_f32(vget_low_f32(v), vget_high_f32(v));
  return vget_lane_f32(s, 0) + vget_lane_f32(s, 1);
}
VX_INLINE float vx_hmax(vx_f v) {
  const float32x2_t s = vmax_f32(vget_low_f32(v), vget_high_f32(v));
  const float a = vget_lane_f32(s, 0), b = vget_lane_f32(s, 1);
  return a > b ? a : b;
}
/* Round to nearest even. 32-bit ARM has no vrndn: adding and subtracting
 * 1.5 * 2^23 rounds exactly for |x| < 2^22 (larger values are integers). */
VX_INLINE vx_f vx_round(vx_f x) {
#if defined(__aarch64__)
  return vrndnq_f32(x);
#else
  const vx_f big = vdupq_n_f32(12582912.0f);
  const vx_f r = vsubq_f32(vaddq_f32(x, big), big);
  const uint32x4_t small = vcltq_f32(vabsq_f32(x), vdupq_n_f32(4194304.0f));
  return vbslq_f32(small, r, x);
#endif
}
/* p * 2^n for integral n in [-252, 254], as two in-range powers of two */
VX_INLINE vx_f vx_ldexp(vx_f p, vx_f n) {
  const int32x4_t ni = vcvtq_s32_f32(n), n1 = vshrq_n_s32(ni, 1), n2 = vsubq_s32(ni, n1);
  const int32x4_t e1 = vshlq_n_s32(vaddq_s32(n1, vdupq_n_s32(127)), 23);
  const int32x4_t e2 = vshlq_n_s32(vaddq_s32(n2, vdupq_n_s32(127)), 23);
  return vmulq_f32(vmulq_f32(p, vreinterpretq_f32_s32(e1)), vreinterpretq_f32_s32(e2));
}
/* lanes where a < b set to |v|, others to |w| */
VX_INLINE vx_f vx_select_lt(vx_f a, vx_f b, vx_f v, vx_f w) { return vbslq_f32(vcltq_f32(a, b), v, w); }

/* e^x: 2^n * p(r), |r| <= ln2 / 2 (the Cephes polynomial of vec_x86.h);
 * inputs below -87.3 give 0, above 88.7 give +inf. */
VX_INLINE vx_f vx_exp(vx_f x) {
  const vx_f hi = vx_set(88.3762626647949f), lo = vx_set(-87.3365478515625f);
  vx_f xc = vx_min(vx_max(x, lo), hi);
  vx_f n = vx_round(vx_mul(xc, vx_set(1.44269504088896341f)));
  vx_f r = vx_fnma(n, vx_set(0.693359375f), xc);
  r = vx_fnma(n, vx_set(-2.12194440e-4f), r);
  vx_f p = vx_set(1.9875691500E-4f);
  p = vx_fma(p, r, vx_set(1.3981999507E-3f));
  p = vx_fma(p, r, vx_set(8.3334519073E-3f));
  p = vx_fma(p, r, vx_set(4.1665795894E-2f));
  p = vx_fma(p, r, vx_set(1.6666665459E-1f));
  p = vx_fma(p, r, vx_set(5.0000001201E-1f));
  p = vx_fma(vx_mul(p, r), r, vx_add(r, vx_set(1.0f)));
  vx_f y = vx_ldexp(p, n);
  y = vx_select_lt(x, lo, vx_zero(), y);
  return vx_select_lt(hi, x, vx_set(__builtin_inff()), y);
}

/* x * sigmoid(x) */
VX_INLINE vx_f vx_silu(vx_f x) { return vx_div(x, vx_add(vx_set(1.0f), vx_exp(vx_sub(vx_zero(), x)))); }

/* tanh(x) = 1 - 2 / (e^{2x} + 1) */
VX_INLINE vx_f vx_tanh(vx_f x) {
  return vx_sub(vx_set(1.0f), vx_div(vx_set(2.0f), vx_add(vx_exp(vx_add(x, x)), vx_set(1.0f))));
}

#endif /* TESSERA_KERNELS_COMMON_ARM_VEC_NEON_H_ */
