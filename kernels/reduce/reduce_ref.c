/* Reference REDUCE: one unit per output element; the reduced coordinates are
 * walked in row-major order, sums in double. */
#include <math.h>

#include "common/ref_util.h"
#include "reduce/reduce.h"

static int64_t reduce_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return tsr_tensor_numel(&op->dst);
}

static void reduce_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const uint32_t axes = op->p.reduce.axes;
  const int kind = op->p.reduce.kind, nd = x->ndim;
  int rd[TSR_MAX_DIMS], nr = 0;
  int64_t count = 1;
  for (int i = 0; i < nd; ++i) {
    if ((axes >> i) & 1u) {
      rd[nr++] = i;
      count *= x->shape[i];
    }
  }
  for (int64_t u = begin; u < end; ++u) {
    /* Base offsets of output element u (coordinates of y, row-major). */
    int64_t xo = 0, yo = 0, r = u;
    for (int i = nd - 1; i >= 0; --i) {
      const int64_t idx = r % y->shape[i];
      r /= y->shape[i];
      xo += idx * x->stride[i];
      yo += idx * y->stride[i];
    }
    double acc = kind == TSR_REDUCE_MAX ? -INFINITY : (kind == TSR_REDUCE_MIN ? INFINITY : 0.0);
    for (int64_t k = 0; k < count; ++k) {
      int64_t off = xo, q = k;
      for (int j = nr - 1; j >= 0; --j) {
        off += (q % x->shape[rd[j]]) * x->stride[rd[j]];
        q /= x->shape[rd[j]];
      }
      const double v = tsr_ref_ld(tsr_cptr(x) + off);
      if (kind == TSR_REDUCE_MAX) acc = v > acc ? v : acc;
      else if (kind == TSR_REDUCE_MIN) acc = v < acc ? v : acc;
      else acc += v;
    }
    if (kind == TSR_REDUCE_MEAN) acc /= (double)count;
    tsr_ref_st(tsr_ptr(y) + yo, (float)acc);
  }
}

const tsr_kernel tsr_reduce_ref = {
    .name = "tsr_reduce_ref", .op = TSR_OP_REDUCE, .units = reduce_units, .run = reduce_run};
