/* The ISA-neutral QLINEAR_CONV int8 GEMM driver; see qconv.h. */
#include "qlinear/qconv.h"

#include <string.h>

#include "qlinear/qlinear.h"

#define QCONV_MAX_STRIPS 64

typedef struct qplan {
  tsr_conv_geom g;
  int64_t c4, kq;   /* channel quads; k-quads = c4 * KH * KW */
  int64_t wq;       /* grid pitch */
  int64_t band, bands; /* output rows per band */
  int64_t rp;       /* rows per row-phase plane of a band */
  size_t plane_bytes, band_bytes; /* one phase plane; one band of all quads */
  int64_t mblocks, mchunk, mchunks;
} qplan;

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static size_t r64(size_t n) { return (n + 63) & ~(size_t)63; }

static void qband(qplan *pl, int64_t band) {
  const tsr_conv_geom *g = &pl->g;
  pl->band = band;
  pl->bands = cdiv(g->oh, band);
  pl->rp = cdiv((band - 1) * g->sh + (g->kh - 1) * g->dh + 1, g->sh);
  pl->plane_bytes = (size_t)(pl->rp * pl->wq * 4);
  pl->band_bytes = r64((size_t)(pl->c4 * g->sh * g->sw) * pl->plane_bytes);
}

static void qplan_of(const tsr_qconv_isa *isa, const tsr_op *op, qplan *pl) {
  tsr_conv_geom_of(op, &pl->g);
  const tsr_conv_geom *g = &pl->g;
  const int64_t nr = isa->nr, planes = g->n * g->groups;
  pl->c4 = cdiv(g->cg, 4);
  pl->kq = pl->c4 * g->kh * g->kw;
  pl->wq = cdiv(g->w + g->pl + g->pr, g->sw);
  /* Bands of about 16 strips (at least 4, or the plane) whose copy stays
   * within ~128 KiB (compact for the caches and the TLB); the pre-pass fills
   * each once, so output channels split freely into more units. */
  const int64_t min_rows = cdiv(4 * nr, pl->wq);
  int64_t band = cdiv(16 * nr, pl->wq);
  if (band > g->oh) band = g->oh;
  qband(pl, band);
  while (pl->band > min_rows && pl->band_bytes > 128 * 1024) qband(pl, pl->band / 2 > min_rows ? pl->band / 2 : min_rows);
  pl->mblocks = cdiv(g->mg, isa->mr);
  const int64_t base = planes * pl->bands;
  int64_t want = base >= 8 ? 1 : cdiv(8, base);
  if (want > pl->mblocks) want = pl->mblocks;
  if (want < 1) want = 1;
  pl->mchunk = cdiv(pl->mblocks, want);
  pl->mchunks = cdiv(pl->mblocks, pl->mchunk);
}

static bool is_const(const tsr_op *op, uint32_t i) {
  return !tsr_op_has_src(op, i) || (op->src[i].flags & TSR_TENSOR_FLAG_CONST) != 0;
}

bool tsr_qconv_match(const tsr_op *op) {
  if (op->type != TSR_OP_QLINEAR_CONV || !tsr_tensor_is_contiguous(&op->src[0]) ||
      !tsr_tensor_is_contiguous(&op->src[3]) || !tsr_tensor_is_contiguous(&op->dst))
    return false;
  for (uint32_t i = 1; i <= 8; ++i) {
    if (i != 7 && !is_const(op, i)) return false;
  }
  return true;
}

int64_t tsr_qconv_units(const tsr_qconv_isa *isa, const tsr_op *op) {
  qplan pl;
  qplan_of(isa, op, &pl);
  return pl.g.n * pl.g.groups * pl.bands * pl.mchunks;
}

/* Packed layout: A panels, then corr [M] i32, wzp [M] i32, mult [M] f32,
 * then one i32: 1 when some wz' != 0. */
static size_t a_group_bytes(const tsr_qconv_isa *isa, const qplan *pl) {
  return (size_t)(pl->mblocks * pl->kq * isa->mr * 4 * isa->a_bytes);
}

static size_t a_bytes_all(const tsr_qconv_isa *isa, const qplan *pl) {
  return r64(a_group_bytes(isa, pl) * (size_t)pl->g.groups);
}

size_t tsr_qconv_packed_size(const tsr_qconv_isa *isa, const tsr_op *op) {
  qplan pl;
  qplan_of(isa, op, &pl);
  return a_bytes_all(isa, &pl) + 3 * r64((size_t)pl.g.m * 4) + 64;
}

