/* FRAME kernels: a camera frame (packed 8-bit RGB/BGR/RGBA/BGRA/GRAY, NV12,
 * YUYV) -> crop -> RGB/gray u8 -> resize (bilinear, area, nearest) into the
 * content rectangle -> pad -> normalise -> f32/i8/u8, NCHW or NHWC.
 * Contract and formulas: include/tessera/vision.h (tsr_frame_preprocess).
 *
 * The kernels take arguments already checked by engine/vision/frame_api.c
 * and work on output rows [row_begin, row_end), so a unit of work is one
 * output row (the shape a graph op over threads or a GPU target wants).
 * Every variant computes each output pixel with the same f32 operations as
 * tsr_frame_pixel_ref: they agree up to FMA contraction and the rounding of
 * an 8-bit colour value at an exact tie. */
#ifndef TESSERA_KERNELS_FRAME_H_
#define TESSERA_KERNELS_FRAME_H_

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "tessera/vision.h"

/* A checked tsr_frame + tsr_preprocess, geometry resolved. */
typedef struct tsr_frame_kparams {
  /* source */
  int32_t format;               /* tsr_pixel_format */
  const uint8_t *data, *uv;     /* uv: NV12 only, resolved */
  int32_t stride, uv_stride;
  float yuv[5];                 /* Y gain, V->R, U->G, V->G, U->B (tsr_frame_yuv_coeffs) */
  float y_offset;               /* 16 (limited range) or 0 */
  int32_t crop_x, crop_y, crop_w, crop_h;
  /* destination */
  int32_t out_w, out_h, out_c;  /* network input; out_c 1 or 3 */
  int32_t pad_x, pad_y, content_w, content_h;
  int32_t resize;               /* tsr_frame_resize */
  bool round_u8, bgr;
  uint8_t pad_value;
  float scale, mean[3], std[3];
  int32_t layout, dtype;        /* tsr_tensor_layout; F32, I8 or U8 */
  float q_scale;
  int32_t q_zero_point;
} tsr_frame_kparams;

/* YUV -> RGB coefficients of |matrix| (tsr_yuv_matrix): c[0] Y gain, c[1]
 * V->R, c[2] U->G (subtracted), c[3] V->G (subtracted), c[4] U->B; *y_offset
 * 16 or 0. */
static inline void tsr_frame_yuv_coeffs(int32_t matrix, float c[5], float *y_offset) {
  static const float k[3][5] = {
      {1.164383f, 1.596027f, 0.391762f, 0.812968f, 2.017232f}, /* BT.601 limited */
      {1.0f, 1.402f, 0.344136f, 0.714136f, 1.772f},            /* BT.601 full */
      {1.164383f, 1.792741f, 0.213249f, 0.532909f, 2.112402f}, /* BT.709 limited */
  };
  const int m = matrix >= 0 && matrix < 3 ? matrix : 0;
  for (int i = 0; i < 5; ++i) c[i] = k[m][i];
  *y_offset = m == 1 ? 0.0f : 16.0f;
}

/* f32 -> u8, round to nearest even, clamped (what the variants' cvtps does). */
static inline uint8_t tsr_frame_u8(float v) {
  v = v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v);
  return (uint8_t)(int)nearbyintf(v);
}

/* One YUV sample -> RGB u8 with the coefficients of |p|. */
static inline void tsr_frame_yuv_to_rgb(const tsr_frame_kparams *p, int y, int u, int v, uint8_t rgb[3]) {
  const float yy = p->yuv[0] * ((float)y - p->y_offset), uu = (float)u - 128.0f, vv = (float)v - 128.0f;
  rgb[0] = tsr_frame_u8(yy + p->yuv[1] * vv);
  rgb[1] = tsr_frame_u8(yy - p->yuv[2] * uu - p->yuv[3] * vv);
  rgb[2] = tsr_frame_u8(yy + p->yuv[4] * uu);
}

