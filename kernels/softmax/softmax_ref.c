/* Reference softmax: one unit per row; max, exp and sum in double. A row
 * with every element masked is written as zeros. */
#include <math.h>

#include "common/ref_util.h"
#include "softmax/softmax.h"

static int64_t softmax_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return tsr_rows(&op->dst);
}

static void softmax_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const int64_t s_count = x->shape[x->ndim - 1];
  const int64_t r_count = x->ndim >= 2 ? x->shape[x->ndim - 2] : 1;
  const int64_t xs = tsr_inner_stride(x), ys = tsr_inner_stride(y);
  const double scale = op->p.softmax.scale != 0.0f ? op->p.softmax.scale : 1.0;
  const int64_t q_pos = tsr_dyn_eval(op->p.softmax.q_pos, ctx->dyn);
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t *xr = tsr_cptr(x) + tsr_row_offset(x, r);
    uint8_t *yr = tsr_ptr(y) + tsr_row_offset(y, r);
    int64_t valid = s_count;
    if (op->p.softmax.causal) {
      int64_t lim = q_pos + (r % r_count) + 1;
      valid = lim < 0 ? 0 : (lim < s_count ? lim : s_count);
    }
    double mx = -INFINITY, sum = 0.0;
    for (int64_t s = 0; s < valid; ++s) mx = fmax(mx, tsr_ref_ld(xr + s * xs) * scale);
    for (int64_t s = 0; s < valid; ++s) sum += exp(tsr_ref_ld(xr + s * xs) * scale - mx);
    for (int64_t s = 0; s < s_count; ++s) {
      double v = s < valid ? exp(tsr_ref_ld(xr + s * xs) * scale - mx) / sum : 0.0;
      tsr_ref_st(yr + s * ys, (float)v);
    }
  }
}

const tsr_kernel tsr_softmax_ref = {
    .name = "tsr_softmax_ref", .op = TSR_OP_SOFTMAX, .units = softmax_units, .run = softmax_run};
