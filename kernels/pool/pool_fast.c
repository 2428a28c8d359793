/* The ISA-neutral fast POOL2D driver; see pool_fast.h. */
#include "pool/pool_fast.h"

#include <math.h>

typedef struct pplan {
  tsr_pool_geom pg;
  tsr_conv_geom g; /* the same window as a depthwise convolution geometry */
  int64_t wq, band, bands, rp;
  size_t band_floats;
  bool sep; /* max at stride 1: a row pass over kw taps, then a column pass over kh */
} pplan;

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static size_t r64(size_t n) { return (n + 63) & ~(size_t)63; }

static void pband(pplan *pl, int64_t band) {
  const tsr_conv_geom *g = &pl->g;
  pl->band = band;
  pl->bands = cdiv(g->oh, band);
  pl->rp = cdiv((band - 1) * g->sh + (g->kh - 1) * g->dh + 1, g->sh);
  pl->band_floats = (size_t)(g->sh * g->sw * pl->rp * pl->wq + 64 + g->kw * g->dw);
}

static void pplan_of(const tsr_op *op, pplan *pl) {
  tsr_pool_geom_of(op, &pl->pg);
  const tsr_pool_geom *p = &pl->pg;
  tsr_conv_geom *g = &pl->g;
  *g = (tsr_conv_geom){p->n, p->c, p->h, p->w, p->c, p->oh, p->ow, p->kh, p->kw, p->sh, p->sw, p->dh, p->dw,
                       p->pt, p->pl, p->pb, p->pr, p->c, 1, 1};
  /* the padded extent may need more columns than the window reads (ceil) */
  const int64_t need = (p->ow - 1) * p->sw + (p->kw - 1) * p->dw + 1;
  const int64_t wp = p->w + p->pl + p->pr > need ? p->w + p->pl + p->pr : need;
  pl->wq = cdiv(wp, p->sw);
  g->pr = pl->wq * p->sw - p->w - p->pl; /* fill the whole grid row */
  pl->sep = p->is_max && !p->global && p->sh == 1 && p->sw == 1 && p->kh > 1 && p->kw > 1;
  pband(pl, g->oh);
  while (pl->band > 1 && pl->band_floats * sizeof(float) > 96 * 1024) pband(pl, cdiv(pl->band, 2));
  while (pl->band > 4 && g->n * g->c * pl->bands < 16) pband(pl, cdiv(pl->band, 2));
}

bool tsr_pool_fast_match(const tsr_op *op) {
  return op->type == TSR_OP_POOL2D && op->src[0].dtype == TSR_DTYPE_F32 && tsr_tensor_is_contiguous(&op->src[0]) &&
         tsr_tensor_is_contiguous(&op->dst);
}

int64_t tsr_pool_fast_units(const tsr_op *op) {
  pplan pl;
  pplan_of(op, &pl);
  return pl.pg.global ? pl.g.n * pl.g.c : pl.g.n * pl.g.c * pl.bands;
}

size_t tsr_pool_fast_scratch(const tsr_op *op) {
  pplan pl;
  pplan_of(op, &pl);
  if (pl.pg.global) return 64;
  return r64((size_t)(pl.g.kh * pl.g.kw) * 8) + r64((size_t)(pl.g.kh + pl.g.kw) * 8) + 2 * r64(pl.band_floats * 4) +
         r64((size_t)pl.g.ow * 4);
}

