/* Reference CONCAT: one unit per index of the dimensions before |axis|; each
 * source's slab [axis..] is copied element by element (any strides). */
#include <string.h>

#include "concat/concat.h"

static int64_t outer_of(const tsr_tensor *y, int axis) {
  int64_t n = 1;
  for (int d = 0; d < axis; ++d) n *= y->shape[d];
  return n;
}

static int64_t concat_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return outer_of(&op->dst, op->p.concat.axis);
}

static void concat_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *y = &op->dst;
  const int axis = op->p.concat.axis;
  const size_t es = tsr_dtype_block_bytes(y->dtype);
  int64_t inner = 1;
  for (int d = axis + 1; d < y->ndim; ++d) inner *= y->shape[d];
  for (int64_t o = begin; o < end; ++o) {
    int64_t at = 0; /* position on |axis| in y */
    for (uint32_t s = 0; s < op->n_src; ++s) {
      const tsr_tensor *x = &op->src[s];
      const int64_t len = x->shape[axis];
      /* Outer index o has the same coordinates in x and y. */
      int64_t xo = 0, yo = 0, r = o;
      for (int d = axis - 1; d >= 0; --d) {
        xo += (r % y->shape[d]) * x->stride[d];
        yo += (r % y->shape[d]) * y->stride[d];
        r /= y->shape[d];
      }
      for (int64_t a = 0; a < len; ++a) {
        for (int64_t i = 0; i < inner; ++i) {
          const uint8_t *src = tsr_cptr(x) + xo + a * x->stride[axis] + tsr_offset_of(x, axis + 1, i);
          uint8_t *dst = tsr_ptr(y) + yo + (at + a) * y->stride[axis] + tsr_offset_of(y, axis + 1, i);
          memcpy(dst, src, es);
        }
      }
      at += len;
    }
  }
}

const tsr_kernel tsr_concat_ref = {
    .name = "tsr_concat_ref", .op = TSR_OP_CONCAT, .units = concat_units, .run = concat_run};
