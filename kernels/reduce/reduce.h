/* REDUCE kernels. Contract (tessera/op.h, tsr_reduce_params):
 * x f32 [..] -> y f32 with the reduced axes of extent 1 (keepdims);
 * mean / sum / max / min over the axes set in the mask. */
#ifndef TESSERA_KERNELS_REDUCE_H_
#define TESSERA_KERNELS_REDUCE_H_
#include "common/kernel.h"
extern const tsr_kernel tsr_reduce_ref;
extern const tsr_kernel tsr_reduce_f32_ukernel_u8__scalar;
#endif
