/* The ISA-neutral CONV_TRANSPOSE2D GEMM + gather driver; see conv_tgemm.h. */
#include "conv/conv_tgemm.h"

#include <string.h>

typedef struct tplan {
  tsr_conv_geom g; /* c, h, w: x; m, oh, ow: y; cg, mg per group */
  int64_t mt;      /* GEMM rows per group: mg * kh * kw */
  int64_t p;       /* H * W */
  int64_t strips, tiles, mblocks;
  int64_t band, bands;
} tplan;

#define TILE_STRIPS 16

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static size_t r64(size_t n) { return (n + 63) & ~(size_t)63; }

static void tplan_of(const tsr_conv_gemm_isa *isa, const tsr_op *op, tplan *pl) {
  tsr_conv_geom_of(op, &pl->g);
  tsr_conv_geom *g = &pl->g;
  /* tsr_conv_geom_of reads w as [M, C/g, ..]: fix the per-group counts */
  g->cg = g->c / g->groups;
  g->mg = g->m / g->groups;
  pl->mt = g->mg * g->kh * g->kw;
  pl->p = g->h * g->w;
  const int64_t nr = isa ? isa->nr : 16;
  pl->strips = cdiv(pl->p, nr);
  pl->tiles = cdiv(pl->strips, TILE_STRIPS);
  pl->mblocks = isa ? cdiv(pl->mt, isa->mr) : 1;
  int64_t band = g->oh;
  pl->band = band;
  pl->bands = 1;
  while (pl->band > 1 && g->n * g->m * pl->bands < 16) {
    pl->band = cdiv(pl->band, 2);
    pl->bands = cdiv(g->oh, pl->band);
  }
}

bool tsr_conv_tgemm_match(const tsr_op *op) {
  return op->type == TSR_OP_CONV_TRANSPOSE2D && tsr_conv_dense(&op->src[0]) && tsr_conv_dense(&op->src[1]) &&
         tsr_conv_dense(&op->dst) && (op->src[1].flags & TSR_TENSOR_FLAG_CONST) != 0;
}

int64_t tsr_conv_tgemm_units(const tsr_op *op) {
  tplan pl;
  tplan_of(NULL, op, &pl);
  return pl.g.n * pl.g.m * pl.bands;
}

int64_t tsr_conv_tgemm_pre_units(const tsr_conv_gemm_isa *isa, const tsr_op *op) {
  tplan pl;
  tplan_of(isa, op, &pl);
  return pl.g.n * pl.g.groups * pl.tiles * pl.mblocks;
}

size_t tsr_conv_tgemm_shared(const tsr_op *op) {
  tplan pl;
  tplan_of(NULL, op, &pl);
  return (size_t)(pl.g.n * pl.g.groups * pl.mt * pl.p) * sizeof(float);
}

/* Per thread: koff and koff_tail [K + prefetch] (i64), a copied tail strip [K][NR]. */
size_t tsr_conv_tgemm_scratch(const tsr_conv_gemm_isa *isa, const tsr_op *op) {
  tplan pl;
  tplan_of(isa, op, &pl);
  return 2 * r64((size_t)(pl.g.cg + TSR_CONV_PREFETCH) * 8) + r64((size_t)(pl.g.cg * isa->nr) * 4);
}

size_t tsr_conv_tgemm_packed_size(const tsr_conv_gemm_isa *isa, const tsr_op *op) {
  tplan pl;
  tplan_of(isa, op, &pl);
  return (size_t)(pl.g.groups * pl.mblocks * pl.g.cg * isa->mr) * sizeof(float);
}

/* A: [group][mblock][k = c][MR] of w[c, m, i, j] for rows t = (m, i, j). */
void tsr_conv_tgemm_pack(const tsr_conv_gemm_isa *isa, const tsr_op *op, void *out) {
  tplan pl;
  tplan_of(isa, op, &pl);
  const tsr_conv_geom *g = &pl.g;
  const float *w = op->src[1].data;
  float *a = out;
  const int64_t mr = isa->mr, taps = g->kh * g->kw;
  for (int64_t gi = 0; gi < g->groups; ++gi) {
    for (int64_t mb = 0; mb < pl.mblocks; ++mb) {
      for (int64_t c = 0; c < g->cg; ++c) {
        for (int64_t r = 0; r < mr; ++r) {
          const int64_t t = mb * mr + r;
          float v = 0.0f;
          if (t < pl.mt) v = w[((gi * g->cg + c) * g->mg + t / taps) * taps + t % taps];
          a[((gi * pl.mblocks + mb) * g->cg + c) * mr + r] = v;
        }
      }
    }
  }
}

