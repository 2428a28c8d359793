/* Fast REDUCE (dense f32): the reduced axes must form one run of adjacent
 * dimensions, so x is [outer, R, inner] and y is [outer, inner]. inner == 1:
 * each output reduces a contiguous run with 8 double accumulators (sum) or
 * 8 f32 lanes (max / min); inner > 1: outputs accumulate R rows of inner
 * elements in double (sum) or f32 (max / min). Units: outer x inner chunks. */
#include <math.h>

#include "reduce/reduce.h"

#define RD_INNER 256

typedef struct rd_dims {
  int64_t outer, r, inner, chunks;
} rd_dims;

static bool rd_dims_of(const tsr_op *op, rd_dims *d) {
  const tsr_tensor *x = &op->src[0];
  const uint32_t axes = op->p.reduce.axes;
  int a0 = -1, a1 = -1;
  for (int i = 0; i < x->ndim; ++i) {
    if (!((axes >> i) & 1u)) continue;
    if (a0 < 0) a0 = i;
    else if (a1 != i - 1) return false; /* a gap */
    a1 = i;
  }
  d->outer = d->r = d->inner = 1;
  for (int i = 0; i < x->ndim; ++i) {
    if (i < a0) d->outer *= x->shape[i];
    else if (i <= a1) d->r *= x->shape[i];
    else d->inner *= x->shape[i];
  }
  d->chunks = (d->inner + RD_INNER - 1) / RD_INNER;
  return true;
}

static bool rd_match(const tsr_op *op) {
  rd_dims d;
  return tsr_tensor_is_contiguous(&op->src[0]) && tsr_tensor_is_contiguous(&op->dst) && rd_dims_of(op, &d);
}

static int64_t rd_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  rd_dims d;
  rd_dims_of(op, &d);
  return d.outer * d.chunks;
}

static void rd_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  rd_dims d;
  rd_dims_of(op, &d);
  const int kind = op->p.reduce.kind;
  const bool sum = kind == TSR_REDUCE_SUM || kind == TSR_REDUCE_MEAN, is_max = kind == TSR_REDUCE_MAX;
  const float *x = op->src[0].data;
  float *y = op->dst.data;
  for (int64_t u = begin; u < end; ++u) {
    const int64_t o = u / d.chunks, i0 = (u % d.chunks) * RD_INNER;
    const int64_t n = d.inner - i0 < RD_INNER ? d.inner - i0 : RD_INNER;
    const float *xo = x + o * d.r * d.inner + i0;
    float *yo = y + o * d.inner + i0;
    if (d.inner == 1) {
      if (sum) {
        double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t k = 0;
        for (; k + 8 <= d.r; k += 8)
          for (int j = 0; j < 8; ++j) a[j] += xo[k + j];
        double s = 0.0;
        for (int j = 0; j < 8; ++j) s += a[j];
        for (; k < d.r; ++k) s += xo[k];
        yo[0] = (float)(kind == TSR_REDUCE_MEAN ? s / (double)d.r : s);
      } else {
        float a[8];
        for (int j = 0; j < 8; ++j) a[j] = is_max ? -INFINITY : INFINITY;
        int64_t k = 0;
        for (; k + 8 <= d.r; k += 8)
          for (int j = 0; j < 8; ++j) a[j] = is_max ? (xo[k + j] > a[j] ? xo[k + j] : a[j]) : (xo[k + j] < a[j] ? xo[k + j] : a[j]);
        float m = a[0];
        for (int j = 1; j < 8; ++j) m = is_max ? (a[j] > m ? a[j] : m) : (a[j] < m ? a[j] : m);
        for (; k < d.r; ++k) m = is_max ? (xo[k] > m ? xo[k] : m) : (xo[k] < m ? xo[k] : m);
        yo[0] = m;
      }
      continue;
    }
    if (sum) {
      double a[RD_INNER];
      for (int64_t i = 0; i < n; ++i) a[i] = 0.0;
      for (int64_t k = 0; k < d.r; ++k)
        for (int64_t i = 0; i < n; ++i) a[i] += xo[k * d.inner + i];
      for (int64_t i = 0; i < n; ++i) yo[i] = (float)(kind == TSR_REDUCE_MEAN ? a[i] / (double)d.r : a[i]);
    } else {
      float a[RD_INNER];
      for (int64_t i = 0; i < n; ++i) a[i] = is_max ? -INFINITY : INFINITY;
      for (int64_t k = 0; k < d.r; ++k) {
        const float *xr = xo + k * d.inner;
        for (int64_t i = 0; i < n; ++i) a[i] = is_max ? (xr[i] > a[i] ? xr[i] : a[i]) : (xr[i] < a[i] ? xr[i] : a[i]);
      }
      for (int64_t i = 0; i < n; ++i) yo[i] = a[i];
    }
  }
}

const tsr_kernel tsr_reduce_f32_ukernel_u8__scalar = {.name = "tsr_reduce_f32_ukernel_u8__scalar",
                                                      .op = TSR_OP_REDUCE,
                                                      .match = rd_match,
                                                      .units = rd_units,
                                                      .run = rd_run};
