/* Reference TOPK: one unit per row. Each element's rank is the number of
 * elements that beat it (a strict total order: value, then index), so no
 * scratch is needed; O(L^2) per row. */
#include <string.h>

#include "topk/topk.h"

static int64_t topk_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  const tsr_tensor *x = &op->src[0];
  return tsr_tensor_numel(x) / x->shape[x->ndim - 1];
}

static float ld(const uint8_t *row, int64_t stride, int64_t i) {
  float v;
  memcpy(&v, row + i * stride, 4);
  return v;
}

/* True if (a, i) comes before (b, j). */
static bool beats(float a, int64_t i, float b, int64_t j, const tsr_topk_params *p) {
  if (a != b) return p->largest ? a > b : a < b;
  return p->last_index ? i > j : i < j;
}

static void topk_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const tsr_topk_params *p = &op->p.topk;
  const int nd = x->ndim;
  const int64_t len = x->shape[nd - 1], xs = x->stride[nd - 1], ys = y->stride[nd - 1];
  const bool indices = y->dtype == TSR_DTYPE_I64;
  for (int64_t r = begin; r < end; ++r) {
    int64_t xo = 0, yo = 0, q = r;
    for (int d = nd - 2; d >= 0; --d) {
      xo += (q % x->shape[d]) * x->stride[d];
      yo += (q % x->shape[d]) * y->stride[d];
      q /= x->shape[d];
    }
    const uint8_t *xr = tsr_cptr(x) + xo;
    uint8_t *yr = tsr_ptr(y) + yo;
    for (int64_t i = 0; i < len; ++i) {
      const float v = ld(xr, xs, i);
      int64_t rank = 0;
      for (int64_t j = 0; j < len && rank < p->k; ++j) rank += j != i && beats(ld(xr, xs, j), j, v, i, p);
      if (rank >= p->k) continue;
      if (indices) memcpy(yr + rank * ys, &i, 8);
      else memcpy(yr + rank * ys, &v, 4);
    }
  }
}

const tsr_kernel tsr_topk_ref = {.name = "tsr_topk_ref", .op = TSR_OP_TOPK, .units = topk_units, .run = topk_run};
