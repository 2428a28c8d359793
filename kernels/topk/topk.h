/* TOPK kernels. Contract (tessera/op.h, tsr_topk_params):
 * x f32 [.., L] -> y [.., k]: the k best of each row, best first, as values
 * (y f32) or indices (y i64); ties by index (lower first, or higher first
 * with last_index). */
#ifndef TESSERA_KERNELS_TOPK_H_
#define TESSERA_KERNELS_TOPK_H_
#include "common/kernel.h"
extern const tsr_kernel tsr_topk_ref;
#endif
