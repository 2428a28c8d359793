/* x86 quantized-matmul ukernels over the packed layout P(QX_W) (qmm.h): one
 * 32-bit SIMD lane per weight row, 4 consecutive k per lane word, the 4
 * matching activation bytes broadcast to every lane; one integer dot
 * instruction per lane word (vpdpbusd with VNNI, else pmaddubsw + pmaddwd),
 * f32 scaling once per 32-element block (16 for q6_k). An MR x QX_W tile
 * keeps MR f32 accumulators; each weight vector is unpacked once and used
 * for the MR activation rows. With VNNI, q4_0 and q8_0 use MR x 2 QX_W
 * tiles over inline-packed P(2 QX_W) groups (q4_0 two rows per byte, see
 * q4_0p_tile): decode streams them at a fraction of the instructions.
 *
 * Included by one file per ISA after defining:
 *   QX_W     16 (AVX-512) or 8 (AVX2): lanes = packed rows per group
 *   QX_VNNI  1: vpdpbusd (EVEX with QX_W 16, VEX AVX-VNNI with 8);
 *            0: pmaddubsw + pmaddwd
 *   QX_NAME(x) x##_<isa>: names of the file's static functions
 * Determinism: every output lane accumulates its blocks in order with the
 * same operations whatever MR, so tiles and threads never change a bit. */
#include <immintrin.h>
#include <string.h>

#include "matmul/qmm.h"

#define QX_INLINE static inline __attribute__((always_inline))

#if QX_W == 16
typedef __m512i qx_vi;
typedef __m512 qx_vf;
#define VLOAD(p) _mm512_loadu_si512((const void *)(p))
#define VAND _mm512_and_si512
#define VOR _mm512_or_si512
#define VSRLI16 _mm512_srli_epi16
#define VSLLI16 _mm512_slli_epi16
#define VSET8(x) _mm512_set1_epi8((char)(x))
#define VSET32(x) _mm512_set1_epi32(x)
#define VZERO() _mm512_setzero_si512()
#define VSUB32 _mm512_sub_epi32
#define VADD32 _mm512_add_epi32
#define VSRAI32 _mm512_srai_epi32
#define VADD16 _mm512_add_epi16
#define VMADDUBS _mm512_maddubs_epi16
#define VWIDEN(x) _mm512_madd_epi16((x), _mm512_set1_epi16(1))
#define VFZERO() _mm512_setzero_ps()
#define VCVT(x) _mm512_cvtepi32_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VFNMA(a, b, c) _mm512_fnmadd_ps(a, b, c)
#define VMULF _mm512_mul_ps
#define VSETF _mm512_set1_ps
#define VSTOREF _mm512_storeu_ps
#define VLOADH(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(p)))
#define VLOADU8F(p) _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(p))))
#define VLOADI8F(p) _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(p))))
#define VABS8 _mm512_abs_epi8
#define VSIGN8(a, w) _mm512_mask_sub_epi8((a), _mm512_movepi8_mask(w), _mm512_setzero_si512(), (a))
#if QX_VNNI
#define VDOT(acc, u, s) _mm512_dpbusd_epi32((acc), (u), (s))
#else
#define VDOT(acc, u, s) _mm512_add_epi32((acc), _mm512_madd_epi16(_mm512_maddubs_epi16((u), (s)), _mm512_set1_epi16(1)))
#endif
#elif QX_W == 8
typedef __m256i qx_vi;
typedef __m256 qx_vf;
#define VLOAD(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define VAND _mm256_and_si256
#define VOR _mm256_or_si256
#define VSRLI16 _mm256_srli_epi16
#define VSLLI16 _mm256_slli_epi16
#define VSET8(x) _mm256_set1_epi8((char)(x))
#define VSET32(x) _mm256_set1_epi32(x)
#define VZERO() _mm256_setzero_si256()
#define VSUB32 _mm256_sub_epi32
#define VADD32 _mm256_add_epi32
#define VSRAI32 _mm256_srai_epi32
#define VADD16 _mm256_add_epi16
#define VMADDUBS _mm256_maddubs_epi16
#define VWIDEN(x) _mm256_madd_epi16((x), _mm256_set1_epi16(1))
#define VFZERO() _mm256_setzero_ps()
#define VCVT(x) _mm256_cvtepi32_ps(x)
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VFNMA(a, b, c) _mm256_fnmadd_ps(a, b, c)
#define VMULF _mm256_mul_ps
#define VSETF _mm256_set1_ps
#define VSTOREF _mm256_storeu_ps
#define VLOADH(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#define VLOADU8F(p) _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(p))))
#define VLOADI8F(p) _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(p))))
#define VABS8 _mm256_abs_epi8
#define VSIGN8(a, w) _mm256_sign_epi8((a), (w))
#if QX_VNNI
#define VDOT(acc, u, s) _mm256_dpbusd_avx_epi32((acc), (u), (s))
#else
#define VDOT(acc, u, s) _mm256_add_epi32((acc), _mm256_madd_epi16(_mm256_maddubs_epi16((u), (s)), _mm256_set1_epi16(1)))
#endif
#else
#error "QX_W must be 8 or 16"
#endif

