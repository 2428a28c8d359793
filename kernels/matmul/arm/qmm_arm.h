/* ARM quantized-matmul ukernels over the packed layout P(8) (qmm.h): eight
 * weight rows per group, one 32-bit lane per row in two 128-bit registers,
 * 4 consecutive k per lane word. Every block is consumed 8 k at a time as a
 * pair (lo, hi) of lane-word vectors: lo holds k 0..3 of each row, hi k 4..7.
 * The integer products come from, by QA_MODE:
 *   0  NEON:     vmull_s8 + pairwise adds (the 4 products of a lane word
 *                summed into its lane, exactly what sdot computes);
 *   1  dotprod:  sdot by element (the 8 activation bytes of a step loaded
 *                once, lane 0 for lo and lane 1 for hi);
 *   2  i8mm:     smmla on rows (m, m+1) x weight rows (j, j+1): the lane
 *                words of lo and hi zipped into 8 consecutive k per row; an
 *                odd last row is paired with itself.
 * Integer sums are exact, so all three give the same int32 per block and
 * the same f32 result; f32 scaling once per 32-element block (16 for q6_k).
 *
 * Included by one file per ISA after defining QA_MODE, QA_MR (activation
 * rows per tile, <= 4) and QA_NAME(x). */
#include <arm_neon.h>
#include <string.h>

#include "hal/fp16.h"
#include "matmul/qmm.h"

#define QA_INLINE static inline __attribute__((always_inline))
#define QA_W 8

typedef struct qa_b {
  int8x16_t v[2]; /* lane words of rows 0..3 and 4..7 */
} qa_b;
typedef struct qa_i {
  int32x4_t v[2];
} qa_i;
typedef struct qa_f {
  float32x4_t v[2];
} qa_f;

QA_INLINE size_t qa_align64(size_t n) { return (n + 63) & ~(size_t)63; }

QA_INLINE qa_b qa_load(const uint8_t *p) {
  qa_b r = {{vld1q_s8((const int8_t *)p), vld1q_s8((const int8_t *)p + 16)}};
  return r;
}
QA_INLINE qa_b qa_lo4(qa_b x) {
  const int8x16_t m = vdupq_n_s8(0x0F);
  qa_b r = {{vandq_s8(x.v[0], m), vandq_s8(x.v[1], m)}};
  return r;
}
QA_INLINE qa_b qa_hi4(qa_b x) {
  qa_b r = {{vreinterpretq_s8_u8(vshrq_n_u8(vreinterpretq_u8_s8(x.v[0]), 4)),
             vreinterpretq_s8_u8(vshrq_n_u8(vreinterpretq_u8_s8(x.v[1]), 4))}};
  return r;
}
QA_INLINE qa_b qa_or(qa_b a, qa_b b) {
  qa_b r = {{vorrq_s8(a.v[0], b.v[0]), vorrq_s8(a.v[1], b.v[1])}};
  return r;
}
/* Bit |g| (and those above it) of every byte of |h| moved to bit |to|, then
 * masked. */
QA_INLINE qa_b qa_hibits(qa_b h, int g, int to, uint8_t mask) {
  const int8x16_t sh = vdupq_n_s8((int8_t)(to - g));
  const uint8x16_t mk = vdupq_n_u8(mask);
  qa_b r;
  for (int i = 0; i < 2; ++i) r.v[i] = vreinterpretq_s8_u8(vandq_u8(vshlq_u8(vreinterpretq_u8_s8(h.v[i]), sh), mk));
  return r;
}

