/* CONV2D as an implicit GEMM: y[g][m, p] = sum_k w[g][m, k] * B[k, p] with
 * k = (c, i, j) over the group's input channels and kernel taps and p an
 * output pixel. The driver (conv_gemm.c) is ISA-neutral: it plans, copies
 * the input and threads; an ISA supplies register-blocked microkernels of
 * MR output channels x NR pixels through tsr_conv_gemm_isa.
 *
 * No im2col: a unit copies the band of input rows its output rows need into
 * scratch, zero-padded and split into stride phases (plane (c, row phase,
 * column phase), Wq = ceil((W + pl + pr) / sw) columns), so that tap (c, i, j)
 * of every output pixel is ONE constant offset koff[k] from the pixel's
 * position in a grid of pitch Wq. The microkernel reads row k of B at
 * b + koff[k]; grid columns past OW are computed and dropped at the store
 * (lane mask; the kept lanes are contiguous in y). A 1x1 stride-1 unpadded
 * convolution reads x in place (koff[k] = k * H * W).
 *
 * Layouts:
 *   packed weights  [groups][ceil(Mg / MR)][K][MR] f32, rows past Mg zero
 *                   (pack() at prepare for CONST weights, else per unit into
 *                   scratch)
 *   input band      [cg][sh][sw][rows per phase][Wq] f32 in scratch
 * Units: (n, group, band of output rows, m chunk); each unit owns its
 * outputs and sums over k in order: results do not depend on the thread
 * count. */
#ifndef TESSERA_KERNELS_CONV_GEMM_H_
#define TESSERA_KERNELS_CONV_GEMM_H_

#include "conv/conv.h"

#define TSR_CONV_MAX_MR 8
/* Microkernels prefetch row k + TSR_CONV_PREFETCH of B: koff tables carry
 * that many extra (valid) entries past K. */
#define TSR_CONV_PREFETCH 8

/* Epilogue of a block of output rows: bias, then the fused activation. */
typedef struct tsr_conv_ep {
  const float *bias;  /* [M] or NULL */
  const float *slope; /* [M] per-channel alpha (PReLU) or NULL */
  int32_t act;        /* tsr_unary_kind or -1 */
  float alpha, beta;
} tsr_conv_ep;

/* v[r, q] = ep(sum_k a[k*MR + r] * b[koff[k] + q]) for r < rows (the
 * kernel's row count), q < NR; then for every row the lanes q set in |mask|
 * are stored, in order, contiguously from c + r * ldc. Epilogue channel
 * m0 + r. b + koff[k] holds NR readable floats for every k. */
typedef void (*tsr_conv_gemm_ukernel)(size_t kc, const float *a, const float *b, const int64_t *koff, float *c,
                                      size_t ldc, uint64_t mask, const tsr_conv_ep *ep, size_t m0);

/* tsr_conv_fill_band_pad's signature (an ISA's build of it). */
typedef void (*tsr_conv_fill_fn)(const tsr_conv_geom *g, int64_t channels, const float *x, int64_t oh0, int64_t rows,
                                 int64_t wq, int64_t rp, float pad, float *band);

typedef struct tsr_conv_gemm_isa tsr_conv_gemm_isa;
struct tsr_conv_gemm_isa {
  int mr, nr;                                         /* MR <= TSR_CONV_MAX_MR, NR <= 64 */
  tsr_conv_gemm_ukernel ukernel[TSR_CONV_MAX_MR + 1]; /* [rows], 1..MR */
  tsr_conv_fill_fn fill;                              /* NULL: tsr_conv_fill_band_pad */
  /* Optional: the same MR (same packing) with a narrower NR, used by CONV2D
   * where it computes markedly fewer padding lanes (small outputs). */
  const tsr_conv_gemm_isa *narrow;
};

bool tsr_conv_gemm_match(const tsr_op *op);
int64_t tsr_conv_gemm_units(const tsr_conv_gemm_isa *isa, const tsr_op *op);
/* Fewest units per chunk of the thread split: about TSR_CONV_GRAIN_MACS
 * multiply-adds, some 5 to 10 us at one core's FMA rate (a spinning worker
 * picks a chunk up in well under a microsecond; a smaller piece saves less
 * than the claim and join cost). 2M was measured first on a loaded VM and
 * left YOLOX-Nano at 2 threads no faster than at 1 on an idle one (14.8 vs
 * 9.4-12.4 ms p50 with 256k). */