/* The 4 activation bytes at |p| in every lane. */
QX_INLINE qx_vi bcast4(const int8_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return VSET32(v);
}

QX_INLINE size_t qx_align64(size_t n) { return (n + 63) & ~(size_t)63; }

/* Software prefetch of the weight stream kQxPrefetch bytes ahead, one line
 * per 64 bytes of |n|: decode is bound by memory, and the hardware
 * streamers stop at every 4 KiB page. Prefetching past the end of the
 * packed matrix is harmless. */
enum { kQxPrefetch = 4096 };
QX_INLINE void qx_prefetch(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i += 64) _mm_prefetch((const char *)(p + kQxPrefetch + i), _MM_HINT_T0);
}

/* One pair of k-groups (|lo| against aq[0..3], |hi| against aq[4..7]) into
 * a row's accumulators. With VNNI: two vpdpbusd chains |ia|, |ib|. Without:
 * the two pmaddubsw results summed in 16 bits into |s16|, which qx_widen
 * adds into |ia| every few pairs (before 16 bits can overflow: 8 pairs of
 * 4-bit weights, 4 of 5-bit, 2 of 6-bit; |a| <= 127). */
QX_INLINE void qx_pair(qx_vi *ia, qx_vi *ib, qx_vi *s16, qx_vi lo, qx_vi hi, const int8_t *aq) {
#if QX_VNNI
  (void)s16;
  *ia = VDOT(*ia, lo, bcast4(aq));
  *ib = VDOT(*ib, hi, bcast4(aq + 4));
#else
  (void)ia, (void)ib;
  *s16 = VADD16(*s16, VADD16(VMADDUBS(lo, bcast4(aq)), VMADDUBS(hi, bcast4(aq + 4))));
#endif
}

QX_INLINE void qx_widen(qx_vi *ia, qx_vi *s16) {
#if QX_VNNI
  (void)ia, (void)s16;
#else
  *ia = VADD32(*ia, VWIDEN(*s16));
  *s16 = VZERO();
#endif
}

/* Bits g of every byte of |h| moved to bit |to| (others cleared by |mask|). */
#define QX_HIBITS(h, g, to, mask) \
  VAND(((g) <= (to) ? VSLLI16((h), (to) - (g)) : VSRLI16((h), (g) - (to))), (mask))

/* Without VNNI: q4_0 and q8_0 over P(QX_W) (with VNNI see the wide tiles
 * below). */
#if !QX_VNNI
/* ---- q4_0: nibbles 0..15, value (q - 8) * d ---- */
QX_INLINE void q4_0_tile(const int MR, int64_t nb, const uint8_t *w, const tsr_qmm_act *act, float *tile) {
  const uint8_t *hdr = w, *body = w + qx_align64((size_t)2 * QX_W * (size_t)nb);
  const qx_vi m4 = VSET8(0x0F);
  qx_vf acc[TSR_QMM_MAX_MR];
  for (int m = 0; m < MR; ++m) acc[m] = VFZERO();
  for (int64_t r = 0; r < nb; ++r) {
    const qx_vf dw = VLOADH(hdr + (size_t)2 * QX_W * r);
    const uint8_t *q = body + (size_t)16 * QX_W * r;
    qx_prefetch(q, (size_t)16 * QX_W);
    qx_vi ia[TSR_QMM_MAX_MR], ib[TSR_QMM_MAX_MR], s16[TSR_QMM_MAX_MR]; /* integer sums are exact */
    for (int m = 0; m < MR; ++m) ia[m] = ib[m] = s16[m] = VZERO();
    for (int c = 0; c < 4; ++c) {
      const qx_vi v = VLOAD(q + c * 4 * QX_W);
      const qx_vi lo = VAND(v, m4), hi = VAND(VSRLI16(v, 4), m4);
      for (int m = 0; m < MR; ++m) qx_pair(&ia[m], &ib[m], &s16[m], lo, hi, act[m].qs + 32 * r + 8 * c);
    }
    for (int m = 0; m < MR; ++m) qx_widen(&ia[m], &s16[m]);
    for (int m = 0; m < MR; ++m) {
      const qx_vi t = VSUB32(VADD32(ia[m], ib[m]), VSET32(act[m].s[r] * 8));
      acc[m] = VFMA(VCVT(t), VMULF(dw, VSETF(act[m].d[r])), acc[m]);
    }
  }
  for (int m = 0; m < MR; ++m) VSTOREF(tile + m * QX_W, acc[m]);
}