static int64_t pre_units_of(const qplan *pl) { return pl->g.n * pl->g.groups * pl->bands * pl->c4; }

static int32_t x_zp_u8(const tsr_op *op) {
  const int32_t xz = tsr_q_zp(op, 2, 0);
  return op->src[0].dtype == TSR_DTYPE_I8 ? xz + 128 : xz;
}

void tsr_qconv_pack(const tsr_qconv_isa *isa, const tsr_op *op, void *out) {
  qplan pl;
  qplan_of(isa, op, &pl);
  const tsr_conv_geom *g = &pl.g;
  const tsr_tensor *w = &op->src[3];
  const int32_t flip = w->dtype == TSR_DTYPE_U8 ? -128 : 0;
  const int64_t mr = isa->mr, taps = g->kh * g->kw, kpad = pl.kq * 4;
  uint8_t *a = out;
  int32_t *corr = (int32_t *)(a + a_bytes_all(isa, &pl));
  int32_t *wzp = (int32_t *)((uint8_t *)corr + r64((size_t)g->m * 4));
  float *mult = (float *)((uint8_t *)wzp + r64((size_t)g->m * 4));
  int32_t *need = (int32_t *)((uint8_t *)mult + r64((size_t)g->m * 4));
  const int32_t xz = x_zp_u8(op);
  const float xs = tsr_q_scale(&op->src[1], 0), ys = tsr_q_scale(&op->src[6], 0);
  *need = 0;
  for (int64_t m = 0; m < g->m; ++m) {
    const int32_t wz = tsr_q_zp(op, 5, m) + flip;
    uint32_t rowsum = 0;
    for (int64_t k = 0; k < g->cg * taps; ++k) rowsum += (uint32_t)(tsr_q_at(w, m * g->cg * taps + k) + flip);
    const uint32_t bias = tsr_op_has_src(op, 8) ? (uint32_t)tsr_q_at(&op->src[8], m) : 0u;
    corr[m] = (int32_t)(bias - (uint32_t)xz * rowsum + (uint32_t)kpad * (uint32_t)xz * (uint32_t)wz);
    wzp[m] = wz;
    mult[m] = tsr_q_mult(xs, tsr_q_scale(&op->src[4], m), ys);
    if (wz != 0) *need = 1;
  }
  /* A: [group][mblock][kq = (cq, i, j)][r][e] */
  for (int64_t gi = 0; gi < g->groups; ++gi) {
    uint8_t *ag = a + (size_t)gi * a_group_bytes(isa, &pl);
    for (int64_t mb = 0; mb < pl.mblocks; ++mb) {
      for (int64_t cq = 0; cq < pl.c4; ++cq) {
        for (int64_t t = 0; t < taps; ++t) {
          const int64_t kqi = cq * taps + t;
          for (int64_t r = 0; r < mr; ++r) {
            const int64_t m = mb * mr + r;
            for (int64_t e = 0; e < 4; ++e) {
              const int64_t c = cq * 4 + e;
              int32_t v = 0;
              if (m < g->mg && c < g->cg) v = tsr_q_at(w, ((gi * g->mg + m) * g->cg + c) * taps + t) + flip;
              const size_t idx = (size_t)((((mb * pl.kq + kqi) * mr + r) * 4) + e);
              if (isa->a_bytes == 1) {
                ((int8_t *)ag)[idx] = (int8_t)v;
              } else {
                const int16_t v16 = (int16_t)v;
                memcpy(ag + idx * 2, &v16, 2);
              }
            }
          }
        }
      }
    }
  }
}

/* Per-thread scratch: koff [kq] i64, colsum [64 strips][NR] i32, the ones
 * panel [kq][MR][4] (colsum pass), a pad row [W] (pre-pass). */
size_t tsr_qconv_scratch(const tsr_qconv_isa *isa, const tsr_op *op) {
  qplan pl;
  qplan_of(isa, op, &pl);
  return r64((size_t)(pl.kq + 8) * 8) + r64((size_t)QCONV_MAX_STRIPS * (size_t)isa->nr * 4) +
         r64((size_t)(pl.kq * isa->mr * 4 * isa->a_bytes)) + r64((size_t)pl.g.w);
}

/* Shared scratch: the padded input rows of every band of every (n, group) as
 * u8 channel quads, plus slack for the last strips' reads. */
size_t tsr_qconv_shared(const tsr_qconv_isa *isa, const tsr_op *op) {
  qplan pl;
  qplan_of(isa, op, &pl);
  return (size_t)(pl.g.n * pl.g.groups * pl.bands) * pl.band_bytes + (size_t)(4 * isa->nr + 4 * pl.g.kw * pl.g.dw + 64);
}

