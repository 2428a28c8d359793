/* x86 softmax over rows of contiguous f32 with scale and causal mask: max,
 * then e^(x * scale - max) stored and summed in one pass, then scaled by
 * 1 / sum. Include after defining VX_W and SX_NAME(x). */
#include "common/x86/vec_x86.h"
#include "softmax/softmax.h"

static bool SX_NAME(match)(const tsr_op *op) {
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  return x->dtype == TSR_DTYPE_F32 && y->dtype == TSR_DTYPE_F32 && x->ndim >= 1 && tsr_inner_stride(x) == 4 &&
         tsr_inner_stride(y) == 4;
}

static int64_t SX_NAME(units)(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return tsr_rows(&op->dst);
}

static void SX_NAME(run)(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const int64_t s_count = x->shape[x->ndim - 1];
  const int64_t r_count = x->ndim >= 2 ? x->shape[x->ndim - 2] : 1;
  const float scale = op->p.softmax.scale != 0.0f ? op->p.softmax.scale : 1.0f;
  const int64_t q_pos = tsr_dyn_eval(op->p.softmax.q_pos, ctx->dyn);
  const vx_f vs = vx_set(scale);
  for (int64_t r = begin; r < end; ++r) {
    const float *xr = (const float *)(const void *)(tsr_cptr(x) + tsr_row_offset(x, r));
    float *yr = (float *)(void *)(tsr_ptr(y) + tsr_row_offset(y, r));
    int64_t valid = s_count;
    if (op->p.softmax.causal) {
      int64_t lim = q_pos + (r % r_count) + 1;
      valid = lim < 0 ? 0 : (lim < s_count ? lim : s_count);
    }
    vx_f vm = vx_set(-__builtin_inff());
    int64_t i = 0;
    for (; i + VX_W <= valid; i += VX_W) vm = vx_max(vm, vx_mul(vx_load(xr + i), vs));
    float mx = vx_hmax(vm);
    for (; i < valid; ++i) mx = xr[i] * scale > mx ? xr[i] * scale : mx;
    const vx_f vmx = vx_set(mx);
    vx_f vsum = vx_zero();
    for (i = 0; i < valid; i += VX_W) {
      int n = valid - i < VX_W ? (int)(valid - i) : VX_W;
      if (n == VX_W) {
        vx_f e = vx_exp(vx_fma(vx_load(xr + i), vs, vx_sub(vx_zero(), vmx)));
        vx_store(yr + i, e);
        vsum = vx_add(vsum, e);
      } else {
        vx_f e = vx_exp(vx_fma(vx_load_n(xr + i, n), vs, vx_sub(vx_zero(), vmx)));
        vx_store_n(yr + i, e, n);
        float t[VX_W];
        vx_store(t, e);
        for (int k = n; k < VX_W; ++k) t[k] = 0.0f;
        vsum = vx_add(vsum, vx_load(t));
      }
    }
    const float sum = vx_hsum(vsum);
    const vx_f inv = vx_set(valid > 0 ? 1.0f / sum : 0.0f);
    for (i = 0; i < valid; i += VX_W) {
      int n = valid - i < VX_W ? (int)(valid - i) : VX_W;
      if (n == VX_W) vx_store(yr + i, vx_mul(vx_load(yr + i), inv));
      else vx_store_n(yr + i, vx_mul(vx_load_n(yr + i, n), inv), n);
    }
    for (i = valid; i < s_count; ++i) yr[i] = 0.0f;
  }
}
