/* Convolution kernels: CONV2D, CONV_TRANSPOSE2D (f32) and QLINEAR_CONV (int8).
 * Contract (tessera/op.h, tsr_conv2d_params):
 *   CONV2D            x [N, C, H, W], w [M, C/g, KH, KW], bias? [M], slope? [M]
 *                     -> y [N, M, OH, OW]
 *   CONV_TRANSPOSE2D  x [N, C, H, W], w [C, M/g, KH, KW], bias? [M], slope? [M]
 *                     -> y [N, M, OH, OW]
 *   QLINEAR_CONV      x, x_scale, x_zp, w [M, C/g, KH, KW], w_scale, w_zp,
 *                     y_scale, y_zp, bias? i32 [M] -> y [N, M, OH, OW]
 * tsr_conv_geom resolves the parameters (0 -> 1 defaults, shapes) once. */
#ifndef TESSERA_KERNELS_CONV_H_
#define TESSERA_KERNELS_CONV_H_

#include "common/kernel.h"

typedef struct tsr_conv_geom {
  int64_t n, c, h, w;         /* x [N, C, H, W] */
  int64_t m, oh, ow;          /* y [N, M, OH, OW] */
  int64_t kh, kw;             /* kernel */
  int64_t sh, sw, dh, dw;     /* stride, dilation */
  int64_t pt, pl, pb, pr;     /* pads: top, left, bottom, right */
  int64_t groups, cg, mg;     /* groups; input and output channels per group */
} tsr_conv_geom;

static inline const tsr_conv2d_params *tsr_conv_params(const tsr_op *op) {
  return op->type == TSR_OP_QLINEAR_CONV ? &op->p.qop.conv : &op->p.conv2d;
}

/* The weight tensor of a (validated) convolution op. */
static inline const tsr_tensor *tsr_conv_weight(const tsr_op *op) {
  return &op->src[op->type == TSR_OP_QLINEAR_CONV ? 3 : 1];
}

static inline void tsr_conv_geom_of(const tsr_op *op, tsr_conv_geom *g) {
  const tsr_conv2d_params *p = tsr_conv_params(op);
  const tsr_tensor *x = &op->src[0], *w = tsr_conv_weight(op), *y = &op->dst;
  g->n = x->shape[0];
  g->c = x->shape[1];
  g->h = x->shape[2];
  g->w = x->shape[3];
  g->m = y->shape[1];
  g->oh = y->shape[2];
  g->ow = y->shape[3];
  g->kh = w->shape[2];
  g->kw = w->shape[3];
  g->sh = p->stride[0] ? p->stride[0] : 1;
  g->sw = p->stride[1] ? p->stride[1] : 1;
  g->dh = p->dilation[0] ? p->dilation[0] : 1;
  g->dw = p->dilation[1] ? p->dilation[1] : 1;
  g->pt = p->pad[0];
  g->pl = p->pad[1];
  g->pb = p->pad[2];
  g->pr = p->pad[3];
  g->groups = p->groups ? p->groups : 1;
  g->cg = g->c / g->groups;
  g->mg = g->m / g->groups;
}

/* Reference kernels (the oracles). */
extern const tsr_kernel tsr_conv2d_ref;
extern const tsr_kernel tsr_conv_transpose2d_ref;

/* Fast CONV2D variants (conv_gemm.h: im2col / direct GEMM). */
extern const tsr_kernel tsr_conv2d_f32_ukernel_8x48__avx512;
extern const tsr_kernel tsr_conv2d_f32_ukernel_6x16__avx2;
extern const tsr_kernel tsr_conv2d_f32_ukernel_4x16__scalar;
/* UNARY erf / GELU-erf (x86/unary_erf_*.c). */
extern const tsr_kernel tsr_unary_erf_f32_ukernel_u16__avx512;
extern const tsr_kernel tsr_unary_erf_f32_ukernel_u8__avx2;
/* Depthwise CONV2D variants (conv_dw.h: direct, row-vectorized). */
extern const tsr_kernel tsr_conv2d_f32_ukernel_dw_direct_4x32__avx512; /* stride 1: straight from x */
extern const tsr_kernel tsr_conv2d_f32_ukernel_dw_4x32__avx512;
extern const tsr_kernel tsr_conv2d_f32_ukernel_dw_direct_4x16__avx2; /* strides 1, 2: straight from x */
extern const tsr_kernel tsr_conv2d_f32_ukernel_dw_4x16__avx2;
extern const tsr_kernel tsr_conv2d_f32_ukernel_dw_u64__scalar;

/* Column phase |cp| of a band of width |wq| (output columns): padded column
 * t * sw + cp reads input column t * sw + cp - pl, which is inside the input
 * for t in [*lo, *hi). */
static inline void tsr_conv_col_phase(const tsr_conv_geom *g, int64_t wq, int64_t cp, int64_t *lo, int64_t *hi) {
  const int64_t sw = g->sw;
  int64_t l = g->pl - cp <= 0 ? 0 : (g->pl - cp + sw - 1) / sw;
  int64_t h = g->w + g->pl - cp <= 0 ? 0 : (g->w + g->pl - cp + sw - 1) / sw;
  if (l > wq) l = wq;
  if (h > wq) h = wq;
  if (h < l) h = l;
  *lo = l;
  *hi = h;
}

/* The first min(sw, 8) column phases (wider strides are rare: callers ask
 * tsr_conv_col_phase for those). */
static inline void tsr_conv_col_phases(const tsr_conv_geom *g, int64_t wq, int64_t lo[8], int64_t hi[8]) {
  const int64_t nph = g->sw < 8 ? g->sw : 8;
  for (int64_t cp = 0; cp < nph; ++cp) tsr_conv_col_phase(g, wq, cp, &lo[cp], &hi[cp]);
}

#endif /* TESSERA_KERNELS_CONV_H_ */
