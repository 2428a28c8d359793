/* Normalisation kernels over the last dimension.
 * RMSNORM: x [.., n] f32, w? [n]; y = x / sqrt(mean(x^2) + eps) * w.
 * LAYERNORM: x [.., n] f32, w? [n], b? [n]; y = (x - mean) / sqrt(var + eps) * w + b. */
#ifndef TESSERA_KERNELS_NORM_H_
#define TESSERA_KERNELS_NORM_H_
#include "common/kernel.h"
extern const tsr_kernel tsr_rmsnorm_ref;
extern const tsr_kernel tsr_layernorm_ref;
#if defined(TSR_KERNELS_X86)
extern const tsr_kernel tsr_rmsnorm_f32_ukernel_u16__avx512;
extern const tsr_kernel tsr_layernorm_f32_ukernel_u16__avx512;
extern const tsr_kernel tsr_rmsnorm_f32_ukernel_u8__avx2;
extern const tsr_kernel tsr_layernorm_f32_ukernel_u8__avx2;
#endif
#include "norm/arm/norm_arm.h"
#endif
