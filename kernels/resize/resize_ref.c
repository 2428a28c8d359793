/* Reference RESIZE: one unit per plane (n, c); coordinates from resize.h,
 * bilinear blending in double:
 *   y = (1-fy)((1-fx) x[y0,x0] + fx x[y0,x1]) + fy((1-fx) x[y1,x0] + fx x[y1,x1]) */
#include "common/ref_util.h"
#include "resize/resize.h"

static int64_t resize_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return op->dst.shape[0] * op->dst.shape[1];
}

static int64_t clampi(int64_t i, int64_t len) { return i < 0 ? 0 : (i > len - 1 ? len - 1 : i); }

/* Bicubic at (cy, cx) of the plane at |xp|: 4 x 4 taps, edge clamped. */
static double cubic_at(const tsr_tensor *x, const uint8_t *xp, float cy, float cx) {
  const int64_t h = x->shape[2], w = x->shape[3];
  /* Bounded so that the integer conversions stay defined (NaN included). */
  const float lim = 1e7f;
  if (!(cy > -lim)) cy = -lim;
  if (cy > lim) cy = lim;
  if (!(cx > -lim)) cx = -lim;
  if (cx > lim) cx = lim;
  const float fy = floorf(cy), fx = floorf(cx);
  float ky[4], kx[4];
  tsr_resize_cubic_coeffs(cy - fy, -0.75f, ky);
  tsr_resize_cubic_coeffs(cx - fx, -0.75f, kx);
  double acc = 0.0;
  for (int i = 0; i < 4; ++i) {
    const int64_t r = clampi((int64_t)fy - 1 + i, h);
    double row = 0.0;
    for (int j = 0; j < 4; ++j) row += kx[j] * tsr_ref_ld(xp + r * x->stride[2] + clampi((int64_t)fx - 1 + j, w) * x->stride[3]);
    acc += ky[i] * row;
  }
  return acc;
}

static void resize_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_resize_params *p = &op->p.resize;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const int64_t c = x->shape[1], h = x->shape[2], w = x->shape[3], oh = y->shape[2], ow = y->shape[3];
  const float sh = tsr_resize_scale(op, 0), sw = tsr_resize_scale(op, 1);
  for (int64_t u = begin; u < end; ++u) {
    const uint8_t *xp = tsr_cptr(x) + (u / c) * x->stride[0] + (u % c) * x->stride[1];
    uint8_t *yp = tsr_ptr(y) + (u / c) * y->stride[0] + (u % c) * y->stride[1];
    for (int64_t i = 0; i < oh; ++i) {
      const float cy = tsr_resize_coord_f32(p->coord, i, sh, h, oh);
      for (int64_t j = 0; j < ow; ++j) {
        const float cx = tsr_resize_coord_f32(p->coord, j, sw, w, ow);
        float out;
        if (p->mode == TSR_RESIZE_NEAREST) {
          const int64_t si = tsr_resize_nearest_index(p->nearest, cy, h);
          const int64_t sj = tsr_resize_nearest_index(p->nearest, cx, w);
          out = tsr_ref_ld(xp + si * x->stride[2] + sj * x->stride[3]);
        } else if (p->mode == TSR_RESIZE_CUBIC) {
          out = (float)cubic_at(x, xp, cy, cx);
        } else {
          int64_t y0, y1, x0, x1;
          float fy, fx;
          tsr_resize_linear_taps(cy, h, &y0, &y1, &fy);
          tsr_resize_linear_taps(cx, w, &x0, &x1, &fx);
          const double a = tsr_ref_ld(xp + y0 * x->stride[2] + x0 * x->stride[3]);
          const double b = tsr_ref_ld(xp + y0 * x->stride[2] + x1 * x->stride[3]);
          const double cc = tsr_ref_ld(xp + y1 * x->stride[2] + x0 * x->stride[3]);
          const double d = tsr_ref_ld(xp + y1 * x->stride[2] + x1 * x->stride[3]);
          const double top = (1.0 - fx) * a + fx * b, bot = (1.0 - fx) * cc + fx * d;
          out = (float)((1.0 - fy) * top + fy * bot);
        }
        tsr_ref_st(yp + i * y->stride[2] + j * y->stride[3], out);
      }
    }
  }
}

const tsr_kernel tsr_resize_ref = {
    .name = "tsr_resize_ref", .op = TSR_OP_RESIZE, .units = resize_units, .run = resize_run};
