/* Reference CONV2D and CONV_TRANSPOSE2D: one unit per output plane (n, m);
 * every output element is a double sum over its taps in (c, kh, kw) order,
 * then bias and the fused activation in double.
 *   CONV2D:            y[n,m,oh,ow] = sum_{c in group(m), i, j}
 *                        x[n,c, oh*sh - pt + i*dh, ow*sw - pl + j*dw] * w[m, c%cg, i, j]
 *   CONV_TRANSPOSE2D:  y[n,m,oh,ow] = sum over (c, i, j) with oh + pt - i*dh = ih*sh,
 *                        ow + pl - j*dw = iw*sw inside x of x[n,c,ih,iw] * w[c, m%mg, i, j]
 * Taps that land in the padding contribute nothing. */
#include "common/ref_util.h"
#include "conv/conv.h"
#include "elementwise/elementwise.h"

static int64_t conv_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return op->dst.shape[0] * op->dst.shape[1];
}

static float ld4(const tsr_tensor *t, int64_t a, int64_t b, int64_t c, int64_t d) {
  return tsr_ref_ld(tsr_cptr(t) + a * t->stride[0] + b * t->stride[1] + c * t->stride[2] + d * t->stride[3]);
}

/* bias, then the fused activation of |op| for output channel |m|. */
static float finish(const tsr_op *op, int64_t m, double acc) {
  const tsr_conv2d_params *p = &op->p.conv2d;
  if (tsr_op_has_src(op, 2)) acc += ((const float *)op->src[2].data)[m];
  if (p->activation >= 0) {
    double alpha = tsr_op_has_src(op, 3) ? ((const float *)op->src[3].data)[m] : p->act_alpha;
    acc = tsr_unary_eval(p->activation, acc, alpha, p->act_beta);
  }
  return (float)acc;
}

static void conv2d_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *w = &op->src[1], *y = &op->dst;
  tsr_conv_geom g;
  tsr_conv_geom_of(op, &g);
  for (int64_t u = begin; u < end; ++u) {
    const int64_t n = u / g.m, m = u % g.m, c0 = (m / g.mg) * g.cg;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        double acc = 0.0;
        for (int64_t ci = 0; ci < g.cg; ++ci) {
          for (int64_t i = 0; i < g.kh; ++i) {
            const int64_t ih = oh * g.sh - g.pt + i * g.dh;
            if (ih < 0 || ih >= g.h) continue;
            for (int64_t j = 0; j < g.kw; ++j) {
              const int64_t iw = ow * g.sw - g.pl + j * g.dw;
              if (iw < 0 || iw >= g.w) continue;
              acc += (double)ld4(x, n, c0 + ci, ih, iw) * (double)ld4(w, m, ci, i, j);
            }
          }
        }
        tsr_ref_st(tsr_ptr(y) + n * y->stride[0] + m * y->stride[1] + oh * y->stride[2] + ow * y->stride[3],
                   finish(op, m, acc));
      }
    }
  }
}

/* The input index whose tap |k| lands on output |o|, or -1. */
static int64_t tconv_src(int64_t o, int64_t pad, int64_t k, int64_t d, int64_t s, int64_t in) {
  const int64_t num = o + pad - k * d;
  if (num < 0 || num % s != 0) return -1;
  return num / s < in ? num / s : -1;
}

static void conv_transpose2d_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *w = &op->src[1], *y = &op->dst;
  tsr_conv_geom g;
  tsr_conv_geom_of(op, &g);
  for (int64_t u = begin; u < end; ++u) {
    const int64_t n = u / g.m, m = u % g.m, c0 = (m / g.mg) * g.cg, mi = m % g.mg;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        double acc = 0.0;
        for (int64_t ci = 0; ci < g.cg; ++ci) {
          for (int64_t i = 0; i < g.kh; ++i) {
            const int64_t ih = tconv_src(oh, g.pt, i, g.dh, g.sh, g.h);
            if (ih < 0) continue;
            for (int64_t j = 0; j < g.kw; ++j) {
              const int64_t iw = tconv_src(ow, g.pl, j, g.dw, g.sw, g.w);
              if (iw < 0) continue;
              acc += (double)ld4(x, n, c0 + ci, ih, iw) * (double)ld4(w, c0 + ci, mi, i, j);
            }
          }
        }
        tsr_ref_st(tsr_ptr(y) + n * y->stride[0] + m * y->stride[1] + oh * y->stride[2] + ow * y->stride[3],
                   finish(op, m, acc));
      }
    }
  }
}

const tsr_kernel tsr_conv2d_ref = {
    .name = "tsr_conv2d_ref", .op = TSR_OP_CONV2D, .units = conv_units, .run = conv2d_run};
const tsr_kernel tsr_conv_transpose2d_ref = {.name = "tsr_conv_transpose2d_ref",
                                             .op = TSR_OP_CONV_TRANSPOSE2D,
                                             .units = conv_units,
                                             .run = conv_transpose2d_run};
