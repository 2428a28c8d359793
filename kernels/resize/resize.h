/* RESIZE kernels. Contract (tessera/op.h, tsr_resize_params):
 * x f32 [N, C, H, W] -> y f32 [N, C, OH, OW], nearest or bilinear.
 * The coordinate and index helpers below are the definition every variant
 * shares, so nearest picks the same pixel everywhere. */
#ifndef TESSERA_KERNELS_RESIZE_H_
#define TESSERA_KERNELS_RESIZE_H_

#include <math.h>

#include "common/kernel.h"

/* Effective scale of axis |i| (0: H, 1: W). */
static inline float tsr_resize_scale(const tsr_op *op, int i) {
  const float s = op->p.resize.scale[i];
  return s > 0.0f ? s : (float)op->dst.shape[2 + i] / (float)op->src[0].shape[2 + i];
}

/* Source coordinate of output index |o| (f32, as ONNX Runtime). */
static inline float tsr_resize_coord_f32(int coord, int64_t o, float scale, int64_t in_len, int64_t out_len) {
  switch (coord) {
    case TSR_RESIZE_ASYMMETRIC: return (float)o / scale;
    case TSR_RESIZE_ALIGN_CORNERS:
      return out_len == 1 ? 0.0f : (float)o * (float)(in_len - 1) / (float)(out_len - 1);
    case TSR_RESIZE_PYTORCH_HALF_PIXEL: return out_len > 1 ? ((float)o + 0.5f) / scale - 0.5f : 0.0f;
    case TSR_RESIZE_HALF_PIXEL_SYMMETRIC: {
      const float adjust = (float)out_len / (scale * (float)in_len);
      const float offset = (float)in_len / 2.0f * (1.0f - adjust);
      return offset + ((float)o + 0.5f) / scale - 0.5f;
    }
    case TSR_RESIZE_TF_HALF_PIXEL_FOR_NN: return ((float)o + 0.5f) / scale;
    case TSR_RESIZE_HALF_PIXEL:
    default: return ((float)o + 0.5f) / scale - 0.5f;
  }
}

/* Nearest source index of coordinate |v|, clamped to [0, len). */
static inline int64_t tsr_resize_nearest_index(int mode, float v, int64_t len) {
  float r;
  const float fl = floorf(v);
  switch (mode) {
    case TSR_NEAREST_ROUND_PREFER_CEIL: r = v - fl == 0.5f ? fl + 1.0f : roundf(v); break;
    case TSR_NEAREST_FLOOR: r = fl; break;
    case TSR_NEAREST_CEIL: r = ceilf(v); break;
    case TSR_NEAREST_ROUND_PREFER_FLOOR:
    default: r = v - fl == 0.5f ? fl : roundf(v); break;
  }
  if (!(r >= 0.0f)) return 0; /* also NaN */
  if (r >= (float)(len - 1)) return len - 1;
  return (int64_t)r;
}

/* Bilinear taps of coordinate |v| on an axis of |len|: indices *i0, *i1 and
 * the weight *f of i1 (weight of i0 is 1 - f). */
static inline void tsr_resize_linear_taps(float v, int64_t len, int64_t *i0, int64_t *i1, float *f) {
  if (!(v > 0.0f)) v = 0.0f;
  if (v > (float)(len - 1)) v = (float)(len - 1);
  int64_t a = (int64_t)v;
  if (a > len - 1) a = len - 1;
  *i0 = a;
  *i1 = a + 1 < len ? a + 1 : len - 1;
  *f = *i1 == a ? 0.0f : v - (float)a;
}

/* ONNX Runtime's cubic weights of the taps at -1, 0, 1, 2 from floor(v), for
 * the fraction |t| of v (coefficient a). */
static inline void tsr_resize_cubic_coeffs(float t, float a, float *k) {
  t = fabsf(t);
  k[0] = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a;
  k[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
  k[2] = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1;
  k[3] = ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a;
}

extern const tsr_kernel tsr_resize_ref;
extern const tsr_kernel tsr_resize_f32_ukernel_u16__avx512;
extern const tsr_kernel tsr_resize_f32_ukernel_u8__avx2;
extern const tsr_kernel tsr_resize_f32_ukernel_u1__scalar;

#endif /* TESSERA_KERNELS_RESIZE_H_ */
