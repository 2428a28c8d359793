/* ARM attention variants (kernels/attention/arm/), listed in attention_arm.inc. */
#ifndef TESSERA_KERNELS_ATTENTION_ARM_H_
#define TESSERA_KERNELS_ATTENTION_ARM_H_
#include "common/kernel.h"
#if defined(TSR_KERNELS_AARCH64) || defined(TSR_KERNELS_ARM32)
extern const tsr_kernel tsr_attention_f32_ukernel_u4__neon;
#endif
#endif