/* RGB u8 of frame pixel (x, y) (absolute frame coordinates, inside). */
static inline void tsr_frame_fetch_rgb(const tsr_frame_kparams *p, int x, int y, uint8_t rgb[3]) {
  const uint8_t *row = p->data + (size_t)y * (size_t)p->stride;
  switch (p->format) {
    case TSR_PIXEL_RGB8: rgb[0] = row[3 * x]; rgb[1] = row[3 * x + 1]; rgb[2] = row[3 * x + 2]; break;
    case TSR_PIXEL_BGR8: rgb[0] = row[3 * x + 2]; rgb[1] = row[3 * x + 1]; rgb[2] = row[3 * x]; break;
    case TSR_PIXEL_RGBA8: rgb[0] = row[4 * x]; rgb[1] = row[4 * x + 1]; rgb[2] = row[4 * x + 2]; break;
    case TSR_PIXEL_BGRA8: rgb[0] = row[4 * x + 2]; rgb[1] = row[4 * x + 1]; rgb[2] = row[4 * x]; break;
    case TSR_PIXEL_GRAY8: rgb[0] = rgb[1] = rgb[2] = row[x]; break;
    case TSR_PIXEL_NV12: {
      const uint8_t *uv = p->uv + (size_t)(y >> 1) * (size_t)p->uv_stride + 2 * (size_t)(x >> 1);
      tsr_frame_yuv_to_rgb(p, row[x], uv[0], uv[1], rgb);
      break;
    }
    case TSR_PIXEL_YUYV:
    default: {
      const uint8_t *q = row + 4 * (size_t)(x >> 1);
      tsr_frame_yuv_to_rgb(p, q[(x & 1) ? 2 : 0], q[1], q[3], rgb);
      break;
    }
  }
}

/* Gray u8 of an RGB u8 triple (OpenCV's fixed-point BGR2GRAY weights). */
static inline uint8_t tsr_frame_gray(const uint8_t rgb[3]) {
  return (uint8_t)((rgb[0] * 4899u + rgb[1] * 9617u + rgb[2] * 1868u + 8192u) >> 14);
}

/* Bilinear source index pair and weight along one axis: content coordinate
 * |o| of |out_len| over a source extent |in_len| (half-pixel centres, edge
 * clamped). */
static inline void tsr_frame_linear_tap(int o, int out_len, int in_len, int *i0, int *i1, float *a) {
  const float s = (float)in_len / (float)out_len;
  const float f = ((float)o + 0.5f) * s - 0.5f;
  int i = (int)floorf(f);
  float w = f - (float)i;
  if (i < 0) i = 0, w = 0.0f;
  if (i >= in_len - 1) i = in_len - 1, w = 0.0f;
  *i0 = i;
  *i1 = i + 1 < in_len ? i + 1 : i;
  *a = w;
}

/* Network-input pixel (x, y) of |p|: out[c] for c < out_c, normalised (f32,
 * before quantisation), in output channel order. The definition every
 * variant follows. */
void tsr_frame_pixel_ref(const tsr_frame_kparams *p, int x, int y, float out[3]);

/* Stores |v| (out_c values, normalised) as output pixel (x, y). */
void tsr_frame_store_ref(const tsr_frame_kparams *p, void *dst, int x, int y, const float *v);

/* Output rows [row_begin, row_end) of the network input into |dst|. */
void tsr_frame_preprocess_ref(const tsr_frame_kparams *p, void *dst, int32_t row_begin, int32_t row_end);

/* x86 AVX2 (kernels/frame/x86/frame_avx2.c): 8 output pixels per step,
 * colour conversion + bilinear + normalise fused. Handles
 * tsr_frame_avx2_supported(p) only. */
bool tsr_frame_avx2_supported(const tsr_frame_kparams *p);
void tsr_frame_preprocess_f32_ukernel_u8__avx2(const tsr_frame_kparams *p, void *dst, int32_t row_begin,
                                               int32_t row_end);

/* Packed RGB u8 of the whole frame: rows [row_begin, row_end) (frame rows)
 * into |dst| with |dst_stride|. */
void tsr_frame_to_rgb_ref(const tsr_frame_kparams *p, uint8_t *dst, int32_t dst_stride, int32_t row_begin,
                          int32_t row_end);

#endif /* TESSERA_KERNELS_FRAME_H_ */
