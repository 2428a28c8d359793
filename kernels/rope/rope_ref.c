/* Reference RoPE: one unit per (t, h), angles in double. */
#include <math.h>

#include "common/ref_util.h"
#include "rope/rope.h"

static int64_t rope_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return op->dst.shape[0] * op->dst.shape[1];
}

static void rope_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_rope_params *p = &op->p.rope;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const int64_t h_count = x->shape[1], d = x->shape[2], half = p->n_dims / 2;
  const double fscale = p->freq_scale != 0.0f ? p->freq_scale : 1.0;
  const float *ff = tsr_op_has_src(op, 1) ? op->src[1].data : NULL;
  const int64_t pos0 = tsr_dyn_eval(p->pos, ctx->dyn);
  for (int64_t u = begin; u < end; ++u) {
    int64_t t = u / h_count, h = u % h_count;
    const float *xr = (const float *)(tsr_cptr(x) + t * x->stride[0] + h * x->stride[1]);
    float *yr = (float *)(tsr_ptr(y) + t * y->stride[0] + h * y->stride[1]);
    double pos = (double)(pos0 + t);
    for (int64_t i = 0; i < half; ++i) {
      double theta = pos * fscale * pow((double)p->freq_base, -2.0 * (double)i / (double)p->n_dims);
      if (ff) theta /= ff[i];
      double c = cos(theta), s = sin(theta);
      int64_t i0 = p->mode == TSR_ROPE_NEOX ? i : 2 * i;
      int64_t i1 = p->mode == TSR_ROPE_NEOX ? i + half : 2 * i + 1;
      double x0 = xr[i0], x1 = xr[i1];
      yr[i0] = (float)(x0 * c - x1 * s);
      yr[i1] = (float)(x0 * s + x1 * c);
    }
    if (yr != xr) {
      for (int64_t i = p->n_dims; i < d; ++i) yr[i] = xr[i];
    }
  }
}

const tsr_kernel tsr_rope_ref = {
    .name = "tsr_rope_ref", .op = TSR_OP_ROPE, .units = rope_units, .run = rope_run};
