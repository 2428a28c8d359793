/* The CPU kernel interface shared by reference kernels and fast variants.
 *
 * A kernel splits its op into |units| independent pieces of work; the CPU
 * target hands out ranges [begin, end) of units to threads. A unit's result
 * never depends on how the units were split (determinism: every output is
 * computed by one unit, reductions run in a fixed order).
 *
 * Running one op (the CPU target, tsr_kernel_run_serial and the benchmarks
 * all follow these steps):
 *   1. once at load time, if packed_size/pack are set and the packed operand
 *      is constant: packed = pack(op) (e.g. weight rows interleaved for the
 *      SIMD width; the model file is never modified);
 *   2. per run, if |pre| is set: pre(ctx, b, e) over [0, pre_units) split
 *      across threads, writing the op's |shared| scratch (e.g. activations
 *      quantized once to 8-bit blocks), then a barrier;
 *   3. run(ctx, b, e) over [0, units) split across threads, each thread with
 *      its own |scratch|, all reading |shared| and |packed|.
 * Chunks handed to one thread hold at least grain(op) units (cheap units are
 * not worth a thread wake-up).
 *
 * Variants live in kernels/<op>/<arch>/ (x86/, arm/), one file per ISA,
 * compiled with that ISA's flags, and are listed in kernels/<op>/<op>.inc
 * best first: the registry picks the first whose |isa| bits the CPU has and
 * whose match() accepts the op. Every listed kernel is tested against the
 * reference by tests/unit/test_kernels.c and, where it is selected, by the
 * conformance suite. */
#ifndef TESSERA_KERNELS_KERNEL_H_
#define TESSERA_KERNELS_KERNEL_H_

#include "tessera/tessera.h"

typedef struct tsr_kernel_ctx {
  const tsr_op *op;
  const tsr_dyn_values *dyn;
  void *scratch;         /* this thread's scratch, >= kernel.scratch(op) bytes */
  const void *packed;    /* kernel.pack output, or NULL */
  uint32_t thread;       /* calling thread index */
  void *shared;          /* the op's shared scratch (kernel.shared_scratch(op)
                            bytes, 64-aligned): written by |pre|, read by |run| */
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
   * packing itself (reads op sources, writes |out|). NULL: none. The result
   * may depend only on the op's constant sources (data, dtype, shape,
   * strides): a target shares one packing between ops with the same kernel
   * and the same constant sources (e.g. an LLM's decode and prefill). */
  size_t (*packed_size)(const tsr_op *op);
  void (*pack)(const tsr_op *op, void *out);
  tsr_kernel_fn run;
  /* Optional pre-pass (step 2 above); all three set or all NULL. */
  size_t (*shared_scratch)(const tsr_op *op);
  int64_t (*pre_units)(const tsr_op *op, const tsr_dyn_values *dyn);
  tsr_kernel_fn pre;
  /* Optional: kernels with the same non-NULL pre_key write the same shared
   * scratch from the same src[0] (address, dtype, shape, strides), so a
   * target may run the pre-pass once for consecutive such ops (e.g. the Q,
   * K and V projections of one normalised activation). */
  void (*pre_key)(void);
  /* Optional: fewest units worth one chunk of the work split. NULL: 1. */
  int64_t (*grain)(const tsr_op *op);
} tsr_kernel;

/* The registry: every CPU kernel, best first within an op. */
const tsr_kernel *const *tsr_kernel_table(uint32_t *out_count);
/* First kernel in the table for |op| whose ISA is in |isa| and that matches.
 * With |reference_only|, only reference kernels (isa == 0 and name ending in
 * "_ref") are considered. NULL if none. */
const tsr_kernel *tsr_kernel_select(const tsr_op *op, uint32_t isa, bool reference_only);
/* The reference kernel for |op|, or NULL if the op has none. */
const tsr_kernel *tsr_kernel_reference(const tsr_op *op);

/* Bytes of scratch tsr_kernel_run_serial needs for |k| on |op|: the shared
 * scratch (64-aligned) followed by one thread's scratch. */
size_t tsr_kernel_serial_scratch(const tsr_kernel *k, const tsr_op *op);
/* Runs |k| on |op| on the calling thread over all units (pre-pass first, if
 * any), with 64-aligned |scratch| of at least tsr_kernel_serial_scratch
 * bytes (packing, if any, must be done by the caller). */
void tsr_kernel_run_serial(const tsr_kernel *k, const tsr_op *op, const tsr_dyn_values *dyn,
                           void *scratch, const void *packed);
/* The same, cutting both passes into chunks of |chunk| units run in reverse
 * order: a result that differs from run_serial's shows a unit that depends on
 * the split (tests). */
void tsr_kernel_run_chunked(const tsr_kernel *k, const tsr_op *op, const tsr_dyn_values *dyn,
                            void *scratch, const void *packed, int64_t chunk);

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