/* ---- q8_0: signed weights through |w| and sign(a, w) ---- */
QX_INLINE void q8_0_tile(const int MR, int64_t nb, const uint8_t *w, const tsr_qmm_act *act, float *tile) {
  const uint8_t *hdr = w, *body = w + qx_align64((size_t)2 * QX_W * (size_t)nb);
  qx_vf acc[TSR_QMM_MAX_MR];
  for (int m = 0; m < MR; ++m) acc[m] = VFZERO();
  for (int64_t r = 0; r < nb; ++r) {
    const qx_vf dw = VLOADH(hdr + (size_t)2 * QX_W * r);
    const uint8_t *q = body + (size_t)32 * QX_W * r;
    qx_prefetch(q, (size_t)32 * QX_W);
    qx_vi ia[TSR_QMM_MAX_MR], ib[TSR_QMM_MAX_MR]; /* two chains: integer sums are exact */
    for (int m = 0; m < MR; ++m) ia[m] = ib[m] = VZERO();
    for (int g = 0; g < 8; g += 2) {
      const qx_vi v0 = VLOAD(q + g * 4 * QX_W), v1 = VLOAD(q + (g + 1) * 4 * QX_W);
      const qx_vi u0 = VABS8(v0), u1 = VABS8(v1);
      for (int m = 0; m < MR; ++m) {
        ia[m] = VDOT(ia[m], u0, VSIGN8(bcast4(act[m].qs + 32 * r + 4 * g), v0));
        ib[m] = VDOT(ib[m], u1, VSIGN8(bcast4(act[m].qs + 32 * r + 4 * g + 4), v1));
      }
    }
    for (int m = 0; m < MR; ++m) {
      const qx_vi t = VADD32(ia[m], ib[m]);
      acc[m] = VFMA(VCVT(t), VMULF(dw, VSETF(act[m].d[r])), acc[m]);
    }
  }
  for (int m = 0; m < MR; ++m) VSTOREF(tile + m * QX_W, acc[m]);
}
#endif

/* ---- q4_k / q5_k: per 32-k sub-block d * sc * q - dmin * m ---- */
QX_INLINE void qk45_tile(const int MR, const int Q5, int64_t nb, const uint8_t *w, const tsr_qmm_act *act,
                         float *tile) {
  const size_t hb = (size_t)20 * QX_W, bb = (size_t)(Q5 ? 160 : 128) * QX_W;
  const uint8_t *hdr0 = w, *body0 = w + qx_align64(hb * (size_t)nb);
  const qx_vi m4 = VSET8(0x0F), m16 = VSET8(0x10);
  qx_vf acc[TSR_QMM_MAX_MR];
  for (int m = 0; m < MR; ++m) acc[m] = VFZERO();
  for (int64_t r = 0; r < nb; ++r) {
    const uint8_t *hdr = hdr0 + hb * r, *body = body0 + bb * r;
    qx_prefetch(body, bb);
    const qx_vf d = VLOADH(hdr), dmin = VLOADH(hdr + 2 * QX_W);
    for (int s = 0; s < 8; ++s) {
      const int64_t j = 8 * r + s;
      qx_vi ia[TSR_QMM_MAX_MR], ib[TSR_QMM_MAX_MR], s16[TSR_QMM_MAX_MR];
      for (int m = 0; m < MR; ++m) ia[m] = ib[m] = s16[m] = VZERO();
      qx_vi h = VZERO();
      if (Q5) h = VLOAD(body + (size_t)128 * QX_W + (size_t)s * 4 * QX_W);
      for (int c = 0; c < 4; ++c) {
        const qx_vi v = VLOAD(body + (size_t)(4 * s + c) * 4 * QX_W);
        qx_vi lo = VAND(v, m4), hi = VAND(VSRLI16(v, 4), m4);
        if (Q5) {
          lo = VOR(lo, QX_HIBITS(h, 2 * c, 4, m16));
          hi = VOR(hi, QX_HIBITS(h, 2 * c + 1, 4, m16));
        }
        for (int m = 0; m < MR; ++m) qx_pair(&ia[m], &ib[m], &s16[m], lo, hi, act[m].qs + 32 * j + 8 * c);
        if (Q5 && c == 1) {
          for (int m = 0; m < MR; ++m) qx_widen(&ia[m], &s16[m]);
        }
      }
      for (int m = 0; m < MR; ++m) qx_widen(&ia[m], &s16[m]);
      const qx_vf scf = VMULF(d, VLOADU8F(hdr + 4 * QX_W + s * QX_W));
      const qx_vf mf = VMULF(dmin, VLOADU8F(hdr + 12 * QX_W + s * QX_W));
      for (int m = 0; m < MR; ++m) {
        const float da = act[m].d[j];
        acc[m] = VFMA(VCVT(VADD32(ia[m], ib[m])), VMULF(scf, VSETF(da)), acc[m]);
        acc[m] = VFNMA(mf, VSETF(da * (float)act[m].s[j]), acc[m]);
      }
    }
  }
  for (int m = 0; m < MR; ++m) VSTOREF(tile + m * QX_W, acc[m]);
}

