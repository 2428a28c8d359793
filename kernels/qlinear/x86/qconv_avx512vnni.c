/* QLINEAR_CONV u8 x s8 microkernels for AVX-512 VNNI: 8x32 tile (8 output
 * channels x 32 pixels, 16 zmm int32 accumulators); one vpdpbusd per
 * k-quad, row and 16 pixels (exact, non-saturating); requantization in f32
 * with the kept lanes compressed and narrowed to bytes. */
#include <immintrin.h>
#include <string.h>

#include "qlinear/qconv.h"

static inline __attribute__((always_inline)) void q8_8x32(const int rows, size_t kq, const void *av, const uint8_t *b,
                                                          const int64_t *koff, void *cv, size_t ldc, uint64_t mask,
                                                          const tsr_qconv_ep *ep, size_t m0) {
  const uint8_t *a = av;
  __m512i acc[8][2];
  for (int r = 0; r < rows; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_si512();
  for (size_t k = 0; k < kq; ++k) {
    const uint8_t *bk = b + koff[k];
    _mm_prefetch((const char *)(b + koff[k + 8]), _MM_HINT_T0);
    _mm_prefetch((const char *)(b + koff[k + 8] + 64), _MM_HINT_T0);
    const __m512i b0 = _mm512_loadu_si512(bk), b1 = _mm512_loadu_si512(bk + 64);
    for (int r = 0; r < rows; ++r) {
      int32_t wq;
      memcpy(&wq, a + r * 4, 4);
      const __m512i w = _mm512_set1_epi32(wq);
      acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], b0, w);
      acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], b1, w);
    }
    a += 8 * 4;
  }
  if (ep->raw) {
    _mm512_storeu_si512(cv, acc[0][0]);
    _mm512_storeu_si512((int32_t *)cv + 16, acc[0][1]);
    return;
  }
  const __mmask16 mk[2] = {(__mmask16)(mask & 0xffff), (__mmask16)((mask >> 16) & 0xffff)};
  const int n0 = __builtin_popcount(mk[0]);
  const __m512 lo = _mm512_set1_ps(ep->lo), hi = _mm512_set1_ps(ep->hi);
  const __m512i yz = _mm512_set1_epi32(ep->yz);
  __m512i cs[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
  if (ep->colsum) {
    cs[0] = _mm512_loadu_si512(ep->colsum);
    cs[1] = _mm512_loadu_si512(ep->colsum + 16);
  }
  for (int r = 0; r < rows; ++r) {
    const size_t m = m0 + (size_t)r;
    const __m512i corr = _mm512_set1_epi32(ep->corr[m]);
    const __m512 mult = _mm512_set1_ps(ep->mult[m]);
    uint8_t *cr = (uint8_t *)cv + (size_t)r * ldc;
    for (int h = 0; h < 2; ++h) {
      if (mk[h] == 0) continue;
      __m512i v = _mm512_add_epi32(acc[r][h], corr);
      if (ep->colsum) v = _mm512_sub_epi32(v, _mm512_mullo_epi32(_mm512_set1_epi32(ep->wzp[m]), cs[h]));
      __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(v), mult);
      f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
      __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(f), yz);
      q = _mm512_maskz_compress_epi32(mk[h], q);
      const __m128i bytes = _mm512_cvtepi32_epi8(q);
      const int cnt = __builtin_popcount(mk[h]);
      _mm_mask_storeu_epi8(cr + (h ? n0 : 0), (__mmask16)((1u << cnt) - 1u), bytes);
    }
  }
}

#define UK(R)                                                                                                 \
  static void uk_##R(size_t kq, const void *a, const uint8_t *b, const int64_t *koff, void *c, size_t ldc,    \
                     uint64_t mask, const tsr_qconv_ep *ep, size_t m0) {                                       \
    q8_8x32(R, kq, a, b, koff, c, ldc, mask, ep, m0);                                                          \
  }
UK(1) UK(2) UK(3) UK(4) UK(5) UK(6) UK(7) UK(8)
#undef UK

static const tsr_qconv_isa kIsa = {8, 32, 1, {NULL, uk_1, uk_2, uk_3, uk_4, uk_5, uk_6, uk_7, uk_8}};

TSR_QCONV_KERNEL(tsr_qlinear_conv_u8s8_ukernel_8x32__avx512vnni, kIsa, TSR_ISA_AVX512 | TSR_ISA_AVX512VNNI)
