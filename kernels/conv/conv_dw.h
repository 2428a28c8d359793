/* Depthwise CONV2D (one input channel per group: groups == C, any channel
 * multiplier): a unit copies the zero-padded, stride-phase-split rows of
 * its plane (tsr_conv_fill_band) and an ISA row function computes each
 * output row as sum over taps of w[t] * band[row + toff[t] + q], vectorized
 * along the row, with bias and the fused activation. Units: (n, m, band of
 * output rows). */
#ifndef TESSERA_KERNELS_CONV_DW_H_
#define TESSERA_KERNELS_CONV_DW_H_

#include "conv/conv_gemm.h"

/* For rows r < nrows (<= 4): y[r * ldy + q] = ep(sum_t w[t] * in[r * ldi +
 * toff[t] + q]) for q < ow, channel m. Reads may run up to 32 floats past
 * the last column (the band has slack). */
typedef void (*tsr_conv_dw_row_fn)(const float *in, size_t ldi, const int64_t *toff, const float *w, size_t taps,
                                   float *y, size_t ldy, size_t nrows, size_t ow, const tsr_conv_ep *ep, size_t m);

/* Output rows at least this wide are computed straight into y; narrower
 * ones on the band's flat grid, then copied. */
#define TSR_CONV_DW_DIRECT_OW 12

/* The row functions of each ISA (also used by the int8 depthwise kernels). */
void tsr_conv_dw_rows_f32__scalar(const float *in, size_t ldi, const int64_t *toff, const float *w, size_t taps,
                                  float *y, size_t ldy, size_t nrows, size_t ow, const tsr_conv_ep *ep, size_t m);
void tsr_conv_dw_rows_f32__avx2(const float *in, size_t ldi, const int64_t *toff, const float *w, size_t taps,
                                float *y, size_t ldy, size_t nrows, size_t ow, const tsr_conv_ep *ep, size_t m);
void tsr_conv_dw_rows_f32__avx512(const float *in, size_t ldi, const int64_t *toff, const float *w, size_t taps,
                                  float *y, size_t ldy, size_t nrows, size_t ow, const tsr_conv_ep *ep, size_t m);

bool tsr_conv_dw_match(const tsr_op *op);
int64_t tsr_conv_dw_units(const tsr_op *op);
int64_t tsr_conv_dw_grain(const tsr_op *op);
size_t tsr_conv_dw_scratch(const tsr_op *op);
/* |fill|: an ISA's tsr_conv_fill_band_pad. */
void tsr_conv_dw_run(tsr_conv_dw_row_fn row, tsr_conv_fill_fn fill, const tsr_kernel_ctx *ctx, int64_t begin,
                     int64_t end);

#define TSR_CONV_DW_KERNEL(sym, rowfn, fillfn, isa_bits)                                                               \
  static int64_t sym##_units(const tsr_op *op, const tsr_dyn_values *dyn) {                                   \
    (void)dyn;                                                                                                 \
    return tsr_conv_dw_units(op);                                                                              \
  }                                                                                                            \
  static void sym##_run(const tsr_kernel_ctx *ctx, int64_t b, int64_t e) {                                     \
    TSR_FTZ_BEGIN();                                                                                           \
    tsr_conv_dw_run(rowfn, fillfn, ctx, b, e);                                                                         \
    TSR_FTZ_END();                                                                                             \
  }                                                                                                            \
  const tsr_kernel sym = {.name = #sym,                                                                        \
                          .op = TSR_OP_CONV2D,                                                                 \
                          .isa = (isa_bits),                                                                   \
                          .match = tsr_conv_dw_match,                                                          \
                          .units = sym##_units,                                                                \
                          .scratch = tsr_conv_dw_scratch,                                                      \
                          .run = sym##_run,                                                                    \
                          .grain = tsr_conv_dw_grain};

#endif /* TESSERA_KERNELS_CONV_DW_H_ */
