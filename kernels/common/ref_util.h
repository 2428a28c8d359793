/* Small helpers shared by the reference kernels. */
#ifndef TESSERA_KERNELS_REF_UTIL_H_
#define TESSERA_KERNELS_REF_UTIL_H_

#include <string.h>

#include "common/kernel.h"
#include "convert/convert.h"

static inline float tsr_ref_ld(const uint8_t *p) {
  float v;
  memcpy(&v, p, sizeof(v));
  return v;
}

static inline void tsr_ref_st(uint8_t *p, float v) { memcpy(p, &v, sizeof(v)); }

/* Byte offset in |t| of batch index |bi| of |y|'s leading |nb| dimensions,
 * with |t| right-aligned against |y| minus its last |skip| dimensions and
 * size-1 dimensions broadcast (numpy rules). */
static inline int64_t tsr_ref_bcast_offset(const tsr_tensor *t, const tsr_tensor *y, int skip,
                                           int64_t bi) {
  int nb = y->ndim - skip, tb = t->ndim - skip;
  int64_t off = 0;
  for (int i = nb - 1; i >= 0; --i) {
    int64_t e = y->shape[i];
    int64_t idx = bi % e;
    bi /= e;
    int ti = i - (nb - tb);
    if (ti >= 0 && t->shape[ti] != 1) off += idx * t->stride[ti];
  }
  return off;
}

static inline int64_t tsr_ref_batch(const tsr_tensor *y, int skip) {
  int64_t n = 1;
  for (int i = 0; i < y->ndim - skip; ++i) n *= y->shape[i];
  return n;
}

#endif /* TESSERA_KERNELS_REF_UTIL_H_ */
