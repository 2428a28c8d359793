/* x86 RoPE: per row t the angles (double, as the reference) become cos/sin
 * tables in scratch, applied to every head with vector FMAs: interleaved
 * pairs through a pair swap (x * C + swap(x) * S), NeoX halves directly.
 * y may alias x. Include after defining VX_W and RX_NAME(x). */
#include <math.h>

#include "common/x86/vec_x86.h"
#include "rope/rope.h"

#if VX_W == 16
#define RX_SWAP_PAIRS(v) _mm512_permute_ps((v), 0xB1)
#else
#define RX_SWAP_PAIRS(v) _mm256_permute_ps((v), 0xB1)
#endif

static bool RX_NAME(match)(const tsr_op *op) {
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  return x->dtype == TSR_DTYPE_F32 && y->dtype == TSR_DTYPE_F32 && tsr_inner_stride(x) == 4 &&
         tsr_inner_stride(y) == 4 && (!tsr_op_has_src(op, 1) || op->src[1].stride[0] == 4);
}

static int64_t RX_NAME(units)(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return op->dst.shape[0];
}

static size_t RX_NAME(scratch)(const tsr_op *op) { return (size_t)(2 * op->p.rope.n_dims + 2 * VX_W) * sizeof(float); }

static void RX_NAME(run)(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_rope_params *p = &op->p.rope;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const int64_t h_count = x->shape[1], d = x->shape[2], nd = p->n_dims, half = nd / 2;
  const double fscale = p->freq_scale != 0.0f ? p->freq_scale : 1.0;
  const float *ff = tsr_op_has_src(op, 1) ? op->src[1].data : NULL;
  const int64_t pos0 = tsr_dyn_eval(p->pos, ctx->dyn);
  const bool neox = p->mode == TSR_ROPE_NEOX;
  float *C = ctx->scratch, *S = C + nd;
  for (int64_t t = begin; t < end; ++t) {
    const double pos = (double)(pos0 + t);
    for (int64_t i = 0; i < half; ++i) {
      double theta = pos * fscale * pow((double)p->freq_base, -2.0 * (double)i / (double)nd);
      if (ff) theta /= ff[i];
      const float c = (float)cos(theta), s = (float)sin(theta);
      if (neox) {
        C[i] = c;
        S[i] = s;
      } else {
        C[2 * i] = C[2 * i + 1] = c;
        S[2 * i] = -s;
        S[2 * i + 1] = s;
      }
    }
    for (int64_t h = 0; h < h_count; ++h) {
      const float *xr = (const float *)(const void *)(tsr_cptr(x) + t * x->stride[0] + h * x->stride[1]);
      float *yr = (float *)(void *)(tsr_ptr(y) + t * y->stride[0] + h * y->stride[1]);
      if (neox) {
        for (int64_t i = 0; i < half; i += VX_W) {
          const int n = half - i < VX_W ? (int)(half - i) : VX_W;
          const vx_f x0 = vx_load_n(xr + i, n), x1 = vx_load_n(xr + i + half, n);
          const vx_f c = vx_load_n(C + i, n), s = vx_load_n(S + i, n);
          vx_store_n(yr + i, vx_fnma(x1, s, vx_mul(x0, c)), n);
          vx_store_n(yr + i + half, vx_fma(x1, c, vx_mul(x0, s)), n);
        }
      } else {
        for (int64_t i = 0; i < nd; i += VX_W) {
          const int n = nd - i < VX_W ? (int)(nd - i) : VX_W;
          const vx_f v = vx_load_n(xr + i, n);
          const vx_f r = vx_fma(v, vx_load_n(C + i, n), vx_mul(RX_SWAP_PAIRS(v), vx_load_n(S + i, n)));
          vx_store_n(yr + i, r, n);
        }
      }
      if (yr != xr) {
        for (int64_t i = nd; i < d; ++i) yr[i] = xr[i];
      }
    }
  }
}
