/* ARM normalisation variants (kernels/norm/arm/), listed in norm_arm.inc. */
#ifndef TESSERA_KERNELS_NORM_ARM_H_
#define TESSERA_KERNELS_NORM_ARM_H_
#include "common/kernel.h"
#if defined(TSR_KERNELS_AARCH64) || defined(TSR_KERNELS_ARM32)
extern const tsr_kernel tsr_rmsnorm_f32_ukernel_u4__neon;
extern const tsr_kernel tsr_layernorm_f32_ukernel_u4__neon;
#endif
#endif
