/* Depthwise QLINEAR_CONV for AVX2: the f32 depthwise rows (exact integer
 * sums, see qconv_dw.h) and an 8-wide requantization to bytes. */
#include <immintrin.h>

#include "qlinear/qconv_dw.h"

static void requant(const float *acc, size_t n, const uint16_t *masks, int32_t bias, float mult, int32_t yz, float lo,
                    float hi, bool y_signed, uint8_t *y) {
  /* values are in range after the clamp: saturating packs narrow exactly */
  const __m256i vb = _mm256_set1_epi32(bias), vz = _mm256_set1_epi32(yz);
  const __m256 vm = _mm256_set1_ps(mult), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  for (size_t q = 0; q < n; q += 8) {
    const unsigned mk = (unsigned)(masks[q / 16] >> (q % 16)) & 0xffu;
    if (mk == 0) continue;
    __m256 a;
    if (q + 8 <= n) {
      a = _mm256_loadu_ps(acc + q);
    } else {
      float in[8] = {0};
      for (size_t i = 0; q + i < n; ++i) in[i] = acc[q + i];
      a = _mm256_loadu_ps(in);
    }
    const __m256i s = _mm256_add_epi32(_mm256_cvttps_epi32(a), vb);
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(s), vm);
    f = _mm256_min_ps(_mm256_max_ps(f, vlo), vhi);
    const __m256i v = _mm256_add_epi32(_mm256_cvtps_epi32(f), vz);
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    const __m128i b = y_signed ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w);
    if (mk == 0xffu) {
      _mm_storel_epi64((__m128i *)(void *)y, b);
      y += 8;
      continue;
    }
    uint8_t tmp[16];
    _mm_storeu_si128((__m128i *)(void *)tmp, b);
    for (unsigned m = mk; m; m &= m - 1) *y++ = tmp[__builtin_ctz(m)];
  }
}

static void cvt(const uint8_t *x, size_t n, size_t sw, bool x_signed, float fz, float *d) {
  size_t t = 0;
  const __m256 vz = _mm256_set1_ps(fz);
  if (sw == 1) {
    for (; t + 8 <= n; t += 8) {
      const __m128i b = _mm_loadl_epi64((const __m128i *)(x + t));
      const __m256i v = x_signed ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
      _mm256_storeu_ps(d + t, _mm256_sub_ps(_mm256_cvtepi32_ps(v), vz));
    }
  } else if (sw == 2) {
    for (; t + 9 <= n; t += 8) { /* reads x[2t .. 2t + 15]: one past the last needed byte */
      const __m128i b = _mm_loadu_si128((const __m128i *)(x + 2 * t));
      const __m128i w = x_signed ? _mm_srai_epi16(_mm_slli_epi16(b, 8), 8) : _mm_and_si128(b, _mm_set1_epi16(0xff));
      _mm256_storeu_ps(d + t, _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(w)), vz));
    }
  }
  if (t < n) tsr_qdw_cvt__scalar(x + t * sw, n - t, sw, x_signed, fz, d + t);
}

TSR_QCONV_DW_KERNEL(tsr_qlinear_conv_q8_ukernel_dw_4x16__avx2, tsr_conv_dw_rows_f32__avx2, requant, cvt, TSR_ISA_AVX2)