#define TSR_CONV_GRAIN_MACS (1 << 18)
int64_t tsr_conv_grain_of(int64_t macs, int64_t units);
int64_t tsr_conv_gemm_grain(const tsr_conv_gemm_isa *isa, const tsr_op *op);
size_t tsr_conv_gemm_scratch(const tsr_conv_gemm_isa *isa, const tsr_op *op);
size_t tsr_conv_gemm_packed_size(const tsr_conv_gemm_isa *isa, const tsr_op *op);
void tsr_conv_gemm_pack(const tsr_conv_gemm_isa *isa, const tsr_op *op, void *out);
void tsr_conv_gemm_run(const tsr_conv_gemm_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end);

/* Copies the zero-padded input rows that output rows [oh0, oh0 + rows) read,
 * for |channels| planes from |x|, into phase planes [channel][sh][sw][rp][wq]
 * of |band| (rp >= rows per phase of the band). */
void tsr_conv_fill_band(const tsr_conv_geom *g, int64_t channels, const float *x, int64_t oh0, int64_t rows,
                        int64_t wq, int64_t rp, float *band);
/* The same with |pad| for the padding (pooling: -inf). */
void tsr_conv_fill_band_pad(const tsr_conv_geom *g, int64_t channels, const float *x, int64_t oh0, int64_t rows,
                            int64_t wq, int64_t rp, float pad, float *band);
/* koff[(c * KH + i) * KW + j]: the offset of tap (c, i, j) in such a band
 * relative to an output pixel's grid position. */
void tsr_conv_tap_offsets(const tsr_conv_geom *g, int64_t channels, int64_t wq, int64_t rp, int64_t *koff);

/* The same epilogue in scalar f32 (portable kernels, tails). */
float tsr_conv_act_f32(int kind, float x, float alpha, float beta);

/* Denormals: pruned or BatchNorm-folded weights are often denormal (e.g.
 * TwinLiteNet), and x86 FMA units take a microcode assist on every denormal
 * operand (50x slower convolutions). The f32 kernels run with the calling
 * thread's MXCSR set to flush denormal inputs and results to zero, and
 * restore it on return. Only values below 1.2e-38 change. */
#if defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
#define TSR_FTZ_BEGIN()                     \
  const unsigned tsr_csr_ = _mm_getcsr();   \
  _mm_setcsr(tsr_csr_ | 0x8040u)
#define TSR_FTZ_END() _mm_setcsr(tsr_csr_)
#else
#define TSR_FTZ_BEGIN() ((void)0)
#define TSR_FTZ_END() ((void)0)
#endif

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
  static int64_t sym##_grain(const tsr_op *op) { return tsr_conv_gemm_grain(&tab, op); }                      \
  static size_t sym##_packed_size(const tsr_op *op) { return tsr_conv_gemm_packed_size(&tab, op); }           \
  static void sym##_pack(const tsr_op *op, void *out) { tsr_conv_gemm_pack(&tab, op, out); }                   \
  static void sym##_run(const tsr_kernel_ctx *ctx, int64_t b, int64_t e) {                                     \
    TSR_FTZ_BEGIN();                                                                                           \
    tsr_conv_gemm_run(&tab, ctx, b, e);                                                                        \
    TSR_FTZ_END();                                                                                             \
  }                                                                                                            \
  const tsr_kernel sym = {.name = #sym,                                                                        \
                          .op = TSR_OP_CONV2D,                                                                 \
                          .isa = (isa_bits),                                                                   \
                          .match = tsr_conv_gemm_match,                                                        \
                          .units = sym##_units,                                                                \
                          .scratch = sym##_scratch,                                                            \
                          .packed_size = sym##_packed_size,                                                    \
                          .pack = sym##_pack,                                                                  \
                          .run = sym##_run,                                                                    \
                          .grain = sym##_grain};

#endif /* TESSERA_KERNELS_CONV_GEMM_H_ */
