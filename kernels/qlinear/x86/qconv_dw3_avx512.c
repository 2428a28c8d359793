/* Depthwise 3x3 QLINEAR_CONV (stride 1 or 2, dilation 1, any padding) for
 * AVX-512 straight from the 8-bit planes: 16 output columns per step; each
 * tap's 16 inputs are one masked byte load whose masked-off lanes (padding)
 * hold the zero point, so that (float)x - xz is exactly 0 there; the f32
 * sums of taps * (w - wz) are exact integers (see qconv_dw.h), then the
 * reference's requantization. Stride 1 keeps the three input rows' vectors
 * in registers from one output row to the next. Units: (n, m) planes.
 * Packed: tsr_qconv_dw_pack's layout. */
#include <immintrin.h>

#include "qlinear/qconv_dw.h"
#include "qlinear/qlinear.h"

#define DW3_MAX_CHUNKS 16

static size_t r64(size_t n) { return (n + 63) & ~(size_t)63; }

static bool dw3_match(const tsr_op *op) {
  if (!tsr_qconv_dw_match(op)) return false;
  tsr_conv_geom g;
  tsr_conv_geom_of(op, &g);
  return g.kh == 3 && g.kw == 3 && g.dh == 1 && g.dw == 1 && g.sh == g.sw && (g.sh == 1 || g.sh == 2);
}

static int64_t dw3_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return op->dst.shape[0] * op->dst.shape[1];
}

typedef struct dw3_row {
  const uint8_t *x;    /* the plane */
  int64_t w, h, sw, pl;
  bool x_signed;
  __m512 fz;
  __m256i fill;        /* the zero point in every byte */
} dw3_row;

/* Load masks of the 3 taps for output columns [ow0, ow0 + 16): bit t (stride
 * 1) or 2t (stride 2) set where input column ow0 * sw + j - pl + t * sw is
 * inside the row. */
static void dw3_masks(const dw3_row *r, int64_t ow0, uint32_t *mk) {
  for (int j = 0; j < 3; ++j) {
    const int64_t c0 = ow0 * r->sw + j - r->pl;
    uint32_t m = 0;
    for (int t = 0; t < 16; ++t) {
      const int64_t c = c0 + t * r->sw;
      if (c >= 0 && c < r->w) m |= 1u << (t * r->sw);
    }
    mk[j] = m;
  }
}

/* The 3 tap vectors (x - xz, padding 0) of input row |ih| for output
 * columns [ow0, ow0 + 16). */
static inline __attribute__((always_inline)) void dw3_load(const dw3_row *r, int64_t ih, int64_t ow0,
                                                           const uint32_t *mk, __m512 *v) {
  if (ih < 0 || ih >= r->h) {
    v[0] = v[1] = v[2] = _mm512_setzero_ps();
    return;
  }
  const uint8_t *row = r->x + ih * r->w;
  for (int j = 0; j < 3; ++j) {
    const int64_t c0 = ow0 * r->sw + j - r->pl; /* input column of lane 0 */
    __m512i iv;
    if (r->sw == 1) {
      const __m128i b = _mm_mask_loadu_epi8(_mm256_castsi256_si128(r->fill), (__mmask16)mk[j], row + c0);
      iv = r->x_signed ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
    } else {
      const __m256i b = _mm256_mask_loadu_epi8(r->fill, (__mmask32)mk[j], row + c0);
      const __m256i w16 = r->x_signed ? _mm256_srai_epi16(_mm256_slli_epi16(b, 8), 8)
                                      : _mm256_and_si256(b, _mm256_set1_epi16(0xff));
      iv = _mm512_cvtepi16_epi32(w16);
    }
    v[j] = _mm512_sub_ps(_mm512_cvtepi32_ps(iv), r->fz);
  }
}

