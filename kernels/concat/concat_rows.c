/* CONCAT with strided sources or destination (slices with steps, padded
 * rows, transposed views): each source's slab [axis..] is walked as rows of
 * the last dimension; a row whose elements are adjacent in both tensors is
 * one memcpy, any other row fixed-size element moves. Units: (outer index,
 * source, piece of about 16 KiB of rows); every unit writes its own part of
 * y, so results do not depend on the split. Plain (non-block) dtypes. */
#include <string.h>

#include "concat/concat.h"

#define CR_PIECE_BYTES (16 * 1024)

typedef struct cr_dims {
  int64_t outer;  /* product of the dimensions before axis */
  int64_t rows_per_piece, pieces;
} cr_dims;

/* Rows of source |x|'s slab and elements per row. */
static void cr_slab(const tsr_tensor *x, int axis, int64_t *rows, int64_t *len) {
  const int last = x->ndim - 1;
  *rows = 1;
  for (int d = axis; d < last; ++d) *rows *= x->shape[d];
  *len = x->shape[last];
}

static void cr_dims_of(const tsr_op *op, cr_dims *d) {
  const tsr_tensor *y = &op->dst;
  const int axis = op->p.concat.axis;
  const int64_t es = (int64_t)tsr_dtype_block_bytes(y->dtype);
  d->outer = 1;
  for (int i = 0; i < axis; ++i) d->outer *= y->shape[i];
  int64_t row_bytes = es * y->shape[y->ndim - 1];
  if (row_bytes < 1) row_bytes = 1;
  d->rows_per_piece = CR_PIECE_BYTES / row_bytes > 0 ? CR_PIECE_BYTES / row_bytes : 1;
  d->pieces = 1;
  for (uint32_t s = 0; s < op->n_src; ++s) {
    int64_t rows, len;
    cr_slab(&op->src[s], axis, &rows, &len);
    const int64_t p = (rows + d->rows_per_piece - 1) / d->rows_per_piece;
    if (p > d->pieces) d->pieces = p;
  }
}

static bool cr_match(const tsr_op *op) {
  if (tsr_dtype_is_quantized(op->dst.dtype) || op->dst.ndim < 1) return false;
  const size_t es = tsr_dtype_block_bytes(op->dst.dtype);
  return es == 1 || es == 2 || es == 4 || es == 8;
}

static int64_t cr_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  cr_dims d;
  cr_dims_of(op, &d);
  return d.outer * (int64_t)op->n_src * d.pieces;
}

/* n elements of |es| bytes from s (stride ss) to d (stride ds). */
static void cr_row(uint8_t *d, int64_t ds, const uint8_t *s, int64_t ss, int64_t n, int64_t es) {
  if (ds == es && ss == es) {
    memcpy(d, s, (size_t)(n * es));
    return;
  }
  switch (es) {
    case 4:
      for (int64_t i = 0; i < n; ++i) memcpy(d + i * ds, s + i * ss, 4);
      break;
    case 2:
      for (int64_t i = 0; i < n; ++i) memcpy(d + i * ds, s + i * ss, 2);
      break;
    case 8:
      for (int64_t i = 0; i < n; ++i) memcpy(d + i * ds, s + i * ss, 8);
      break;
    default:
      for (int64_t i = 0; i < n; ++i) d[i * ds] = s[i * ss];
      break;
  }
}

static void cr_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *y = &op->dst;
  const int axis = op->p.concat.axis, last = y->ndim - 1;
  const int64_t es = (int64_t)tsr_dtype_block_bytes(y->dtype);
  cr_dims d;
  cr_dims_of(op, &d);
  for (int64_t u = begin; u < end; ++u) {
    const int64_t piece = u % d.pieces, s = (u / d.pieces) % op->n_src, o = u / (d.pieces * op->n_src);
    const tsr_tensor *x = &op->src[s];
    int64_t rows, len;
    cr_slab(x, axis, &rows, &len);
    const int64_t r0 = piece * d.rows_per_piece, r1 = r0 + d.rows_per_piece < rows ? r0 + d.rows_per_piece : rows;
    if (r0 >= r1) continue;
    int64_t at = 0; /* where source s starts on |axis| in y */
    for (int64_t t = 0; t < s; ++t) at += op->src[t].shape[axis];
    /* outer index o has the same coordinates in x and y */
    int64_t xo = 0, yo = at * y->stride[axis], rem = o;
    for (int i = axis - 1; i >= 0; --i) {
      xo += (rem % y->shape[i]) * x->stride[i];
      yo += (rem % y->shape[i]) * y->stride[i];
      rem /= y->shape[i];
    }
    for (int64_t r = r0; r < r1; ++r) {
      int64_t xr = xo, yr = yo, q = r; /* row r over dimensions [axis, last) */
      for (int i = last - 1; i >= axis; --i) {
        xr += (q % x->shape[i]) * x->stride[i];
        yr += (q % x->shape[i]) * y->stride[i];
        q /= x->shape[i];
      }
      cr_row(tsr_ptr(y) + yr, y->stride[last], tsr_cptr(x) + xr, x->stride[last], len, es);
    }
  }
}

const tsr_kernel tsr_concat_x8_ukernel_rows__scalar = {.name = "tsr_concat_x8_ukernel_rows__scalar",
                                                       .op = TSR_OP_CONCAT,
                                                       .match = cr_match,
                                                       .units = cr_units,
                                                       .run = cr_run};
