/* f32 vector helpers for x86 kernel variants, one width per including file:
 * define VX_W 16 (AVX-512) or 8 (AVX2 + FMA) before including. Gives the
 * type vx_f, the usual arithmetic, masked tail loads / stores, horizontal
 * sum / max and vx_exp (Cephes-style: 2^n * p(r), |r| <= ln2 / 2, about
 * 1 ulp; inputs below -87.3 give 0, above 88.7 give +inf).
 * Horizontal reductions use a fixed tree: results never depend on threads. */
#ifndef TESSERA_KERNELS_COMMON_X86_VEC_X86_H_
#define TESSERA_KERNELS_COMMON_X86_VEC_X86_H_

#include <immintrin.h>
#include <stdint.h>

#define VX_INLINE static inline __attribute__((always_inline))

#if VX_W == 16
typedef __m512 vx_f;
typedef __m512i vx_i;
#define vx_load(p) _mm512_loadu_ps(p)
#define vx_store(p, v) _mm512_storeu_ps((p), (v))
#define vx_set(x) _mm512_set1_ps(x)
#define vx_zero() _mm512_setzero_ps()
#define vx_add _mm512_add_ps
#define vx_sub _mm512_sub_ps
#define vx_mul _mm512_mul_ps
#define vx_div _mm512_div_ps
#define vx_max _mm512_max_ps
#define vx_min _mm512_min_ps
#define vx_fma(a, b, c) _mm512_fmadd_ps(a, b, c)
#define vx_fnma(a, b, c) _mm512_fnmadd_ps(a, b, c)
#define vx_and _mm512_and_ps
#define vx_andnot _mm512_andnot_ps
#define vx_loadh(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(p)))
/* Elements [0, n) of p (n < VX_W), zeros elsewhere. */
VX_INLINE vx_f vx_load_n(const float *p, int n) { return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p); }
VX_INLINE void vx_store_n(float *p, vx_f v, int n) { _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), v); }
VX_INLINE float vx_hsum(vx_f v) {
  __m256 s = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 t = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  t = _mm_add_ps(t, _mm_movehl_ps(t, t));
  t = _mm_add_ss(t, _mm_movehdup_ps(t));
  return _mm_cvtss_f32(t);
}
VX_INLINE float vx_hmax(vx_f v) {
  __m256 s = _mm256_max_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 t = _mm_max_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  t = _mm_max_ps(t, _mm_movehl_ps(t, t));
  t = _mm_max_ss(t, _mm_movehdup_ps(t));
  return _mm_cvtss_f32(t);
}
VX_INLINE vx_f vx_round(vx_f x) { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
VX_INLINE vx_f vx_ldexp(vx_f p, vx_f n) { return _mm512_scalef_ps(p, n); }
/* lanes where a < b set to |v|, others to |w| */
VX_INLINE vx_f vx_select_lt(vx_f a, vx_f b, vx_f v, vx_f w) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), w, v);
}
#elif VX_W == 8
typedef __m256 vx_f;
typedef __m256i vx_i;
#define vx_load(p) _mm256_loadu_ps(p)
#define vx_store(p, v) _mm256_storeu_ps((p), (v))
#define vx_set(x) _mm256_set1_ps(x)
#define vx_zero() _mm256_setzero_ps()
#define vx_add _mm256_add_ps
#define vx_sub _mm256_sub_ps
#define vx_mul _mm256_mul_ps
#define vx_div _mm256_div_ps
#define vx_max _mm256_max_ps
#define vx_min _mm256_min_ps
#define vx_fma(a, b, c) _mm256_fmadd_ps(a, b, c)
#define vx_fnma(a, b, c) _mm256_fnmadd_ps(a, b, c)
#define vx_and _mm256_and_ps
#define vx_andnot _mm256_andnot_ps
#define vx_loadh(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(p)))
VX_INLINE __m256i vx_mask_n(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
VX_INLINE vx_f vx_load_n(const float *p, int n) { return _mm256_maskload_ps(p, vx_mask_n(n)); }
VX_INLINE void vx_store_n(float *p, vx_f v, int n) { _mm256_maskstore_ps(p, vx_mask_n(n), v); }
VX_INLINE float vx_hsum(vx_f v) {
  __m128 t = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  t = _mm_add_ps(t, _mm_movehl_ps(t, t));
  t = _mm_add_ss(t, _mm_movehdup_ps(t));
  return _mm_cvtss_f32(t);
}
VX_INLINE float vx_hmax(vx_f v) {
  __m128 t = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  t = _mm_max_ps(t, _mm_movehl_ps(t, t));
  t = _mm_max_ss(t, _mm_movehdup_ps(t));
  return _mm_cvtss_f32(t);
}
VX_INLINE vx_f vx_round(vx_f x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
/* p * 2^n for integral n in [-252, 254], as two in-range powers of two */
VX_INLINE vx_f vx_ldexp(vx_f p, vx_f n) {
  __m256i ni = _mm256_cvtps_epi32(n), n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
  __m256i e1 = _mm256_slli_epi32(_mm256_add_epi32(n1, _mm256_set1_epi32(127)), 23);
  __m256i e2 = _mm256_slli_epi32(_mm256_add_epi32(n2, _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(e1)), _mm256_castsi256_ps(e2));
}
VX_INLINE vx_f vx_select_lt(vx_f a, vx_f b, vx_f v, vx_f w) {
  return _mm256_blendv_ps(w, v, _mm256_cmp_ps(a, b, _CMP_LT_OQ));
}
#else
#error "VX_W must be 8 or 16"
#endif

/* e^x. */
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
  /* below the range: 0; above: +inf */
  y = vx_select_lt(x, lo, vx_zero(), y);
  return vx_select_lt(hi, x, vx_set(__builtin_inff()), y);
}

/* x * sigmoid(x) */
VX_INLINE vx_f vx_silu(vx_f x) {
  return vx_div(x, vx_add(vx_set(1.0f), vx_exp(vx_sub(vx_zero(), x))));
}

/* tanh(x) = 1 - 2 / (e^{2x} + 1) */
VX_INLINE vx_f vx_tanh(vx_f x) {
  return vx_sub(vx_set(1.0f), vx_div(vx_set(2.0f), vx_add(vx_exp(vx_add(x, x)), vx_set(1.0f))));
}

#endif /* TESSERA_KERNELS_COMMON_X86_VEC_X86_H_ */