static void dw3_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  tsr_conv_geom g;
  tsr_conv_geom_of(op, &g);
  const float *wf = ctx->packed;
  const int32_t *bias = (const int32_t *)((const uint8_t *)ctx->packed + r64((size_t)(g.m * 9) * 4));
  const float *mult = (const float *)((const uint8_t *)bias + r64((size_t)g.m * 4));
  const tsr_dtype yt = op->dst.dtype;
  const int32_t xz = tsr_q_zp(op, 2, 0), yz = tsr_q_zp(op, 7, 0);
  const __m512 lo = _mm512_set1_ps((float)(tsr_q_min(yt) - yz)), hi = _mm512_set1_ps((float)(tsr_q_max(yt) - yz));
  const __m512i vyz = _mm512_set1_epi32(yz);
  dw3_row r = {NULL, g.w, g.h, g.sw, g.pl, op->src[0].dtype == TSR_DTYPE_I8, _mm512_set1_ps((float)xz),
               _mm256_set1_epi8((char)(uint8_t)xz)};
  uint32_t masks[DW3_MAX_CHUNKS][3]; /* per 16-column chunk: the same for every plane */
  for (int64_t ci = 0; ci < DW3_MAX_CHUNKS && ci * 16 < g.ow; ++ci) dw3_masks(&r, ci * 16, masks[ci]);
  const uint8_t *x = op->src[0].data;
  uint8_t *y = op->dst.data;
  for (int64_t u = begin; u < end; ++u) {
    const int64_t n = u / g.m, m = u % g.m;
    r.x = x + (n * g.c + m / g.mg) * g.h * g.w;
    uint8_t *yp = y + (n * g.m + m) * g.oh * g.ow;
    __m512 w[9];
    for (int t = 0; t < 9; ++t) w[t] = _mm512_set1_ps(wf[m * 9 + t]);
    const __m512i vb = _mm512_set1_epi32(bias[m]);
    const __m512 vm = _mm512_set1_ps(mult[m]);
    for (int64_t ow0 = 0; ow0 < g.ow; ow0 += 16) {
      const int64_t cols = g.ow - ow0 < 16 ? g.ow - ow0 : 16;
      const __mmask16 smk = (__mmask16)(((uint32_t)1 << cols) - 1u);
      uint32_t mk_own[3];
      const uint32_t *mk = mk_own;
      if (ow0 / 16 < DW3_MAX_CHUNKS) {
        mk = masks[ow0 / 16];
      } else {
        dw3_masks(&r, ow0, mk_own);
      }
      __m512 v0[3], v1[3], v2[3]; /* input rows oh * sh - pt + 0, 1, 2 */
      for (int j = 0; j < 3; ++j) v0[j] = v1[j] = v2[j] = _mm512_setzero_ps();
      if (g.sh == 1) {
        dw3_load(&r, -g.pt, ow0, mk, v0);
        dw3_load(&r, 1 - g.pt, ow0, mk, v1);
      }
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        const int64_t ih = oh * g.sh - g.pt;
        if (g.sh == 1) {
          if (oh > 0) {
            for (int j = 0; j < 3; ++j) {
              v0[j] = v1[j];
              v1[j] = v2[j];
            }
          }
          dw3_load(&r, ih + 2, ow0, mk, v2);
        } else {
          if (oh > 0) { /* row ih is the previous output row's third */
            for (int j = 0; j < 3; ++j) v0[j] = v2[j];
          } else {
            dw3_load(&r, ih, ow0, mk, v0);
          }
          dw3_load(&r, ih + 1, ow0, mk, v1);
          dw3_load(&r, ih + 2, ow0, mk, v2);
        }
        __m512 a0 = _mm512_mul_ps(v0[0], w[0]), a1 = _mm512_mul_ps(v0[1], w[1]), a2 = _mm512_mul_ps(v0[2], w[2]);
        a0 = _mm512_fmadd_ps(v1[0], w[3], a0);
        a1 = _mm512_fmadd_ps(v1[1], w[4], a1);
        a2 = _mm512_fmadd_ps(v1[2], w[5], a2);
        a0 = _mm512_fmadd_ps(v2[0], w[6], a0);
        a1 = _mm512_fmadd_ps(v2[1], w[7], a1);
        a2 = _mm512_fmadd_ps(v2[2], w[8], a2);
        const __m512 acc = _mm512_add_ps(_mm512_add_ps(a0, a1), a2); /* exact integers */
        const __m512i s = _mm512_add_epi32(_mm512_cvttps_epi32(acc), vb);
        __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(s), vm);
        f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
        const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(f), vyz);
        _mm_mask_storeu_epi8(yp + oh * g.ow + ow0, smk, _mm512_cvtepi32_epi8(q));
      }
    }
  }
}

const tsr_kernel tsr_qlinear_conv_q8_ukernel_dw3x3_16__avx512 = {.name = "tsr_qlinear_conv_q8_ukernel_dw3x3_16__avx512",
                                                                  .op = TSR_OP_QLINEAR_CONV,
                                                                  .isa = TSR_ISA_AVX512,
                                                                  .match = dw3_match,
                                                                  .units = dw3_units,
                                                                  .packed_size = tsr_qconv_dw_packed_size,
                                                                  .pack = tsr_qconv_dw_pack,
                                                                  .run = dw3_run};
