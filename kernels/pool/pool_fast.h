/* Fast POOL2D (f32, dense NCHW): a unit copies its plane band padded with
 * -inf (max) or 0 (avg) and split into stride phases (conv_gemm.h's band),
 * then an ISA row function takes the max or the sum over the window taps at
 * constant offsets, vectorized along the output row; averages are scaled by
 * the per-position reciprocal tap count. Global pooling reduces each plane.
 * Units: (n, c, band of output rows). */
#ifndef TESSERA_KERNELS_POOL_FAST_H_
#define TESSERA_KERNELS_POOL_FAST_H_

#include "conv/conv_gemm.h"
#include "pool/pool.h"

/* Rows r < nrows (<= 4): y[r * ldy + q] = max / sum over t of in[r * ldi +
 * toff[t] + q], q < ow (reads may run 32 floats past the row). */
typedef void (*tsr_pool_rows_fn)(const float *in, size_t ldi, const int64_t *toff, size_t taps, float *y, size_t ldy,
                                 size_t nrows, size_t ow, bool is_max);
/* max or sum of x[0..n). */
typedef float (*tsr_pool_reduce_fn)(const float *x, size_t n, bool is_max);

typedef struct tsr_pool_isa {
  tsr_pool_rows_fn rows;
  tsr_pool_reduce_fn reduce;
} tsr_pool_isa;

bool tsr_pool_fast_match(const tsr_op *op);
int64_t tsr_pool_fast_units(const tsr_op *op);
size_t tsr_pool_fast_scratch(const tsr_op *op);
void tsr_pool_fast_run(const tsr_pool_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end);

#define TSR_POOL_KERNEL(sym, tab, isa_bits)                                                                    \
  static int64_t sym##_units(const tsr_op *op, const tsr_dyn_values *dyn) {                                   \
    (void)dyn;                                                                                                 \
    return tsr_pool_fast_units(op);                                                                            \
  }                                                                                                            \
  static void sym##_run(const tsr_kernel_ctx *ctx, int64_t b, int64_t e) { tsr_pool_fast_run(&tab, ctx, b, e); } \
  const tsr_kernel sym = {.name = #sym,                                                                        \
                          .op = TSR_OP_POOL2D,                                                                 \
                          .isa = (isa_bits),                                                                   \
                          .match = tsr_pool_fast_match,                                                        \
                          .units = sym##_units,                                                                \
                          .scratch = tsr_pool_fast_scratch,                                                    \
                          .run = sym##_run};

extern const tsr_kernel tsr_pool2d_f32_ukernel_4x32__avx512;
extern const tsr_kernel tsr_pool2d_f32_ukernel_4x16__avx2;
extern const tsr_kernel tsr_pool2d_f32_ukernel_u64__scalar;

#endif /* TESSERA_KERNELS_POOL_FAST_H_ */