QA_INLINE qa_f qa_fzero(void) {
  qa_f r = {{vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)}};
  return r;
}
QA_INLINE qa_f qa_fset(float x) {
  qa_f r = {{vdupq_n_f32(x), vdupq_n_f32(x)}};
  return r;
}
QA_INLINE qa_f qa_fmul(qa_f a, qa_f b) {
  qa_f r = {{vmulq_f32(a.v[0], b.v[0]), vmulq_f32(a.v[1], b.v[1])}};
  return r;
}
/* c + a * b, and c - a * b. */
QA_INLINE qa_f qa_fma(qa_f a, qa_f b, qa_f c) {
  qa_f r = {{vfmaq_f32(c.v[0], a.v[0], b.v[0]), vfmaq_f32(c.v[1], a.v[1], b.v[1])}};
  return r;
}
QA_INLINE qa_f qa_fms(qa_f a, qa_f b, qa_f c) {
  qa_f r = {{vfmsq_f32(c.v[0], a.v[0], b.v[0]), vfmsq_f32(c.v[1], a.v[1], b.v[1])}};
  return r;
}
QA_INLINE qa_f qa_cvt(qa_i x) {
  qa_f r = {{vcvtq_f32_s32(x.v[0]), vcvtq_f32_s32(x.v[1])}};
  return r;
}
QA_INLINE qa_i qa_sub_n(qa_i x, int32_t s) {
  const int32x4_t v = vdupq_n_s32(s);
  qa_i r = {{vsubq_s32(x.v[0], v), vsubq_s32(x.v[1], v)}};
  return r;
}
QA_INLINE void qa_fstore(float *p, qa_f x) {
  vst1q_f32(p, x.v[0]);
  vst1q_f32(p + 4, x.v[1]);
}
/* 8 f16 -> f32. */
QA_INLINE qa_f qa_load_h(const uint8_t *p) {
#if defined(__aarch64__)
  uint16x8_t u = vld1q_u16((const uint16_t *)(const void *)p);
  float16x8_t h = vreinterpretq_f16_u16(u);
  qa_f r = {{vcvt_f32_f16(vget_low_f16(h)), vcvt_high_f32_f16(h)}};
#else
  uint16_t u[8];
  float f[8];
  memcpy(u, p, sizeof(u));
  for (int i = 0; i < 8; ++i) f[i] = tsr_fp16_to_f32(u[i]);
  qa_f r = {{vld1q_f32(f), vld1q_f32(f + 4)}};
#endif
  return r;
}
QA_INLINE qa_f qa_load_u8f(const uint8_t *p) {
  const uint16x8_t w = vmovl_u8(vld1_u8(p));
  qa_f r = {{vcvtq_f32_u32(vmovl_u16(vget_low_u16(w))), vcvtq_f32_u32(vmovl_u16(vget_high_u16(w)))}};
  return r;
}
QA_INLINE qa_f qa_load_i8f(const uint8_t *p) {
  const int16x8_t w = vmovl_s8(vld1_s8((const int8_t *)p));
  qa_f r = {{vcvtq_f32_s32(vmovl_s16(vget_low_s16(w))), vcvtq_f32_s32(vmovl_s16(vget_high_s16(w)))}};
  return r;
}

/* ---- the integer step: 8 k of MR activation rows against 8 weight rows ---- */

#if QA_MODE == 0
/* sdot emulated: lane i += sum of the 4 byte products of lane word i. */
QA_INLINE int32x4_t qa_sdot(int32x4_t acc, int8x16_t w, int8x16_t a) {
  const int16x8_t p0 = vmull_s8(vget_low_s8(w), vget_low_s8(a));
  const int16x8_t p1 = vmull_s8(vget_high_s8(w), vget_high_s8(a));
#if defined(__aarch64__)
  const int16x8_t s = vpaddq_s16(p0, p1);
#else
  const int16x8_t s = vcombine_s16(vpadd_s16(vget_low_s16(p0), vget_high_s16(p0)),
                                   vpadd_s16(vget_low_s16(p1), vget_high_s16(p1)));
#endif
  return vpadalq_s16(acc, s);
}
#endif

/* ia: MR accumulators in lane order (modes 0, 1) or, in mode 2, pairs of
 * rows in smmla order (see qa_finish). |a[m]| points at the 8 activation
 * bytes of row m for this step. */
