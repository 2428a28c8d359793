/* Reference GATHER: one unit per (outer index, index position); the inner
 * slab x[o, idx, ...] is copied element by element (any strides). */
#include <string.h>

#include "concat/concat.h"
#include "gather/gather.h"

static int64_t gather_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  int64_t outer = 1;
  for (int d = 0; d < op->p.gather.axis; ++d) outer *= op->src[0].shape[d];
  return outer * tsr_tensor_numel(&op->src[1]);
}

static void gather_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *ix = &op->src[1], *y = &op->dst;
  const int axis = op->p.gather.axis, q = ix->ndim;
  const size_t es = tsr_dtype_block_bytes(x->dtype);
  const int64_t nidx = tsr_tensor_numel(ix), len = x->shape[axis];
  int64_t inner = 1;
  for (int d = axis + 1; d < x->ndim; ++d) inner *= x->shape[d];
  for (int64_t u = begin; u < end; ++u) {
    const int64_t o = u / nidx, k = u % nidx;
    int64_t xo = 0, yo = 0, r = o;
    for (int d = axis - 1; d >= 0; --d) {
      xo += (r % x->shape[d]) * x->stride[d];
      yo += (r % x->shape[d]) * y->stride[d];
      r /= x->shape[d];
    }
    /* y's index dimensions are axis .. axis+q-1; indices may be strided. */
    int64_t io = 0;
    r = k;
    for (int d = q - 1; d >= 0; --d) {
      yo += (r % ix->shape[d]) * y->stride[axis + d];
      io += (r % ix->shape[d]) * ix->stride[d];
      r /= ix->shape[d];
    }
    int64_t idx;
    if (ix->dtype == TSR_DTYPE_I64) {
      memcpy(&idx, tsr_cptr(ix) + io, 8);
    } else {
      int32_t v;
      memcpy(&v, tsr_cptr(ix) + io, 4);
      idx = v;
    }
    if (idx < 0) idx += len;
    const bool valid = idx >= 0 && idx < len;
    for (int64_t i = 0; i < inner; ++i) {
      int64_t yi = 0, xi = 0, rr = i;
      for (int d = x->ndim - 1; d > axis; --d) {
        xi += (rr % x->shape[d]) * x->stride[d];
        yi += (rr % x->shape[d]) * y->stride[d - 1 + q];
        rr /= x->shape[d];
      }
      uint8_t *dst = tsr_ptr(y) + yo + yi;
      if (valid) memcpy(dst, tsr_cptr(x) + xo + idx * x->stride[axis] + xi, es);
      else memset(dst, 0, es);
    }
  }
}

const tsr_kernel tsr_gather_ref = {
    .name = "tsr_gather_ref", .op = TSR_OP_GATHER, .units = gather_units, .run = gather_run};
