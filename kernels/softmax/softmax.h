/* Softmax over the last dimension of x [.., R, S] f32, with optional scale
 * and causal mask (element (r, s) masked when s > q_pos + r). */
#ifndef TESSERA_KERNELS_SOFTMAX_H_
#define TESSERA_KERNELS_SOFTMAX_H_
#include "common/kernel.h"
extern const tsr_kernel tsr_softmax_ref;
#if defined(TSR_KERNELS_X86)
extern const tsr_kernel tsr_softmax_f32_ukernel_u16__avx512;
extern const tsr_kernel tsr_softmax_f32_ukernel_u8__avx2;
#endif
#include "softmax/arm/softmax_arm.h"
#endif