QA_INLINE void qa_step8(const int MR, qa_i *ia, qa_b lo, qa_b hi, const int8_t *const *a) {
#if QA_MODE == 0
  for (int m = 0; m < MR; ++m) {
    int32_t w0, w1;
    memcpy(&w0, a[m], 4);
    memcpy(&w1, a[m] + 4, 4);
    const int8x16_t a0 = vreinterpretq_s8_s32(vdupq_n_s32(w0)), a1 = vreinterpretq_s8_s32(vdupq_n_s32(w1));
    for (int i = 0; i < 2; ++i) ia[m].v[i] = qa_sdot(qa_sdot(ia[m].v[i], lo.v[i], a0), hi.v[i], a1);
  }
#elif QA_MODE == 1
  for (int m = 0; m < MR; ++m) {
    const int8x8_t a8 = vld1_s8(a[m]);
    for (int i = 0; i < 2; ++i) ia[m].v[i] = vdotq_lane_s32(vdotq_lane_s32(ia[m].v[i], lo.v[i], a8, 0), hi.v[i], a8, 1);
  }
#else
  /* Rows (2i, 2i+1) of the group, 8 k each: zip the lane words of lo and hi. */
  int8x16_t b[4];
  for (int i = 0; i < 2; ++i) {
    const int32x4_t l = vreinterpretq_s32_s8(lo.v[i]), h = vreinterpretq_s32_s8(hi.v[i]);
    b[2 * i] = vreinterpretq_s8_s32(vzip1q_s32(l, h));
    b[2 * i + 1] = vreinterpretq_s8_s32(vzip2q_s32(l, h));
  }
  for (int p = 0; p < (MR + 1) / 2; ++p) {
    const int8x8_t a0 = vld1_s8(a[2 * p]);
    const int8x8_t a1 = 2 * p + 1 < MR ? vld1_s8(a[2 * p + 1]) : a0;
    const int8x16_t av = vcombine_s8(a0, a1);
    qa_i *c = &ia[2 * p];
    c[0].v[0] = vmmlaq_s32(c[0].v[0], av, b[0]); /* rows (m, m'), weight rows (0, 1) */
    c[0].v[1] = vmmlaq_s32(c[0].v[1], av, b[1]); /* (2, 3) */
    c[1].v[0] = vmmlaq_s32(c[1].v[0], av, b[2]); /* (4, 5) */
    c[1].v[1] = vmmlaq_s32(c[1].v[1], av, b[3]); /* (6, 7) */
  }
#endif
}

/* Accumulator storage: mode 2 pairs rows, so round MR up to even. */
#define QA_NACC(MR) (((MR) + 1) & ~1)

QA_INLINE void qa_zero(const int MR, qa_i *ia) {
  for (int m = 0; m < QA_NACC(MR); ++m) ia[m].v[0] = ia[m].v[1] = vdupq_n_s32(0);
}

/* Puts the accumulators in lane order: ia[m].v[i] lane l = row m x weight
 * row 4i + l. */
QA_INLINE void qa_finish(const int MR, qa_i *ia) {
#if QA_MODE == 2
  for (int p = 0; p < (MR + 1) / 2; ++p) {
    qa_i *c = &ia[2 * p];
    /* c[0].v[0] = [m.j0, m.j1, m'.j0, m'.j1], c[0].v[1] the same for j2, j3 */
    const int64x2_t c01 = vreinterpretq_s64_s32(c[0].v[0]), c23 = vreinterpretq_s64_s32(c[0].v[1]);
    const int64x2_t c45 = vreinterpretq_s64_s32(c[1].v[0]), c67 = vreinterpretq_s64_s32(c[1].v[1]);
    c[0].v[0] = vreinterpretq_s32_s64(vzip1q_s64(c01, c23));
    c[0].v[1] = vreinterpretq_s32_s64(vzip1q_s64(c45, c67));
    c[1].v[0] = vreinterpretq_s32_s64(vzip2q_s64(c01, c23));
    c[1].v[1] = vreinterpretq_s32_s64(vzip2q_s64(c45, c67));
  }
#else
  (void)MR, (void)ia;
#endif
}

