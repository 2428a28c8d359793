/* Fast elementwise quantized ops and QLINEAR_MATMUL (dense tensors).
 *
 * QUANTIZE_LINEAR / DEQUANTIZE_LINEAR (i8 / u8): units are ranges of 4096
 * elements; inside, runs of constant (scale, zero point) go to an ISA row
 * function computing exactly the reference arithmetic of qlinear.h
 * (x / scale with a true division, round half to even, saturate; or
 * (float)(x - zp) * scale).
 * QLINEAR_BINARY: y and a dense of one shape, b dense and equal to y's
 * trailing dimensions (any leading broadcast; a scalar included), or the same
 * with a and b exchanged (add and mul commute): va + vb (or va * vb) / y_scale
 * in f32, as the reference.
 * QLINEAR_MATMUL: b a CONST 2-D [N, K] (any strides) packed at prepare as
 * [N/16][K/4][16][4] s8 with per-column corrections (see qconv.h's algebra);
 * a row of a (u8, i8 flipped) against 16 columns per VNNI dot product, or a
 * portable int32 loop. Units: (row of a, 64-column chunk). */
#ifndef TESSERA_KERNELS_QFAST_H_
#define TESSERA_KERNELS_QFAST_H_

#include "common/kernel.h"

typedef struct tsr_qrow_isa {
  void (*quantize)(const float *x, uint8_t *y, size_t n, float scale, int32_t zp, bool y_signed);
  void (*dequantize)(const uint8_t *x, bool x_signed, float *y, size_t n, float scale, int32_t zp);
  /* y[i] = q(op(sa * (a[i] - za), sb * (b[i * b_inc] - zb)) / sy), i < n;
   * s = {sa, sb, sy}, z = {za, zb, zy}; b_inc 0 (scalar b) or 1 */
  void (*binary)(const uint8_t *a, bool a_signed, const uint8_t *b, bool b_signed, size_t b_inc, uint8_t *y,
                 bool y_signed, size_t n, const float *s, const int32_t *z, bool mul);
  /* QLINEAR_MATMUL: 16 columns: acc[j] = sum_kq dot(a4[kq], bp[kq][j][0..4)) */
  void (*dot16)(const uint8_t *a4, const int8_t *bp, size_t kq, int32_t *acc);
} tsr_qrow_isa;

bool tsr_qeltwise_match(const tsr_op *op);
int64_t tsr_qeltwise_units(const tsr_op *op);
void tsr_qeltwise_run(const tsr_qrow_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end);

bool tsr_qmatmul_match(const tsr_op *op);
int64_t tsr_qmatmul_units(const tsr_op *op);
size_t tsr_qmatmul_scratch(const tsr_op *op);
size_t tsr_qmatmul_packed_size(const tsr_op *op);
void tsr_qmatmul_pack(const tsr_op *op, void *out);
void tsr_qmatmul_run(const tsr_qrow_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end);

/* One kernel per op from one ISA table. */
#define TSR_QELTWISE_KERNEL(sym, opid, tab, isa_bits)                                                          \
  static int64_t sym##_units(const tsr_op *op, const tsr_dyn_values *dyn) {                                   \
    (void)dyn;                                                                                                 \
    return tsr_qeltwise_units(op);                                                                             \
  }                                                                                                            \
  static void sym##_run(const tsr_kernel_ctx *ctx, int64_t b, int64_t e) { tsr_qeltwise_run(&tab, ctx, b, e); } \
  const tsr_kernel sym = {.name = #sym,                                                                        \
                          .op = opid,                                                                          \
                          .isa = (isa_bits),                                                                   \
                          .match = tsr_qeltwise_match,                                                         \
                          .units = sym##_units,                                                                \
                          .run = sym##_run};

#define TSR_QMATMUL_KERNEL(sym, tab, isa_bits)                                                                 \
  static int64_t sym##_units(const tsr_op *op, const tsr_dyn_values *dyn) {                                   \
    (void)dyn;                                                                                                 \
    return tsr_qmatmul_units(op);                                                                              \
  }                                                                                                            \
  static void sym##_run(const tsr_kernel_ctx *ctx, int64_t b, int64_t e) { tsr_qmatmul_run(&tab, ctx, b, e); }  \
  const tsr_kernel sym = {.name = #sym,                                                                        \
                          .op = TSR_OP_QLINEAR_MATMUL,                                                         \
                          .isa = (isa_bits),                                                                   \
                          .match = tsr_qmatmul_match,                                                          \
                          .units = sym##_units,                                                                \
                          .scratch = tsr_qmatmul_scratch,                                                      \
                          .packed_size = tsr_qmatmul_packed_size,                                              \
                          .pack = tsr_qmatmul_pack,                                                            \
                          .run = sym##_run};

extern const tsr_kernel tsr_quantize_linear_f32_q8_ukernel_u64__avx512;
extern const tsr_kernel tsr_dequantize_linear_q8_f32_ukernel_u64__avx512;
extern const tsr_kernel tsr_qlinear_binary_q8_ukernel_u16__avx512;
extern const tsr_kernel tsr_qlinear_matmul_u8s8_ukernel_1x16__avx512vnni;
extern const tsr_kernel tsr_quantize_linear_f32_q8_ukernel_u32__avx2;
extern const tsr_kernel tsr_dequantize_linear_q8_f32_ukernel_u32__avx2;
extern const tsr_kernel tsr_qlinear_binary_q8_ukernel_u8__avx2;
extern const tsr_kernel tsr_qlinear_matmul_u8s8_ukernel_1x16__avx2;
extern const tsr_kernel tsr_quantize_linear_f32_q8_ukernel_u1__scalar;
extern const tsr_kernel tsr_dequantize_linear_q8_f32_ukernel_u1__scalar;
extern const tsr_kernel tsr_qlinear_binary_q8_ukernel_u1__scalar;
extern const tsr_kernel tsr_qlinear_matmul_u8s8_ukernel_1x16__scalar;

#endif /* TESSERA_KERNELS_QFAST_H_ */