void tsr_pool_fast_run(const tsr_pool_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  pplan pl;
  pplan_of(op, &pl);
  const tsr_pool_geom *pg = &pl.pg;
  const tsr_conv_geom *g = &pl.g;
  const float *x = op->src[0].data;
  float *y = op->dst.data;
  const int64_t hw = g->h * g->w;
  if (pg->global) {
    for (int64_t u = begin; u < end; ++u) {
      const float v = isa->reduce(x + u * hw, (size_t)hw, pg->is_max);
      y[u] = pg->is_max ? v : v / (float)hw;
    }
    return;
  }
  const int64_t taps = g->kh * g->kw;
  uint8_t *sp = ctx->scratch;
  int64_t *toff = (int64_t *)sp;
  sp += r64((size_t)taps * 8);
  float *band = (float *)sp;
  sp += r64(pl.band_floats * 4);
  float *colinv = (float *)sp;
  sp += r64((size_t)g->ow * 4);
  int64_t *hoff = (int64_t *)sp, *voff = hoff + g->kw; /* separable: row and column tap offsets */
  sp += r64((size_t)(g->kh + g->kw) * 8);
  float *hmax = (float *)sp; /* separable: the row pass, rp rows of wq (reads run past: band_floats) */
  tsr_conv_tap_offsets(g, 1, pl.wq, pl.rp, toff);
  if (pl.sep) {
    for (int64_t j = 0; j < g->kw; ++j) hoff[j] = j * g->dw;
    for (int64_t i = 0; i < g->kh; ++i) voff[i] = i * g->dh * pl.wq;
  }
  if (!pg->is_max) {
    for (int64_t ow = 0; ow < g->ow; ++ow) {
      const int64_t ws = ow * g->sw - g->pl;
      int64_t j0, j1;
      const int64_t nw = pg->include_pad ? tsr_pool_padded_taps(ws, pg->kw, pg->dw, pg->w, pg->pr)
                                         : tsr_pool_taps(ws, pg->kw, pg->dw, pg->w, &j0, &j1);
      colinv[ow] = nw > 0 ? 1.0f / (float)nw : 0.0f;
    }
  }
  const float pad = pg->is_max ? -INFINITY : 0.0f;
  for (int64_t u = begin; u < end; ++u) {
    const int64_t bi = u % pl.bands, nc = u / pl.bands;
    const int64_t oh0 = bi * pl.band, rows = g->oh - oh0 < pl.band ? g->oh - oh0 : pl.band;
    tsr_conv_fill_band_pad(g, 1, x + nc * hw, oh0, rows, pl.wq, pl.rp, pad, band);
    for (size_t t = (size_t)(g->sh * g->sw * pl.rp * pl.wq); t < pl.band_floats; ++t) band[t] = pad;
    float *yp = y + (nc * g->oh + oh0) * g->ow;
    if (pl.sep) { /* max is exact: the two passes give the direct window's value bit for bit */
      const int64_t hr = rows + (g->kh - 1) * g->dh; /* band rows the outputs read */
      for (int64_t r = 0; r < hr; r += 4) {
        isa->rows(band + r * pl.wq, (size_t)pl.wq, hoff, (size_t)g->kw, hmax + r * pl.wq, (size_t)pl.wq,
                  (size_t)(hr - r < 4 ? hr - r : 4), (size_t)g->ow, true);
      }
      for (int64_t r = 0; r < rows; r += 4) {
        isa->rows(hmax + r * pl.wq, (size_t)pl.wq, voff, (size_t)g->kh, yp + r * g->ow, (size_t)g->ow,
                  (size_t)(rows - r < 4 ? rows - r : 4), (size_t)g->ow, true);
      }
      continue;
    }
    for (int64_t r = 0; r < rows; r += 4) {
      const int64_t nr = rows - r < 4 ? rows - r : 4;
      isa->rows(band + r * pl.wq, (size_t)pl.wq, toff, (size_t)taps, yp + r * g->ow, (size_t)g->ow, (size_t)nr,
                (size_t)g->ow, pg->is_max);
      if (pg->is_max) continue;
      for (int64_t rr = r; rr < r + nr; ++rr) {
        const int64_t hs = (oh0 + rr) * g->sh - g->pt;
        int64_t i0, i1;
        const int64_t nh = pg->include_pad ? tsr_pool_padded_taps(hs, pg->kh, pg->dh, pg->h, pg->pb)
                                           : tsr_pool_taps(hs, pg->kh, pg->dh, pg->h, &i0, &i1);
        const float rinv = nh > 0 ? 1.0f / (float)nh : 0.0f;
        float *yr = yp + rr * g->ow;
        for (int64_t q = 0; q < g->ow; ++q) yr[q] *= rinv * colinv[q];
      }
    }
  }
}

static void rows_scalar(const float *in, size_t ldi, const int64_t *toff, size_t taps, float *y, size_t ldy,
                        size_t nrows, size_t ow, bool is_max) {
  for (size_t r = 0; r < nrows; ++r) {
    float *yr = y + r * ldy;
    const float *ir = in + r * ldi;
    for (size_t q = 0; q < ow; ++q) yr[q] = is_max ? -INFINITY : 0.0f;
    for (size_t t = 0; t < taps; ++t) {
      const float *s = ir + toff[t];
      if (is_max) {
        for (size_t q = 0; q < ow; ++q) yr[q] = s[q] > yr[q] ? s[q] : yr[q];
      } else {
        for (size_t q = 0; q < ow; ++q) yr[q] += s[q];
      }
    }
  }
}

static float reduce_scalar(const float *x, size_t n, bool is_max) {
  float acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = is_max ? -INFINITY : 0.0f;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int j = 0; j < 16; ++j) acc[j] = is_max ? (x[i + j] > acc[j] ? x[i + j] : acc[j]) : acc[j] + x[i + j];
  }
  for (int j = 0; i + (size_t)j < n; ++j) acc[j] = is_max ? (x[i + j] > acc[j] ? x[i + j] : acc[j]) : acc[j] + x[i + j];
  float v = acc[0];
  for (int j = 1; j < 16; ++j) v = is_max ? (acc[j] > v ? acc[j] : v) : v + acc[j];
  return v;
}

static const tsr_pool_isa kScalar = {rows_scalar, reduce_scalar};
TSR_POOL_KERNEL(tsr_pool2d_f32_ukernel_u64__scalar, kScalar, 0)
