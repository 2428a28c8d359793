/* The fast RESIZE kernel body, compiled once per ISA (resize_fast.c and
 * x86/resize_*.c define TSR_RESIZE_NAME and the ISA bits first): index and
 * weight tables per unit (resize.h's f32 coordinates, so every variant picks
 * the pixels the reference picks), nearest rows as gathers (a repeated
 * source row is copied), bilinear rows as two horizontal blends and one
 * vertical blend in f32. Units: (n, c, band of 64 output rows). Dense NCHW. */
#include <string.h>

#include "resize/resize.h"

#define RZ_BAND 64

static size_t rz_r64(size_t n) { return (n + 63) & ~(size_t)63; }

static bool rz_match(const tsr_op *op) {
  return op->p.resize.mode != TSR_RESIZE_CUBIC && op->src[0].dtype == TSR_DTYPE_F32 && tsr_tensor_is_contiguous(&op->src[0]) &&
         tsr_tensor_is_contiguous(&op->dst);
}

static int64_t rz_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return op->dst.shape[0] * op->dst.shape[1] * ((op->dst.shape[2] + RZ_BAND - 1) / RZ_BAND);
}

/* Scratch: column table (nearest: i32 index; linear: i32 x0, x1, f32 fx) and
 * two blended rows. */
static size_t rz_scratch(const tsr_op *op) {
  const int64_t ow = op->dst.shape[3];
  return 3 * rz_r64((size_t)ow * 4) + 2 * rz_r64((size_t)ow * 4);
}

static void rz_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_resize_params *p = &op->p.resize;
  const int64_t h = op->src[0].shape[2], w = op->src[0].shape[3], oh = op->dst.shape[2], ow = op->dst.shape[3];
  const int64_t bands = (oh + RZ_BAND - 1) / RZ_BAND;
  const float sh = tsr_resize_scale(op, 0), sw = tsr_resize_scale(op, 1);
  uint8_t *sp = ctx->scratch;
  int32_t *cx0 = (int32_t *)sp, *cx1 = (int32_t *)(sp + rz_r64((size_t)ow * 4));
  float *cfx = (float *)(sp + 2 * rz_r64((size_t)ow * 4));
  float *top = (float *)(sp + 3 * rz_r64((size_t)ow * 4)), *bot = top + rz_r64((size_t)ow * 4) / 4;
  const bool nearest = p->mode == TSR_RESIZE_NEAREST;
  for (int64_t q = 0; q < ow; ++q) {
    const float cx = tsr_resize_coord_f32(p->coord, q, sw, w, ow);
    if (nearest) {
      cx0[q] = (int32_t)tsr_resize_nearest_index(p->nearest, cx, w);
    } else {
      int64_t a, b;
      float f;
      tsr_resize_linear_taps(cx, w, &a, &b, &f);
      cx0[q] = (int32_t)a;
      cx1[q] = (int32_t)b;
      cfx[q] = f;
    }
  }
  const float *x = op->src[0].data;
  float *y = op->dst.data;
  for (int64_t u = begin; u < end; ++u) {
    const int64_t plane = u / bands, r0 = (u % bands) * RZ_BAND, r1 = r0 + RZ_BAND < oh ? r0 + RZ_BAND : oh;
    const float *xp = x + plane * h * w;
    float *yp = y + plane * oh * ow;
    int64_t prev = -1;
    for (int64_t r = r0; r < r1; ++r) {
      const float cy = tsr_resize_coord_f32(p->coord, r, sh, h, oh);
      float *yr = yp + r * ow;
      if (nearest) {
        const int64_t sy = tsr_resize_nearest_index(p->nearest, cy, h);
        if (sy == prev) {
          memcpy(yr, yr - ow, sizeof(float) * (size_t)ow);
          continue;
        }
        prev = sy;
        const float *xr = xp + sy * w;
        for (int64_t q = 0; q < ow; ++q) yr[q] = xr[cx0[q]];
        continue;
      }
      int64_t y0, y1;
      float fy;
      tsr_resize_linear_taps(cy, h, &y0, &y1, &fy);
      const float *ra = xp + y0 * w, *rb = xp + y1 * w;
      for (int64_t q = 0; q < ow; ++q) {
        const float f = cfx[q];
        top[q] = ra[cx0[q]] + f * (ra[cx1[q]] - ra[cx0[q]]);
        bot[q] = rb[cx0[q]] + f * (rb[cx1[q]] - rb[cx0[q]]);
      }
      for (int64_t q = 0; q < ow; ++q) yr[q] = top[q] + fy * (bot[q] - top[q]);
    }
  }
}

const tsr_kernel TSR_RESIZE_NAME = {.name = TSR_RESIZE_STR,
                                    .op = TSR_OP_RESIZE,
                                    .isa = TSR_RESIZE_ISA,
                                    .match = rz_match,
                                    .units = rz_units,
                                    .scratch = rz_scratch,
                                    .run = rz_run};
