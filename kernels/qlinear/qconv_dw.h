/* Depthwise QLINEAR_CONV (groups == C) through exact f32 arithmetic: a unit
 * copies its plane band as f32 (x - xz) (padding 0), the f32 depthwise rows
 * of conv/conv_dw.h sum taps * (w - wz) — every product and partial sum is
 * an integer below 2^24 in magnitude (taps <= 256), hence exact in any order
 * — and a requantization row turns the sums into bytes exactly as the
 * reference does: int32 sum + bias (wrapping), then qlinear.h's rounding.
 * Packed: (w - wz[m]) f32 [M][taps], bias i32 [M], mult f32 [M]. */
#ifndef TESSERA_KERNELS_QCONV_DW_H_
#define TESSERA_KERNELS_QCONV_DW_H_

#include "conv/conv_dw.h"

/* saturate(rint((float)((int32)acc[q] + bias) * mult) + yz) for q < n whose
 * bit q % 16 is set in masks[q / 16], stored in order (compressed) from y. */
typedef void (*tsr_qdw_requant_fn)(const float *acc, size_t n, const uint16_t *masks, int32_t bias, float mult,
                                   int32_t yz, float lo, float hi, bool y_signed, uint8_t *y);

/* d[t] = (float)x[t * sw] - fz for t < n (x i8 when x_signed, else u8). */
typedef void (*tsr_qdw_cvt_fn)(const uint8_t *x, size_t n, size_t sw, bool x_signed, float fz, float *d);

bool tsr_qconv_dw_match(const tsr_op *op);
int64_t tsr_qconv_dw_units(const tsr_op *op);
size_t tsr_qconv_dw_scratch(const tsr_op *op);
size_t tsr_qconv_dw_packed_size(const tsr_op *op);
void tsr_qconv_dw_pack(const tsr_op *op, void *out);
void tsr_qconv_dw_run(tsr_conv_dw_row_fn rows, tsr_qdw_requant_fn requant, tsr_qdw_cvt_fn cvt,
                      const tsr_kernel_ctx *ctx, int64_t begin, int64_t end);
void tsr_qdw_cvt__scalar(const uint8_t *x, size_t n, size_t sw, bool x_signed, float fz, float *d);
void tsr_qdw_requant__scalar(const float *acc, size_t n, const uint16_t *masks, int32_t bias, float mult, int32_t yz,
                             float lo, float hi, bool y_signed, uint8_t *y);

#define TSR_QCONV_DW_KERNEL(sym, rowsfn, requantfn, cvtfn, isa_bits)                                                   \
  static int64_t sym##_units(const tsr_op *op, const tsr_dyn_values *dyn) {                                   \
    (void)dyn;                                                                                                 \
    return tsr_qconv_dw_units(op);                                                                             \
  }                                                                                                            \
  static void sym##_run(const tsr_kernel_ctx *ctx, int64_t b, int64_t e) {                                     \
    tsr_qconv_dw_run(rowsfn, requantfn, cvtfn, ctx, b, e);                                                              \
  }                                                                                                            \
  const tsr_kernel sym = {.name = #sym,                                                                        \
                          .op = TSR_OP_QLINEAR_CONV,                                                           \
                          .isa = (isa_bits),                                                                   \
                          .match = tsr_qconv_dw_match,                                                         \
                          .units = sym##_units,                                                                \
                          .scratch = tsr_qconv_dw_scratch,                                                     \
                          .packed_size = tsr_qconv_dw_packed_size,                                             \
                          .pack = tsr_qconv_dw_pack,                                                           \
                          .run = sym##_run};

extern const tsr_kernel tsr_qlinear_conv_q8_ukernel_dw3x3_16__avx512;
extern const tsr_kernel tsr_qlinear_conv_q8_ukernel_dw_4x32__avx512;
extern const tsr_kernel tsr_qlinear_conv_q8_ukernel_dw_4x16__avx2;
extern const tsr_kernel tsr_qlinear_conv_q8_ukernel_dw_u64__scalar;

#endif /* TESSERA_KERNELS_QCONV_DW_H_ */
