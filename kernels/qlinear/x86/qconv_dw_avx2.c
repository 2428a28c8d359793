/* Depthwise QLINEAR_CONV for AVX2: the f32 depthwise rows (exact integer
 * sums, see qconv_dw.h) and an 8-wide requantization to bytes. */
#include <immintrin.h>

#include "qlinear/qconv_dw.h"

static void requant(const float *acc, size_t n, int32_t bias, float mult, int32_t yz, float lo, float hi, bool y_signed,
                    uint8_t *y) {
  const __m256i vb = _mm256_set1_epi32(bias), vz = _mm256_set1_epi32(yz);
  const __m256 vm = _mm256_set1_ps(mult), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  size_t q = 0;
  for (; q + 8 <= n; q += 8) {
    const __m256i s = _mm256_add_epi32(_mm256_cvttps_epi32(_mm256_loadu_ps(acc + q)), vb);
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(s), vm);
    f = _mm256_min_ps(_mm256_max_ps(f, vlo), vhi);
    const __m256i v = _mm256_add_epi32(_mm256_cvtps_epi32(f), vz);
    /* in range already: pack with saturation is exact */
    const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    const __m128i b8 = y_signed ? _mm_packs_epi16(w16, w16) : _mm_packus_epi16(w16, w16);
    _mm_storel_epi64((__m128i *)(y + q), b8);
  }
  if (q < n) tsr_qdw_requant__scalar(acc + q, n - q, bias, mult, yz, lo, hi, y_signed, y + q);
}

TSR_QCONV_DW_KERNEL(tsr_qlinear_conv_q8_ukernel_dw_4x16__avx2, tsr_conv_dw_rows_f32__avx2, requant, TSR_ISA_AVX2)
