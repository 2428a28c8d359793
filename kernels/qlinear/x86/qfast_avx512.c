/* Quantize, dequantize and quantized add / mul rows for AVX-512 (F, BW):
 * 16 elements per step with the reference's f32 arithmetic. */
#include <immintrin.h>

#include "qlinear/qfast.h"

static inline __m512i load16_q8(const uint8_t *p, bool is_signed, __mmask16 mk) {
  const __m128i v = _mm_maskz_loadu_epi8(mk, p);
  return is_signed ? _mm512_cvtepi8_epi32(v) : _mm512_cvtepu8_epi32(v);
}

static inline __mmask16 tail16(size_t left) { return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u); }

/* saturate(rint(v) + zp) stored as bytes (the f32 clamp of qlinear.h) */
static inline void store16_q(uint8_t *y, __m512 v, __m512 lo, __m512 hi, __m512i zp, __mmask16 mk) {
  v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
  _mm_mask_storeu_epi8(y, mk, _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(v), zp)));
}

static void quantize(const float *x, uint8_t *y, size_t n, float scale, int32_t zp, bool y_signed) {
  const __m512 s = _mm512_set1_ps(scale);
  const __m512 lo = _mm512_set1_ps((float)((y_signed ? -128 : 0) - zp)), hi = _mm512_set1_ps((float)((y_signed ? 127 : 255) - zp));
  const __m512i z = _mm512_set1_epi32(zp);
  size_t i = 0;
  /* 64 at a time: the clamped values fit 8 bits, so the saturating packs
   * are exact; the packs interleave dwords 4x4 per 128-bit lane */
  const __m512i order = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
  for (; i + 64 <= n; i += 64) {
    __m512i q[4];
    for (int j = 0; j < 4; ++j) {
      const __m512 v = _mm512_min_ps(_mm512_max_ps(_mm512_div_ps(_mm512_loadu_ps(x + i + 16 * j), s), lo), hi);
      q[j] = _mm512_add_epi32(_mm512_cvtps_epi32(v), z);
    }
    const __m512i ab = _mm512_packs_epi32(q[0], q[1]), cd = _mm512_packs_epi32(q[2], q[3]);
    const __m512i p = y_signed ? _mm512_packs_epi16(ab, cd) : _mm512_packus_epi16(ab, cd);
    _mm512_storeu_si512(y + i, _mm512_permutexvar_epi32(order, p));
  }
  for (; i < n; i += 16) {
    const __mmask16 mk = tail16(n - i);
    store16_q(y + i, _mm512_div_ps(_mm512_maskz_loadu_ps(mk, x + i), s), lo, hi, z, mk);
  }
}

static void dequantize(const uint8_t *x, bool x_signed, float *y, size_t n, float scale, int32_t zp) {
  const __m512 s = _mm512_set1_ps(scale);
  const __m512i z = _mm512_set1_epi32(zp);
  size_t i = 0;
  for (; i + 64 <= n; i += 64) { /* unmasked steps */
    for (size_t j = 0; j < 64; j += 16) {
      const __m128i b = _mm_loadu_si128((const __m128i *)(x + i + j));
      const __m512i q = _mm512_sub_epi32(x_signed ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b), z);
      _mm512_storeu_ps(y + i + j, _mm512_mul_ps(_mm512_cvtepi32_ps(q), s));
    }
  }
  for (; i < n; i += 16) {
    const __mmask16 mk = tail16(n - i);
    const __m512i q = _mm512_sub_epi32(load16_q8(x + i, x_signed, mk), z);
    _mm512_mask_storeu_ps(y + i, mk, _mm512_mul_ps(_mm512_cvtepi32_ps(q), s));
  }
}

static void binary(const uint8_t *a, bool a_signed, const uint8_t *b, bool b_signed, size_t b_inc, uint8_t *y,
                   bool y_signed, size_t n, const float *s, const int32_t *z, bool mul) {
  const __m512 sa = _mm512_set1_ps(s[0]), sb = _mm512_set1_ps(s[1]), sy = _mm512_set1_ps(s[2]);
  const __m512i za = _mm512_set1_epi32(z[0]), zb = _mm512_set1_epi32(z[1]), zy = _mm512_set1_epi32(z[2]);
  const __m512 lo = _mm512_set1_ps((float)((y_signed ? -128 : 0) - z[2])), hi = _mm512_set1_ps((float)((y_signed ? 127 : 255) - z[2]));
  __m512 vb_scalar = _mm512_setzero_ps();
  if (b_inc == 0) vb_scalar = _mm512_mul_ps(sb, _mm512_set1_ps((float)((b_signed ? (int32_t)(int8_t)b[0] : (int32_t)b[0]) - z[1])));
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 mk = tail16(n - i);
    const __m512 va = _mm512_mul_ps(sa, _mm512_cvtepi32_ps(_mm512_sub_epi32(load16_q8(a + i, a_signed, mk), za)));
    const __m512 vb = b_inc ? _mm512_mul_ps(sb, _mm512_cvtepi32_ps(_mm512_sub_epi32(load16_q8(b + i, b_signed, mk), zb)))
                            : vb_scalar;
    store16_q(y + i, _mm512_div_ps(mul ? _mm512_mul_ps(va, vb) : _mm512_add_ps(va, vb), sy), lo, hi, zy, mk);
  }
}

static const tsr_qrow_isa kIsa = {quantize, dequantize, binary, NULL};
TSR_QELTWISE_KERNEL(tsr_quantize_linear_f32_q8_ukernel_u64__avx512, TSR_OP_QUANTIZE_LINEAR, kIsa, TSR_ISA_AVX512)
TSR_QELTWISE_KERNEL(tsr_dequantize_linear_q8_f32_ukernel_u64__avx512, TSR_OP_DEQUANTIZE_LINEAR, kIsa, TSR_ISA_AVX512)
TSR_QELTWISE_KERNEL(tsr_qlinear_binary_q8_ukernel_u16__avx512, TSR_OP_QLINEAR_BINARY, kIsa, TSR_ISA_AVX512)
