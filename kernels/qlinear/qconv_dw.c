/* The ISA-neutral depthwise QLINEAR_CONV driver; see qconv_dw.h. */
#include "qlinear/qconv_dw.h"

#include <string.h>

#include "qlinear/qlinear.h"

typedef struct qdw_plan {
  tsr_conv_geom g;
  int64_t wq, band, bands, rp;
  size_t band_floats;
} qdw_plan;

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static size_t r64(size_t n) { return (n + 63) & ~(size_t)63; }

static void qdw_band(qdw_plan *pl, int64_t band) {
  const tsr_conv_geom *g = &pl->g;
  pl->band = band;
  pl->bands = cdiv(g->oh, band);
  pl->rp = cdiv((band - 1) * g->sh + (g->kh - 1) * g->dh + 1, g->sh);
  pl->band_floats = (size_t)(g->sh * g->sw * pl->rp * pl->wq + 64 + g->kw * g->dw);
}

static void qdw_plan_of(const tsr_op *op, qdw_plan *pl) {
  tsr_conv_geom_of(op, &pl->g);
  const tsr_conv_geom *g = &pl->g;
  pl->wq = cdiv(g->w + g->pl + g->pr, g->sw);
  qdw_band(pl, g->oh);
  while (pl->band > 1 && pl->band_floats * sizeof(float) > 96 * 1024) qdw_band(pl, cdiv(pl->band, 2));
  while (pl->band > 4 && g->n * g->m * pl->bands < 8) qdw_band(pl, cdiv(pl->band, 2));
}

static bool is_const(const tsr_op *op, uint32_t i) {
  return !tsr_op_has_src(op, i) || (op->src[i].flags & TSR_TENSOR_FLAG_CONST) != 0;
}

bool tsr_qconv_dw_match(const tsr_op *op) {
  if (op->type != TSR_OP_QLINEAR_CONV || !tsr_tensor_is_contiguous(&op->src[0]) ||
      !tsr_tensor_is_contiguous(&op->src[3]) || !tsr_tensor_is_contiguous(&op->dst))
    return false;
  const tsr_conv2d_params *p = &op->p.qop.conv;
  const int64_t g = p->groups ? p->groups : 1;
  if (g < 2 || g != op->src[0].shape[1]) return false;
  if (op->src[3].shape[2] * op->src[3].shape[3] > 256) return false; /* exactness bound */
  return is_const(op, 3) && is_const(op, 4) && is_const(op, 5) && is_const(op, 1) && is_const(op, 6) && is_const(op, 8);
}

int64_t tsr_qconv_dw_units(const tsr_op *op) {
  qdw_plan pl;
  qdw_plan_of(op, &pl);
  return pl.g.n * pl.g.m * pl.bands;
}

size_t tsr_qconv_dw_packed_size(const tsr_op *op) {
  const int64_t m = op->dst.shape[1], taps = op->src[3].shape[2] * op->src[3].shape[3];
  return r64((size_t)(m * taps) * 4) + 2 * r64((size_t)m * 4);
}

void tsr_qconv_dw_pack(const tsr_op *op, void *out) {
  const int64_t m_count = op->dst.shape[1], taps = op->src[3].shape[2] * op->src[3].shape[3];
  float *wf = out;
  int32_t *bias = (int32_t *)((uint8_t *)out + r64((size_t)(m_count * taps) * 4));
  float *mult = (float *)((uint8_t *)bias + r64((size_t)m_count * 4));
  const float xs = tsr_q_scale(&op->src[1], 0), ys = tsr_q_scale(&op->src[6], 0);
  for (int64_t m = 0; m < m_count; ++m) {
    const int32_t wz = tsr_q_zp(op, 5, m);
    for (int64_t t = 0; t < taps; ++t) wf[m * taps + t] = (float)(tsr_q_at(&op->src[3], m * taps + t) - wz);
    bias[m] = tsr_op_has_src(op, 8) ? tsr_q_at(&op->src[8], m) : 0;
    mult[m] = tsr_q_mult(xs, tsr_q_scale(&op->src[4], m), ys);
  }
}

/* Scratch: tap offsets, the f32 band, the band's grid of f32 sums, the
 * grid's output masks (16 cells each). */
size_t tsr_qconv_dw_scratch(const tsr_op *op) {
  qdw_plan pl;
  qdw_plan_of(op, &pl);
  return r64((size_t)(pl.g.kh * pl.g.kw) * 8) + r64(pl.band_floats * 4) + r64((size_t)(pl.band * pl.wq + 160) * 4) +
         r64((size_t)(pl.band * pl.wq / 16 + 2) * 2);
}

void tsr_qdw_cvt__scalar(const uint8_t *x, size_t n, size_t sw, bool x_signed, float fz, float *d) {
  if (x_signed) {
    const int8_t *s8 = (const int8_t *)x;
    for (size_t t = 0; t < n; ++t) d[t] = (float)s8[t * sw] - fz;
  } else {
    for (size_t t = 0; t < n; ++t) d[t] = (float)x[t * sw] - fz;
  }
}

