/* Matmul kernels. Contract (see tessera/op.h, TSR_OP_MATMUL):
 * a [.., M, K] f32 | i8, b [.., N, K] weight dtype | i8, bias? f32 [N],
 * a_scale? f32 [M], b_scale? f32 [N]; y [.., M, N] f32 | i32. */
#ifndef TESSERA_KERNELS_MATMUL_H_
#define TESSERA_KERNELS_MATMUL_H_
#include "common/kernel.h"
extern const tsr_kernel tsr_matmul_ref;
#endif