/* ---- q6_k: per 16-k sub-block d * sc * (q - 32) ---- */
QX_INLINE void q6_k_tile(const int MR, int64_t nb, const uint8_t *w, const tsr_qmm_act *act, float *tile) {
  const size_t hb = (size_t)18 * QX_W, bb = (size_t)192 * QX_W;
  const uint8_t *hdr0 = w, *body0 = w + qx_align64(hb * (size_t)nb);
  const qx_vi m4 = VSET8(0x0F), m48 = VSET8(0x30);
  qx_vf acc[TSR_QMM_MAX_MR];
  for (int m = 0; m < MR; ++m) acc[m] = VFZERO();
  for (int64_t r = 0; r < nb; ++r) {
    const uint8_t *hdr = hdr0 + hb * r, *body = body0 + bb * r;
    qx_prefetch(body, bb);
    const qx_vf d = VLOADH(hdr);
    for (int s = 0; s < 16; ++s) {
      const int64_t g16 = 16 * r + s, j = g16 / 2;
      const uint8_t *sb = body + (size_t)s * 12 * QX_W;
      const qx_vi h = VLOAD(sb + 8 * QX_W);
      qx_vi ia[TSR_QMM_MAX_MR], ib[TSR_QMM_MAX_MR], s16[TSR_QMM_MAX_MR];
      for (int m = 0; m < MR; ++m) ia[m] = ib[m] = s16[m] = VZERO();
      for (int c = 0; c < 2; ++c) {
        const qx_vi v = VLOAD(sb + c * 4 * QX_W);
        const qx_vi lo = VOR(VAND(v, m4), QX_HIBITS(h, 4 * c, 4, m48));
        const qx_vi hi = VOR(VAND(VSRLI16(v, 4), m4), QX_HIBITS(h, 4 * c + 2, 4, m48));
        for (int m = 0; m < MR; ++m) {
          qx_pair(&ia[m], &ib[m], &s16[m], lo, hi, act[m].qs + 16 * g16 + 8 * c);
          qx_widen(&ia[m], &s16[m]);
        }
      }
      const qx_vf scf = VMULF(d, VLOADI8F(hdr + 2 * QX_W + s * QX_W));
      for (int m = 0; m < MR; ++m) {
        const qx_vi t = VSUB32(VADD32(ia[m], ib[m]), VSET32(act[m].s16[g16] * 32));
        acc[m] = VFMA(VCVT(t), VMULF(scf, VSETF(act[m].d[j])), acc[m]);
      }
    }
  }
  for (int m = 0; m < MR; ++m) VSTOREF(tile + m * QX_W, acc[m]);
}

#if QX_VNNI
/* ---- VNNI, groups of 2 QX_W rows: each weight register is dotted with the
 * activation broadcast once for every row of a, and the f32 work per block
 * is shared by 2 QX_W rows. The -8 (q4_0) and +128 (q8_0 stored unsigned)
 * offsets are folded into the integer accumulators' start values
 * (act.n136, act.n128: broadcast loads, no ALU op). With MR == 1 (decode)
 * q4_0 splits a block's dot products over two chains per accumulator (the
 * faster choice measured for q4_0; one chain for q8_0); integer sums are
 * exact, so every MR gives the same bits. ---- */
