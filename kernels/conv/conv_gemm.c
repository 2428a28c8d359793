/* The ISA-neutral CONV2D GEMM driver; see conv_gemm.h. */
#include "conv/conv_gemm.h"

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
  int64_t k;        /* GEMM depth: cg * kh * kw */
  int64_t p;        /* pixels per plane: OH * OW */
  int64_t strips;   /* ceil(p / NR) */
  int64_t per_tile; /* strips per tile */
  int64_t tiles;
  int64_t mblocks;  /* ceil(mg / MR) */
  int64_t mchunk;   /* m blocks per unit */
  int64_t mchunks;
  bool direct;      /* 1x1, stride 1, no pads: full strips read x in place */
} gemm_plan;

static void plan_of(const tsr_conv_gemm_isa *isa, const tsr_op *op, gemm_plan *pl) {
  tsr_conv_geom_of(op, &pl->g);
  const tsr_conv_geom *g = &pl->g;
  pl->k = g->cg * g->kh * g->kw;
  pl->p = g->oh * g->ow;
  pl->strips = (pl->p + isa->nr - 1) / isa->nr;
  pl->direct = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->pb == 0 &&
               g->pr == 0;
  /* A tile of packed strips (K x NR floats each) sized to stay in L2. */
  int64_t per = (int64_t)(192 * 1024) / (pl->k * isa->nr * (int64_t)sizeof(float));
  if (per < 1) per = 1;
  if (per > 16) per = 16;
  pl->per_tile = per;
  pl->tiles = (pl->strips + per - 1) / per;
  pl->mblocks = (g->mg + isa->mr - 1) / isa->mr;
  /* Few tiles: split the output channels too, so every thread has work. */
  const int64_t base = g->n * g->groups * pl->tiles;
  int64_t want = base >= 16 ? 1 : (16 + base - 1) / base;
  if (want > pl->mblocks) want = pl->mblocks;
  pl->mchunk = (pl->mblocks + want - 1) / want;
  pl->mchunks = (pl->mblocks + pl->mchunk - 1) / pl->mchunk;
}

bool tsr_conv_gemm_match(const tsr_op *op) {
  return op->type == TSR_OP_CONV2D && tsr_conv_dense(&op->src[0]) && tsr_conv_dense(&op->src[1]) &&
         tsr_conv_dense(&op->dst);
}

int64_t tsr_conv_gemm_units(const tsr_conv_gemm_isa *isa, const tsr_op *op) {
  gemm_plan pl;
  plan_of(isa, op, &pl);
  return pl.g.n * pl.g.groups * pl.tiles * pl.mchunks;
}

static bool weights_const(const tsr_op *op) { return (op->src[1].flags & TSR_TENSOR_FLAG_CONST) != 0; }

static size_t group_weights_floats(const tsr_conv_gemm_isa *isa, const gemm_plan *pl) {
  return (size_t)(pl->mblocks * pl->k * isa->mr);
}

size_t tsr_conv_gemm_packed_size(const tsr_conv_gemm_isa *isa, const tsr_op *op) {
  if (!weights_const(op)) return 0;
  gemm_plan pl;
  plan_of(isa, op, &pl);
  return group_weights_floats(isa, &pl) * (size_t)pl.g.groups * sizeof(float);
}

size_t tsr_conv_gemm_scratch(const tsr_conv_gemm_isa *isa, const tsr_op *op) {
  gemm_plan pl;
  plan_of(isa, op, &pl);
  size_t n = (size_t)(pl.per_tile * pl.k * isa->nr) * sizeof(float);
  if (!weights_const(op)) n += group_weights_floats(isa, &pl) * sizeof(float) + 64;
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
  gemm_plan pl;
  plan_of(isa, op, &pl);
  const size_t per = group_weights_floats(isa, &pl);
  for (int64_t gi = 0; gi < pl.g.groups; ++gi) pack_group(isa, &pl, op->src[1].data, gi, (float *)out + gi * per);
}

/* im2col of pixels [p0, p0 + nc) into |out| [K][nr], zero past nc. |x| is
 * the group's first input plane. */
