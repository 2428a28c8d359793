/* Fast CONVERT between tensors of one plain dtype (the strided copies the
 * importer emits for Transpose, Slice, Expand and the like). Dimensions of
 * extent 1 are dropped and dimensions that are contiguous in both tensors
 * merged; then
 *   - inner dimension dense in both: row memcpys;
 *   - inner dimension dense in y but another dimension dense in x (a
 *     transpose): 32 x 32 tiles;
 *   - otherwise: element copies row by row (still no f32 round trip).
 * The AVX-512 variant transposes 32-bit tiles 16 x 16 in registers and
 * copies step-2 rows (Focus slices) by two loads and a permute.
 * Bit-exact (a copy). */
#ifndef TESSERA_KERNELS_COPY_H_
#define TESSERA_KERNELS_COPY_H_
#include "common/kernel.h"

/* ISA hooks (NULL: the scalar loops). */
typedef struct tsr_copy_isa {
  /* y[j] = x[2 j] for j < n, 32-bit elements (a step-2 slice row). */
  void (*gather2_32)(const uint8_t *x, uint8_t *y, size_t n);
  /* y[i * ldy + j] = x[j * ldx + i] for i < ni, j < nj (ni, nj <= 32): a
   * transposed tile of 32-bit elements; strides in elements. */
  void (*transpose32)(const uint32_t *x, size_t ldx, uint32_t *y, size_t ldy, size_t ni, size_t nj);
} tsr_copy_isa;

bool tsr_copy_match(const tsr_op *op);
int64_t tsr_copy_units(const tsr_op *op, const tsr_dyn_values *dyn);
void tsr_copy_run(const tsr_copy_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end);

extern const tsr_kernel tsr_convert_copy_ukernel_t32__avx512;
extern const tsr_kernel tsr_convert_copy_ukernel_t32__scalar;
#endif
