/* Softmax over the last dimension of x [.., R, S] f32, with optional scale
 * and causal mask (element (r, s) masked when s > q_pos + r). */
#ifndef TESSERA_KERNELS_SOFTMAX_H_
#define TESSERA_KERNELS_SOFTMAX_H_
#include "common/kernel.h"
extern const tsr_kernel tsr_softmax_ref;
#endif
