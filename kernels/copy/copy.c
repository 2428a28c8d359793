/* Fast same-dtype CONVERT; see copy.h. */
#include "copy/copy.h"

#include <string.h>

#define CP_TILE 32
#define CP_ROW_BYTES (16 * 1024) /* memcpy rows per unit: about this much */

typedef struct cp_plan {
  int nd;
  int64_t shape[TSR_MAX_DIMS], xs[TSR_MAX_DIMS], ys[TSR_MAX_DIMS];
  int64_t es;
  int mode;   /* 0: rows, 1: transpose tiles, 2: elements */
  int t;      /* mode 1: the dimension dense in x */
  int64_t rows, rows_per_unit, tiles_t, outer;
} cp_plan;

static void cp_plan_of(const tsr_op *op, cp_plan *p) {
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  p->es = (int64_t)tsr_dtype_block_bytes(y->dtype);
  p->nd = 0;
  for (int i = 0; i < y->ndim; ++i) {
    if (y->shape[i] == 1) continue;
    const int n = p->nd;
    if (n > 0 && p->xs[n - 1] == x->stride[i] * y->shape[i] && p->ys[n - 1] == y->stride[i] * y->shape[i]) {
      p->shape[n - 1] *= y->shape[i]; /* merge into the previous dimension */
      p->xs[n - 1] = x->stride[i];
      p->ys[n - 1] = y->stride[i];
      continue;
    }
    p->shape[n] = y->shape[i];
    p->xs[n] = x->stride[i];
    p->ys[n] = y->stride[i];
    p->nd = n + 1;
  }
  if (p->nd == 0) { /* one element */
    p->nd = 1;
    p->shape[0] = 1;
    p->xs[0] = p->ys[0] = p->es;
  }
  const int l = p->nd - 1;
  p->rows = 1;
  for (int i = 0; i < l; ++i) p->rows *= p->shape[i];
  p->t = -1;
  if (p->xs[l] == p->es && p->ys[l] == p->es) {
    p->mode = 0;
    const int64_t row_bytes = p->shape[l] * p->es;
    p->rows_per_unit = row_bytes >= CP_ROW_BYTES ? 1 : CP_ROW_BYTES / (row_bytes ? row_bytes : 1);
    return;
  }
  if (p->ys[l] == p->es) {
    for (int i = 0; i < l; ++i) {
      if (p->xs[i] == p->es) p->t = i;
    }
  }
  if (p->t >= 0) {
    p->mode = 1;
    p->tiles_t = (p->shape[p->t] + CP_TILE - 1) / CP_TILE;
    p->outer = p->rows / p->shape[p->t];
    return;
  }
  p->mode = 2;
  p->rows_per_unit = 1;
}

bool tsr_copy_match(const tsr_op *op) {
  const tsr_dtype t = op->dst.dtype;
  return op->src[0].dtype == t && !tsr_dtype_is_quantized(t) && t != TSR_DTYPE_NONE;
}

int64_t tsr_copy_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  cp_plan p;
  cp_plan_of(op, &p);
  if (p.mode == 1) return p.outer * p.tiles_t;
  return (p.rows + p.rows_per_unit - 1) / p.rows_per_unit;
}

/* Byte offsets of row |r| (all dimensions but the last, skipping |skip|). */
static void cp_row_offsets(const cp_plan *p, int64_t r, int skip, int64_t *xo, int64_t *yo) {
  *xo = *yo = 0;
  for (int i = p->nd - 2; i >= 0; --i) {
    if (i == skip) continue;
    const int64_t idx = r % p->shape[i];
    r /= p->shape[i];
    *xo += idx * p->xs[i];
    *yo += idx * p->ys[i];
  }
}

static inline void cp_elem(uint8_t *d, const uint8_t *s, int64_t es) {
  switch (es) {
    case 4: memcpy(d, s, 4); break;
    case 1: *d = *s; break;
    case 2: memcpy(d, s, 2); break;
    case 8: memcpy(d, s, 8); break;
    default: memcpy(d, s, (size_t)es); break;
  }
}

