/* The ISA-neutral CONV2D GEMM driver; see conv_gemm.h. */
#include "conv/conv_gemm.h"
#include "conv/conv_fill.h"

#include <math.h>
#include <string.h>

float tsr_conv_act_f32(int kind, float x, float alpha, float beta) {
  switch (kind) {
    case TSR_UNARY_SILU: return x / (1.0f + expf(-x));
    case TSR_UNARY_GELU_TANH: return 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    case TSR_UNARY_GELU_ERF: return 0.5f * x * (1.0f + erff(x * 0.7071067811865476f));
    case TSR_UNARY_RELU: return x > 0.0f ? x : 0.0f;
    case TSR_UNARY_LEAKY_RELU: return x < 0.0f ? alpha * x : x;
    case TSR_UNARY_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case TSR_UNARY_HARD_SIGMOID: return fmaxf(0.0f, fminf(1.0f, alpha * x + beta));
    case TSR_UNARY_HARD_SWISH: return x * fmaxf(0.0f, fminf(1.0f, x / 6.0f + 0.5f));
    case TSR_UNARY_TANH: return tanhf(x);
    case TSR_UNARY_ERF: return erff(x);
    case TSR_UNARY_SQRT: return sqrtf(x);
    case TSR_UNARY_EXP: return expf(x);
    case TSR_UNARY_NEG: return -x;
    case TSR_UNARY_ABS: return fabsf(x);
    case TSR_UNARY_CLIP: return fminf(fmaxf(x, alpha), beta);
    case TSR_UNARY_SCALE: return alpha * x + beta;
    default: return x;
  }
}

typedef struct gemm_plan {
  tsr_conv_geom g;
  int64_t k;       /* GEMM depth: cg * kh * kw */
  bool direct;     /* 1x1, stride 1, no pads: B is x itself */
  int64_t wq;      /* grid pitch: columns per phase plane (direct: W) */
  int64_t band;    /* output rows per band */
  int64_t bands;
  int64_t rows_in; /* padded input rows a full band reads */
  int64_t rp;      /* rows per row-phase plane */
  size_t band_floats; /* input band buffer, plus slack for the last strip */
  int64_t mblocks; /* ceil(mg / MR) */
  int64_t mchunk;  /* m blocks per unit */
  int64_t mchunks;
} gemm_plan;

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

static void band_dims(gemm_plan *pl, int64_t band) {
  const tsr_conv_geom *g = &pl->g;
  pl->band = band;
  pl->bands = ceil_div(g->oh, band);
  pl->rows_in = (band - 1) * g->sh + (g->kh - 1) * g->dh + 1;
  pl->rp = ceil_div(pl->rows_in, g->sh);
}

#define TSR_CONV_MAX_STRIPS 64 /* strips per band (masks live on the stack) */

