/* Float matmul (GEMM): y[M, N] = alpha * a[M, K] @ b[N, K]^T (+ bias[N])
 * with a f32 and b f32, f16 or bf16, accumulated in f32 with FMA.
 *
 * b is rearranged into groups of |nr| rows, "F(nr)": for k = 0 .. K-1 the nr
 * values b[n0 + j][k] side by side (f32; f16 weights stay f16 and are
 * widened in registers; bf16 is widened to f32, exactly; missing rows of the
 * last group are zeros). Constant b is packed once at load time; any other b
 * (a transposed view, an activation) is packed once per run by the
 * pre-pass into the op's shared scratch (every group of every batch of b). Units are (group of nr columns) x (chunk of 64 rows of a); a
 * ukernel computes an mr x nr tile over all of K. Every output accumulates
 * k in order with one FMA per k, whatever the tile: results do not depend
 * on the split. */
#ifndef TESSERA_KERNELS_MATMUL_GEMM_H_
#define TESSERA_KERNELS_MATMUL_GEMM_H_

#include "common/kernel.h"

#define TSR_GEMM_MAX_MR 8
#define TSR_GEMM_MAX_NR 32

/* Tile: tile[m * nr + j] = sum_k a[m][k] * w[k * nr + j] for m < mr, j < nr.
 * |w| is one F(nr) group (f32, or f16 when f16 is set), |a| mr row pointers. */
typedef void (*tsr_gemm_ukernel_fn)(int64_t mr, int64_t k, const void *w, const float *const *a, float *tile);

/* Where a tile goes: y[m][j] = tile[m][j] * alpha (+ bias[j]) for m < mr,
 * j < nv (the multiply and the add rounded separately, as the driver's own
 * loop); |y| is row 0 column n0, rows |yrs| bytes apart, |bias| at n0. */
typedef struct tsr_gemm_out {
  float *y;
  int64_t yrs;
  int64_t nv;
  float alpha;
  const float *bias; /* or NULL */
} tsr_gemm_out;

/* The same tile written straight to the output (no round trip through a
 * tile buffer). */
typedef void (*tsr_gemm_ukernel_out_fn)(int64_t mr, int64_t k, const void *w, const float *const *a,
                                        const tsr_gemm_out *out);

typedef struct tsr_gemm_desc {
  int32_t nr, mr;
  tsr_gemm_ukernel_fn f32, f16; /* for f32 (and bf16) weights, for f16 weights */
  tsr_gemm_ukernel_out_fn f32_out, f16_out; /* optional (NULL: tile, then the driver stores) */
} tsr_gemm_desc;

bool tsr_gemm_match(const tsr_gemm_desc *d, const tsr_op *op);
int64_t tsr_gemm_units(const tsr_gemm_desc *d, const tsr_op *op);
size_t tsr_gemm_scratch(const tsr_gemm_desc *d, const tsr_op *op);
size_t tsr_gemm_packed_size(const tsr_gemm_desc *d, const tsr_op *op);
void tsr_gemm_pack(const tsr_gemm_desc *d, const tsr_op *op, void *out);
void tsr_gemm_run(const tsr_gemm_desc *d, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end);
/* Pre-pass for a b not packed at load time (0 bytes, 0 units otherwise). */
size_t tsr_gemm_shared_scratch(const tsr_gemm_desc *d, const tsr_op *op);
int64_t tsr_gemm_pre_units(const tsr_gemm_desc *d, const tsr_op *op);
void tsr_gemm_pre(const tsr_gemm_desc *d, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end);

/* Defines the tsr_kernel |sym| for the variant |desc| (static const). */
#define TSR_GEMM_KERNEL(sym, isa_bits, desc)                                                        \
  static bool sym##_match(const tsr_op *op) { return tsr_gemm_match(&(desc), op); }                 \
  static int64_t sym##_units(const tsr_op *op, const tsr_dyn_values *dyn) {                         \
    (void)dyn;                                                                                      \
    return tsr_gemm_units(&(desc), op);                                                             \
  }                                                                                                 \
  static size_t sym##_scratch(const tsr_op *op) { return tsr_gemm_scratch(&(desc), op); }           \
  static size_t sym##_packed_size(const tsr_op *op) { return tsr_gemm_packed_size(&(desc), op); }   \
  static void sym##_pack(const tsr_op *op, void *out) { tsr_gemm_pack(&(desc), op, out); }          \
  static void sym##_run(const tsr_kernel_ctx *ctx, int64_t b, int64_t e) {                          \
    tsr_gemm_run(&(desc), ctx, b, e);                                                               \
  }                                                                                                 \
  static size_t sym##_shared(const tsr_op *op) { return tsr_gemm_shared_scratch(&(desc), op); }     \
  static int64_t sym##_pre_units(const tsr_op *op, const tsr_dyn_values *dyn) {                     \
    (void)dyn;                                                                                      \
    return tsr_gemm_pre_units(&(desc), op);                                                         \
  }                                                                                                 \
  static void sym##_pre(const tsr_kernel_ctx *ctx, int64_t b, int64_t e) {                          \
    tsr_gemm_pre(&(desc), ctx, b, e);                                                               \
  }                                                                                                 \
  const tsr_kernel sym = {                                                                          \
      .name = #sym,                                                                                 \
      .op = TSR_OP_MATMUL,                                                                          \
      .isa = (isa_bits),                                                                            \
      .match = sym##_match,                                                                         \
      .units = sym##_units,                                                                         \
      .scratch = sym##_scratch,                                                                     \
      .packed_size = sym##_packed_size,                                                             \
      .pack = sym##_pack,                                                                           \
      .run = sym##_run,                                                                             \
      .shared_scratch = sym##_shared,                                                               \
      .pre_units = sym##_pre_units,                                                                 \
      .pre = sym##_pre,                                                                             \
  }

#endif /* TESSERA_KERNELS_MATMUL_GEMM_H_ */