int64_t tsr_qconv_pre_units(const tsr_qconv_isa *isa, const tsr_op *op) {
  qplan pl;
  qplan_of(isa, op, &pl);
  return pl.g.n * pl.g.groups * pl.bands * pl.c4;
}

void tsr_qconv_quad__scalar(const uint8_t *const s[4], size_t n, size_t sw, uint32_t flip4, uint8_t *d) {
  const uint8_t *s0 = s[0], *s1 = s[1], *s2 = s[2], *s3 = s[3];
  if (sw == 1) {
    for (size_t t = 0; t < n; ++t) {
      const uint32_t v = ((uint32_t)s0[t] | (uint32_t)s1[t] << 8 | (uint32_t)s2[t] << 16 | (uint32_t)s3[t] << 24) ^ flip4;
      memcpy(d + t * 4, &v, 4);
    }
  } else {
    for (size_t t = 0; t < n; ++t) {
      const size_t i = t * sw;
      const uint32_t v = ((uint32_t)s0[i] | (uint32_t)s1[i] << 8 | (uint32_t)s2[i] << 16 | (uint32_t)s3[i] << 24) ^ flip4;
      memcpy(d + t * 4, &v, 4);
    }
  }
}

/* Channel quad |cq| of the group's planes of x (i8 flipped) for output rows
 * [oh0, oh0 + rows), 4 channels interleaved per pixel; rows and channels
 * outside x read |padrow| (W bytes of pad ^ flip, so that flipping gives
 * pad). */
static void fill_quad(const tsr_qconv_isa *isa, const qplan *pl, const uint8_t *x, int64_t cq, int64_t oh0,
                      int64_t rows, uint8_t flip, uint8_t pad, const uint8_t *padrow, uint8_t *bc) {
  const tsr_conv_geom *g = &pl->g;
  const int64_t sh = g->sh, sw = g->sw, wq = pl->wq, rp = pl->rp, plane = (int64_t)pl->plane_bytes;
  const int64_t rows_in = (rows - 1) * sh + (g->kh - 1) * g->dh + 1;
  const uint32_t flip4 = (uint32_t)flip * 0x01010101u;
  const tsr_qconv_quad_fn quad = isa->quad;
  if (g->kh == 1 && g->kw == 1 && sh == 1 && sw == 1 && g->pt == 0 && g->pb == 0 && g->pl == 0 && g->pr == 0) {
    /* 1x1, unit stride, no padding: the band's rows are contiguous in x and
     * in the copy (pitch W): one run */
    const uint8_t *src[4];
    for (int64_t e = 0; e < 4; ++e) {
      const int64_t c = cq * 4 + e;
      src[e] = c < g->cg ? x + (c * g->h + oh0) * g->w : NULL;
    }
    if (src[1] == NULL || src[2] == NULL || src[3] == NULL) { /* missing channels: per row from padrow */
      for (int64_t r = 0; r < rows_in; ++r) {
        const uint8_t *rs[4];
        for (int64_t e = 0; e < 4; ++e) rs[e] = src[e] ? src[e] + r * g->w : padrow;
        quad(rs, (size_t)g->w, 1, flip4, bc + r * wq * 4);
      }
    } else {
      quad(src, (size_t)(rows_in * g->w), 1, flip4, bc);
    }
    memset(bc + rows_in * wq * 4, pad, (size_t)((rp - rows_in) * wq * 4));
    return;
  }
  int64_t lo[8], hi[8];
  tsr_conv_col_phases(g, wq, lo, hi);
  int64_t rph = 0, rrow = 0; /* r % sh, r / sh */
  for (int64_t r = 0; r < rp * sh; ++r) {
    const int64_t ih = oh0 * sh + r - g->pt;
    const bool in = r < rows_in && ih >= 0 && ih < g->h;
    const uint8_t *src[4];
    for (int64_t e = 0; e < 4; ++e) {
      const int64_t c = cq * 4 + e;
      src[e] = in && c < g->cg ? x + (c * g->h + ih) * g->w : padrow;
    }
    uint8_t *rowbase = bc + rph * sw * plane + rrow * wq * 4;
    if (++rph == sh) {
      rph = 0;
      ++rrow;
    }
    for (int64_t cp = 0; cp < sw; ++cp) {
      uint8_t *d = rowbase + cp * plane;
      int64_t l, h;
      if (cp < 8) {
        l = lo[cp];
        h = hi[cp];
      } else { /* strides above 8: rare */
        tsr_conv_col_phase(g, wq, cp, &l, &h);
      }
      memset(d, pad, (size_t)(l * 4));
      memset(d + h * 4, pad, (size_t)((wq - h) * 4));
      const int64_t off = l * sw + cp - g->pl;
      if (h > l) {
        const uint8_t *s4[4] = {src[0] + off, src[1] + off, src[2] + off, src[3] + off};
        quad(s4, (size_t)(h - l), (size_t)sw, flip4, d + l * 4);
      }
    }
  }
}

