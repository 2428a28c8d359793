/* Quantized (ONNX QOperator / QDQ) kernels. Contracts in tessera/op.h:
 *   QUANTIZE_LINEAR    x f32, scale, zp? -> y i8/u8
 *   DEQUANTIZE_LINEAR  x i8/u8/i32, scale, zp? -> y f32
 *   QLINEAR_CONV       x, x_scale, x_zp, w [M, C/g, KH, KW], w_scale, w_zp, y_scale, y_zp, bias? -> y
 *   QLINEAR_MATMUL     a [.., M, K], a_scale, a_zp, b [.., N, K], b_scale, b_zp, y_scale, y_zp -> y [.., M, N]
 *   QLINEAR_BINARY     a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp -> y (add / mul)
 * The helpers below define the arithmetic every variant must reproduce bit
 * for bit (ONNX Runtime's): f32 multipliers, clamp in f32, round half to
 * even, then add the zero point. */
#ifndef TESSERA_KERNELS_QLINEAR_H_
#define TESSERA_KERNELS_QLINEAR_H_

#include <math.h>
#include <string.h>

#include "common/kernel.h"

/* Element |i| of an i8 / u8 / i32 tensor's contiguous memory. */
static inline int32_t tsr_q_at(const tsr_tensor *t, int64_t i) {
  switch (t->dtype) {
    case TSR_DTYPE_I8: return ((const int8_t *)t->data)[i];
    case TSR_DTYPE_U8: return ((const uint8_t *)t->data)[i];
    case TSR_DTYPE_I32: {
      int32_t v;
      memcpy(&v, (const uint8_t *)t->data + i * 4, 4);
      return v;
    }
    default: return 0;
  }
}

/* Value |i| of a scalar-or-vector f32 parameter (a scalar for every i). */
static inline float tsr_q_scale(const tsr_tensor *t, int64_t i) {
  float v;
  memcpy(&v, (const uint8_t *)t->data + (tsr_tensor_numel(t) == 1 ? 0 : i) * 4, 4);
  return v;
}

/* Zero point |i| of a scalar-or-vector (absent: 0). */
static inline int32_t tsr_q_zp(const tsr_op *op, uint32_t slot, int64_t i) {
  if (!tsr_op_has_src(op, slot)) return 0;
  const tsr_tensor *t = &op->src[slot];
  return tsr_q_at(t, tsr_tensor_numel(t) == 1 ? 0 : i);
}

static inline int32_t tsr_q_min(tsr_dtype t) { return t == TSR_DTYPE_U8 ? 0 : -128; }
static inline int32_t tsr_q_max(tsr_dtype t) { return t == TSR_DTYPE_U8 ? 255 : 127; }

/* saturate(round_half_even(v) + zp) for output dtype |t|: v is clamped to
 * [min - zp, max - zp] in f32 first (a NaN becomes min - zp), as
 * max_ps(v, lo) then min_ps(v, hi) do. */
static inline int32_t tsr_q_round(float v, int32_t zp, tsr_dtype t) {
  const float lo = (float)(tsr_q_min(t) - zp), hi = (float)(tsr_q_max(t) - zp);
  v = v > lo ? v : lo;
  v = v < hi ? v : hi;
  return (int32_t)rintf(v) + zp;
}

/* The requantization multiplier (float)(s_a * s_b) / s_y, in f32. */
static inline float tsr_q_mult(float sa, float sb, float sy) {
  const float ab = sa * sb;
  return ab / sy;
}

static inline void tsr_q_store(tsr_dtype t, uint8_t *p, int32_t v) {
  if (t == TSR_DTYPE_U8) *p = (uint8_t)v;
  else *(int8_t *)p = (int8_t)v;
}

extern const tsr_kernel tsr_quantize_linear_ref;
extern const tsr_kernel tsr_dequantize_linear_ref;
extern const tsr_kernel tsr_qlinear_conv_ref;
extern const tsr_kernel tsr_qlinear_matmul_ref;
extern const tsr_kernel tsr_qlinear_binary_ref;

#endif /* TESSERA_KERNELS_QLINEAR_H_ */