static void plan_of(const tsr_conv_gemm_isa *isa, const tsr_op *op, gemm_plan *pl) {
  tsr_conv_geom_of(op, &pl->g);
  const tsr_conv_geom *g = &pl->g;
  const int64_t nr = isa->nr, planes = g->n * g->groups;
  pl->k = g->cg * g->kh * g->kw;
  pl->direct = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->pb == 0 &&
               g->pr == 0;
  if (pl->direct) {
    /* The plane is one flat grid (pitch OW): bands are runs of strips. */
    const int64_t strips = ceil_div(g->oh * g->ow, nr);
    int64_t per = 16;
    while (per > 2 && planes * ceil_div(strips, per) < 16) per /= 2;
    pl->wq = g->ow;
    pl->band = per * nr; /* cells, not rows */
    pl->bands = ceil_div(g->oh * g->ow, pl->band);
    pl->rows_in = pl->rp = 0;
    pl->band_floats = 0;
  } else {
    pl->wq = ceil_div(g->w + g->pl + g->pr, g->sw);
    /* About 16 strips per band, at least 2 (or the plane); the band's input
     * copy within ~256 KiB; bands for every thread where that allows. */
    const int64_t min_rows = ceil_div(4 * nr, pl->wq);
    int64_t band = ceil_div(16 * nr, pl->wq);
    if (band > g->oh) band = g->oh;
    band_dims(pl, band);
    while (pl->band > min_rows && g->cg * g->sh * g->sw * pl->rp * pl->wq * (int64_t)sizeof(float) > 256 * 1024)
      band_dims(pl, pl->band / 2 > min_rows ? pl->band / 2 : min_rows);
    while (pl->band > min_rows && planes * pl->bands < 8)
      band_dims(pl, ceil_div(pl->band, 2) > min_rows ? ceil_div(pl->band, 2) : min_rows);
    pl->band_floats = (size_t)(g->cg * g->sh * g->sw * pl->rp * pl->wq + 2 * nr);
  }
  pl->mblocks = ceil_div(g->mg, isa->mr);
  /* Still few units (a small plane): split the output channels too; each
   * chunk copies the same band again, so only into chunks of 2+ blocks. */
  const int64_t base = planes * pl->bands;
  int64_t want = base >= 8 ? 1 : ceil_div(8, base);
  if (want > pl->mblocks / 2) want = pl->mblocks / 2;
  if (want < 1) want = 1;
  pl->mchunk = ceil_div(pl->mblocks, want);
  pl->mchunks = ceil_div(pl->mblocks, pl->mchunk);
}

/* Grid lanes the microkernels compute (outputs plus padding lanes). */
static int64_t lanes_of(const gemm_plan *pl, int64_t nr) {
  const tsr_conv_geom *g = &pl->g;
  if (pl->direct) return ceil_div(g->oh * g->ow, nr) * nr;
  const int64_t full = g->oh / pl->band, last = g->oh - full * pl->band;
  return full * ceil_div(pl->band * pl->wq, nr) * nr + (last ? ceil_div(last * pl->wq, nr) * nr : 0);
}

/* |isa|, or its narrow variant where that computes under 80% of the lanes. */
static const tsr_conv_gemm_isa *pick(const tsr_conv_gemm_isa *isa, const tsr_op *op) {
  if (isa->narrow == NULL || isa->narrow->mr != isa->mr) return isa;
  gemm_plan wide, narrow;
  plan_of(isa, op, &wide);
  plan_of(isa->narrow, op, &narrow);
  return 5 * lanes_of(&narrow, isa->narrow->nr) < 4 * lanes_of(&wide, isa->nr) ? isa->narrow : isa;
}

bool tsr_conv_gemm_match(const tsr_op *op) {
  return op->type == TSR_OP_CONV2D && tsr_conv_dense(&op->src[0]) && tsr_conv_dense(&op->src[1]) &&
         tsr_conv_dense(&op->dst);
}

int64_t tsr_conv_gemm_units(const tsr_conv_gemm_isa *isa, const tsr_op *op) {
  isa = pick(isa, op);
  gemm_plan pl;
  plan_of(isa, op, &pl);
  return pl.g.n * pl.g.groups * pl.bands * pl.mchunks;
}

int64_t tsr_conv_grain_of(int64_t macs, int64_t units) {
  if (units < 1 || macs < 1) return 1;
  const int64_t per = macs / units > 0 ? macs / units : 1;
  const int64_t grain = ceil_div(TSR_CONV_GRAIN_MACS, per);
  return grain < 1 ? 1 : grain;
}

int64_t tsr_conv_gemm_grain(const tsr_conv_gemm_isa *isa, const tsr_op *op) {
  isa = pick(isa, op);
  gemm_plan pl;
  plan_of(isa, op, &pl);
  const tsr_conv_geom *g = &pl.g;
  return tsr_conv_grain_of(g->n * g->m * g->oh * g->ow * pl.k, g->n * g->groups * pl.bands * pl.mchunks);
}

