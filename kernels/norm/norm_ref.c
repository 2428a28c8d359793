/* Reference RMSNorm and LayerNorm: one unit per row, sums in double. */
#include <math.h>

#include "common/ref_util.h"
#include "norm/norm.h"

static int64_t rows_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return tsr_rows(&op->dst);
}

static void norm_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const bool layer = op->type == TSR_OP_LAYERNORM;
  const int64_t n = x->shape[x->ndim - 1], xs = tsr_inner_stride(x), ys = tsr_inner_stride(y);
  const float *w = tsr_op_has_src(op, 1) ? op->src[1].data : NULL;
  const float *bias = layer && tsr_op_has_src(op, 2) ? op->src[2].data : NULL;
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t *xr = tsr_cptr(x) + tsr_row_offset(x, r);
    uint8_t *yr = tsr_ptr(y) + tsr_row_offset(y, r);
    double mean = 0.0, var = 0.0;
    if (layer) {
      for (int64_t i = 0; i < n; ++i) mean += tsr_ref_ld(xr + i * xs);
      mean /= (double)n;
    }
    for (int64_t i = 0; i < n; ++i) {
      double d = tsr_ref_ld(xr + i * xs) - mean;
      var += d * d;
    }
    var /= (double)n;
    double inv = 1.0 / sqrt(var + (double)op->p.norm.eps);
    for (int64_t i = 0; i < n; ++i) {
      double v = (tsr_ref_ld(xr + i * xs) - mean) * inv;
      if (w) v *= w[i];
      if (bias) v += bias[i];
      tsr_ref_st(yr + i * ys, (float)v);
    }
  }
}

const tsr_kernel tsr_rmsnorm_ref = {
    .name = "tsr_rmsnorm_ref", .op = TSR_OP_RMSNORM, .units = rows_units, .run = norm_run};
const tsr_kernel tsr_layernorm_ref = {
    .name = "tsr_layernorm_ref", .op = TSR_OP_LAYERNORM, .units = rows_units, .run = norm_run};
