/* Fast CONVERT between tensors of one plain dtype (the strided copies the
 * importer emits for Transpose, Slice, Expand and the like). Dimensions of
 * extent 1 are dropped and dimensions that are contiguous in both tensors
 * merged; then
 *   - inner dimension dense in both: row memcpys;
 *   - inner dimension dense in y but another dimension dense in x (a
 *     transpose): 32 x 32 tiles;
 *   - otherwise: element copies row by row (still no f32 round trip).
 * Bit-exact (a copy). */
#ifndef TESSERA_KERNELS_COPY_H_
#define TESSERA_KERNELS_COPY_H_
#include "common/kernel.h"
extern const tsr_kernel tsr_convert_copy_ukernel_t32__scalar;
#endif
