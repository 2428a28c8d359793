/* AVX2 f32 math for kernel epilogues and elementwise ops: exp (Cephes
 * polynomial, ~1 ulp on [-87, 88]), sigmoid, tanh, erf (rational, ~2e-7
 * absolute) and every tsr_unary_kind. Include only from files compiled with
 * -mavx2 -mfma. */
#ifndef TESSERA_KERNELS_VMATH_AVX2_H_
#define TESSERA_KERNELS_VMATH_AVX2_H_

#include <immintrin.h>

#include "tessera/op.h"

static inline __attribute__((always_inline)) __m256 tsr_v8_exp(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.33654f)), _mm256_set1_ps(88.72283f));
  const __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
  /* y * 2^fx, fx in [-126, 128]: two steps keep each exponent in range. */
  const __m256i n = _mm256_cvtps_epi32(fx);
  const __m256i n1 = _mm256_srai_epi32(n, 1), n2 = _mm256_sub_epi32(n, n1);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, _mm256_set1_epi32(127)), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, _mm256_set1_epi32(127)), 23));
  return _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
}

/* 1 / d by the 12-bit estimate and one Newton step (~2 ulp; no divider). */
static inline __attribute__((always_inline)) __m256 tsr_v8_rcp(__m256 d) {
  const __m256 r = _mm256_rcp_ps(d);
  return _mm256_fmadd_ps(r, _mm256_fnmadd_ps(d, r, _mm256_set1_ps(1.0f)), r);
}

static inline __attribute__((always_inline)) __m256 tsr_v8_sigmoid(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return tsr_v8_rcp(_mm256_add_ps(one, tsr_v8_exp(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

/* x * sigmoid(x), cheaper than the two calls above (17 ops, the AVX-512
 * tsr_v16_silu's method): e^-x = 2^(-x log2e), n by the 1.5 * 2^23 shifter
 * and f = -x log2e - n in one FMA, 2^f (|f| <= 0.5) by a degree-5 minimax
 * polynomial, 2^n from the shifter's low bits; x clamped to [-87, 87] for
 * the sigmoid, the product with x itself (NaN stays NaN). */
static inline __attribute__((always_inline)) __m256 tsr_v8_silu(__m256 x) {
  const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(87.0f));
  const __m256 nl2e = _mm256_set1_ps(-1.44269504088896341f);
  const __m256 shifter = _mm256_set1_ps(12582912.0f);
  const __m256 t = _mm256_fmadd_ps(xc, nl2e, shifter); /* low bits: n = round(-x log2e), |n| <= 126 */
  const __m256 n = _mm256_sub_ps(t, shifter);
  const __m256 f = _mm256_fmsub_ps(xc, nl2e, n);
  __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(1.327646547e-03f), f, _mm256_set1_ps(9.675540961e-03f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.550713465e-02f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(2.402212024e-01f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(6.931469440e-01f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.000000119e+00f));
  /* 2^n: (n + 127) << 23 (t's bits are 0x4b400000 + n: the shift drops the rest) */
  const __m256 s = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(127)), 23));
  const __m256 d = _mm256_fmadd_ps(p, s, _mm256_set1_ps(1.0f)); /* 1 + e^-x */
  return _mm256_mul_ps(x, tsr_v8_rcp(d));
}

static inline __m256 tsr_v8_tanh(__m256 x) {
  const __m256 s = tsr_v8_sigmoid(_mm256_add_ps(x, x));
  return _mm256_fmsub_ps(s, _mm256_set1_ps(2.0f), _mm256_set1_ps(1.0f));
}

static inline __m256 tsr_v8_erf(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-4.0f)), _mm256_set1_ps(4.0f));
  const __m256 x2 = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-2.72614225801306e-10f);
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.77068142495902e-08f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-2.10102402082508e-06f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-5.69250639462346e-05f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-7.34990630326855e-04f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-2.95459980854025e-03f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1.60960333262415e-02f));
  __m256 q = _mm256_set1_ps(-1.45660718464996e-05f);
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-2.13374055278905e-04f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.68282697438203e-03f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-7.37332916720468e-03f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.42647390514189e-02f));
  return _mm256_mul_ps(_mm256_mul_ps(x, p), tsr_v8_rcp(q));
}

/* tsr_unary_kind |kind| with alpha, beta as UNARY defines them. */
static inline __m256 tsr_v8_act(int kind, __m256 x, __m256 alpha, __m256 beta) {
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f), half = _mm256_set1_ps(0.5f);
  switch (kind) {
    case TSR_UNARY_SILU: return tsr_v8_silu(x);
    case TSR_UNARY_GELU_TANH: {
      const __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
      const __m256 in = _mm256_mul_ps(_mm256_set1_ps(0.7978845608028654f),
                                      _mm256_fmadd_ps(x3, _mm256_set1_ps(0.044715f), x));
      return _mm256_mul_ps(_mm256_mul_ps(half, x), _mm256_add_ps(one, tsr_v8_tanh(in)));
    }
    case TSR_UNARY_GELU_ERF:
      return _mm256_mul_ps(_mm256_mul_ps(half, x),
                           _mm256_add_ps(one, tsr_v8_erf(_mm256_mul_ps(x, _mm256_set1_ps(0.7071067811865476f)))));
    case TSR_UNARY_RELU: return _mm256_max_ps(x, zero);
    case TSR_UNARY_LEAKY_RELU:
      return _mm256_blendv_ps(x, _mm256_mul_ps(x, alpha), _mm256_cmp_ps(x, zero, _CMP_LT_OQ));
    case TSR_UNARY_SIGMOID: return tsr_v8_sigmoid(x);
    case TSR_UNARY_HARD_SIGMOID: return _mm256_max_ps(zero, _mm256_min_ps(one, _mm256_fmadd_ps(alpha, x, beta)));
    case TSR_UNARY_HARD_SWISH:
      return _mm256_mul_ps(x, _mm256_max_ps(zero, _mm256_min_ps(one, _mm256_fmadd_ps(x, _mm256_set1_ps(1.0f / 6.0f), half))));
    case TSR_UNARY_TANH: return tsr_v8_tanh(x);
    case TSR_UNARY_ERF: return tsr_v8_erf(x);
    case TSR_UNARY_SQRT: return _mm256_sqrt_ps(x);
    case TSR_UNARY_EXP: return tsr_v8_exp(x);
    case TSR_UNARY_NEG: return _mm256_sub_ps(zero, x);
    case TSR_UNARY_ABS: return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    case TSR_UNARY_CLIP: return _mm256_min_ps(_mm256_max_ps(x, alpha), beta);
    case TSR_UNARY_SCALE: return _mm256_fmadd_ps(alpha, x, beta);
    default: return x;
  }
}

#endif /* TESSERA_KERNELS_VMATH_AVX2_H_ */
