/* Depthwise QLINEAR_CONV for AVX2: the f32 depthwise rows (exact integer
 * sums, see qconv_dw.h) and an 8-wide requantization to bytes. */
#include <immintrin.h>

#include "qlinear/qconv_dw.h"

static void requant(const float *acc, size_t n, const uint16_t *masks, int32_t bias, float mult, int32_t yz, float lo,
                    float hi, bool y_signed, uint8_t *y) {
  (void)y_signed; /* values are already in range: truncating narrows exactly */
  const __m256i vb = _mm256_set1_epi32(bias), vz = _mm256_set1_epi32(yz);
  const __m256 vm = _mm256_set1_ps(mult), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  int32_t tmp[8];
  for (size_t q = 0; q < n; q += 8) {
    const unsigned mk = (unsigned)(masks[q / 16] >> (q % 16)) & 0xffu;
    if (mk == 0) continue;
    float in[8] = {0};
    for (size_t i = 0; i < 8 && q + i < n; ++i) in[i] = acc[q + i];
    const __m256i s = _mm256_add_epi32(_mm256_cvttps_epi32(_mm256_loadu_ps(in)), vb);
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(s), vm);
    f = _mm256_min_ps(_mm256_max_ps(f, vlo), vhi);
    _mm256_storeu_si256((__m256i *)tmp, _mm256_add_epi32(_mm256_cvtps_epi32(f), vz));
    for (int i = 0; i < 8; ++i) {
      if ((mk >> i) & 1u) *y++ = (uint8_t)tmp[i];
    }
  }
}

TSR_QCONV_DW_KERNEL(tsr_qlinear_conv_q8_ukernel_dw_4x16__avx2, tsr_conv_dw_rows_f32__avx2, requant, TSR_ISA_AVX2)