static bool weights_const(const tsr_op *op) { return (op->src[1].flags & TSR_TENSOR_FLAG_CONST) != 0; }

static size_t group_weights_floats(const tsr_conv_gemm_isa *isa, const gemm_plan *pl) {
  return (size_t)(pl->mblocks * pl->k * isa->mr);
}

size_t tsr_conv_gemm_packed_size(const tsr_conv_gemm_isa *isa, const tsr_op *op) {
  isa = pick(isa, op);
  if (!weights_const(op)) return 0;
  gemm_plan pl;
  plan_of(isa, op, &pl);
  return group_weights_floats(isa, &pl) * (size_t)pl.g.groups * sizeof(float);
}

/* Scratch: koff [K] and a second table for a direct tail strip (int64), the
 * input band (or the copied tail strip), the weights when not packed. */
static size_t round64(size_t n) { return (n + 63) & ~(size_t)63; }

static size_t band_bytes(const tsr_conv_gemm_isa *isa, const gemm_plan *pl) {
  size_t n = pl->direct ? (size_t)(pl->k * isa->nr) : pl->band_floats;
  return round64(n * sizeof(float));
}

size_t tsr_conv_gemm_scratch(const tsr_conv_gemm_isa *isa, const tsr_op *op) {
  isa = pick(isa, op);
  gemm_plan pl;
  plan_of(isa, op, &pl);
  size_t n = 2 * round64((size_t)(pl.k + TSR_CONV_PREFETCH) * sizeof(int64_t)) + band_bytes(isa, &pl);
  if (!weights_const(op)) n += round64(group_weights_floats(isa, &pl) * sizeof(float));
  return n;
}

/* Packs the weights of group |gi| into [mblocks][K][MR]. */
static void pack_group(const tsr_conv_gemm_isa *isa, const gemm_plan *pl, const float *w, int64_t gi, float *out) {
  const int64_t mr = isa->mr, k = pl->k, mg = pl->g.mg;
  for (int64_t mb = 0; mb < pl->mblocks; ++mb) {
    float *o = out + mb * k * mr;
    for (int64_t r = 0; r < mr; ++r) {
      const int64_t m = mb * mr + r;
      if (m >= mg) {
        for (int64_t kk = 0; kk < k; ++kk) o[kk * mr + r] = 0.0f;
        continue;
      }
      const float *wr = w + (gi * mg + m) * k;
      for (int64_t kk = 0; kk < k; ++kk) o[kk * mr + r] = wr[kk];
    }
  }
}

void tsr_conv_gemm_pack(const tsr_conv_gemm_isa *isa, const tsr_op *op, void *out) {
  isa = pick(isa, op);
  gemm_plan pl;
  plan_of(isa, op, &pl);
  const size_t per = group_weights_floats(isa, &pl);
  for (int64_t gi = 0; gi < pl.g.groups; ++gi) pack_group(isa, &pl, op->src[1].data, gi, (float *)out + gi * per);
}

void tsr_conv_fill_band(const tsr_conv_geom *g, int64_t channels, const float *x, int64_t oh0, int64_t rows,
                        int64_t wq, int64_t rp, float *band) {
  tsr_conv_fill_band_body(g, channels, x, oh0, rows, wq, rp, 0.0f, band);
}

void tsr_conv_fill_band_pad(const tsr_conv_geom *g, int64_t channels, const float *x, int64_t oh0, int64_t rows,
                            int64_t wq, int64_t rp, float pad, float *band) {
  tsr_conv_fill_band_body(g, channels, x, oh0, rows, wq, rp, pad, band);
}

