/* Fast CONCAT (dense sources and destination): slab copies. With many outer
 * indices a unit is one outer index (every source's slab); with few, a unit
 * is one 64 KiB piece of one source's slab. */
#include <string.h>

#include "concat/concat.h"

#define CC_PIECE (64 * 1024)

typedef struct cc_dims {
  int64_t outer, inner_bytes, pieces; /* inner_bytes: bytes per unit of the axis */
} cc_dims;

static void cc_dims_of(const tsr_op *op, cc_dims *d) {
  const tsr_tensor *y = &op->dst;
  const int axis = op->p.concat.axis;
  d->outer = 1;
  for (int i = 0; i < axis; ++i) d->outer *= y->shape[i];
  d->inner_bytes = (int64_t)tsr_dtype_block_bytes(y->dtype);
  for (int i = axis + 1; i < y->ndim; ++i) d->inner_bytes *= y->shape[i];
  d->pieces = 0;
  if (d->outer < 16) {
    for (uint32_t s = 0; s < op->n_src; ++s) {
      const int64_t slab = op->src[s].shape[axis] * d->inner_bytes, p = (slab + CC_PIECE - 1) / CC_PIECE;
      if (p > d->pieces) d->pieces = p;
    }
    if (d->pieces < 1) d->pieces = 1;
  }
}

static bool cc_match(const tsr_op *op) {
  if (!tsr_tensor_is_contiguous(&op->dst)) return false;
  for (uint32_t s = 0; s < op->n_src; ++s) {
    if (!tsr_tensor_is_contiguous(&op->src[s])) return false;
  }
  return true;
}

static int64_t cc_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  cc_dims d;
  cc_dims_of(op, &d);
  return d.pieces ? d.outer * (int64_t)op->n_src * d.pieces : d.outer;
}

static void cc_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const int axis = op->p.concat.axis;
  cc_dims d;
  cc_dims_of(op, &d);
  const int64_t y_row = op->dst.shape[axis] * d.inner_bytes;
  for (int64_t u = begin; u < end; ++u) {
    if (d.pieces == 0) {
      int64_t at = 0;
      for (uint32_t s = 0; s < op->n_src; ++s) {
        const int64_t slab = op->src[s].shape[axis] * d.inner_bytes;
        memcpy((uint8_t *)op->dst.data + u * y_row + at, (const uint8_t *)op->src[s].data + u * slab, (size_t)slab);
        at += slab;
      }
      continue;
    }
    const int64_t piece = u % d.pieces, s = (u / d.pieces) % op->n_src, o = u / (d.pieces * op->n_src);
    int64_t at = 0;
    for (int64_t t = 0; t < s; ++t) at += op->src[t].shape[axis] * d.inner_bytes;
    const int64_t slab = op->src[s].shape[axis] * d.inner_bytes, b0 = piece * CC_PIECE;
    if (b0 >= slab) continue;
    const int64_t n = slab - b0 < CC_PIECE ? slab - b0 : CC_PIECE;
    memcpy((uint8_t *)op->dst.data + o * y_row + at + b0, (const uint8_t *)op->src[s].data + o * slab + b0, (size_t)n);
  }
}

const tsr_kernel tsr_concat_x8_ukernel_memcpy__scalar = {.name = "tsr_concat_x8_ukernel_memcpy__scalar",
                                                         .op = TSR_OP_CONCAT,
                                                         .match = cc_match,
                                                         .units = cc_units,
                                                         .run = cc_run};
