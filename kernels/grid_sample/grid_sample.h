/* GRID_SAMPLE kernels. Contract (tessera/op.h, tsr_grid_sample_params):
 * x f32 [N, C, H, W], grid f32 [N, OH, OW, 2] -> y f32 [N, C, OH, OW]. */
#ifndef TESSERA_KERNELS_GRID_SAMPLE_H_
#define TESSERA_KERNELS_GRID_SAMPLE_H_
#include "common/kernel.h"
extern const tsr_kernel tsr_grid_sample_ref;
#endif
