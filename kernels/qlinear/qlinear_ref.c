/* Reference quantized kernels. Integer sums are exact (int32 with wrap-
 * around, as the accumulators of every variant); the requantization is the
 * f32 arithmetic of qlinear.h. Units: rows for the elementwise ops, output
 * planes (n, m) for QLINEAR_CONV, output rows (batch, m) for QLINEAR_MATMUL. */
#include "common/ref_util.h"
#include "conv/conv.h"
#include "qlinear/qlinear.h"

static int32_t ld_q(tsr_dtype t, const uint8_t *p) {
  switch (t) {
    case TSR_DTYPE_I8: return *(const int8_t *)p;
    case TSR_DTYPE_U8: return *p;
    default: {
      int32_t v;
      memcpy(&v, p, 4);
      return v;
    }
  }
}

static int64_t row_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return op->dst.ndim == 0 ? 1 : tsr_rows(&op->dst);
}

/* Channel of element (row r, column i) along |axis| of |t| (per-axis params). */
static int64_t channel_of(const tsr_tensor *t, int axis, int64_t r, int64_t i) {
  if (axis == t->ndim - 1) return i;
  for (int d = t->ndim - 2; d > axis; --d) r /= t->shape[d];
  return r % t->shape[axis];
}

static void quantize_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const int64_t n = y->ndim ? y->shape[y->ndim - 1] : 1;
  const bool per = tsr_tensor_numel(&op->src[1]) != 1;
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t *xr = tsr_cptr(x) + (x->ndim ? tsr_row_offset(x, r) : 0);
    uint8_t *yr = tsr_ptr(y) + (y->ndim ? tsr_row_offset(y, r) : 0);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t ch = per ? channel_of(x, op->p.qlinear.axis, r, i) : 0;
      const float v = tsr_ref_ld(xr + i * tsr_inner_stride(x)) / tsr_q_scale(&op->src[1], ch);
      tsr_q_store(y->dtype, yr + i * tsr_inner_stride(y), tsr_q_round(v, tsr_q_zp(op, 2, ch), y->dtype));
    }
  }
}

static void dequantize_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const int64_t n = y->ndim ? y->shape[y->ndim - 1] : 1;
  const bool per = tsr_tensor_numel(&op->src[1]) != 1;
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t *xr = tsr_cptr(x) + (x->ndim ? tsr_row_offset(x, r) : 0);
    uint8_t *yr = tsr_ptr(y) + (y->ndim ? tsr_row_offset(y, r) : 0);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t ch = per ? channel_of(x, op->p.qlinear.axis, r, i) : 0;
      const int64_t q = (int64_t)ld_q(x->dtype, xr + i * tsr_inner_stride(x)) - tsr_q_zp(op, 2, ch);
      tsr_ref_st(yr + i * tsr_inner_stride(y), (float)q * tsr_q_scale(&op->src[1], ch));
    }
  }
}

static int64_t plane_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return op->dst.shape[0] * op->dst.shape[1];
}

static void qlinear_conv_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *w = &op->src[3], *y = &op->dst;
  tsr_conv_geom g;
  tsr_conv_geom_of(op, &g);
  const int32_t xz = tsr_q_zp(op, 2, 0), yz = tsr_q_zp(op, 7, 0);
  const float xs = tsr_q_scale(&op->src[1], 0), ys = tsr_q_scale(&op->src[6], 0);
  for (int64_t u = begin; u < end; ++u) {
    const int64_t n = u / g.m, m = u % g.m, c0 = (m / g.mg) * g.cg;
    const int32_t wz = tsr_q_zp(op, 5, m);
    const float mult = tsr_q_mult(xs, tsr_q_scale(&op->src[4], m), ys);
    const uint32_t bias = tsr_op_has_src(op, 8) ? (uint32_t)tsr_q_at(&op->src[8], m) : 0u;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        uint32_t acc = bias;
        for (int64_t ci = 0; ci < g.cg; ++ci) {
          for (int64_t i = 0; i < g.kh; ++i) {
            const int64_t ih = oh * g.sh - g.pt + i * g.dh;
            if (ih < 0 || ih >= g.h) continue;
            for (int64_t j = 0; j < g.kw; ++j) {
              const int64_t iw = ow * g.sw - g.pl + j * g.dw;
              if (iw < 0 || iw >= g.w) continue;
              const int32_t xv = ld_q(x->dtype, tsr_cptr(x) + n * x->stride[0] + (c0 + ci) * x->stride[1] +
                                                    ih * x->stride[2] + iw * x->stride[3]);
              const int32_t wv = ld_q(w->dtype, tsr_cptr(w) + m * w->stride[0] + ci * w->stride[1] +
                                                    i * w->stride[2] + j * w->stride[3]);
              acc += (uint32_t)((xv - xz) * (wv - wz));
            }
          }
        }
        const int32_t q = tsr_q_round((float)(int32_t)acc * mult, yz, y->dtype);
        tsr_q_store(y->dtype, tsr_ptr(y) + n * y->stride[0] + m * y->stride[1] + oh * y->stride[2] + ow * y->stride[3], q);
      }
    }
  }
}