/* f32 (x - xz) band of one plane (padding 0). */
static void fill_band_qf(const qdw_plan *pl, tsr_qdw_cvt_fn cvt, const uint8_t *x, bool x_signed, int32_t xz,
                         int64_t oh0, int64_t rows, float *band) {
  const tsr_conv_geom *g = &pl->g;
  const int64_t sh = g->sh, sw = g->sw, wq = pl->wq, plane = pl->rp * wq;
  const int64_t rows_in = (rows - 1) * sh + (g->kh - 1) * g->dh + 1;
  const float fz = (float)xz; /* exact: |x - xz| < 2^9 */
  int64_t lo[8], hi[8];
  tsr_conv_col_phases(g, wq, lo, hi);
  int64_t rph = 0, rrow = 0; /* r % sh, r / sh */
  for (int64_t r = 0; r < pl->rp * sh; ++r) {
    const int64_t ih = oh0 * sh + r - g->pt;
    const bool in = r < rows_in && ih >= 0 && ih < g->h;
    float *rowbase = band + rph * sw * plane + rrow * wq;
    if (++rph == sh) {
      rph = 0;
      ++rrow;
    }
    const uint8_t *src = x + ih * g->w;
    for (int64_t cp = 0; cp < sw; ++cp) {
      float *d = rowbase + cp * plane;
      int64_t l = 0, h = 0;
      if (in && cp < 8) {
        l = lo[cp];
        h = hi[cp];
      } else if (in) { /* strides above 8: rare */
        tsr_conv_col_phase(g, wq, cp, &l, &h);
      }
      for (int64_t t = 0; t < l; ++t) d[t] = 0.0f;
      if (h > l) cvt(src + l * sw + cp - g->pl, (size_t)(h - l), (size_t)sw, x_signed, fz, d + l);
      for (int64_t t = h > l ? h : l; t < wq; ++t) d[t] = 0.0f;
    }
  }
  memset(band + sh * sw * plane, 0, ((size_t)pl->band_floats - (size_t)(sh * sw * plane)) * sizeof(float));
}

void tsr_qdw_requant__scalar(const float *acc, size_t n, const uint16_t *masks, int32_t bias, float mult, int32_t yz,
                             float lo, float hi, bool y_signed, uint8_t *y) {
  (void)lo;
  (void)hi;
  const tsr_dtype t = y_signed ? TSR_DTYPE_I8 : TSR_DTYPE_U8;
  size_t o = 0;
  for (size_t q = 0; q < n; ++q) {
    if (!((masks[q / 16] >> (q % 16)) & 1u)) continue;
    const int32_t v = (int32_t)((uint32_t)(int32_t)acc[q] + (uint32_t)bias);
    tsr_q_store(t, y + o++, tsr_q_round((float)v * mult, yz, t));
  }
}

void tsr_qconv_dw_run(tsr_conv_dw_row_fn rowsfn, tsr_qdw_requant_fn requant, tsr_qdw_cvt_fn cvt,
                      const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  qdw_plan pl;
  qdw_plan_of(op, &pl);
  const tsr_conv_geom *g = &pl.g;
  const int64_t taps = g->kh * g->kw;
  uint8_t *sp = ctx->scratch;
  int64_t *toff = (int64_t *)sp;
  sp += r64((size_t)taps * 8);
  float *band = (float *)sp;
  sp += r64(pl.band_floats * 4);
  float *acc = (float *)sp;
  sp += r64((size_t)(pl.band * pl.wq + 160) * 4);
  uint16_t *masks = (uint16_t *)sp;
  int64_t masked_rows = -1; /* the band height |masks| describes */
  tsr_conv_tap_offsets(g, 1, pl.wq, pl.rp, toff);
  const float *wf = ctx->packed;
  const int32_t *bias = (const int32_t *)((const uint8_t *)ctx->packed + r64((size_t)(g->m * taps) * 4));
  const float *mult = (const float *)((const uint8_t *)bias + r64((size_t)g->m * 4));
  const tsr_dtype yt = op->dst.dtype;
  const int32_t xz = tsr_q_zp(op, 2, 0), yz = tsr_q_zp(op, 7, 0);
  const float lo = (float)(tsr_q_min(yt) - yz), hi = (float)(tsr_q_max(yt) - yz);
  const tsr_conv_ep ep = {NULL, NULL, -1, 0.0f, 0.0f};
  const uint8_t *x = op->src[0].data;
  uint8_t *y = op->dst.data;
  for (int64_t u = begin; u < end; ++u) {
    const int64_t bi = u % pl.bands, nm = u / pl.bands, n = nm / g->m, m = nm % g->m;
    const int64_t oh0 = bi * pl.band, rows = g->oh - oh0 < pl.band ? g->oh - oh0 : pl.band;
    fill_band_qf(&pl, cvt, x + (n * g->c + m / g->mg) * g->h * g->w, op->src[0].dtype == TSR_DTYPE_I8, xz, oh0, rows, band);
    uint8_t *yp = y + ((n * g->m + m) * g->oh + oh0) * g->ow;
    /* the band's flat grid (pitch wq) as 4 segments: 8 independent chains */
    const int64_t cells = rows * pl.wq, seg = cdiv(cells, 4);
    rowsfn(band, (size_t)seg, toff, wf + m * taps, (size_t)taps, acc, (size_t)seg, 4, (size_t)seg, &ep, (size_t)m);
    if (masked_rows != rows) { /* grid cells that are outputs: column < OW */
      for (int64_t q0 = 0; q0 < cells; q0 += 16) {
        uint16_t mk = 0;
        for (int64_t q = q0; q < q0 + 16 && q < cells; ++q) {
          if (q % pl.wq < g->ow) mk |= (uint16_t)(1u << (q - q0));
        }
        masks[q0 / 16] = mk;
      }
      masked_rows = rows;
    }
    requant(acc, (size_t)cells, masks, bias[m], mult[m], yz, lo, hi, yt == TSR_DTYPE_I8, yp);
  }
}

TSR_QCONV_DW_KERNEL(tsr_qlinear_conv_q8_ukernel_dw_u64__scalar, tsr_conv_dw_rows_f32__scalar, tsr_qdw_requant__scalar,
                    tsr_qdw_cvt__scalar, 0)
