/* QLINEAR_CONV u8 x s8 microkernels for AVX-512 VNNI: 8x32 tile (8 output
 * channels x 32 pixels, 16 zmm int32 accumulators); one vpdpbusd per
 * k-quad, row and 16 pixels (exact, non-saturating); requantization in f32
 * with the kept lanes compressed (only when some lane is dropped) and
 * narrowed to bytes. A strip whose upper 16 pixels are all dropped runs a
 * 16-pixel loop (half the work: the tails of 7x7 and 14x14 planes).
 *
 * The accumulators are named variables (not an array) so that the compiler
 * keeps all 16 in registers. */
#include <immintrin.h>
#include <string.h>

#include "qlinear/qconv.h"

#define QV_AI __attribute__((always_inline))

static inline QV_AI __m512i bcast_q(const uint8_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

/* Requantizes 16 sums (corr included) of row m (lanes |mk|, compressed) to bytes at |dst|. */
static inline QV_AI void store16(__m512i acc, __m512i cs, bool has_cs, const tsr_qconv_ep *ep, size_t m,
                                 __mmask16 mk, __m512 lo, __m512 hi, __m512i yz, uint8_t *dst) {
  __m512i v = acc; /* includes corr[m] */
  if (has_cs) v = _mm512_sub_epi32(v, _mm512_mullo_epi32(_mm512_set1_epi32(ep->wzp[m]), cs));
  __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(v), _mm512_set1_ps(ep->mult[m]));
  f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
  __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(f), yz);
  if (mk == 0xffff) {
    _mm_storeu_si128((__m128i *)dst, _mm512_cvtepi32_epi8(q));
  } else {
    q = _mm512_maskz_compress_epi32(mk, q);
    const int cnt = __builtin_popcount(mk);
    _mm_mask_storeu_epi8(dst, (__mmask16)((1u << cnt) - 1u), _mm512_cvtepi32_epi8(q));
  }
}

#define QV_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

static inline QV_AI void q8_8x32(const int rows, size_t kq, const void *av, const uint8_t *b, const int64_t *koff,
                                 void *cv, size_t ldc, uint64_t mask, const tsr_qconv_ep *ep, size_t m0) {
  const uint8_t *a = av;
  /* the sums start at corr[m] (wrapping int32: the same as adding it last) */
#define QV_DECL(r)                                                                                            \
  __m512i c##r##0 = _mm512_setzero_si512();                                                                   \
  if (rows > r && !ep->raw) c##r##0 = _mm512_set1_epi32(ep->corr[m0 + r]);                                   \
  __m512i c##r##1 = c##r##0;
  QV_ROWS(QV_DECL)
#undef QV_DECL
  const bool half = (mask >> 16) == 0 && !ep->raw;
  if (half) {
    for (size_t k = 0; k < kq; ++k) {
      const __m512i b0 = _mm512_loadu_si512(b + koff[k]);
#define QV_STEP(r)                                                                                            \
  if (rows > r) c##r##0 = _mm512_dpbusd_epi32(c##r##0, b0, bcast_q(a + 4 * r));
      QV_ROWS(QV_STEP)
#undef QV_STEP
      a += 8 * 4;
    }
  } else {
    for (size_t k = 0; k < kq; ++k) {
      const uint8_t *bk = b + koff[k];
      _mm_prefetch((const char *)(b + koff[k + 8]), _MM_HINT_T0);
      const __m512i b0 = _mm512_loadu_si512(bk), b1 = _mm512_loadu_si512(bk + 64);
#define QV_STEP(r)                                                                                            \
  if (rows > r) {                                                                                             \
    const __m512i w = bcast_q(a + 4 * r);                                                                     \
    c##r##0 = _mm512_dpbusd_epi32(c##r##0, b0, w);                                                            \
    c##r##1 = _mm512_dpbusd_epi32(c##r##1, b1, w);                                                            \
  }
      QV_ROWS(QV_STEP)
#undef QV_STEP
      a += 8 * 4;
    }
  }
  if (ep->raw) {
    _mm512_storeu_si512(cv, c00);
    _mm512_storeu_si512((int32_t *)cv + 16, c01);
    return;
  }
  const __mmask16 mk0 = (__mmask16)(mask & 0xffff), mk1 = (__mmask16)((mask >> 16) & 0xffff);
  const int n0 = __builtin_popcount(mk0);
  const __m512 lo = _mm512_set1_ps(ep->lo), hi = _mm512_set1_ps(ep->hi);
  const __m512i yz = _mm512_set1_epi32(ep->yz);
  const bool has_cs = ep->colsum != NULL;
  __m512i cs0 = _mm512_setzero_si512(), cs1 = _mm512_setzero_si512();
  if (has_cs) {
    cs0 = _mm512_loadu_si512(ep->colsum);
    if (!half) cs1 = _mm512_loadu_si512(ep->colsum + 16);
  }
  uint8_t *c = cv;
#define QV_OUT(r)                                                                                             \
  if (rows > r) {                                                                                             \
    uint8_t *cr = c + (size_t)r * ldc;                                                                        \
    if (mk0) store16(c##r##0, cs0, has_cs, ep, m0 + r, mk0, lo, hi, yz, cr);                                  \
    if (mk1) store16(c##r##1, cs1, has_cs, ep, m0 + r, mk1, lo, hi, yz, cr + n0);                             \
  }
  QV_ROWS(QV_OUT)
#undef QV_OUT
}

static inline QV_AI __mmask64 bytes_mask(size_t k) { return k >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << k) - 1); }