static int64_t matmul_row_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return tsr_ref_batch(&op->dst, 2) * op->dst.shape[op->dst.ndim - 2];
}

static void qlinear_matmul_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *a = &op->src[0], *b = &op->src[3], *y = &op->dst;
  const int64_t k = a->shape[a->ndim - 1], m_count = y->shape[y->ndim - 2], n_count = y->shape[y->ndim - 1];
  const int32_t az = tsr_q_zp(op, 2, 0), yz = tsr_q_zp(op, 7, 0);
  const float as = tsr_q_scale(&op->src[1], 0), ys = tsr_q_scale(&op->src[6], 0);
  for (int64_t u = begin; u < end; ++u) {
    const int64_t bi = u / m_count, m = u % m_count;
    const uint8_t *ap = tsr_cptr(a) + tsr_ref_bcast_offset(a, y, 2, bi) + m * a->stride[a->ndim - 2];
    const uint8_t *bp = tsr_cptr(b) + tsr_ref_bcast_offset(b, y, 2, bi);
    uint8_t *yp = tsr_ptr(y) + tsr_ref_bcast_offset(y, y, 2, bi) + m * y->stride[y->ndim - 2];
    for (int64_t n = 0; n < n_count; ++n) {
      const int32_t bz = tsr_q_zp(op, 5, n);
      uint32_t acc = 0;
      for (int64_t i = 0; i < k; ++i) {
        const int32_t av = ld_q(a->dtype, ap + i * a->stride[a->ndim - 1]);
        const int32_t bv = ld_q(b->dtype, bp + n * b->stride[b->ndim - 2] + i * b->stride[b->ndim - 1]);
        acc += (uint32_t)((av - az) * (bv - bz));
      }
      const float mult = tsr_q_mult(as, tsr_q_scale(&op->src[4], n), ys);
      tsr_q_store(y->dtype, yp + n * tsr_inner_stride(y), tsr_q_round((float)(int32_t)acc * mult, yz, y->dtype));
    }
  }
}

/* Inner-dimension stride of |t| broadcast against |y|. */
static int64_t bcast_inner(const tsr_tensor *t, const tsr_tensor *y) {
  if (t->ndim == 0 || y->ndim == 0 || t->shape[t->ndim - 1] == 1) return 0;
  return t->stride[t->ndim - 1];
}

static void qlinear_binary_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *a = &op->src[0], *b = &op->src[3], *y = &op->dst;
  const int64_t n = y->ndim ? y->shape[y->ndim - 1] : 1;
  const int64_t as = bcast_inner(a, y), bs = bcast_inner(b, y), ys = tsr_inner_stride(y);
  const float sa = tsr_q_scale(&op->src[1], 0), sb = tsr_q_scale(&op->src[4], 0), sy = tsr_q_scale(&op->src[6], 0);
  const int32_t za = tsr_q_zp(op, 2, 0), zb = tsr_q_zp(op, 5, 0), zy = tsr_q_zp(op, 7, 0);
  const bool mul = op->p.qop.kind == TSR_BINARY_MUL;
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t *ar = tsr_cptr(a), *br = tsr_cptr(b);
    uint8_t *yr = tsr_ptr(y);
    if (y->ndim > 0) {
      ar += a->ndim > 0 ? tsr_ref_bcast_offset(a, y, 1, r) : 0;
      br += b->ndim > 0 ? tsr_ref_bcast_offset(b, y, 1, r) : 0;
      yr += tsr_row_offset(y, r);
    }
    for (int64_t i = 0; i < n; ++i) {
      const float va = sa * (float)(ld_q(a->dtype, ar + i * as) - za);
      const float vb = sb * (float)(ld_q(b->dtype, br + i * bs) - zb);
      const float v = (mul ? va * vb : va + vb) / sy;
      tsr_q_store(y->dtype, yr + i * ys, tsr_q_round(v, zy, y->dtype));
    }
  }
}

const tsr_kernel tsr_quantize_linear_ref = {
    .name = "tsr_quantize_linear_ref", .op = TSR_OP_QUANTIZE_LINEAR, .units = row_units, .run = quantize_run};
const tsr_kernel tsr_dequantize_linear_ref = {
    .name = "tsr_dequantize_linear_ref", .op = TSR_OP_DEQUANTIZE_LINEAR, .units = row_units, .run = dequantize_run};
const tsr_kernel tsr_qlinear_conv_ref = {
    .name = "tsr_qlinear_conv_ref", .op = TSR_OP_QLINEAR_CONV, .units = plane_units, .run = qlinear_conv_run};
const tsr_kernel tsr_qlinear_matmul_ref = {.name = "tsr_qlinear_matmul_ref",
                                           .op = TSR_OP_QLINEAR_MATMUL,
                                           .units = matmul_row_units,
                                           .run = qlinear_matmul_run};
const tsr_kernel tsr_qlinear_binary_ref = {
    .name = "tsr_qlinear_binary_ref", .op = TSR_OP_QLINEAR_BINARY, .units = row_units, .run = qlinear_binary_run};
