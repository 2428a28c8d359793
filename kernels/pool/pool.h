/* POOL2D kernels. Contract (tessera/op.h, tsr_pool2d_params):
 * x f32 [N, C, H, W] -> y f32 [N, C, OH, OW]; MAX / AVG windows with stride,
 * dilation, pads, ceil_mode and count_include_pad; GLOBAL_AVG / GLOBAL_MAX
 * over H x W. */
#ifndef TESSERA_KERNELS_POOL_H_
#define TESSERA_KERNELS_POOL_H_

#include "common/kernel.h"

/* Resolved window geometry. For GLOBAL kinds: the whole plane, no pads. */
typedef struct tsr_pool_geom {
  int64_t n, c, h, w, oh, ow;
  int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  bool global, is_max, include_pad;
} tsr_pool_geom;

static inline void tsr_pool_geom_of(const tsr_op *op, tsr_pool_geom *g) {
  const tsr_pool2d_params *p = &op->p.pool2d;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  g->n = x->shape[0];
  g->c = x->shape[1];
  g->h = x->shape[2];
  g->w = x->shape[3];
  g->oh = y->shape[2];
  g->ow = y->shape[3];
  g->global = p->kind == TSR_POOL_GLOBAL_AVG || p->kind == TSR_POOL_GLOBAL_MAX;
  g->is_max = p->kind == TSR_POOL_MAX || p->kind == TSR_POOL_GLOBAL_MAX;
  g->include_pad = p->count_include_pad && !g->global;
  if (g->global) {
    g->kh = g->h;
    g->kw = g->w;
    g->sh = g->sw = g->dh = g->dw = 1;
    g->pt = g->pl = g->pb = g->pr = 0;
    return;
  }
  g->kh = p->kernel[0];
  g->kw = p->kernel[1];
  g->sh = p->stride[0] ? p->stride[0] : 1;
  g->sw = p->stride[1] ? p->stride[1] : 1;
  g->dh = p->dilation[0] ? p->dilation[0] : 1;
  g->dw = p->dilation[1] ? p->dilation[1] : 1;
  g->pt = p->pad[0];
  g->pl = p->pad[1];
  g->pb = p->pad[2];
  g->pr = p->pad[3];
}

/* Taps of the window starting at |start| (k taps spaced d) that fall in
 * [0, in) -> [*first, *last) as tap indices; returns the count. */
static inline int64_t tsr_pool_taps(int64_t start, int64_t k, int64_t d, int64_t in, int64_t *first,
                                    int64_t *last) {
  int64_t f = start >= 0 ? 0 : (-start + d - 1) / d;
  int64_t l = in - start <= 0 ? 0 : (in - start + d - 1) / d;
  if (l > k) l = k;
  if (f > l) f = l;
  *first = f;
  *last = l;
  return l - f;
}

/* Taps inside the padded extent [-pad_begin, in + pad_end) (count_include_pad). */
static inline int64_t tsr_pool_padded_taps(int64_t start, int64_t k, int64_t d, int64_t in, int64_t pad_end) {
  int64_t lim = in + pad_end - start; /* taps t with t*d < lim */
  if (lim <= 0) return 0;
  int64_t l = (lim + d - 1) / d;
  return l > k ? k : l;
}

extern const tsr_kernel tsr_pool2d_ref;

#endif /* TESSERA_KERNELS_POOL_H_ */