/* 64 bytes p[0], p[sw], ..., p[63 sw] (sw 1 or 2), reading only the first
 * |left| of them (the rest are 0). */
static inline QV_AI __m512i load64(const uint8_t *p, size_t sw, size_t left) {
  if (sw == 1) return _mm512_maskz_loadu_epi8(bytes_mask(left), p);
  const size_t need = 2 * left - 1; /* bytes up to the last even one */
  const __m512i m = _mm512_set1_epi16(0x00ff);
  const __m512i lo = _mm512_and_si512(_mm512_maskz_loadu_epi8(bytes_mask(need), p), m);
  const __m512i hi = _mm512_and_si512(_mm512_maskz_loadu_epi8(bytes_mask(need > 64 ? need - 64 : 0), p + 64), m);
  /* packus interleaves the 128-bit lanes of lo and hi: put them back */
  return _mm512_permutexvar_epi64(_mm512_set_epi64(7, 5, 3, 1, 6, 4, 2, 0), _mm512_packus_epi16(lo, hi));
}

static void quad(const uint8_t *const s[4], size_t n, size_t sw, uint32_t flip4, uint8_t *d) {
  if (sw > 2) {
    tsr_qconv_quad__scalar(s, n, sw, flip4, d);
    return;
  }
  const __m512i fl = _mm512_set1_epi32((int)flip4);
  for (size_t t = 0; t < n; t += 64) {
    const size_t left = n - t < 64 ? n - t : 64;
    const __m512i v0 = load64(s[0] + t * sw, sw, left), v1 = load64(s[1] + t * sw, sw, left);
    const __m512i v2 = load64(s[2] + t * sw, sw, left), v3 = load64(s[3] + t * sw, sw, left);
    const __m512i ab0 = _mm512_unpacklo_epi8(v0, v1), ab1 = _mm512_unpackhi_epi8(v0, v1);
    const __m512i cd0 = _mm512_unpacklo_epi8(v2, v3), cd1 = _mm512_unpackhi_epi8(v2, v3);
    /* q[j] lane L: pixels 16 L + 4 j .. + 3 */
    const __m512i q0 = _mm512_unpacklo_epi16(ab0, cd0), q1 = _mm512_unpackhi_epi16(ab0, cd0);
    const __m512i q2 = _mm512_unpacklo_epi16(ab1, cd1), q3 = _mm512_unpackhi_epi16(ab1, cd1);
    const __m512i t0 = _mm512_shuffle_i32x4(q0, q1, 0x44), t1 = _mm512_shuffle_i32x4(q2, q3, 0x44);
    const __m512i t2 = _mm512_shuffle_i32x4(q0, q1, 0xee), t3 = _mm512_shuffle_i32x4(q2, q3, 0xee);
    __m512i o[4];
    o[0] = _mm512_xor_si512(_mm512_shuffle_i32x4(t0, t1, 0x88), fl);
    o[1] = _mm512_xor_si512(_mm512_shuffle_i32x4(t0, t1, 0xdd), fl);
    o[2] = _mm512_xor_si512(_mm512_shuffle_i32x4(t2, t3, 0x88), fl);
    o[3] = _mm512_xor_si512(_mm512_shuffle_i32x4(t2, t3, 0xdd), fl);
    uint8_t *dt = d + t * 4;
    if (left == 64) {
      for (int j = 0; j < 4; ++j) _mm512_storeu_si512(dt + 64 * j, o[j]);
    } else {
      for (size_t j = 0; j * 16 < left; ++j) {
        const size_t px = left - j * 16 < 16 ? left - j * 16 : 16;
        _mm512_mask_storeu_epi8(dt + 64 * j, bytes_mask(px * 4), o[j]);
      }
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

static const tsr_qconv_isa kIsa = {8, 32, 1, {NULL, uk_1, uk_2, uk_3, uk_4, uk_5, uk_6, uk_7, uk_8}, quad};

TSR_QCONV_KERNEL(tsr_qlinear_conv_u8s8_ukernel_8x32__avx512vnni, kIsa, TSR_ISA_AVX512 | TSR_ISA_AVX512VNNI)