void tsr_conv_tap_offsets(const tsr_conv_geom *g, int64_t channels, int64_t wq, int64_t rp, int64_t *koff) {
  const int64_t plane = rp * wq, taps = g->kh * g->kw;
  if (channels < 1) return;
  /* channel 0's taps (the divisions once), then every channel's the same
   * plus its phase planes */
  int64_t k = 0;
  for (int64_t i = 0; i < g->kh; ++i) {
    for (int64_t j = 0; j < g->kw; ++j) {
      const int64_t rph = (i * g->dh) % g->sh, cph = (j * g->dw) % g->sw;
      koff[k++] = (rph * g->sw + cph) * plane + ((i * g->dh) / g->sh) * wq + (j * g->dw) / g->sw;
    }
  }
  const int64_t cstep = g->sh * g->sw * plane;
  for (int64_t c = 1; c < channels; ++c) {
    for (int64_t t = 0; t < taps; ++t) koff[c * taps + t] = koff[t] + c * cstep;
  }
}

/* Lanes of the strip at grid position p0 (band of |rows| rows from output
 * row oh0) that are outputs, and the plane offset of the first of them. */
static uint64_t strip_mask(const gemm_plan *pl, int64_t nr, int64_t oh0, int64_t rows, int64_t p0, int64_t *first) {
  const int64_t wq = pl->wq, ow = pl->g.ow, end = rows * wq;
  uint64_t mask = 0;
  *first = -1;
  int64_t row = p0 / wq, col = p0 % wq; /* of lane q, walked without divisions */
  for (int64_t q = 0; q < nr && p0 + q < end; ++q, ++col) {
    if (col == wq) {
      col = 0;
      ++row;
    }
    if (col >= ow) continue;
    if (*first < 0) *first = (oh0 + row) * ow + col;
    mask |= (uint64_t)1 << q;
  }
  return mask;
}