void tsr_copy_run(const tsr_copy_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  cp_plan p;
  cp_plan_of(op, &p);
  const uint8_t *x = op->src[0].data;
  uint8_t *y = op->dst.data;
  const int l = p.nd - 1;
  const int64_t n = p.shape[l], es = p.es;
  if (p.mode == 1) {
    const int t = p.t;
    const int64_t xt = p.xs[t], yt = p.ys[t], xl = p.xs[l], yl = p.ys[l];
    /* 32-bit elements with element-multiple strides: the ISA's tile transpose */
    const bool fast = isa->transpose32 && es == 4 && xl % 4 == 0 && yt % 4 == 0;
    for (int64_t u = begin; u < end; ++u) {
      const int64_t o = u / p.tiles_t, i0 = (u % p.tiles_t) * CP_TILE;
      const int64_t i1 = i0 + CP_TILE < p.shape[t] ? i0 + CP_TILE : p.shape[t];
      int64_t xo, yo;
      cp_row_offsets(&p, o, t, &xo, &yo);
      for (int64_t j0 = 0; j0 < n; j0 += CP_TILE) {
        const int64_t j1 = j0 + CP_TILE < n ? j0 + CP_TILE : n;
        if (fast) {
          isa->transpose32((const uint32_t *)(x + xo + i0 * 4 + j0 * xl), (size_t)(xl / 4),
                           (uint32_t *)(y + yo + i0 * yt + j0 * 4), (size_t)(yt / 4), (size_t)(i1 - i0),
                           (size_t)(j1 - j0));
          continue;
        }
        for (int64_t i = i0; i < i1; ++i) {
          const uint8_t *s = x + xo + i * xt;
          uint8_t *d = y + yo + i * yt;
          if (es == 4) {
            for (int64_t j = j0; j < j1; ++j) memcpy(d + j * 4, s + j * xl, 4);
          } else {
            for (int64_t j = j0; j < j1; ++j) cp_elem(d + j * yl, s + j * xl, es);
          }
        }
      }
    }
    return;
  }
  const bool step2 = isa->gather2_32 && es == 4 && p.xs[l] == 8 && p.ys[l] == 4;
  for (int64_t u = begin; u < end; ++u) {
    const int64_t r1 = (u + 1) * p.rows_per_unit < p.rows ? (u + 1) * p.rows_per_unit : p.rows;
    for (int64_t r = u * p.rows_per_unit; r < r1; ++r) {
      int64_t xo, yo;
      cp_row_offsets(&p, r, -1, &xo, &yo);
      if (p.mode == 0) {
        memcpy(y + yo, x + xo, (size_t)(n * es));
      } else if (step2) {
        isa->gather2_32(x + xo, y + yo, (size_t)n);
      } else if (es == 4) {
        /* strided 32-bit copies (slices with steps): fixed-size moves */
        const uint8_t *s0 = x + xo;
        uint8_t *d0 = y + yo;
        const int64_t xs = p.xs[l], ys = p.ys[l];
        for (int64_t j = 0; j < n; ++j) memcpy(d0 + j * ys, s0 + j * xs, 4);
      } else {
        for (int64_t j = 0; j < n; ++j) cp_elem(y + yo + j * p.ys[l], x + xo + j * p.xs[l], es);
      }
    }
  }
}

static const tsr_copy_isa kScalar = {NULL, NULL};
static void cp_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) { tsr_copy_run(&kScalar, ctx, begin, end); }

const tsr_kernel tsr_convert_copy_ukernel_t32__scalar = {.name = "tsr_convert_copy_ukernel_t32__scalar",
                                                         .op = TSR_OP_CONVERT,
                                                         .match = tsr_copy_match,
                                                         .units = tsr_copy_units,
                                                         .run = cp_run};
