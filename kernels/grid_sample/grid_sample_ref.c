/* Reference GRID_SAMPLE: one unit per (n, c, output row); every step in f32
 * in ONNX Runtime's order, so that results match it to rounding. */
#include <math.h>
#include <string.h>

#include "grid_sample/grid_sample.h"

static int64_t gs_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  const tsr_tensor *y = &op->dst;
  return y->shape[0] * y->shape[1] * y->shape[2];
}

static float ldf(const tsr_tensor *t, int64_t off) {
  float v;
  memcpy(&v, tsr_cptr(t) + off, 4);
  return v;
}

/* Pixel coordinate of grid value |g|, bounded (NaN included) so that the
 * integer conversions below stay defined: far outside, the result is the same. */
static float denorm(float g, int64_t len, bool align) {
  float v = align ? (g + 1.0f) / 2.0f * (float)(len - 1) : ((g + 1.0f) * (float)len - 1.0f) / 2.0f;
  const float lim = 4.0f * (float)len + 1e6f;
  if (!(v > -lim)) v = -lim;
  if (v > lim) v = lim;
  return v;
}

/* |v| reflected by the nearer border until inside [lo, hi]. */
static float reflect(float v, float lo, float hi) {
  const float range = hi - lo;
  if (v < lo) {
    const float d = lo - v;
    const int n = (int)(d / range);
    const float r = d - (float)n * range;
    return n % 2 == 0 ? lo + r : hi - r;
  }
  if (v > hi) {
    const float d = v - hi;
    const int n = (int)(d / range);
    const float r = d - (float)n * range;
    return n % 2 == 0 ? hi - r : lo + r;
  }
  return v;
}

/* Pixel (r, c) of the [H, W] plane at |base|, with the padding rule. */
static float pixel(const tsr_tensor *x, int64_t base, int64_t r, int64_t c, const tsr_grid_sample_params *p,
                   const float *border) {
  const int64_t h = x->shape[2], w = x->shape[3];
  if (p->padding == TSR_GRID_ZEROS) {
    if (c < 0 || c >= w || r < 0 || r >= h) return 0.0f;
  } else if (p->padding == TSR_GRID_BORDER) {
    c = c < 0 ? 0 : (c > w - 1 ? w - 1 : c);
    r = r < 0 ? 0 : (r > h - 1 ? h - 1 : r);
  } else {
    c = (int64_t)reflect((float)c, border[0], border[2]);
    r = (int64_t)reflect((float)r, border[1], border[3]);
    c = c < 0 ? 0 : (c > w - 1 ? w - 1 : c); /* rounding guard: never outside the plane */
    r = r < 0 ? 0 : (r > h - 1 ? h - 1 : r);
  }
  return ldf(x, base + r * x->stride[2] + c * x->stride[3]);
}

static float round_even(float v) {
  float f = floorf(v), d = v - f;
  if (d > 0.5f || (d == 0.5f && fmodf(f, 2.0f) != 0.0f)) f += 1.0f;
  return f;
}

static void cubic_coeffs(float t, float *k) {
  const float a = -0.75f;
  t = fabsf(t);
  k[0] = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a;
  k[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
  k[2] = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1;
  k[3] = ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a;
}

static void gs_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *g = &op->src[1], *y = &op->dst;
  const tsr_grid_sample_params *p = &op->p.grid_sample;
  const int64_t ch = y->shape[1], oh = y->shape[2], ow = y->shape[3], h = x->shape[2], w = x->shape[3];
  float border[4] = {-0.5f, -0.5f, (float)w - 0.5f, (float)h - 0.5f};
  if (p->align_corners) {
    border[0] = border[1] = 0.0f;
    border[2] = (float)(w - 1);
    border[3] = (float)(h - 1);
  }
  for (int64_t u = begin; u < end; ++u) {
    const int64_t oy = u % oh, c = (u / oh) % ch, n = u / (oh * ch);
    const int64_t base = n * x->stride[0] + c * x->stride[1];
    for (int64_t ox = 0; ox < ow; ++ox) {
      const int64_t go = n * g->stride[0] + oy * g->stride[1] + ox * g->stride[2];
      const float fx = denorm(ldf(g, go), w, p->align_corners), fy = denorm(ldf(g, go + g->stride[3]), h, p->align_corners);
      float v;
      if (p->mode == TSR_GRID_NEAREST) {
        v = pixel(x, base, (int64_t)round_even(fy), (int64_t)round_even(fx), p, border);
      } else if (p->mode == TSR_GRID_BILINEAR) {
        const int64_t x1 = (int64_t)floorf(fx), y1 = (int64_t)floorf(fy);
        const float wr = fx - (float)x1, wl = 1.0f - wr, wb = fy - (float)y1, wt = 1.0f - wb;
        v = wt * wl * pixel(x, base, y1, x1, p, border) + wt * wr * pixel(x, base, y1, x1 + 1, p, border) +
            wb * wl * pixel(x, base, y1 + 1, x1, p, border) + wb * wr * pixel(x, base, y1 + 1, x1 + 1, p, border);
      } else {
        const int64_t x0 = (int64_t)floorf(fx) - 1, y0 = (int64_t)floorf(fy) - 1;
        float kx[4], ky[4], row[4];
        cubic_coeffs(fx - (float)x0 - 1.0f, kx);
        cubic_coeffs(fy - (float)y0 - 1.0f, ky);
        for (int i = 0; i < 4; ++i) {
          row[i] = kx[0] * pixel(x, base, y0 + i, x0, p, border) + kx[1] * pixel(x, base, y0 + i, x0 + 1, p, border) +
                   kx[2] * pixel(x, base, y0 + i, x0 + 2, p, border) + kx[3] * pixel(x, base, y0 + i, x0 + 3, p, border);
        }
        v = ky[0] * row[0] + ky[1] * row[1] + ky[2] * row[2] + ky[3] * row[3];
      }
      memcpy(tsr_ptr(y) + n * y->stride[0] + c * y->stride[1] + oy * y->stride[2] + ox * y->stride[3], &v, 4);
    }
  }
}

const tsr_kernel tsr_grid_sample_ref = {
    .name = "tsr_grid_sample_ref", .op = TSR_OP_GRID_SAMPLE, .units = gs_units, .run = gs_run};
