/* CONV2D as GEMM: y[g][m, p] = sum_k w[g][m, k] * col[k, p], k = (c, i, j)
 * over the group's input channels and the kernel taps, p = an output pixel
 * of the flattened OH x OW plane. The driver (conv_gemm.c) is ISA-neutral:
 * it tiles, packs and threads; an ISA supplies the register-blocked
 * microkernels (MR output channels x NR pixels) through tsr_conv_gemm_isa.
 *
 * Layouts:
 *   packed weights  [groups][ceil(Mg / MR)][K][MR] f32, rows past Mg zero
 *                   (made by pack() at prepare for CONST weights, else per
 *                   unit into scratch)
 *   packed B strip  [K][NR] f32: the im2col of NR consecutive pixels, zero
 *                   past the plane; a 1x1 stride-1 unpadded convolution
 *                   reads full strips straight from x (row stride H*W).
 * Units: (n, group, pixel tile, m chunk); each unit owns its outputs, sums
 * run over k in order, so results do not depend on the thread count. */
#ifndef TESSERA_KERNELS_CONV_GEMM_H_
#define TESSERA_KERNELS_CONV_GEMM_H_

#include "conv/conv.h"

#define TSR_CONV_MAX_MR 8

/* Epilogue of a block of output rows: bias, then the fused activation. */
typedef struct tsr_conv_ep {
  const float *bias;  /* [M] or NULL */
  const float *slope; /* [M] per-channel alpha (PReLU) or NULL */
  int32_t act;        /* tsr_unary_kind or -1 */
  float alpha, beta;
} tsr_conv_ep;

/* c[r, 0..nc) = ep(sum_k a[k*MR + r] * b[k*ldb + 0..NR)) for r < rows (the
 * kernel's row count); c rows are ldc floats apart; epilogue channel m0 + r.
 * nc <= NR; b rows hold NR readable floats. */
typedef void (*tsr_conv_gemm_ukernel)(size_t kc, const float *a, const float *b, size_t ldb, float *c, size_t ldc,
                                      size_t nc, const tsr_conv_ep *ep, size_t m0);

typedef struct tsr_conv_gemm_isa {
  int mr, nr;                                         /* MR <= TSR_CONV_MAX_MR */
  tsr_conv_gemm_ukernel ukernel[TSR_CONV_MAX_MR + 1]; /* [rows], 1..MR */
} tsr_conv_gemm_isa;

bool tsr_conv_gemm_match(const tsr_op *op);
int64_t tsr_conv_gemm_units(const tsr_conv_gemm_isa *isa, const tsr_op *op);
size_t tsr_conv_gemm_scratch(const tsr_conv_gemm_isa *isa, const tsr_op *op);
size_t tsr_conv_gemm_packed_size(const tsr_conv_gemm_isa *isa, const tsr_op *op);
void tsr_conv_gemm_pack(const tsr_conv_gemm_isa *isa, const tsr_op *op, void *out);
void tsr_conv_gemm_run(const tsr_conv_gemm_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end);

/* The same epilogue in scalar f32 (portable kernels, tails). */
float tsr_conv_act_f32(int kind, float x, float alpha, float beta);

/* Dense NCHW (row-major contiguous) f32. */
static inline bool tsr_conv_dense(const tsr_tensor *t) {
  return t->dtype == TSR_DTYPE_F32 && tsr_tensor_is_contiguous(t);
}

/* Declares a tsr_kernel |sym| running the GEMM driver with ISA table |tab|. */
#define TSR_CONV_GEMM_KERNEL(sym, tab, isa_bits)                                                               \
  static int64_t sym##_units(const tsr_op *op, const tsr_dyn_values *dyn) {                                   \
    (void)dyn;                                                                                                 \
    return tsr_conv_gemm_units(&tab, op);                                                                      \
  }                                                                                                            \
  static size_t sym##_scratch(const tsr_op *op) { return tsr_conv_gemm_scratch(&tab, op); }                   \
  static size_t sym##_packed_size(const tsr_op *op) { return tsr_conv_gemm_packed_size(&tab, op); }           \
  static void sym##_pack(const tsr_op *op, void *out) { tsr_conv_gemm_pack(&tab, op, out); }                   \
  static void sym##_run(const tsr_kernel_ctx *ctx, int64_t b, int64_t e) { tsr_conv_gemm_run(&tab, ctx, b, e); } \
  const tsr_kernel sym = {.name = #sym,                                                                        \
                          .op = TSR_OP_CONV2D,                                                                 \
                          .isa = (isa_bits),                                                                   \
                          .match = tsr_conv_gemm_match,                                                        \
                          .units = sym##_units,                                                                \
                          .scratch = sym##_scratch,                                                            \
                          .packed_size = sym##_packed_size,                                                    \
                          .pack = sym##_pack,                                                                  \
                          .run = sym##_run};

#endif /* TESSERA_KERNELS_CONV_GEMM_H_ */