/* ---- q4_0: nibbles 0..15, value (q - 8) * d ---- */
QA_INLINE void q4_0_tile(const int MR, int64_t nb, const uint8_t *w, const tsr_qmm_act *act, float *tile) {
  const uint8_t *hdr = w, *body = w + qa_align64((size_t)2 * QA_W * (size_t)nb);
  qa_f acc[4];
  for (int m = 0; m < MR; ++m) acc[m] = qa_fzero();
  for (int64_t r = 0; r < nb; ++r) {
    const qa_f dw = qa_load_h(hdr + (size_t)2 * QA_W * r);
    const uint8_t *q = body + (size_t)16 * QA_W * r;
    qa_i ia[QA_NACC(4)];
    qa_zero(MR, ia);
    for (int c = 0; c < 4; ++c) {
      const qa_b v = qa_load(q + c * 4 * QA_W);
      const int8_t *ap[4];
      for (int m = 0; m < MR; ++m) ap[m] = act[m].qs + 32 * r + 8 * c;
      qa_step8(MR, ia, qa_lo4(v), qa_hi4(v), ap);
    }
    qa_finish(MR, ia);
    for (int m = 0; m < MR; ++m) {
      const qa_i t = qa_sub_n(ia[m], act[m].s[r] * 8);
      acc[m] = qa_fma(qa_cvt(t), qa_fmul(dw, qa_fset(act[m].d[r])), acc[m]);
    }
  }
  for (int m = 0; m < MR; ++m) qa_fstore(tile + m * QA_W, acc[m]);
}

/* ---- q8_0: signed weights, lane words g and g + 1 form one step ---- */
QA_INLINE void q8_0_tile(const int MR, int64_t nb, const uint8_t *w, const tsr_qmm_act *act, float *tile) {
  const uint8_t *hdr = w, *body = w + qa_align64((size_t)2 * QA_W * (size_t)nb);
  qa_f acc[4];
  for (int m = 0; m < MR; ++m) acc[m] = qa_fzero();
  for (int64_t r = 0; r < nb; ++r) {
    const qa_f dw = qa_load_h(hdr + (size_t)2 * QA_W * r);
    const uint8_t *q = body + (size_t)32 * QA_W * r;
    qa_i ia[QA_NACC(4)];
    qa_zero(MR, ia);
    for (int g = 0; g < 8; g += 2) {
      const int8_t *ap[4];
      for (int m = 0; m < MR; ++m) ap[m] = act[m].qs + 32 * r + 4 * g;
      qa_step8(MR, ia, qa_load(q + g * 4 * QA_W), qa_load(q + (g + 1) * 4 * QA_W), ap);
    }
    qa_finish(MR, ia);
    for (int m = 0; m < MR; ++m) acc[m] = qa_fma(qa_cvt(ia[m]), qa_fmul(dw, qa_fset(act[m].d[r])), acc[m]);
  }
  for (int m = 0; m < MR; ++m) qa_fstore(tile + m * QA_W, acc[m]);
}

