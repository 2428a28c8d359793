/* Reference attention: one unit per (t, h); scores, softmax and the weighted
 * sum of values in double. A query row that sees no key is written as zeros. */
#include <math.h>

#include "attention/attention.h"
#include "common/ref_util.h"

static int64_t attention_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return op->dst.shape[0] * op->dst.shape[1];
}

static size_t attention_scratch(const tsr_op *op) {
  const tsr_tensor *k = &op->src[1], *v = &op->src[2];
  return (size_t)(k->shape[0] + k->shape[2] + v->shape[2]) * sizeof(double) +
         (size_t)(k->shape[2] + v->shape[2]) * sizeof(float);
}

static void attention_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_attention_params *p = &op->p.attention;
  const tsr_tensor *q = &op->src[0], *k = &op->src[1], *v = &op->src[2], *y = &op->dst;
  const int64_t hq = q->shape[1], d = q->shape[2], dv = v->shape[2], s_max = k->shape[0];
  const int64_t group = hq / k->shape[1];
  const double scale = p->scale != 0.0f ? p->scale : 1.0 / sqrt((double)d);
  const int64_t q_pos = tsr_dyn_eval(p->q_pos, ctx->dyn);
  int64_t kv_len = tsr_dyn_eval(p->kv_len, ctx->dyn);
  kv_len = kv_len < 0 ? 0 : (kv_len > s_max ? s_max : kv_len);
  double *score = ctx->scratch;
  double *acc = score + s_max;
  float *krow = (float *)(acc + dv), *vrow = krow + d;
  for (int64_t u = begin; u < end; ++u) {
    const int64_t t = u / hq, h = u % hq, kvh = h / group, pos = q_pos + t;
    const float *qr = (const float *)(tsr_cptr(q) + t * q->stride[0] + h * q->stride[1]);
    int64_t lo = 0, hi = kv_len;
    if (p->causal && pos + 1 < hi) hi = pos + 1;
    if (p->window > 0 && pos - p->window + 1 > lo) lo = pos - p->window + 1;
    double mx = -INFINITY, sum = 0.0;
    for (int64_t s = lo; s < hi; ++s) {
      tsr_load_f32(k->dtype, tsr_cptr(k) + s * k->stride[0] + kvh * k->stride[1],
                   (int64_t)tsr_dtype_block_bytes(k->dtype), krow, d);
      double dot = 0.0;
      for (int64_t i = 0; i < d; ++i) dot += (double)qr[i] * (double)krow[i];
      score[s] = dot * scale;
      mx = fmax(mx, score[s]);
    }
    for (int64_t i = 0; i < dv; ++i) acc[i] = 0.0;
    for (int64_t s = lo; s < hi; ++s) {
      double w = exp(score[s] - mx);
      sum += w;
      tsr_load_f32(v->dtype, tsr_cptr(v) + s * v->stride[0] + kvh * v->stride[1],
                   (int64_t)tsr_dtype_block_bytes(v->dtype), vrow, dv);
      for (int64_t i = 0; i < dv; ++i) acc[i] += w * (double)vrow[i];
    }
    float *yr = (float *)(tsr_ptr(y) + t * y->stride[0] + h * y->stride[1]);
    for (int64_t i = 0; i < dv; ++i) yr[i] = hi > lo ? (float)(acc[i] / sum) : 0.0f;
  }
}

const tsr_kernel tsr_attention_ref = {
    .name = "tsr_attention_ref",
    .op = TSR_OP_ATTENTION,
    .units = attention_units,
    .scratch = attention_scratch,
    .run = attention_run,
};