static void pack_strip(const gemm_plan *pl, const float *x, int64_t p0, int64_t nc, int64_t nr, float *out) {
  const tsr_conv_geom *g = &pl->g;
  const int64_t hw = g->h * g->w;
  float *row = out;
  for (int64_t c = 0; c < g->cg; ++c) {
    const float *xc = x + c * hw;
    for (int64_t i = 0; i < g->kh; ++i) {
      for (int64_t j = 0; j < g->kw; ++j, row += nr) {
        int64_t q = 0, p = p0;
        while (q < nc) {
          const int64_t oh = p / g->ow, ow = p % g->ow;
          int64_t run = g->ow - ow;
          if (run > nc - q) run = nc - q;
          const int64_t ih = oh * g->sh - g->pt + i * g->dh;
          if (ih < 0 || ih >= g->h) {
            memset(row + q, 0, sizeof(float) * (size_t)run);
          } else {
            const float *src = xc + ih * g->w;
            const int64_t iw0 = ow * g->sw - g->pl + j * g->dw; /* input column of run element 0 */
            /* valid t: 0 <= iw0 + t * sw < W */
            int64_t lo = iw0 >= 0 ? 0 : (-iw0 + g->sw - 1) / g->sw;
            int64_t hi = g->w - iw0 <= 0 ? 0 : (g->w - iw0 + g->sw - 1) / g->sw;
            if (lo > run) lo = run;
            if (hi > run) hi = run;
            if (hi < lo) hi = lo;
            float *d = row + q;
            for (int64_t t = 0; t < lo; ++t) d[t] = 0.0f;
            if (g->sw == 1) {
              memcpy(d + lo, src + iw0 + lo, sizeof(float) * (size_t)(hi - lo));
            } else {
              for (int64_t t = lo; t < hi; ++t) d[t] = src[iw0 + t * g->sw];
            }
            for (int64_t t = hi; t < run; ++t) d[t] = 0.0f;
          }
          q += run;
          p += run;
        }
        for (; q < nr; ++q) row[q] = 0.0f;
      }
    }
  }
}

void tsr_conv_gemm_run(const tsr_conv_gemm_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  gemm_plan pl;
  plan_of(isa, op, &pl);
  const tsr_conv_geom *g = &pl.g;
  const int64_t nr = isa->nr, mr = isa->mr, k = pl.k;
  const size_t gw = group_weights_floats(isa, &pl);
  float *tile = ctx->scratch;
  float *wscratch = (float *)((uint8_t *)ctx->scratch + (((size_t)(pl.per_tile * k * nr) * sizeof(float) + 63) & ~(size_t)63));
  const tsr_conv2d_params *p = &op->p.conv2d;
  const tsr_conv_ep ep = {tsr_op_has_src(op, 2) ? op->src[2].data : NULL, tsr_op_has_src(op, 3) ? op->src[3].data : NULL,
                          p->activation, p->act_alpha, p->act_beta};
  const float *x = op->src[0].data;
  float *y = op->dst.data;
  int64_t packed_group = -1;
  for (int64_t u = begin; u < end; ++u) {
    int64_t r = u;
    const int64_t mc = r % pl.mchunks;
    r /= pl.mchunks;
    const int64_t t = r % pl.tiles;
    r /= pl.tiles;
    const int64_t gi = r % g->groups, n = r / g->groups;
    const float *wg;
    if (ctx->packed) {
      wg = (const float *)ctx->packed + gi * gw;
    } else {
      if (packed_group != gi) pack_group(isa, &pl, op->src[1].data, gi, wscratch);
      packed_group = gi;
      wg = wscratch;
    }
    const float *xg = x + (n * g->c + gi * g->cg) * g->h * g->w;
    float *yg = y + (n * g->m + gi * g->mg) * pl.p;
    const int64_t s0 = t * pl.per_tile;
    const int64_t s1 = s0 + pl.per_tile < pl.strips ? s0 + pl.per_tile : pl.strips;
    /* B strips of this tile: in place (direct, full) or packed. */
    const float *bptr[16];
    size_t ldb[16];
    for (int64_t s = s0; s < s1; ++s) {
      const int64_t p0 = s * nr, nc = pl.p - p0 < nr ? pl.p - p0 : nr;
      if (pl.direct && nc == nr) {
        bptr[s - s0] = xg + p0;
        ldb[s - s0] = (size_t)pl.p;
      } else {
        float *dst = tile + (s - s0) * k * nr;
        pack_strip(&pl, xg, p0, nc, nr, dst);
        bptr[s - s0] = dst;
        ldb[s - s0] = (size_t)nr;
      }
    }
    const int64_t mb0 = mc * pl.mchunk, mb1 = mb0 + pl.mchunk < pl.mblocks ? mb0 + pl.mchunk : pl.mblocks;
    for (int64_t mb = mb0; mb < mb1; ++mb) {
      const int64_t m0 = mb * mr, rows = g->mg - m0 < mr ? g->mg - m0 : mr;
      const tsr_conv_gemm_ukernel uk = isa->ukernel[rows];
      const float *a = wg + mb * k * mr;
      for (int64_t s = s0; s < s1; ++s) {
        const int64_t p0 = s * nr, nc = pl.p - p0 < nr ? pl.p - p0 : nr;
        uk((size_t)k, a, bptr[s - s0], ldb[s - s0], yg + m0 * pl.p + p0, (size_t)pl.p, (size_t)nc, &ep,
           (size_t)(gi * g->mg + m0));
      }
    }
  }
}
