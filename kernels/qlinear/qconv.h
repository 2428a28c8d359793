/* QLINEAR_CONV as an implicit int8 GEMM (the int8 twin of conv/conv_gemm.h):
 *   acc[m, p] = sum_k (xu[k, p] - xz') (ws[m, k] - wz'[m]) + bias[m]
 * with activations as u8 (i8 x is read as x ^ 0x80, xz' = xz + 128) and
 * weights as s8 (u8 w as w - 128, wz' = wz - 128), which leaves every
 * difference unchanged. Expanded, the sum is
 *   sum_k xu * ws  -  wz'[m] * colsum[p]  +  corr[m],
 *   corr[m] = bias[m] - xz' * sum_k ws[m, k] + K * xz' * wz'[m]
 * all in wrapping int32, so it equals the reference's sum bit for bit; then
 * ONNX Runtime's requantization (qlinear.h).
 *
 * k runs over (channel quad cq, i, j, channel in quad): a pre-pass (split
 * over bands and channel quads) copies the input rows each band of output
 * rows reads into the shared scratch as u8 with 4 channels interleaved per
 * pixel ([n, group, band][C/4][sh][sw][rows][Wq][4], padding = xz', missing
 * channels = xz'), so one k-quad of 16 pixels
 * is 64 contiguous bytes at band + koff[kq] + 4 p: the operand of one VNNI
 * dot product (or two widened vpmaddwd). Run units: (n, group, band of
 * output rows, m chunk), reading the shared copy. Packed weights:
 * [groups][ceil(Mg / MR)][K/4][MR][4] (s8, or s16 for the AVX2 variant),
 * then per output channel corr, wz' and the f32 multiplier. */
#ifndef TESSERA_KERNELS_QCONV_H_
#define TESSERA_KERNELS_QCONV_H_

#include "conv/conv.h"

#define TSR_QCONV_MAX_MR 8

typedef struct tsr_qconv_ep {
  const int32_t *corr;  /* [M] */
  const int32_t *wzp;   /* [M] wz' (used with colsum) */
  const float *mult;    /* [M] */
  const int32_t *colsum;/* [NR] per strip, or NULL when every wz' is 0 */
  int32_t yz;
  float lo, hi;         /* qmin - yz, qmax - yz */
  bool y_signed;        /* y i8 (else u8) */
  bool raw;             /* store the raw int32 sums (colsum pass) */
} tsr_qconv_ep;

/* Microkernels may prefetch b + koff[k + 8]: koff has 8 extra entries.
 * Rows r < rows of v[r, q] = sum_kq a[(kq*MR + r)*4 + e] * b[koff[kq] + 4q + e],
 * q < NR; stored (requantized, or raw int32) for the lanes in |mask|,
 * compressed, from c + r * ldc. Epilogue channel m0 + r. */
typedef void (*tsr_qconv_ukernel)(size_t kq, const void *a, const uint8_t *b, const int64_t *koff, void *c,
                                  size_t ldc, uint64_t mask, const tsr_qconv_ep *ep, size_t m0);

/* The pre-pass row copy: d[4 t + e] = s[e][t * sw] ^ flip for t < n,
 * e < 4 (flip4 = the flip byte in all 4 bytes). */
typedef void (*tsr_qconv_quad_fn)(const uint8_t *const s[4], size_t n, size_t sw, uint32_t flip4, uint8_t *d);

typedef struct tsr_qconv_isa {
  int mr, nr;     /* MR <= TSR_QCONV_MAX_MR, NR <= 64, NR % 16 == 0 */
  int a_bytes;    /* bytes per packed weight: 1 (s8) or 2 (s16) */
  tsr_qconv_ukernel ukernel[TSR_QCONV_MAX_MR + 1];
  tsr_qconv_quad_fn quad; /* the ISA's row copy (tsr_qconv_quad__scalar: portable) */
} tsr_qconv_isa;

void tsr_qconv_quad__scalar(const uint8_t *const s[4], size_t n, size_t sw, uint32_t flip4, uint8_t *d);

bool tsr_qconv_match(const tsr_op *op);
int64_t tsr_qconv_units(const tsr_qconv_isa *isa, const tsr_op *op);
size_t tsr_qconv_scratch(const tsr_qconv_isa *isa, const tsr_op *op);
size_t tsr_qconv_shared(const tsr_qconv_isa *isa, const tsr_op *op);
int64_t tsr_qconv_pre_units(const tsr_qconv_isa *isa, const tsr_op *op);
void tsr_qconv_pre(const tsr_qconv_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end);
size_t tsr_qconv_packed_size(const tsr_qconv_isa *isa, const tsr_op *op);
void tsr_qconv_pack(const tsr_qconv_isa *isa, const tsr_op *op, void *out);
void tsr_qconv_run(const tsr_qconv_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end);

#define TSR_QCONV_KERNEL(sym, tab, isa_bits)                                                                   \
  static int64_t sym##_units(const tsr_op *op, const tsr_dyn_values *dyn) {                                   \
    (void)dyn;                                                                                                 \
    return tsr_qconv_units(&tab, op);                                                                          \
  }                                                                                                            \
  static size_t sym##_scratch(const tsr_op *op) { return tsr_qconv_scratch(&tab, op); }                       \
  static size_t sym##_packed_size(const tsr_op *op) { return tsr_qconv_packed_size(&tab, op); }               \
  static void sym##_pack(const tsr_op *op, void *out) { tsr_qconv_pack(&tab, op, out); }                       \
  static void sym##_run(const tsr_kernel_ctx *ctx, int64_t b, int64_t e) { tsr_qconv_run(&tab, ctx, b, e); }   \
  static size_t sym##_shared(const tsr_op *op) { return tsr_qconv_shared(&tab, op); }                          \
  static int64_t sym##_pre_units(const tsr_op *op, const tsr_dyn_values *dyn) {                               \
    (void)dyn;                                                                                                 \
    return tsr_qconv_pre_units(&tab, op);                                                                      \
  }                                                                                                            \
  static void sym##_pre(const tsr_kernel_ctx *ctx, int64_t b, int64_t e) { tsr_qconv_pre(&tab, ctx, b, e); }   \
  const tsr_kernel sym = {.name = #sym,                                                                        \
                          .op = TSR_OP_QLINEAR_CONV,                                                           \
                          .isa = (isa_bits),                                                                   \
                          .match = tsr_qconv_match,                                                            \
                          .units = sym##_units,                                                                \
                          .scratch = sym##_scratch,                                                            \
                          .packed_size = sym##_packed_size,                                                    \
                          .pack = sym##_pack,                                                                  \
                          .run = sym##_run,                                                            \
                          .shared_scratch = sym##_shared,                                              \
                          .pre_units = sym##_pre_units,                                                \
                          .pre = sym##_pre};

extern const tsr_kernel tsr_qlinear_conv_u8s8_ukernel_8x32__avx512vnni;
extern const tsr_kernel tsr_qlinear_conv_u8s8_ukernel_6x8__avx2;
extern const tsr_kernel tsr_qlinear_conv_u8s8_ukernel_4x16__scalar;

#endif /* TESSERA_KERNELS_QCONV_H_ */
