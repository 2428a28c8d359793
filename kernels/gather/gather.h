/* GATHER kernels. Contract (tessera/op.h, tsr_gather_params):
 * x [..., D_axis, ...], indices [q dims] (i32 / i64, negative from the end)
 * -> y = x.shape[:axis] + indices.shape + x.shape[axis+1:], x's dtype;
 * an index outside [-D, D) writes zeros. */
#ifndef TESSERA_KERNELS_GATHER_H_
#define TESSERA_KERNELS_GATHER_H_
#include "common/kernel.h"
extern const tsr_kernel tsr_gather_ref;
/* GATHER_ELEMENTS, GATHER_ND, SCATTER_ND (tessera/op.h). */
extern const tsr_kernel tsr_gather_elements_ref;
extern const tsr_kernel tsr_gather_nd_ref;
extern const tsr_kernel tsr_scatter_nd_ref;
#endif
