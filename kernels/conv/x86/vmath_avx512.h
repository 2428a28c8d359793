/* AVX-512 f32 math for kernel epilogues and elementwise ops: exp (Cephes
 * polynomial, ~1 ulp on [-87, 88]), sigmoid, tanh, erf (rational, ~2e-7
 * absolute) and every tsr_unary_kind. Include only from files compiled with
 * -mavx512f -mavx512dq. */
#ifndef TESSERA_KERNELS_VMATH_AVX512_H_
#define TESSERA_KERNELS_VMATH_AVX512_H_

#include <immintrin.h>

#include "tessera/op.h"

static inline __m512 tsr_v16_exp(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.33654f)), _mm512_set1_ps(88.72283f));
  const __m512 fx = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(0.693359375f), x);
  x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(-2.12194440e-4f), x);
  __m512 y = _mm512_set1_ps(1.9875691500e-4f);
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.3981999507e-3f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(8.3334519073e-3f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(4.1665795894e-2f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.6666665459e-1f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(5.0000001201e-1f));
  y = _mm512_fmadd_ps(y, _mm512_mul_ps(x, x), _mm512_add_ps(x, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(y, fx);
}

/* 1 / d by the 14-bit estimate and one Newton step (~1 ulp; no divider). */
static inline __m512 tsr_v16_rcp(__m512 d) {
  const __m512 r = _mm512_rcp14_ps(d);
  return _mm512_fmadd_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(1.0f)), r);
}

static inline __m512 tsr_v16_sigmoid(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return tsr_v16_rcp(_mm512_add_ps(one, tsr_v16_exp(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

/* x * sigmoid(x), cheaper than the two calls above (15 ops, 4e-7 relative
 * for |x| < 20, 1.1e-6 beyond): e^-x = 2^(-x log2e), n by the 1.5 * 2^23
 * shifter and f = -x log2e - n in one FMA, 2^f (|f| <= 0.5) by a degree-5
 * minimax polynomial; |x| clamped to 87 for the sigmoid (vrangeps keeps the
 * sign), the product with x itself. */
static inline __m512 tsr_v16_silu(__m512 x) {
  const __m512 xc = _mm512_range_ps(x, _mm512_set1_ps(87.0f), 0x02);
  const __m512 nl2e = _mm512_set1_ps(-1.44269504088896341f);
  /* n = round(-x log2e) by the 1.5 * 2^23 shifter (|n| <= 126), f the rest */
  const __m512 shifter = _mm512_set1_ps(12582912.0f);
  const __m512 n = _mm512_sub_ps(_mm512_fmadd_ps(xc, nl2e, shifter), shifter);
  const __m512 f = _mm512_fmsub_ps(xc, nl2e, n);
  __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(1.327646547e-03f), f, _mm512_set1_ps(9.675540961e-03f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.550713465e-02f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.402212024e-01f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931469440e-01f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.000000119e+00f));
  const __m512 d = _mm512_add_ps(_mm512_scalef_ps(p, n), _mm512_set1_ps(1.0f)); /* 1 + e^-x */
  const __m512 r = _mm512_rcp14_ps(d);
  return _mm512_mul_ps(x, _mm512_fmadd_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(1.0f)), r)); /* x r (2 - d r) */
}

static inline __m512 tsr_v16_tanh(__m512 x) {
  const __m512 s = tsr_v16_sigmoid(_mm512_add_ps(x, x));
  return _mm512_fmsub_ps(s, _mm512_set1_ps(2.0f), _mm512_set1_ps(1.0f));
}

static inline __m512 tsr_v16_erf(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-4.0f)), _mm512_set1_ps(4.0f));
  const __m512 x2 = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(-2.72614225801306e-10f);
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(2.77068142495902e-08f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-2.10102402082508e-06f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-5.69250639462346e-05f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-7.34990630326855e-04f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-2.95459980854025e-03f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-1.60960333262415e-02f));
  __m512 q = _mm512_set1_ps(-1.45660718464996e-05f);
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-2.13374055278905e-04f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-1.68282697438203e-03f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-7.37332916720468e-03f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-1.42647390514189e-02f));
  return _mm512_mul_ps(_mm512_mul_ps(x, p), tsr_v16_rcp(q));
}

/* tsr_unary_kind |kind| with alpha, beta as UNARY defines them. */
static inline __m512 tsr_v16_act(int kind, __m512 x, __m512 alpha, __m512 beta) {
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f), half = _mm512_set1_ps(0.5f);
  switch (kind) {
    case TSR_UNARY_SILU: return tsr_v16_silu(x);
    case TSR_UNARY_GELU_TANH: {
      const __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
      const __m512 in = _mm512_mul_ps(_mm512_set1_ps(0.7978845608028654f),
                                      _mm512_fmadd_ps(x3, _mm512_set1_ps(0.044715f), x));
      return _mm512_mul_ps(_mm512_mul_ps(half, x), _mm512_add_ps(one, tsr_v16_tanh(in)));
    }
    case TSR_UNARY_GELU_ERF:
      return _mm512_mul_ps(_mm512_mul_ps(half, x),
                           _mm512_add_ps(one, tsr_v16_erf(_mm512_mul_ps(x, _mm512_set1_ps(0.7071067811865476f)))));
    case TSR_UNARY_RELU: return _mm512_max_ps(x, zero);
    case TSR_UNARY_LEAKY_RELU:
      return _mm512_mask_mul_ps(x, _mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ), x, alpha);
    case TSR_UNARY_SIGMOID: return tsr_v16_sigmoid(x);
    case TSR_UNARY_HARD_SIGMOID: return _mm512_max_ps(zero, _mm512_min_ps(one, _mm512_fmadd_ps(alpha, x, beta)));
    case TSR_UNARY_HARD_SWISH:
      return _mm512_mul_ps(x, _mm512_max_ps(zero, _mm512_min_ps(one, _mm512_fmadd_ps(x, _mm512_set1_ps(1.0f / 6.0f), half))));
    case TSR_UNARY_TANH: return tsr_v16_tanh(x);
    case TSR_UNARY_ERF: return tsr_v16_erf(x);
    case TSR_UNARY_SQRT: return _mm512_sqrt_ps(x);
    case TSR_UNARY_EXP: return tsr_v16_exp(x);
    case TSR_UNARY_NEG: return _mm512_sub_ps(zero, x);
    case TSR_UNARY_ABS: return _mm512_abs_ps(x);
    case TSR_UNARY_CLIP: return _mm512_min_ps(_mm512_max_ps(x, alpha), beta);
    case TSR_UNARY_SCALE: return _mm512_fmadd_ps(alpha, x, beta);
    default: return x;
  }
}

#endif /* TESSERA_KERNELS_VMATH_AVX512_H_ */
