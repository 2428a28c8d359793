/* x86 RMSNorm / LayerNorm over rows of contiguous f32: sums in 4 vector
 * accumulators (fixed order), then y = (x - mean) * inv * w (+ b) in one
 * vector pass. Include after defining VX_W and NX_NAME(x). */
#include <math.h>

#include "common/x86/vec_x86.h"
#include "norm/norm.h"

static bool NX_NAME(match)(const tsr_op *op) {
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  if (x->dtype != TSR_DTYPE_F32 || y->dtype != TSR_DTYPE_F32 || x->ndim < 1) return false;
  if (tsr_inner_stride(x) != 4 || tsr_inner_stride(y) != 4) return false;
  for (uint32_t i = 1; i < op->n_src && i < 3; ++i) {
    if (tsr_op_has_src(op, i) && (op->src[i].dtype != TSR_DTYPE_F32 || op->src[i].stride[0] != 4)) return false;
  }
  return true;
}

static int64_t NX_NAME(units)(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return tsr_rows(&op->dst);
}

/* sum of (x - c)^2 if sq, else sum of x */
static float NX_NAME(sum)(const float *x, int64_t n, float c, bool sq) {
  vx_f a[4] = {vx_zero(), vx_zero(), vx_zero(), vx_zero()};
  const vx_f vc = vx_set(c);
  int64_t i = 0;
  for (; i + 4 * VX_W <= n; i += 4 * VX_W) {
    for (int j = 0; j < 4; ++j) {
      vx_f v = vx_sub(vx_load(x + i + j * VX_W), vc);
      a[j] = sq ? vx_fma(v, v, a[j]) : vx_add(a[j], v);
    }
  }
  for (; i + VX_W <= n; i += VX_W) {
    vx_f v = vx_sub(vx_load(x + i), vc);
    a[0] = sq ? vx_fma(v, v, a[0]) : vx_add(a[0], v);
  }
  float tail = 0.0f;
  for (; i < n; ++i) {
    float v = x[i] - c;
    tail += sq ? v * v : v;
  }
  return vx_hsum(vx_add(vx_add(a[0], a[1]), vx_add(a[2], a[3]))) + tail;
}

static void NX_NAME(run)(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const bool layer = op->type == TSR_OP_LAYERNORM;
  const int64_t n = x->shape[x->ndim - 1];
  const float *w = tsr_op_has_src(op, 1) ? op->src[1].data : NULL;
  const float *b = layer && tsr_op_has_src(op, 2) ? op->src[2].data : NULL;
  for (int64_t r = begin; r < end; ++r) {
    const float *xr = (const float *)(const void *)(tsr_cptr(x) + tsr_row_offset(x, r));
    float *yr = (float *)(void *)(tsr_ptr(y) + tsr_row_offset(y, r));
    const float mean = layer ? NX_NAME(sum)(xr, n, 0.0f, false) / (float)n : 0.0f;
    const float var = NX_NAME(sum)(xr, n, mean, true) / (float)n;
    const float inv = 1.0f / sqrtf(var + op->p.norm.eps);
    const vx_f vm = vx_set(mean), vi = vx_set(inv);
    for (int64_t i = 0; i < n; i += VX_W) {
      int rem = n - i < VX_W ? (int)(n - i) : VX_W;
      vx_f v = rem == VX_W ? vx_load(xr + i) : vx_load_n(xr + i, rem);
      v = vx_mul(vx_sub(v, vm), vi);
      if (w) v = vx_mul(v, rem == VX_W ? vx_load(w + i) : vx_load_n(w + i, rem));
      if (b) v = vx_add(v, rem == VX_W ? vx_load(b + i) : vx_load_n(b + i, rem));
      if (rem == VX_W) vx_store(yr + i, v);
      else vx_store_n(yr + i, v, rem);
    }
  }
}
