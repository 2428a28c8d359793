/* The CPU kernel interface shared by reference kernels and fast variants.
 *
 * A kernel splits its op into |units| independent pieces of work; the CPU
 * target hands out ranges [begin, end) of units to threads. A unit's result
 * never depends on how the units were split (determinism: every output is
 * computed by one unit, reductions run in a fixed order). */
#ifndef TESSERA_KERNELS_KERNEL_H_
#define TESSERA_KERNELS_KERNEL_H_

#include "tessera/tessera.h"

typedef struct tsr_kernel_ctx {
  const tsr_op *op;
  const tsr_dyn_values *dyn;
  void *scratch;         /* this thread's scratch, >= kernel.scratch(op) bytes */
  const void *packed;    /* kernel.pack output, or NULL */
  uint32_t thread;       /* calling thread index */
} tsr_kernel_ctx;

typedef void (*tsr_kernel_fn)(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end);

typedef struct tsr_kernel {
  const char *name;       /* tsr_<op>_<dtypes>_ukernel_<tile>__<isa> or _ref */
  tsr_op_type op;
  uint32_t isa;           /* TSR_ISA_* bits it needs */
  /* Can this kernel run |op| (validated)? NULL: always. */
  bool (*match)(const tsr_op *op);
  /* Number of independent units of work. */
  int64_t (*units)(const tsr_op *op, const tsr_dyn_values *dyn);
  /* Per-thread scratch bytes. NULL: none. */
  size_t (*scratch)(const tsr_op *op);
  /* Optional load-time repacking of constant operands: bytes needed and the
   * packing itself (reads op sources, writes |out|). NULL: none. */
  size_t (*packed_size)(const tsr_op *op);
  void (*pack)(const tsr_op *op, void *out);
  tsr_kernel_fn run;
} tsr_kernel;

/* The registry: every CPU kernel, best first within an op. */
const tsr_kernel *const *tsr_kernel_table(uint32_t *out_count);
/* First kernel in the table for |op| whose ISA is in |isa| and that matches.
 * With |reference_only|, only reference kernels (isa == 0 and name ending in
 * "_ref") are considered. NULL if none. */
const tsr_kernel *tsr_kernel_select(const tsr_op *op, uint32_t isa, bool reference_only);
/* The reference kernel for |op|, or NULL if the op has none. */
const tsr_kernel *tsr_kernel_reference(const tsr_op *op);

/* Runs |k| on |op| on the calling thread over all units, with |scratch| of
 * at least k->scratch(op) bytes (packing, if any, must be done by caller). */
void tsr_kernel_run_serial(const tsr_kernel *k, const tsr_op *op, const tsr_dyn_values *dyn,
                           void *scratch, const void *packed);

/* ---- helpers for kernels ---- */

/* Rows of |t|: all dimensions but the last. */
static inline int64_t tsr_rows(const tsr_tensor *t) {
  int64_t r = 1;
  for (int i = 0; i < t->ndim - 1; ++i) r *= t->shape[i];
  return r;
}

/* Byte offset of row |r| (row-major over all dimensions but the last). */
static inline int64_t tsr_row_offset(const tsr_tensor *t, int64_t r) {
  int64_t off = 0;
  for (int i = t->ndim - 2; i >= 0; --i) {
    int64_t e = t->shape[i];
    off += (r % e) * t->stride[i];
    r /= e;
  }
  return off;
}

static inline const uint8_t *tsr_cptr(const tsr_tensor *t) { return (const uint8_t *)t->data; }
static inline uint8_t *tsr_ptr(const tsr_tensor *t) { return (uint8_t *)t->data; }

/* Stride in bytes of the last dimension (elements of plain types). */
static inline int64_t tsr_inner_stride(const tsr_tensor *t) {
  return t->ndim > 0 ? t->stride[t->ndim - 1] : 0;
}

#endif /* TESSERA_KERNELS_KERNEL_H_ */
