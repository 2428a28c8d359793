/* Depthwise QLINEAR_CONV for AVX-512: the f32 depthwise rows (exact integer
 * sums, see qconv_dw.h) and a 16-wide requantization to bytes. */
#include <immintrin.h>

#include "qlinear/qconv_dw.h"

static void requant(const float *acc, size_t n, const uint16_t *masks, int32_t bias, float mult, int32_t yz, float lo,
                    float hi, bool y_signed, uint8_t *y) {
  (void)y_signed; /* values are already in range: truncating narrows exactly */
  const __m512i vb = _mm512_set1_epi32(bias), vz = _mm512_set1_epi32(yz);
  const __m512 vm = _mm512_set1_ps(mult), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  for (size_t q = 0; q < n; q += 16) {
    const __mmask16 mk = masks[q / 16];
    if (mk == 0) continue;
    const __m512i s = _mm512_add_epi32(_mm512_cvttps_epi32(_mm512_maskz_loadu_ps(mk, acc + q)), vb);
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(s), vm);
    f = _mm512_min_ps(_mm512_max_ps(f, vlo), vhi);
    const __m512i v = _mm512_maskz_compress_epi32(mk, _mm512_add_epi32(_mm512_cvtps_epi32(f), vz));
    const int cnt = __builtin_popcount(mk);
    _mm_mask_storeu_epi8(y, (__mmask16)((1u << cnt) - 1u), _mm512_cvtepi32_epi8(v));
    y += cnt;
  }
}

static void cvt(const uint8_t *x, size_t n, size_t sw, bool x_signed, float fz, float *d) {
  if (sw > 2) {
    tsr_qdw_cvt__scalar(x, n, sw, x_signed, fz, d);
    return;
  }
  const __m512 vz = _mm512_set1_ps(fz);
  for (size_t t = 0; t < n; t += 16) {
    const size_t left = n - t < 16 ? n - t : 16;
    const __mmask16 mk = (__mmask16)((1u << left) - 1u);
    __m512i v;
    if (sw == 1) {
      const __m128i b = _mm_maskz_loadu_epi8(mk, x + t);
      v = x_signed ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
    } else { /* even bytes of 2 left - 1 */
      const __m256i b = _mm256_maskz_loadu_epi8((__mmask32)(((uint64_t)1 << (2 * left - 1)) - 1u), x + 2 * t);
      const __m256i w = x_signed ? _mm256_srai_epi16(_mm256_slli_epi16(b, 8), 8) : _mm256_and_si256(b, _mm256_set1_epi16(0xff));
      v = _mm512_cvtepi16_epi32(w);
    }
    _mm512_mask_storeu_ps(d + t, mk, _mm512_sub_ps(_mm512_cvtepi32_ps(v), vz));
  }
}

TSR_QCONV_DW_KERNEL(tsr_qlinear_conv_q8_ukernel_dw_4x32__avx512, tsr_conv_dw_rows_f32__avx512, requant, cvt,
                    TSR_ISA_AVX512)