static void qtap_offsets(const qplan *pl, int64_t *koff) {
  const tsr_conv_geom *g = &pl->g;
  const int64_t plane = (int64_t)pl->plane_bytes;
  int64_t k = 0;
  for (int64_t cq = 0; cq < pl->c4; ++cq) {
    for (int64_t i = 0; i < g->kh; ++i) {
      for (int64_t j = 0; j < g->kw; ++j) {
        const int64_t rph = (i * g->dh) % g->sh, cph = (j * g->dw) % g->sw;
        koff[k++] = ((cq * g->sh + rph) * g->sw + cph) * plane + ((i * g->dh) / g->sh) * pl->wq * 4 +
                    ((j * g->dw) / g->sw) * 4;
      }
    }
  }
}

void tsr_qconv_pre(const tsr_qconv_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  qplan pl;
  qplan_of(isa, op, &pl);
  const tsr_conv_geom *g = &pl.g;
  uint8_t *padrow = (uint8_t *)ctx->scratch + r64((size_t)(pl.kq + 8) * 8) + r64((size_t)QCONV_MAX_STRIPS * (size_t)isa->nr * 4) +
                    r64((size_t)(pl.kq * isa->mr * 4 * isa->a_bytes));
  const uint8_t flip = op->src[0].dtype == TSR_DTYPE_I8 ? 0x80 : 0;
  const uint8_t pad = (uint8_t)x_zp_u8(op);
  memset(padrow, pad ^ flip, (size_t)g->w);
  const uint8_t *x = op->src[0].data;
  uint8_t *shared = ctx->shared;
  for (int64_t u = begin; u < end; ++u) {
    const int64_t cq = u % pl.c4, nb = u / pl.c4, bi = nb % pl.bands, ng = nb / pl.bands;
    const int64_t n = ng / g->groups, gi = ng % g->groups;
    const int64_t oh0 = bi * pl.band, rows = g->oh - oh0 < pl.band ? g->oh - oh0 : pl.band;
    fill_quad(isa, &pl, x + (n * g->c + gi * g->cg) * g->h * g->w, cq, oh0, rows, flip, pad, padrow,
              shared + (size_t)nb * pl.band_bytes + (size_t)(cq * g->sh * g->sw) * pl.plane_bytes);
  }
  if (begin < end && end == pre_units_of(&pl)) { /* the slack past the last band, once */
    uint8_t *tail = shared + (size_t)(g->n * g->groups * pl.bands) * pl.band_bytes;
    memset(tail, pad, (size_t)(4 * isa->nr + 4 * g->kw * g->dw + 64));
  }
}

