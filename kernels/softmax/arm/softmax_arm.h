/* ARM softmax variants (kernels/softmax/arm/), listed in softmax_arm.inc. */
#ifndef TESSERA_KERNELS_SOFTMAX_ARM_H_
#define TESSERA_KERNELS_SOFTMAX_ARM_H_
#include "common/kernel.h"
#if defined(TSR_KERNELS_AARCH64) || defined(TSR_KERNELS_ARM32)
extern const tsr_kernel tsr_softmax_f32_ukernel_u4__neon;
#endif
#endif