/* ---- q4_k / q5_k: per 32-k sub-block d * sc * q - dmin * m ---- */
QA_INLINE void qk45_tile(const int MR, const int Q5, int64_t nb, const uint8_t *w, const tsr_qmm_act *act,
                         float *tile) {
  const size_t hb = (size_t)20 * QA_W, bb = (size_t)(Q5 ? 160 : 128) * QA_W;
  const uint8_t *hdr0 = w, *body0 = w + qa_align64(hb * (size_t)nb);
  qa_f acc[4];
  for (int m = 0; m < MR; ++m) acc[m] = qa_fzero();
  for (int64_t r = 0; r < nb; ++r) {
    const uint8_t *hdr = hdr0 + hb * r, *body = body0 + bb * r;
    const qa_f d = qa_load_h(hdr), dmin = qa_load_h(hdr + 2 * QA_W);
    for (int s = 0; s < 8; ++s) {
      const int64_t j = 8 * r + s;
      qa_i ia[QA_NACC(4)];
      qa_zero(MR, ia);
      qa_b h = {{vdupq_n_s8(0), vdupq_n_s8(0)}};
      if (Q5) h = qa_load(body + (size_t)128 * QA_W + (size_t)s * 4 * QA_W);
      for (int c = 0; c < 4; ++c) {
        const qa_b v = qa_load(body + (size_t)(4 * s + c) * 4 * QA_W);
        qa_b lo = qa_lo4(v), hi = qa_hi4(v);
        if (Q5) {
          lo = qa_or(lo, qa_hibits(h, 2 * c, 4, 0x10));
          hi = qa_or(hi, qa_hibits(h, 2 * c + 1, 4, 0x10));
        }
        const int8_t *ap[4];
        for (int m = 0; m < MR; ++m) ap[m] = act[m].qs + 32 * j + 8 * c;
        qa_step8(MR, ia, lo, hi, ap);
      }
      qa_finish(MR, ia);
      const qa_f scf = qa_fmul(d, qa_load_u8f(hdr + 4 * QA_W + s * QA_W));
      const qa_f mf = qa_fmul(dmin, qa_load_u8f(hdr + 12 * QA_W + s * QA_W));
      for (int m = 0; m < MR; ++m) {
        const float da = act[m].d[j];
        acc[m] = qa_fma(qa_cvt(ia[m]), qa_fmul(scf, qa_fset(da)), acc[m]);
        acc[m] = qa_fms(mf, qa_fset(da * (float)act[m].s[j]), acc[m]);
      }
    }
  }
  for (int m = 0; m < MR; ++m) qa_fstore(tile + m * QA_W, acc[m]);
}

/* ---- q6_k: per 16-k sub-block d * sc * (q - 32) ---- */
QA_INLINE void q6_k_tile(const int MR, int64_t nb, const uint8_t *w, const tsr_qmm_act *act, float *tile) {
  const size_t hb = (size_t)18 * QA_W, bb = (size_t)192 * QA_W;
  const uint8_t *hdr0 = w, *body0 = w + qa_align64(hb * (size_t)nb);
  qa_f acc[4];
  for (int m = 0; m < MR; ++m) acc[m] = qa_fzero();
  for (int64_t r = 0; r < nb; ++r) {
    const uint8_t *hdr = hdr0 + hb * r, *body = body0 + bb * r;
    const qa_f d = qa_load_h(hdr);
    for (int s = 0; s < 16; ++s) {
      const int64_t g16 = 16 * r + s, j = g16 / 2;
      const uint8_t *sb = body + (size_t)s * 12 * QA_W;
      const qa_b h = qa_load(sb + 8 * QA_W);
      qa_i ia[QA_NACC(4)];
      qa_zero(MR, ia);
      for (int c = 0; c < 2; ++c) {
        const qa_b v = qa_load(sb + c * 4 * QA_W);
        const qa_b lo = qa_or(qa_lo4(v), qa_hibits(h, 4 * c, 4, 0x30));
        const qa_b hi = qa_or(qa_hi4(v), qa_hibits(h, 4 * c + 2, 4, 0x30));
        const int8_t *ap[4];
        for (int m = 0; m < MR; ++m) ap[m] = act[m].qs + 16 * g16 + 8 * c;
        qa_step8(MR, ia, lo, hi, ap);
      }
      qa_finish(MR, ia);
      const qa_f scf = qa_fmul(d, qa_load_i8f(hdr + 2 * QA_W + s * QA_W));
      for (int m = 0; m < MR; ++m) {
        const qa_i t = qa_sub_n(ia[m], act[m].s16[g16] * 32);
        acc[m] = qa_fma(qa_cvt(t), qa_fmul(scf, qa_fset(act[m].d[j])), acc[m]);
      }
    }
  }
  for (int m = 0; m < MR; ++m) qa_fstore(tile + m * QA_W, acc[m]);
}