void tsr_conv_gemm_run(const tsr_conv_gemm_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  isa = pick(isa, op);
  gemm_plan pl;
  plan_of(isa, op, &pl);
  const tsr_conv_geom *g = &pl.g;
  const int64_t nr = isa->nr, mr = isa->mr, k = pl.k, hw = g->h * g->w, ohw = g->oh * g->ow;
  const size_t gw = group_weights_floats(isa, &pl);
  uint8_t *sp = ctx->scratch;
  int64_t *koff = (int64_t *)sp;
  sp += round64((size_t)(k + TSR_CONV_PREFETCH) * sizeof(int64_t));
  int64_t *koff_tail = (int64_t *)sp;
  sp += round64((size_t)(k + TSR_CONV_PREFETCH) * sizeof(int64_t));
  float *band = (float *)sp;
  sp += band_bytes(isa, &pl);
  float *wscratch = (float *)sp;
  const tsr_conv2d_params *p = &op->p.conv2d;
  const tsr_conv_ep ep = {tsr_op_has_src(op, 2) ? op->src[2].data : NULL, tsr_op_has_src(op, 3) ? op->src[3].data : NULL,
                          p->activation, p->act_alpha, p->act_beta};
  const float *x = op->src[0].data;
  float *y = op->dst.data;
  const uint64_t full = nr == 64 ? ~(uint64_t)0 : (((uint64_t)1 << nr) - 1);
  int64_t packed_group = -1;
  const tsr_conv_fill_fn fill = isa->fill ? isa->fill : tsr_conv_fill_band_pad;
  int64_t filled = -1; /* (n, group, band) whose input band is in |band| */
  if (pl.direct) {
    for (int64_t kk = 0; kk < k; ++kk) {
      koff[kk] = kk * hw;
      koff_tail[kk] = kk * nr;
    }
  } else {
    tsr_conv_tap_offsets(g, g->cg, pl.wq, pl.rp, koff);
  }
  for (int64_t kk = k; kk < k + TSR_CONV_PREFETCH; ++kk) koff[kk] = koff_tail[kk] = 0; /* prefetch targets */
  for (int64_t u = begin; u < end; ++u) {
    int64_t r = u;
    const int64_t mc = r % pl.mchunks;
    r /= pl.mchunks;
    const int64_t bi = r % pl.bands;
    r /= pl.bands;
    const int64_t gi = r % g->groups, n = r / g->groups;
    const float *wg;
    if (ctx->packed) {
      wg = (const float *)ctx->packed + gi * gw;
    } else {
      if (packed_group != gi) pack_group(isa, &pl, op->src[1].data, gi, wscratch);
      packed_group = gi;
      wg = wscratch;
    }
    const float *xg = x + (n * g->c + gi * g->cg) * hw;
    float *yg = y + (n * g->m + gi * g->mg) * ohw;
    /* Band: output rows [oh0, oh0 + rows) on a grid of pitch wq, or in
     * direct mode the flat cells [c0, c0 + cells). */
    int64_t oh0, rows, cells;
    const float *b = band;
    if (pl.direct) {
      const int64_t c0 = bi * pl.band;
      cells = ohw - c0 < pl.band ? ohw - c0 : pl.band;
      oh0 = 0;
      rows = 0;
      b = xg + c0;
      yg += c0;
    } else {
      oh0 = bi * pl.band;
      rows = g->oh - oh0 < pl.band ? g->oh - oh0 : pl.band;
      cells = rows * pl.wq;
      /* consecutive m chunks of one band share its copy */
      if (filled != u / pl.mchunks) fill(g, g->cg, xg, oh0, rows, pl.wq, pl.rp, 0.0f, band);
      filled = u / pl.mchunks;
    }
    const int64_t all_strips = ceil_div(cells, nr);
    for (int64_t s_base = 0; s_base < all_strips; s_base += TSR_CONV_MAX_STRIPS) {
    const int64_t strips = all_strips - s_base < TSR_CONV_MAX_STRIPS ? all_strips - s_base : TSR_CONV_MAX_STRIPS;
    uint64_t masks[TSR_CONV_MAX_STRIPS];
    int64_t firsts[TSR_CONV_MAX_STRIPS];
    const float *bstrip[TSR_CONV_MAX_STRIPS];
    const int64_t *kstrip[TSR_CONV_MAX_STRIPS];
    for (int64_t s = 0; s < strips; ++s) {
      const int64_t p0 = (s_base + s) * nr;
      bstrip[s] = b + p0;
      kstrip[s] = koff;
      firsts[s] = pl.direct ? p0 : oh0 * g->ow + p0;
      if (pl.wq == g->ow && p0 + nr <= cells) {
        masks[s] = full;
      } else if (pl.direct) {
        masks[s] = ((uint64_t)1 << (cells - p0)) - 1;
        if (bi == pl.bands - 1) {
          /* the plane's last strip would read past x: use a copy */
          for (int64_t kk = 0; kk < k; ++kk) {
            memcpy(band + kk * nr, b + p0 + kk * hw, sizeof(float) * (size_t)(cells - p0));
            memset(band + kk * nr + (cells - p0), 0, sizeof(float) * (size_t)(nr - (cells - p0)));
          }
          bstrip[s] = band;
          kstrip[s] = koff_tail;
        }
      } else {
        masks[s] = strip_mask(&pl, nr, oh0, rows, p0, &firsts[s]);
      }
    }
    const int64_t mb0 = mc * pl.mchunk, mb1 = mb0 + pl.mchunk < pl.mblocks ? mb0 + pl.mchunk : pl.mblocks;
    /* strip outer: its B panel (K x NR) stays in L1 over the m blocks */
    for (int64_t s = 0; s < strips; ++s) {
      if (masks[s] == 0) continue;
      for (int64_t mb = mb0; mb < mb1; ++mb) {
        const int64_t m0 = mb * mr, nrows = g->mg - m0 < mr ? g->mg - m0 : mr;
        isa->ukernel[nrows]((size_t)k, wg + mb * k * mr, bstrip[s], kstrip[s], yg + m0 * ohw + firsts[s], (size_t)ohw,
                            masks[s], &ep, (size_t)(gi * g->mg + m0));
      }
    }
    }
  }
}
