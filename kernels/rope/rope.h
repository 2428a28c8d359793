/* Rotary position embedding on x [T, H, D] f32: row t has position pos + t;
 * the first n_dims of each head rotate in pairs (interleaved (2i, 2i+1) or
 * NeoX (i, i + n_dims/2)) by theta_i = pos * freq_scale * base^(-2i/n_dims)
 * / freq_factors[i]; the rest pass through. y may alias x. */
#ifndef TESSERA_KERNELS_ROPE_H_
#define TESSERA_KERNELS_ROPE_H_
#include "common/kernel.h"
extern const tsr_kernel tsr_rope_ref;
#if defined(TSR_KERNELS_X86)
extern const tsr_kernel tsr_rope_f32_ukernel_u16__avx512;
extern const tsr_kernel tsr_rope_f32_ukernel_u8__avx2;
#endif
#endif