void tsr_qconv_run(const tsr_qconv_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  qplan pl;
  qplan_of(isa, op, &pl);
  const tsr_conv_geom *g = &pl.g;
  const int64_t nr = isa->nr, mr = isa->mr, ohw = g->oh * g->ow;
  const uint8_t *pk = ctx->packed;
  const int32_t *corr = (const int32_t *)(pk + a_bytes_all(isa, &pl));
  const int32_t *wzp = (const int32_t *)((const uint8_t *)corr + r64((size_t)g->m * 4));
  const float *mult = (const float *)((const uint8_t *)wzp + r64((size_t)g->m * 4));
  const int32_t need_colsum = *(const int32_t *)((const uint8_t *)mult + r64((size_t)g->m * 4));
  uint8_t *sp = ctx->scratch;
  int64_t *koff = (int64_t *)sp;
  sp += r64((size_t)(pl.kq + 8) * 8);
  int32_t *colsum = (int32_t *)sp;
  sp += r64((size_t)QCONV_MAX_STRIPS * (size_t)nr * 4);
  uint8_t *ones = sp;
  qtap_offsets(&pl, koff);
  for (int64_t kk = pl.kq; kk < pl.kq + 8; ++kk) koff[kk] = 0; /* prefetch targets */
  if (need_colsum) {
    memset(ones, 0, (size_t)(pl.kq * mr * 4 * isa->a_bytes));
    for (int64_t kk = 0; kk < pl.kq; ++kk) {
      for (int64_t e = 0; e < 4; ++e) {
        const size_t idx = (size_t)(kk * mr * 4 + e);
        if (isa->a_bytes == 1) ones[idx] = 1;
        else ones[idx * 2] = 1; /* little-endian s16 1 */
      }
    }
  }
  const tsr_dtype yt = op->dst.dtype;
  const int32_t yz = tsr_q_zp(op, 7, 0);
  tsr_qconv_ep ep = {corr, wzp, mult, NULL, yz, (float)(tsr_q_min(yt) - yz), (float)(tsr_q_max(yt) - yz),
                     yt == TSR_DTYPE_I8, false};
  tsr_qconv_ep raw = ep;
  raw.raw = true;
  const uint8_t *shared = ctx->shared;
  uint8_t *y = op->dst.data;
  const uint64_t full = nr == 64 ? ~(uint64_t)0 : (((uint64_t)1 << nr) - 1);
  const size_t agb = a_group_bytes(isa, &pl), ablock = (size_t)(pl.kq * mr * 4 * isa->a_bytes);
  for (int64_t u = begin; u < end; ++u) {
    int64_t r = u;
    const int64_t mc = r % pl.mchunks;
    r /= pl.mchunks;
    const int64_t bi = r % pl.bands;
    r /= pl.bands;
    const int64_t gi = r % g->groups, n = r / g->groups;
    const uint8_t *ag = pk + (size_t)gi * agb;
    uint8_t *yg = y + (n * g->m + gi * g->mg) * ohw;
    const int64_t oh0 = bi * pl.band, rows = g->oh - oh0 < pl.band ? g->oh - oh0 : pl.band;
    const int64_t cells = rows * pl.wq, all = cdiv(cells, nr);
    const uint8_t *band = shared + (size_t)((n * g->groups + gi) * pl.bands + bi) * pl.band_bytes;
    for (int64_t sb = 0; sb < all; sb += QCONV_MAX_STRIPS) {
      const int64_t strips = all - sb < QCONV_MAX_STRIPS ? all - sb : QCONV_MAX_STRIPS;
      uint64_t masks[QCONV_MAX_STRIPS];
      int64_t firsts[QCONV_MAX_STRIPS];
      for (int64_t s = 0; s < strips; ++s) {
        const int64_t p0 = (sb + s) * nr;
        uint64_t mask = 0;
        int64_t first = -1;
        if (pl.wq == g->ow && p0 + nr <= cells) {
          mask = full;
          first = oh0 * g->ow + p0;
        } else {
          /* runs of output columns [col, OW) of each grid row in the strip */
          const int64_t lim = cells - p0 < nr ? cells - p0 : nr;
          int64_t q = 0, col = p0 % pl.wq, row = oh0 + p0 / pl.wq;
          while (q < lim) {
            const int64_t out_end = g->ow > col ? (q + g->ow - col < lim ? q + g->ow - col : lim) : q;
            if (out_end > q) {
              const int64_t len = out_end - q;
              mask |= (len == 64 ? ~(uint64_t)0 : (((uint64_t)1 << len) - 1)) << q;
              if (first < 0) first = row * g->ow + col;
            }
            q += pl.wq - col;
            col = 0;
            ++row;
          }
        }
        masks[s] = mask;
        firsts[s] = first;
        if (need_colsum && mask)
          isa->ukernel[1]((size_t)pl.kq, ones, band + p0 * 4, koff, colsum + s * nr, 0, full, &raw, 0);
      }
      const int64_t mb0 = mc * pl.mchunk, mb1 = mb0 + pl.mchunk < pl.mblocks ? mb0 + pl.mchunk : pl.mblocks;
      for (int64_t mb = mb0; mb < mb1; ++mb) {
        const int64_t m0 = mb * mr, nrows = g->mg - m0 < mr ? g->mg - m0 : mr;
        for (int64_t s = 0; s < strips; ++s) {
          if (masks[s] == 0) continue;
          ep.colsum = need_colsum ? colsum + s * nr : NULL;
          isa->ukernel[nrows]((size_t)pl.kq, ag + (size_t)mb * ablock, band + (sb + s) * nr * 4, koff,
                              yg + m0 * ohw + firsts[s], (size_t)ohw, masks[s], &ep, (size_t)(gi * g->mg + m0));
        }
      }
    }
  }
}
