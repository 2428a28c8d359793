/* The CPU kernel registry: expands every op's .inc list, best first. */
#include <string.h>

#include "attention/attention.h"
#include "common/kernel.h"
#include "elementwise/elementwise.h"
#include "matmul/matmul.h"
#include "norm/norm.h"
#include "rope/rope.h"
#include "rows/rows.h"
#include "softmax/softmax.h"
#include "vision.h" /* perception ops: conv, pool, resize, reduce, concat, gather, qlinear */

extern const tsr_kernel tsr_convert_ref;

#define TSR_KERNEL_ENTRY(sym) &sym,
static const tsr_kernel *const kKernels[] = {
#include "matmul/matmul.inc"
#include "norm/norm.inc"
#include "softmax/softmax.inc"
#include "rope/rope.inc"
#include "attention/attention.inc"
#include "conv/unary_erf.inc" /* erf / GELU-erf, before the reference */
#include "elementwise/elementwise.inc"
#include "rows/rows.inc"
#include "copy/copy.inc" /* fast same-dtype CONVERT, before the reference */
#include "convert/convert.inc"
#include "vision.inc"
};
#undef TSR_KERNEL_ENTRY

const tsr_kernel *const *tsr_kernel_table(uint32_t *out_count) {
  *out_count = (uint32_t)(sizeof(kKernels) / sizeof(kKernels[0]));
  return kKernels;
}

static bool is_reference(const tsr_kernel *k) {
  size_t n = strlen(k->name);
  return k->isa == 0 && n >= 4 && strcmp(k->name + n - 4, "_ref") == 0;
}

const tsr_kernel *tsr_kernel_select(const tsr_op *op, uint32_t isa, bool reference_only) {
  for (size_t i = 0; i < sizeof(kKernels) / sizeof(kKernels[0]); ++i) {
    const tsr_kernel *k = kKernels[i];
    if (k->op != op->type || (k->isa & ~isa) != 0) continue;
    if (reference_only && !is_reference(k)) continue;
    if (k->match && !k->match(op)) continue;
    return k;
  }
  return NULL;
}

const tsr_kernel *tsr_kernel_reference(const tsr_op *op) {
  for (size_t i = 0; i < sizeof(kKernels) / sizeof(kKernels[0]); ++i) {
    const tsr_kernel *k = kKernels[i];
    if (k->op == op->type && is_reference(k) && (!k->match || k->match(op))) return k;
  }
  return NULL;
}

static size_t shared_bytes(const tsr_kernel *k, const tsr_op *op) {
  size_t n = k->shared_scratch ? k->shared_scratch(op) : 0;
  return (n + 63) & ~(size_t)63;
}

size_t tsr_kernel_serial_scratch(const tsr_kernel *k, const tsr_op *op) {
  return shared_bytes(k, op) + (k->scratch ? k->scratch(op) : 0);
}

void tsr_kernel_run_chunked(const tsr_kernel *k, const tsr_op *op, const tsr_dyn_values *dyn,
                            void *scratch, const void *packed, int64_t chunk) {
  size_t sh = shared_bytes(k, op);
  tsr_kernel_ctx ctx = {op, dyn, scratch ? (uint8_t *)scratch + sh : NULL, packed, 0, sh ? scratch : NULL};
  if (chunk < 1) chunk = 1;
  if (k->pre) {
    int64_t n = k->pre_units(op, dyn);
    for (int64_t e = n; e > 0; e -= chunk) k->pre(&ctx, e - chunk > 0 ? e - chunk : 0, e);
  }
  int64_t n = k->units(op, dyn);
  for (int64_t e = n; e > 0; e -= chunk) k->run(&ctx, e - chunk > 0 ? e - chunk : 0, e);
}

void tsr_kernel_run_serial(const tsr_kernel *k, const tsr_op *op, const tsr_dyn_values *dyn,
                           void *scratch, const void *packed) {
  size_t sh = shared_bytes(k, op);
  tsr_kernel_ctx ctx = {op, dyn, scratch ? (uint8_t *)scratch + sh : NULL, packed, 0, sh ? scratch : NULL};
  if (k->pre) k->pre(&ctx, 0, k->pre_units(op, dyn));
  k->run(&ctx, 0, k->units(op, dyn));
}