void tsr_conv_tgemm_pre(const tsr_conv_gemm_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  tplan pl;
  tplan_of(isa, op, &pl);
  const tsr_conv_geom *g = &pl.g;
  const int64_t nr = isa->nr, mr = isa->mr, k = g->cg, p = pl.p;
  uint8_t *sp = ctx->scratch;
  int64_t *koff = (int64_t *)sp;
  sp += r64((size_t)(k + TSR_CONV_PREFETCH) * 8);
  int64_t *koff_tail = (int64_t *)sp;
  sp += r64((size_t)(k + TSR_CONV_PREFETCH) * 8);
  float *tail = (float *)sp;
  for (int64_t c = 0; c < k; ++c) {
    koff[c] = c * p;
    koff_tail[c] = c * nr;
  }
  for (int64_t c = k; c < k + TSR_CONV_PREFETCH; ++c) koff[c] = koff_tail[c] = 0; /* prefetch targets */
  const tsr_conv_ep raw = {NULL, NULL, -1, 0.0f, 0.0f};
  const float *a = ctx->packed, *x = op->src[0].data;
  float *cols = ctx->shared;
  const uint64_t full = nr == 64 ? ~(uint64_t)0 : (((uint64_t)1 << nr) - 1);
  for (int64_t u = begin; u < end; ++u) {
    int64_t r = u;
    const int64_t mb = r % pl.mblocks;
    r /= pl.mblocks;
    const int64_t t = r % pl.tiles;
    r /= pl.tiles;
    const int64_t gi = r % g->groups, n = r / g->groups;
    const float *xg = x + (n * g->c + gi * g->cg) * p;
    float *cg = cols + ((n * g->groups + gi) * pl.mt) * p;
    const int64_t m0 = mb * mr, rows = pl.mt - m0 < mr ? pl.mt - m0 : mr;
    const float *ab = a + (gi * pl.mblocks + mb) * k * mr;
    for (int64_t s = t * TILE_STRIPS; s < (t + 1) * TILE_STRIPS && s < pl.strips; ++s) {
      const int64_t p0 = s * nr, nc = p - p0 < nr ? p - p0 : nr;
      const float *b = xg + p0;
      const int64_t *ko = koff;
      if (nc < nr) { /* the plane's last strip: copy so no read runs past x */
        for (int64_t c = 0; c < k; ++c) {
          memcpy(tail + c * nr, b + c * p, sizeof(float) * (size_t)nc);
          memset(tail + c * nr + nc, 0, sizeof(float) * (size_t)(nr - nc));
        }
        b = tail;
        ko = koff_tail;
      }
      const uint64_t mask = nc == nr ? full : (((uint64_t)1 << nc) - 1);
      isa->ukernel[rows]((size_t)k, ab, b, ko, cg + m0 * p + p0, (size_t)p, mask, &raw, 0);
    }
  }
}

void tsr_conv_tgemm_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  TSR_FTZ_BEGIN();
  const tsr_op *op = ctx->op;
  tplan pl;
  tplan_of(NULL, op, &pl);
  const tsr_conv_geom *g = &pl.g;
  const tsr_conv2d_params *prm = &op->p.conv2d;
  const float *bias = tsr_op_has_src(op, 2) ? op->src[2].data : NULL;
  const float *slope = tsr_op_has_src(op, 3) ? op->src[3].data : NULL;
  const float *cols = ctx->shared;
  float *y = op->dst.data;
  const int64_t taps = g->kh * g->kw;
  for (int64_t u = begin; u < end; ++u) {
    const int64_t bi = u % pl.bands, nm = u / pl.bands, n = nm / g->m, m = nm % g->m;
    const int64_t gi = m / g->mg, ml = m % g->mg;
    const float *cm = cols + ((n * g->groups + gi) * pl.mt + ml * taps) * pl.p;
    const int64_t oh0 = bi * pl.band, oh1 = oh0 + pl.band < g->oh ? oh0 + pl.band : g->oh;
    const float b0 = bias ? bias[m] : 0.0f, alpha = slope ? slope[m] : prm->act_alpha;
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      float *yr = y + ((n * g->m + m) * g->oh + oh) * g->ow;
      for (int64_t q = 0; q < g->ow; ++q) yr[q] = b0;
      for (int64_t i = 0; i < g->kh; ++i) {
        const int64_t num = oh + g->pt - i * g->dh;
        if (num < 0 || num % g->sh != 0 || num / g->sh >= g->h) continue;
        const float *crow = cm + i * g->kw * pl.p + (num / g->sh) * g->w;
        for (int64_t j = 0; j < g->kw; ++j) {
          const float *src = crow + j * pl.p;
          /* ow with (ow + pl - j*dw) = iw * sw, iw in [0, W): ow = iw*sw - pl + j*dw */
          const int64_t off = j * g->dw - g->pl; /* ow = iw * sw + off */
          int64_t iw0 = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw;
          int64_t iw1 = g->ow - off <= 0 ? 0 : (g->ow - off + g->sw - 1) / g->sw;
          if (iw1 > g->w) iw1 = g->w;
          float *d = yr + iw0 * g->sw + off;
          if (g->sw == 1) {
            for (int64_t iw = iw0; iw < iw1; ++iw) d[iw - iw0] += src[iw];
          } else {
            for (int64_t iw = iw0; iw < iw1; ++iw) d[(iw - iw0) * g->sw] += src[iw];
          }
        }
      }
      if (prm->activation >= 0) {
        for (int64_t q = 0; q < g->ow; ++q) yr[q] = tsr_conv_act_f32(prm->activation, yr[q], alpha, prm->act_beta);
      }
    }
  }
  TSR_FTZ_END();
}

TSR_CONV_TGEMM_KERNEL(tsr_conv_transpose2d_f32_ukernel_4x16__scalar, tsr_conv_gemm_isa_scalar, 0)
