/* Reference POOL2D: one unit per plane (n, c). Max compares in f32 (taps in
 * the padding never take part); averages sum in double and divide by the tap
 * count of the contract (tessera/op.h). */
#include <math.h>

#include "common/ref_util.h"
#include "pool/pool.h"

static int64_t pool_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return op->dst.shape[0] * op->dst.shape[1];
}

static void pool_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  tsr_pool_geom g;
  tsr_pool_geom_of(op, &g);
  for (int64_t u = begin; u < end; ++u) {
    const int64_t n = u / g.c, c = u % g.c;
    const uint8_t *xp = tsr_cptr(x) + n * x->stride[0] + c * x->stride[1];
    uint8_t *yp = tsr_ptr(y) + n * y->stride[0] + c * y->stride[1];
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const int64_t hs = oh * g.sh - g.pt;
      int64_t i0, i1;
      const int64_t nh = tsr_pool_taps(hs, g.kh, g.dh, g.h, &i0, &i1);
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t ws = ow * g.sw - g.pl;
        int64_t j0, j1;
        const int64_t nw = tsr_pool_taps(ws, g.kw, g.dw, g.w, &j0, &j1);
        float out;
        if (g.is_max) {
          float mx = -INFINITY;
          for (int64_t i = i0; i < i1; ++i) {
            for (int64_t j = j0; j < j1; ++j) {
              float v = tsr_ref_ld(xp + (hs + i * g.dh) * x->stride[2] + (ws + j * g.dw) * x->stride[3]);
              if (v > mx) mx = v;
            }
          }
          out = mx;
        } else {
          double sum = 0.0;
          for (int64_t i = i0; i < i1; ++i) {
            for (int64_t j = j0; j < j1; ++j)
              sum += tsr_ref_ld(xp + (hs + i * g.dh) * x->stride[2] + (ws + j * g.dw) * x->stride[3]);
          }
          int64_t cnt = nh * nw;
          if (g.include_pad)
            cnt = tsr_pool_padded_taps(hs, g.kh, g.dh, g.h, g.pb) * tsr_pool_padded_taps(ws, g.kw, g.dw, g.w, g.pr);
          out = cnt > 0 ? (float)(sum / (double)cnt) : 0.0f;
        }
        tsr_ref_st(yp + oh * y->stride[2] + ow * y->stride[3], out);
      }
    }
  }
}

const tsr_kernel tsr_pool2d_ref = {.name = "tsr_pool2d_ref", .op = TSR_OP_POOL2D, .units = pool_units, .run = pool_run};
