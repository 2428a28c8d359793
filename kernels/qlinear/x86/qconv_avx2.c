/* QLINEAR_CONV u8 x s8 microkernels for AVX2: 6x8 tile; each k-quad of 4
 * pixels is widened to s16 and multiplied by the s16 weight quad with
 * vpmaddwd (exact: no vpmaddubsw int16 saturation), pair sums folded at the
 * end; requantization in f32. */
#include <immintrin.h>
#include <string.h>

#include "qlinear/qconv.h"

/* Every loop over the tile's rows fully unrolled: a rolled one makes the
 * accumulator array addressable, and GCC then stores it to the stack on
 * every k step. */
/* Sanitizer builds leave the unrolling to the compiler: forced unrolling
 * with ASan instrumentation took clang 14 minutes per file. */
#ifdef TSR_SANITIZE_BUILD
#define TSR_UNROLL
#else
#define TSR_UNROLL _Pragma("GCC unroll 8")
#endif

static inline __attribute__((always_inline)) void q8_6x8(const int rows, size_t kq, const void *av, const uint8_t *b,
                                                         const int64_t *koff, void *cv, size_t ldc, uint64_t mask,
                                                         const tsr_qconv_ep *ep, size_t m0) {
  const uint8_t *a = av;
  __m256i acc[6][2];
  TSR_UNROLL
  for (int r = 0; r < rows; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  for (size_t k = 0; k < kq; ++k) {
    const uint8_t *bk = b + koff[k];
    const __m256i b0 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)bk));
    const __m256i b1 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(bk + 16)));
    TSR_UNROLL
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
  TSR_UNROLL
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
    TSR_UNROLL
    for (int q = 0; q < 8; ++q) {
      if ((mask >> q) & 1u) cr[o++] = (uint8_t)tmp[q];
    }
  }
}

/* 16 bytes p[0], p[2], ..., p[30] (reads p[0..31]) */
static inline __m128i even16(const uint8_t *p) {
  const __m128i m = _mm_set1_epi16(0x00ff);
  return _mm_packus_epi16(_mm_and_si128(_mm_loadu_si128((const __m128i *)p), m),
                          _mm_and_si128(_mm_loadu_si128((const __m128i *)(p + 16)), m));
}

static void quad(const uint8_t *const s[4], size_t n, size_t sw, uint32_t flip4, uint8_t *d) {
  size_t t = 0;
  if (sw <= 2) {
    const __m128i fl = _mm_set1_epi32((int)flip4);
    /* stride 2 reads one byte past the last pixel of a step: stop early */
    for (; t + 16 + (sw == 2) <= n; t += 16) {
      __m128i v0, v1, v2, v3;
      if (sw == 1) {
        v0 = _mm_loadu_si128((const __m128i *)(s[0] + t));
        v1 = _mm_loadu_si128((const __m128i *)(s[1] + t));
        v2 = _mm_loadu_si128((const __m128i *)(s[2] + t));
        v3 = _mm_loadu_si128((const __m128i *)(s[3] + t));
      } else {
        v0 = even16(s[0] + 2 * t);
        v1 = even16(s[1] + 2 * t);
        v2 = even16(s[2] + 2 * t);
        v3 = even16(s[3] + 2 * t);
      }
      const __m128i ab0 = _mm_unpacklo_epi8(v0, v1), ab1 = _mm_unpackhi_epi8(v0, v1);
      const __m128i cd0 = _mm_unpacklo_epi8(v2, v3), cd1 = _mm_unpackhi_epi8(v2, v3);
      uint8_t *dt = d + t * 4;
      _mm_storeu_si128((__m128i *)dt, _mm_xor_si128(_mm_unpacklo_epi16(ab0, cd0), fl));
      _mm_storeu_si128((__m128i *)(dt + 16), _mm_xor_si128(_mm_unpackhi_epi16(ab0, cd0), fl));
      _mm_storeu_si128((__m128i *)(dt + 32), _mm_xor_si128(_mm_unpacklo_epi16(ab1, cd1), fl));
      _mm_storeu_si128((__m128i *)(dt + 48), _mm_xor_si128(_mm_unpackhi_epi16(ab1, cd1), fl));
    }
  }
  if (t < n) {
    const uint8_t *r[4] = {s[0] + t * sw, s[1] + t * sw, s[2] + t * sw, s[3] + t * sw};
    tsr_qconv_quad__scalar(r, n - t, sw, flip4, d + t * 4);
  }
}

#define UK(R)                                                                                                 \
  static void uk_##R(size_t kq, const void *a, const uint8_t *b, const int64_t *koff, void *c, size_t ldc,    \
                     uint64_t mask, const tsr_qconv_ep *ep, size_t m0) {                                       \
    q8_6x8(R, kq, a, b, koff, c, ldc, mask, ep, m0);                                                           \
  }
UK(1) UK(2) UK(3) UK(4) UK(5) UK(6)
#undef UK

static const tsr_qconv_isa kIsa = {6, 8, 2, {NULL, uk_1, uk_2, uk_3, uk_4, uk_5, uk_6, NULL, NULL}, quad};

TSR_QCONV_KERNEL(tsr_qlinear_conv_u8s8_ukernel_6x8__avx2, kIsa, TSR_ISA_AVX2)
