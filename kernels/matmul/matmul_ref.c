/* Reference matmul: y[.., M, N] = alpha * a[.., M, K] @ b[.., N, K]^T + bias[N].
 * a f32 (or i8), b any weight dtype (or i8), accumulation in double (exact
 * int32 for i8). One unit = one column n of one batch: row n of b is
 * dequantized once into scratch, then dotted with every row of a. */
#include <math.h>

#include "common/ref_util.h"
#include "matmul/matmul.h"

static int64_t matmul_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  const tsr_tensor *y = &op->dst;
  return tsr_ref_batch(y, 2) * y->shape[y->ndim - 1];
}

static size_t matmul_scratch(const tsr_op *op) {
  int64_t k = op->src[0].shape[op->src[0].ndim - 1];
  return (size_t)k * 2 * sizeof(float);
}

static void matmul_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *a = &op->src[0], *b = &op->src[1], *y = &op->dst;
  const int64_t k = a->shape[a->ndim - 1], m_count = a->shape[a->ndim - 2];
  const int64_t n_count = y->shape[y->ndim - 1];
  const float alpha = op->p.matmul.alpha != 0.0f ? op->p.matmul.alpha : 1.0f;
  const bool has_bias = tsr_op_has_src(op, 2);
  const bool int8 = a->dtype == TSR_DTYPE_I8;
  const bool scaled = int8 && tsr_op_has_src(op, 3);
  float *brow = ctx->scratch, *arow = brow + k;
  for (int64_t u = begin; u < end; ++u) {
    int64_t bi = u / n_count, n = u % n_count;
    const uint8_t *bp = tsr_cptr(b) + tsr_ref_bcast_offset(b, y, 2, bi) + n * b->stride[b->ndim - 2];
    const uint8_t *ap = tsr_cptr(a) + tsr_ref_bcast_offset(a, y, 2, bi);
    uint8_t *yp = tsr_ptr(y) + tsr_ref_bcast_offset(y, y, 2, bi) + n * tsr_inner_stride(y);
    if (!int8) tsr_load_f32(b->dtype, bp, tsr_inner_stride(b), brow, k);
    for (int64_t m = 0; m < m_count; ++m) {
      const uint8_t *am = ap + m * a->stride[a->ndim - 2];
      uint8_t *ym = yp + m * y->stride[y->ndim - 2];
      if (int8) {
        int64_t acc = 0;
        for (int64_t i = 0; i < k; ++i) {
          acc += (int64_t)((const int8_t *)am)[i * a->stride[a->ndim - 1]] *
                 (int64_t)((const int8_t *)bp)[i * b->stride[b->ndim - 1]];
        }
        if (!scaled && y->dtype == TSR_DTYPE_I32) {
          int32_t v = (int32_t)acc;
          memcpy(ym, &v, sizeof(v));
          continue;
        }
        double v = (double)acc * alpha;
        if (scaled) {
          v *= (double)((const float *)op->src[3].data)[m] * (double)((const float *)op->src[4].data)[n];
        }
        if (has_bias) v += ((const float *)op->src[2].data)[n];
        tsr_ref_st(ym, (float)v);
        continue;
      }
      tsr_load_f32(a->dtype, am, tsr_inner_stride(a), arow, k);
      double acc = 0.0;
      for (int64_t i = 0; i < k; ++i) acc += (double)arow[i] * (double)brow[i];
      acc *= alpha;
      if (has_bias) acc += ((const float *)op->src[2].data)[n];
      tsr_ref_st(ym, (float)acc);
    }
  }
}

const tsr_kernel tsr_matmul_ref = {
    .name = "tsr_matmul_ref",
    .op = TSR_OP_MATMUL,
    .units = matmul_units,
    .scratch = matmul_scratch,
    .run = matmul_run,
};