enum { kQxChains = 2 }; /* at most */

/* Both over TSR_QMM_PACK_INLINE groups (header, body, header, ...).
 * q4_0 with TSR_QMM_PACK_NIBPAIR: byte b of lane j holds k = 4c + b of row
 * j (low nibble) and of row j + QX_W (high nibble). For the raw bytes v and
 * their high nibbles h = v & 0xF0 (= 16 * q_hi):
 *   X = sum v . a = lo . a + 16 hi . a,   Y = sum h . a = 16 hi . a,
 * so lo . a = X - Y and hi . a = Y / 16: one AND per register. Starting X
 * at -136 s and Y at -128 s gives the (q - 8) sums directly. */
QX_INLINE void q4_0p_tile(const int MR, int64_t nb, const uint8_t *w, const tsr_qmm_act *act, float *tile) {
  enum { NR = 2 * QX_W };
  const size_t hb = (size_t)2 * NR, bb = (size_t)16 * NR;
  const qx_vi mhi = VSET8(0xF0);
  const int nch = MR == 1 ? 2 : 1;
  qx_vf alo[TSR_QMM_MAX_MR], ahi[TSR_QMM_MAX_MR];
  for (int m = 0; m < MR; ++m) alo[m] = ahi[m] = VFZERO();
  for (int64_t r = 0; r < nb; ++r) {
    const uint8_t *h = w + (hb + bb) * (size_t)r, *q = h + hb;
    qx_prefetch(h, hb + bb);
    qx_vi x[TSR_QMM_MAX_MR][kQxChains], y[TSR_QMM_MAX_MR][kQxChains];
    for (int m = 0; m < MR; ++m) {
      x[m][0] = VSET32(act[m].n136[r]);
      y[m][0] = VSET32(act[m].n128[r]);
      for (int i = 1; i < nch; ++i) x[m][i] = y[m][i] = VZERO();
    }
    for (int c = 0; c < 8; ++c) {
      const qx_vi v = VLOAD(q + (size_t)c * 2 * NR), vh = VAND(v, mhi);
      const int i = c % nch;
      for (int m = 0; m < MR; ++m) {
        const qx_vi a = bcast4(act[m].qs + 32 * r + 4 * c);
        x[m][i] = VDOT(x[m][i], v, a);
        y[m][i] = VDOT(y[m][i], vh, a);
      }
    }
    const qx_vf dlo = VLOADH(h), dhi = VLOADH(h + 2 * QX_W);
    for (int m = 0; m < MR; ++m) {
      for (int i = 1; i < nch; ++i) {
        x[m][0] = VADD32(x[m][0], x[m][i]);
        y[m][0] = VADD32(y[m][0], y[m][i]);
      }
      const qx_vf da = VSETF(act[m].d[r]);
      alo[m] = VFMA(VCVT(VSUB32(x[m][0], y[m][0])), VMULF(dlo, da), alo[m]);
      ahi[m] = VFMA(VCVT(VSRAI32(y[m][0], 4)), VMULF(dhi, da), ahi[m]);
    }
  }
  for (int m = 0; m < MR; ++m) {
    VSTOREF(tile + m * NR, alo[m]);
    VSTOREF(tile + m * NR + QX_W, ahi[m]);
  }
}

/* q8_0 over P(2 QX_W), weights stored + 128: the two halves of a lane-word
 * row share one activation broadcast. */
