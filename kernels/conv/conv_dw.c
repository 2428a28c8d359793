/* The ISA-neutral depthwise CONV2D driver; see conv_dw.h. */
#include "conv/conv_dw.h"

#include <string.h>

typedef struct dw_plan {
  tsr_conv_geom g;
  int64_t wq, band, bands, rp;
  size_t band_floats;
} dw_plan;

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

static void dw_band(dw_plan *pl, int64_t band) {
  const tsr_conv_geom *g = &pl->g;
  pl->band = band;
  pl->bands = cdiv(g->oh, band);
  pl->rp = cdiv((band - 1) * g->sh + (g->kh - 1) * g->dh + 1, g->sh);
  pl->band_floats = (size_t)(g->sh * g->sw * pl->rp * pl->wq + 64 + g->kw * g->dw);
}

/* The grid buffer: band rows x wq outputs, plus the rounding of 4 segments. */
static size_t grid_floats(const dw_plan *pl) { return (size_t)(pl->band * pl->wq + 4 * 32 + 32); }

static void dw_plan_of(const tsr_op *op, dw_plan *pl) {
  tsr_conv_geom_of(op, &pl->g);
  const tsr_conv_geom *g = &pl->g;
  pl->wq = cdiv(g->w + g->pl + g->pr, g->sw);
  dw_band(pl, g->oh);
  /* the band within ~96 KiB (L2-resident next to x and y streams) */
  while (pl->band > 1 && pl->band_floats * sizeof(float) > 96 * 1024) dw_band(pl, cdiv(pl->band, 2));
  const int64_t planes = g->n * g->m;
  while (pl->band > 4 && planes * pl->bands < 8) dw_band(pl, cdiv(pl->band, 2));
}

bool tsr_conv_dw_match(const tsr_op *op) {
  if (op->type != TSR_OP_CONV2D || !tsr_conv_dense(&op->src[0]) || !tsr_conv_dense(&op->src[1]) ||
      !tsr_conv_dense(&op->dst))
    return false;
  const int64_t g = op->p.conv2d.groups ? op->p.conv2d.groups : 1;
  return g > 1 && g == op->src[0].shape[1];
}

int64_t tsr_conv_dw_units(const tsr_op *op) {
  dw_plan pl;
  dw_plan_of(op, &pl);
  return pl.g.n * pl.g.m * pl.bands;
}

/* Work of a unit: its multiply-adds and the band copy (about one per
 * input element). */
int64_t tsr_conv_dw_grain(const tsr_op *op) {
  dw_plan pl;
  dw_plan_of(op, &pl);
  const tsr_conv_geom *g = &pl.g;
  return tsr_conv_grain_of(g->n * g->m * (g->oh * g->ow * g->kh * g->kw + g->h * g->w), g->n * g->m * pl.bands);
}

size_t tsr_conv_dw_scratch(const tsr_op *op) {
  dw_plan pl;
  dw_plan_of(op, &pl);
  return (size_t)(pl.g.kh * pl.g.kw) * sizeof(int64_t) + 64 + ((pl.band_floats * sizeof(float) + 63) & ~(size_t)63) +
         grid_floats(&pl) * sizeof(float);
}

void tsr_conv_dw_run(tsr_conv_dw_row_fn row, tsr_conv_fill_fn fill, const tsr_kernel_ctx *ctx, int64_t begin,
                     int64_t end) {
  const tsr_op *op = ctx->op;
  dw_plan pl;
  dw_plan_of(op, &pl);
  const tsr_conv_geom *g = &pl.g;
  const int64_t taps = g->kh * g->kw;
  int64_t *toff = ctx->scratch;
  float *band = (float *)((uint8_t *)ctx->scratch + (((size_t)taps * sizeof(int64_t) + 63) & ~(size_t)63));
  float *grid = band + ((pl.band_floats * sizeof(float) + 63) & ~(size_t)63) / sizeof(float);
  tsr_conv_tap_offsets(g, 1, pl.wq, pl.rp, toff);
  const tsr_conv2d_params *p = &op->p.conv2d;
  const tsr_conv_ep ep = {tsr_op_has_src(op, 2) ? op->src[2].data : NULL, tsr_op_has_src(op, 3) ? op->src[3].data : NULL,
                          p->activation, p->act_alpha, p->act_beta};
  const float *x = op->src[0].data, *w = op->src[1].data;
  float *y = op->dst.data;
  for (int64_t u = begin; u < end; ++u) {
    const int64_t bi = u % pl.bands, nm = u / pl.bands, n = nm / g->m, m = nm % g->m;
    const int64_t oh0 = bi * pl.band, rows = g->oh - oh0 < pl.band ? g->oh - oh0 : pl.band;
    fill(g, 1, x + (n * g->c + m / g->mg) * g->h * g->w, oh0, rows, pl.wq, pl.rp, 0.0f, band);
    for (size_t t = (size_t)(g->sh * g->sw * pl.rp * pl.wq); t < pl.band_floats; ++t) band[t] = 0.0f;
    float *yp = y + ((n * g->m + m) * g->oh + oh0) * g->ow;
    if (g->ow >= TSR_CONV_DW_DIRECT_OW) {
      /* rows straight into y, 4 at a time (band pitch wq, y pitch OW) */
      for (int64_t r = 0; r < rows; r += 4)
        row(band + r * pl.wq, (size_t)pl.wq, toff, w + m * taps, (size_t)taps, yp + r * g->ow, (size_t)g->ow,
            (size_t)(rows - r < 4 ? rows - r : 4), (size_t)g->ow, &ep, (size_t)m);
      continue;
    }
    /* narrow rows: the band's flat grid (pitch wq) as 4 segments (8
     * independent chains), then the kept columns copied out */
    const int64_t cells = rows * pl.wq, seg = cdiv(cells, 4);
    row(band, (size_t)seg, toff, w + m * taps, (size_t)taps, grid, (size_t)seg, 4, (size_t)seg, &ep, (size_t)m);
    for (int64_t r = 0; r < rows; ++r) memcpy(yp + r * g->ow, grid + r * pl.wq, sizeof(float) * (size_t)g->ow);
  }
}

/* Portable rows: the column loop innermost, vectorized by the compiler. */
void tsr_conv_dw_rows_f32__scalar(const float *in0, size_t ldi, const int64_t *toff, const float *w, size_t taps, float *y0,
                          size_t ldy, size_t nrows, size_t ow, const tsr_conv_ep *ep, size_t m) {
  const float bias = ep->bias ? ep->bias[m] : 0.0f;
  const float alpha = ep->slope ? ep->slope[m] : ep->alpha;
  for (size_t r = 0; r < nrows; ++r) {
  const float *in = in0 + r * ldi;
  float *y = y0 + r * ldy;
  for (size_t q0 = 0; q0 < ow; q0 += 64) {
    const size_t n = ow - q0 < 64 ? ow - q0 : 64;
    float acc[64];
    for (size_t q = 0; q < n; ++q) acc[q] = bias;
    for (size_t t = 0; t < taps; ++t) {
      const float wt = w[t], *src = in + toff[t] + q0;
      for (size_t q = 0; q < n; ++q) acc[q] += wt * src[q];
    }
    for (size_t q = 0; q < n; ++q) y[q0 + q] = ep->act >= 0 ? tsr_conv_act_f32(ep->act, acc[q], alpha, ep->beta) : acc[q];
  }
  }
}

TSR_CONV_DW_KERNEL(tsr_conv2d_f32_ukernel_dw_u64__scalar, tsr_conv_dw_rows_f32__scalar, tsr_conv_fill_band_pad, 0)
