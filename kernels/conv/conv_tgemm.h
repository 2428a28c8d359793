/* Fast CONV_TRANSPOSE2D: a GEMM then a gather.
 *   pre-pass (shared scratch): cols[n][g][t = (m, i, j)][p] =
 *       sum_c w[c, m, i, j] * x[n, c, p]      (K = C/groups, x read in place)
 *   run: y[n, m, oh, ow] = act(bias[m] + sum over taps (i, j) that land on
 *       (oh, ow) of cols[n][g][(m, i, j)][ih * W + iw])
 * with ih = (oh + pt - i * dh) / sh when that divides exactly and falls in
 * [0, H) (likewise iw). Taps add in (i, j) order: deterministic. The GEMM
 * reuses an ISA's CONV2D microkernels (conv_gemm.h). Pre units: (n, group,
 * 16-strip tile, m block); run units: (n, m, band of output rows). */
#ifndef TESSERA_KERNELS_CONV_TGEMM_H_
#define TESSERA_KERNELS_CONV_TGEMM_H_

#include "conv/conv_gemm.h"

bool tsr_conv_tgemm_match(const tsr_op *op);
int64_t tsr_conv_tgemm_units(const tsr_op *op);
int64_t tsr_conv_tgemm_pre_units(const tsr_conv_gemm_isa *isa, const tsr_op *op);
size_t tsr_conv_tgemm_shared(const tsr_op *op);
size_t tsr_conv_tgemm_scratch(const tsr_conv_gemm_isa *isa, const tsr_op *op);
size_t tsr_conv_tgemm_packed_size(const tsr_conv_gemm_isa *isa, const tsr_op *op);
void tsr_conv_tgemm_pack(const tsr_conv_gemm_isa *isa, const tsr_op *op, void *out);
void tsr_conv_tgemm_pre(const tsr_conv_gemm_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end);
void tsr_conv_tgemm_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end);

#define TSR_CONV_TGEMM_KERNEL(sym, tab, isa_bits)                                                              \
  static int64_t sym##_units(const tsr_op *op, const tsr_dyn_values *dyn) {                                   \
    (void)dyn;                                                                                                 \
    return tsr_conv_tgemm_units(op);                                                                           \
  }                                                                                                            \
  static int64_t sym##_pre_units(const tsr_op *op, const tsr_dyn_values *dyn) {                               \
    (void)dyn;                                                                                                 \
    return tsr_conv_tgemm_pre_units(&tab, op);                                                                 \
  }                                                                                                            \
  static size_t sym##_scratch(const tsr_op *op) { return tsr_conv_tgemm_scratch(&tab, op); }                  \
  static size_t sym##_packed_size(const tsr_op *op) { return tsr_conv_tgemm_packed_size(&tab, op); }          \
  static void sym##_pack(const tsr_op *op, void *out) { tsr_conv_tgemm_pack(&tab, op, out); }                  \
  static void sym##_pre(const tsr_kernel_ctx *ctx, int64_t b, int64_t e) {                                     \
    TSR_FTZ_BEGIN();                                                                                           \
    tsr_conv_tgemm_pre(&tab, ctx, b, e);                                                                       \
    TSR_FTZ_END();                                                                                             \
  }                                                                                                            \
  const tsr_kernel sym = {.name = #sym,                                                                        \
                          .op = TSR_OP_CONV_TRANSPOSE2D,                                                       \
                          .isa = (isa_bits),                                                                   \
                          .match = tsr_conv_tgemm_match,                                                       \
                          .units = sym##_units,                                                                \
                          .scratch = sym##_scratch,                                                            \
                          .packed_size = sym##_packed_size,                                                    \
                          .pack = sym##_pack,                                                                  \
                          .run = tsr_conv_tgemm_run,                                                           \
                          .shared_scratch = tsr_conv_tgemm_shared,                                             \
                          .pre_units = sym##_pre_units,                                                        \
                          .pre = sym##_pre};

extern const tsr_kernel tsr_conv_transpose2d_f32_ukernel_8x48__avx512;
extern const tsr_kernel tsr_conv_transpose2d_f32_ukernel_6x16__avx2;
extern const tsr_kernel tsr_conv_transpose2d_f32_ukernel_4x16__scalar;

/* The ISA tables of the CONV2D GEMM variants (shared with this kernel). */
extern const tsr_conv_gemm_isa tsr_conv_gemm_isa_avx512;
extern const tsr_conv_gemm_isa tsr_conv_gemm_isa_avx2;
extern const tsr_conv_gemm_isa tsr_conv_gemm_isa_scalar;

#endif /* TESSERA_KERNELS_CONV_TGEMM_H_ */
