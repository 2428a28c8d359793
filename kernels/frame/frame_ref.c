/* FRAME reference: one output pixel at a time, straight from the formulas in
 * frame.h / tessera/vision.h. The oracle for every variant. */
#include <math.h>
#include <string.h>

#include "frame/frame.h"

/* Source pixel (crop-relative sx, sy) as out_c u8 values in output order. */
static void fetch(const tsr_frame_kparams *p, int sx, int sy, float v[3]) {
  uint8_t rgb[3];
  if (p->out_c == 1 && p->format == TSR_PIXEL_GRAY8) {
    v[0] = p->data[(size_t)(p->crop_y + sy) * (size_t)p->stride + (size_t)(p->crop_x + sx)];
    return;
  }
  tsr_frame_fetch_rgb(p, p->crop_x + sx, p->crop_y + sy, rgb);
  if (p->out_c == 1) {
    v[0] = tsr_frame_gray(rgb);
  } else {
    for (int k = 0; k < 3; ++k) v[k] = rgb[p->bgr ? 2 - k : k];
  }
}

/* Box filter over [x0, x1) x [y0, y1) of the crop (source pixels). */
static void area(const tsr_frame_kparams *p, double x0, double x1, double y0, double y1, float v[3]) {
  double acc[3] = {0, 0, 0}, wsum = 0;
  for (int iy = (int)floor(y0); iy < (int)ceil(y1) && iy < p->crop_h; ++iy) {
    const double wy = fmin(y1, iy + 1.0) - fmax(y0, (double)iy);
    if (wy <= 0) continue;
    for (int ix = (int)floor(x0); ix < (int)ceil(x1) && ix < p->crop_w; ++ix) {
      const double wx = fmin(x1, ix + 1.0) - fmax(x0, (double)ix);
      if (wx <= 0) continue;
      float s[3];
      fetch(p, ix, iy, s);
      for (int k = 0; k < p->out_c; ++k) acc[k] += wx * wy * s[k];
      wsum += wx * wy;
    }
  }
  for (int k = 0; k < p->out_c; ++k) v[k] = wsum > 0 ? (float)(acc[k] / wsum) : 0.0f;
}

void tsr_frame_pixel_ref(const tsr_frame_kparams *p, int x, int y, float out[3]) {
  const int cx = x - p->pad_x, cy = y - p->pad_y;
  float v[3];
  if (cx < 0 || cy < 0 || cx >= p->content_w || cy >= p->content_h) {
    v[0] = v[1] = v[2] = (float)p->pad_value;
  } else if (p->resize == TSR_FRAME_NEAREST) {
    int sx = (int)floor((double)cx * p->crop_w / p->content_w), sy = (int)floor((double)cy * p->crop_h / p->content_h);
    sx = sx < p->crop_w ? sx : p->crop_w - 1;
    sy = sy < p->crop_h ? sy : p->crop_h - 1;
    fetch(p, sx, sy, v);
  } else if (p->resize == TSR_FRAME_AREA && p->crop_w >= p->content_w && p->crop_h >= p->content_h) {
    const double sx = (double)p->crop_w / p->content_w, sy = (double)p->crop_h / p->content_h;
    area(p, cx * sx, cx * sx + sx, cy * sy, cy * sy + sy, v);
  } else { /* bilinear */
    int x0, x1, y0, y1;
    float ax, ay;
    tsr_frame_linear_tap(cx, p->content_w, p->crop_w, &x0, &x1, &ax);
    tsr_frame_linear_tap(cy, p->content_h, p->crop_h, &y0, &y1, &ay);
    float p00[3], p01[3], p10[3], p11[3];
    fetch(p, x0, y0, p00);
    fetch(p, x1, y0, p01);
    fetch(p, x0, y1, p10);
    fetch(p, x1, y1, p11);
    for (int k = 0; k < p->out_c; ++k) {
      const float top = (1.0f - ax) * p00[k] + ax * p01[k], bot = (1.0f - ax) * p10[k] + ax * p11[k];
      v[k] = (1.0f - ay) * top + ay * bot;
    }
  }
  for (int k = 0; k < p->out_c; ++k) {
    const float px = p->round_u8 ? (float)tsr_frame_u8(v[k]) : v[k];
    out[k] = (px * p->scale - p->mean[k]) / p->std[k];
  }
}

void tsr_frame_store_ref(const tsr_frame_kparams *p, void *dst, int x, int y, const float *v) {
  for (int k = 0; k < p->out_c; ++k) {
    const size_t idx = p->layout == TSR_LAYOUT_NHWC
                           ? ((size_t)y * (size_t)p->out_w + (size_t)x) * (size_t)p->out_c + (size_t)k
                           : ((size_t)k * (size_t)p->out_h + (size_t)y) * (size_t)p->out_w + (size_t)x;
    if (p->dtype == TSR_DTYPE_F32) {
      ((float *)dst)[idx] = v[k];
    } else {
      const float q = nearbyintf(v[k] / p->q_scale) + (float)p->q_zero_point;
      const float lo = p->dtype == TSR_DTYPE_I8 ? -128.0f : 0.0f, hi = p->dtype == TSR_DTYPE_I8 ? 127.0f : 255.0f;
      const float c = q < lo ? lo : (q > hi ? hi : q);
      if (p->dtype == TSR_DTYPE_I8) ((int8_t *)dst)[idx] = (int8_t)(int)c;
      else ((uint8_t *)dst)[idx] = (uint8_t)(int)c;
    }
  }
}

void tsr_frame_preprocess_ref(const tsr_frame_kparams *p, void *dst, int32_t row_begin, int32_t row_end) {
  for (int y = row_begin; y < row_end; ++y) {
    for (int x = 0; x < p->out_w; ++x) {
      float v[3];
      tsr_frame_pixel_ref(p, x, y, v);
      tsr_frame_store_ref(p, dst, x, y, v);
    }
  }
}

void tsr_frame_to_rgb_ref(const tsr_frame_kparams *p, uint8_t *dst, int32_t dst_stride, int32_t row_begin,
                          int32_t row_end) {
  for (int y = row_begin; y < row_end; ++y) {
    uint8_t *row = dst + (size_t)y * (size_t)dst_stride;
    for (int x = 0; x < p->crop_w; ++x) tsr_frame_fetch_rgb(p, p->crop_x + x, p->crop_y + y, row + 3 * x);
  }
}
