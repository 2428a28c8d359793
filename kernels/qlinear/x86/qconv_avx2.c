/* QLINEAR_CONV u8 x s8 microkernels for AVX2: 6x8 tile; each k-quad of 4
 * pixels is widened to s16 and multiplied by the s16 weight quad with
 * vpmaddwd (exact: no vpmaddubsw int16 saturation), pair sums folded at the
 * end; requantization in f32. */
#include <immintrin.h>
#include <string.h>

#include "qlinear/qconv.h"

static inline __attribute__((always_inline)) void q8_6x8(const int rows, size_t kq, const void *av, const uint8_t *b,
                                                         const int64_t *koff, void *cv, size_t ldc, uint64_t mask,
                                                         const tsr_qconv_ep *ep, size_t m0) {
  const uint8_t *a = av;
  __m256i acc[6][2];
  for (int r = 0; r < rows; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  for (size_t k = 0; k < kq; ++k) {
    const uint8_t *bk = b + koff[k];
    const __m256i b0 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)bk));
    const __m256i b1 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(bk + 16)));
    for (int r = 0; r < rows; ++r) {
      int64_t wq;
      memcpy(&wq, a + r * 8, 8);
      const __m256i w = _mm256_set1_epi64x(wq);
      acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(b0, w));
      acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(b1, w));
    }
    a += 6 * 8;
  }
  int32_t tmp[8];
  if (ep->raw) {
    const __m256i s = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[0][0], acc[0][1]), 0xd8);
    _mm256_storeu_si256((__m256i *)cv, s);
    return;
  }
  const __m256 lo = _mm256_set1_ps(ep->lo), hi = _mm256_set1_ps(ep->hi);
  const __m256i yz = _mm256_set1_epi32(ep->yz);
  const __m256i cs = ep->colsum ? _mm256_loadu_si256((const __m256i *)ep->colsum) : _mm256_setzero_si256();
  for (int r = 0; r < rows; ++r) {
    const size_t m = m0 + (size_t)r;
    __m256i v = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[r][0], acc[r][1]), 0xd8);
    v = _mm256_add_epi32(v, _mm256_set1_epi32(ep->corr[m]));
    if (ep->colsum) v = _mm256_sub_epi32(v, _mm256_mullo_epi32(_mm256_set1_epi32(ep->wzp[m]), cs));
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(v), _mm256_set1_ps(ep->mult[m]));
    f = _mm256_min_ps(_mm256_max_ps(f, lo), hi);
    _mm256_storeu_si256((__m256i *)tmp, _mm256_add_epi32(_mm256_cvtps_epi32(f), yz));
    uint8_t *cr = (uint8_t *)cv + (size_t)r * ldc;
    size_t o = 0;
    for (int q = 0; q < 8; ++q) {
      if ((mask >> q) & 1u) cr[o++] = (uint8_t)tmp[q];
    }
  }
}

#define UK(R)                                                                                                 \
  static void uk_##R(size_t kq, const void *a, const uint8_t *b, const int64_t *koff, void *c, size_t ldc,    \
                     uint64_t mask, const tsr_qconv_ep *ep, size_t m0) {                                       \
    q8_6x8(R, kq, a, b, koff, c, ldc, mask, ep, m0);                                                           \
  }
UK(1) UK(2) UK(3) UK(4) UK(5) UK(6)
#undef UK

static const tsr_qconv_isa kIsa = {6, 8, 2, {NULL, uk_1, uk_2, uk_3, uk_4, uk_5, uk_6, NULL, NULL}};

TSR_QCONV_KERNEL(tsr_qlinear_conv_u8s8_ukernel_6x8__avx2, kIsa, TSR_ISA_AVX2)
