/* CONCAT kernels. Contract (tessera/op.h, tsr_concat_params): 1..10 sources of
 * one plain dtype, equal but on |axis|, copied side by side into y. */
#ifndef TESSERA_KERNELS_CONCAT_H_
#define TESSERA_KERNELS_CONCAT_H_
#include "common/kernel.h"
extern const tsr_kernel tsr_concat_ref;
extern const tsr_kernel tsr_concat_x8_ukernel_memcpy__scalar;
extern const tsr_kernel tsr_concat_x8_ukernel_rows__scalar; /* strided sources or y */

/* Byte offset in |t| of row-major linear index |i| over dimensions
 * [first, t->ndim). */
static inline int64_t tsr_offset_of(const tsr_tensor *t, int first, int64_t i) {
  int64_t off = 0;
  for (int d = t->ndim - 1; d >= first; --d) {
    off += (i % t->shape[d]) * t->stride[d];
    i /= t->shape[d];
  }
  return off;
}
#endif