#if QA_MR == 4
#define QA_DISPATCH(tile_fn, ...)                      \
  switch (mr) {                                        \
    case 1: tile_fn(1, __VA_ARGS__); break;            \
    case 2: tile_fn(2, __VA_ARGS__); break;            \
    case 3: tile_fn(3, __VA_ARGS__); break;            \
    default: tile_fn(4, __VA_ARGS__); break;           \
  }
#elif QA_MR == 2
#define QA_DISPATCH(tile_fn, ...)                      \
  switch (mr) {                                        \
    case 1: tile_fn(1, __VA_ARGS__); break;            \
    default: tile_fn(2, __VA_ARGS__); break;           \
  }
#else
#error "QA_MR must be 2 or 4"
#endif

static void QA_NAME(uk_q4_0)(int64_t mr, int64_t nb, const uint8_t *w, int64_t ws, int64_t nv,
                             const tsr_qmm_act *act, float *tile) {
  (void)ws, (void)nv;
  QA_DISPATCH(q4_0_tile, nb, w, act, tile)
}

static void QA_NAME(uk_q8_0)(int64_t mr, int64_t nb, const uint8_t *w, int64_t ws, int64_t nv,
                             const tsr_qmm_act *act, float *tile) {
  (void)ws, (void)nv;
  QA_DISPATCH(q8_0_tile, nb, w, act, tile)
}

static void QA_NAME(uk_q4_k)(int64_t mr, int64_t nb, const uint8_t *w, int64_t ws, int64_t nv,
                             const tsr_qmm_act *act, float *tile) {
  (void)ws, (void)nv;
  QA_DISPATCH(qk45_tile, 0, nb, w, act, tile)
}

static void QA_NAME(uk_q5_k)(int64_t mr, int64_t nb, const uint8_t *w, int64_t ws, int64_t nv,
                             const tsr_qmm_act *act, float *tile) {
  (void)ws, (void)nv;
  QA_DISPATCH(qk45_tile, 1, nb, w, act, tile)
}

static void QA_NAME(uk_q6_k)(int64_t mr, int64_t nb, const uint8_t *w, int64_t ws, int64_t nv,
                             const tsr_qmm_act *act, float *tile) {
  (void)ws, (void)nv;
  QA_DISPATCH(q6_k_tile, nb, w, act, tile)
}

/* The variant's kernels: QA_KERNELS(isa_bits, tile-suffix e.g. 4x8__neondot). */
#define QA_DESCS(mr_)                                                                                  \
  static const tsr_qmm_desc kQ8 = {TSR_DTYPE_Q8_0, QA_W, mr_, 1, 0, tsr_qmm_quant_row_scalar, QA_NAME(uk_q8_0)}; \
  static const tsr_qmm_desc kQ4 = {TSR_DTYPE_Q4_0, QA_W, mr_, 1, 0, tsr_qmm_quant_row_scalar, QA_NAME(uk_q4_0)}; \
  static const tsr_qmm_desc kQ4K = {TSR_DTYPE_Q4_K, QA_W, mr_, 1, 0, tsr_qmm_quant_row_k_scalar, QA_NAME(uk_q4_k)}; \
  static const tsr_qmm_desc kQ5K = {TSR_DTYPE_Q5_K, QA_W, mr_, 1, 0, tsr_qmm_quant_row_k_scalar, QA_NAME(uk_q5_k)}; \
  static const tsr_qmm_desc kQ6K = {TSR_DTYPE_Q6_K, QA_W, mr_, 1, 0, tsr_qmm_quant_row_k_scalar, QA_NAME(uk_q6_k)};