QX_INLINE void q8_0w_tile(const int MR, int64_t nb, const uint8_t *w, const tsr_qmm_act *act, float *tile) {
  enum { NR = 2 * QX_W };
  const size_t hb = (size_t)2 * NR, bb = (size_t)32 * NR;
  const int nch = 1;
  qx_vf alo[TSR_QMM_MAX_MR], ahi[TSR_QMM_MAX_MR];
  for (int m = 0; m < MR; ++m) alo[m] = ahi[m] = VFZERO();
  for (int64_t r = 0; r < nb; ++r) {
    const uint8_t *h = w + (hb + bb) * (size_t)r, *q = h + hb;
    qx_prefetch(h, hb + bb);
    qx_vi x[TSR_QMM_MAX_MR][kQxChains], y[TSR_QMM_MAX_MR][kQxChains];
    for (int m = 0; m < MR; ++m) {
      x[m][0] = y[m][0] = VSET32(act[m].n128[r]);
      for (int i = 1; i < nch; ++i) x[m][i] = y[m][i] = VZERO();
    }
    for (int g = 0; g < 8; ++g) {
      const qx_vi v0 = VLOAD(q + (size_t)g * 4 * NR), v1 = VLOAD(q + (size_t)g * 4 * NR + 4 * QX_W);
      const int i = g % nch;
      for (int m = 0; m < MR; ++m) {
        const qx_vi a = bcast4(act[m].qs + 32 * r + 4 * g);
        x[m][i] = VDOT(x[m][i], v0, a);
        y[m][i] = VDOT(y[m][i], v1, a);
      }
    }
    const qx_vf dlo = VLOADH(h), dhi = VLOADH(h + 2 * QX_W);
    for (int m = 0; m < MR; ++m) {
      for (int i = 1; i < nch; ++i) {
        x[m][0] = VADD32(x[m][0], x[m][i]);
        y[m][0] = VADD32(y[m][0], y[m][i]);
      }
      const qx_vf da = VSETF(act[m].d[r]);
      alo[m] = VFMA(VCVT(x[m][0]), VMULF(dlo, da), alo[m]);
      ahi[m] = VFMA(VCVT(y[m][0]), VMULF(dhi, da), ahi[m]);
    }
  }
  for (int m = 0; m < MR; ++m) {
    VSTOREF(tile + m * NR, alo[m]);
    VSTOREF(tile + m * NR + QX_W, ahi[m]);
  }
}
#endif

/* Dispatch on mr (1 .. 4) to fully unrolled tiles. */
#define QX_DISPATCH(tile_fn, ...)                      \
  switch (mr) {                                        \
    case 1: tile_fn(1, __VA_ARGS__); break;            \
    case 2: tile_fn(2, __VA_ARGS__); break;            \
    case 3: tile_fn(3, __VA_ARGS__); break;            \
    default: tile_fn(4, __VA_ARGS__); break;           \
  }

#if !QX_VNNI
static void QX_NAME(uk_q4_0)(int64_t mr, int64_t nb, const uint8_t *w, int64_t ws, int64_t nv,
                             const tsr_qmm_act *act, float *tile) {
  (void)ws, (void)nv;
  QX_DISPATCH(q4_0_tile, nb, w, act, tile)
}

static void QX_NAME(uk_q8_0)(int64_t mr, int64_t nb, const uint8_t *w, int64_t ws, int64_t nv,
                             const tsr_qmm_act *act, float *tile) {
  (void)ws, (void)nv;
  QX_DISPATCH(q8_0_tile, nb, w, act, tile)
}
#endif

static void QX_NAME(uk_q4_k)(int64_t mr, int64_t nb, const uint8_t *w, int64_t ws, int64_t nv,
                             const tsr_qmm_act *act, float *tile) {
  (void)ws, (void)nv;
  QX_DISPATCH(qk45_tile, 0, nb, w, act, tile)
}

static void QX_NAME(uk_q5_k)(int64_t mr, int64_t nb, const uint8_t *w, int64_t ws, int64_t nv,
                             const tsr_qmm_act *act, float *tile) {
  (void)ws, (void)nv;
  QX_DISPATCH(qk45_tile, 1, nb, w, act, tile)
}

static void QX_NAME(uk_q6_k)(int64_t mr, int64_t nb, const uint8_t *w, int64_t ws, int64_t nv,
                             const tsr_qmm_act *act, float *tile) {
  (void)ws, (void)nv;
  QX_DISPATCH(q6_k_tile, nb, w, act, tile)
}

#if QX_VNNI
static void QX_NAME(uk_q4_0p)(int64_t mr, int64_t nb, const uint8_t *w, int64_t ws, int64_t nv,
                              const tsr_qmm_act *act, float *tile) {
  (void)ws, (void)nv;
  QX_DISPATCH(q4_0p_tile, nb, w, act, tile)
}

static void QX_NAME(uk_q8_0w)(int64_t mr, int64_t nb, const uint8_t *w, int64_t ws, int64_t nv,
                              const tsr_qmm_act *act, float *tile) {
  (void)ws, (void)nv;
  QX_DISPATCH(q8_0w_tile, nb, w, act, tile)
}
#endif
