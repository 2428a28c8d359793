/* Element types, tensors, buffers, allocators. */
#ifndef TESSERA_TYPES_H_
#define TESSERA_TYPES_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Element types. The GGML block formats are bit-compatible with GGUF: a row
 * of K elements is K / block_size consecutive blocks, as ggml stores them. */
typedef enum tsr_dtype {
  TSR_DTYPE_NONE = 0, /* absent optional tensor */
  TSR_DTYPE_F32,
  TSR_DTYPE_F16,
  TSR_DTYPE_BF16,
  TSR_DTYPE_I8,
  TSR_DTYPE_U8,
  TSR_DTYPE_I32,
  TSR_DTYPE_I64,
  TSR_DTYPE_Q8_0, /* 32 elements: f16 d, i8 qs[32]                          (34 B)  */
  TSR_DTYPE_Q4_0, /* 32 elements: f16 d, u8 qs[16] (nibbles, -8 offset)       (18 B)  */
  TSR_DTYPE_Q4_K, /* 256: f16 d, f16 dmin, u8 scales[12], u8 qs[128]          (144 B) */
  TSR_DTYPE_Q5_K, /* 256: f16 d, f16 dmin, u8 scales[12], u8 qh[32], qs[128]  (176 B) */
  TSR_DTYPE_Q6_K, /* 256: u8 ql[128], u8 qh[64], i8 scales[16], f16 d         (210 B) */
  TSR_DTYPE_COUNT
} tsr_dtype;

/* Static name ("f32", "q4_k"); "?" for out-of-range values. */
const char *tsr_dtype_name(tsr_dtype t);
/* Elements per block: 1 for plain types, 32 or 256 for block formats. */
int64_t tsr_dtype_block_size(tsr_dtype t);
/* Bytes per block (bytes per element for plain types); 0 for NONE. */
size_t tsr_dtype_block_bytes(tsr_dtype t);
/* True for the GGML block formats. */
bool tsr_dtype_is_quantized(tsr_dtype t);
/* Bytes of a contiguous row of |n| elements; 0 if |n| is not a multiple of
 * the block size. */
size_t tsr_dtype_row_bytes(tsr_dtype t, int64_t n);
/* Parses a name as printed by tsr_dtype_name; TSR_DTYPE_NONE if unknown. */
tsr_dtype tsr_dtype_from_name(const char *name);

/* Load-time allocator. |alloc| returns NULL on failure; |align| is a power of
 * two. Used only by create/prepare calls, never by run calls. */
typedef struct tsr_allocator {
  void *(*alloc)(void *user, size_t size, size_t align);
  void (*free)(void *user, void *ptr);
  void *user;
} tsr_allocator;

/* An allocator on the C library (aligned_alloc/free). */
tsr_allocator tsr_allocator_system(void);

/* A bump allocator over caller memory, for firmware: free is a no-op,
 * tsr_bump_used() tells how much was taken. Not thread-safe. */
typedef struct tsr_bump {
  uint8_t *base;
  size_t size;
  size_t used;
  size_t peak;
} tsr_bump;
void tsr_bump_init(tsr_bump *b, void *mem, size_t size);
tsr_allocator tsr_bump_allocator(tsr_bump *b);

/* Allocates through |a|; NULL-safe helpers. */
void *tsr_alloc(const tsr_allocator *a, size_t size, size_t align);
void tsr_free(const tsr_allocator *a, void *ptr);

#define TSR_MAX_DIMS 6

struct tsr_target;

/* A block of memory owned by a target. Filled by the target's buffer_alloc;
 * the struct itself is owned by the caller. */
typedef struct tsr_buffer {
  struct tsr_target *target; /* owner */
  void *handle;              /* target-specific */
  uint64_t size;             /* bytes */
  void *host;                /* host address if the memory is host-visible and
                                persistently mapped, else NULL */
  uint64_t handle_offset;    /* target-specific sub-allocation offset */
} tsr_buffer;

/* A strided view of |dtype| elements, row-major: shape[0] is outermost.
 * stride[] in bytes. For block formats the last dimension must be contiguous
 * and a multiple of the block size; its stride is ignored (set it to 0).
 * The memory is |data| on the host, or |buffer| + |offset| on a target (when
 * the buffer is host-visible both are set). */
enum {
  /* The contents never change after prepare (weights): a target may repack
   * or cache them at prepare time. */
  TSR_TENSOR_FLAG_CONST = 1u << 0,
};

typedef struct tsr_tensor {
  tsr_dtype dtype;
  int32_t ndim;
  uint32_t flags; /* TSR_TENSOR_FLAG_* */
  int64_t shape[TSR_MAX_DIMS];
  int64_t stride[TSR_MAX_DIMS];
  void *data;
  tsr_buffer *buffer;
  uint64_t offset;
} tsr_tensor;

/* Sets |t| to a contiguous tensor over |data| (may be NULL). Returns
 * TSR_ERR_INVALID_ARGUMENT for ndim out of range, negative extents or a block
 * format whose last extent is not a multiple of the block size. */
TSR_NODISCARD tsr_status tsr_tensor_init(tsr_tensor *t, tsr_dtype dtype, int32_t ndim,
                                         const int64_t *shape, void *data);
/* Number of elements. */
int64_t tsr_tensor_numel(const tsr_tensor *t);
/* Bytes spanned by a contiguous tensor of this dtype and shape. */
size_t tsr_tensor_nbytes(const tsr_tensor *t);
/* True if the tensor is densely packed in row-major order. */
bool tsr_tensor_is_contiguous(const tsr_tensor *t);
/* True if |a| and |b| have the same ndim and extents. */
bool tsr_tensor_same_shape(const tsr_tensor *a, const tsr_tensor *b);

/* Dynamic integer values supplied at run time (e.g. the position of the
 * first token of a decode step). Op parameters refer to them by slot. */
#define TSR_MAX_DYN 4
typedef struct tsr_dyn_values {
  int64_t v[TSR_MAX_DYN];
} tsr_dyn_values;

/* An integer op parameter: |offset| plus, if slot >= 0, dyn->v[slot]. */
typedef struct tsr_dyn {
  int32_t slot; /* -1: static */
  int32_t offset;
} tsr_dyn;

#define TSR_DYN_STATIC(x) ((tsr_dyn){-1, (x)})
#define TSR_DYN_SLOT(s, x) ((tsr_dyn){(s), (x)})

static inline int64_t tsr_dyn_eval(tsr_dyn d, const tsr_dyn_values *dyn) {
  return (int64_t)d.offset + ((d.slot >= 0 && dyn != NULL) ? dyn->v[d.slot] : 0);
}

#ifdef __cplusplus
}
#endif
#endif /* TESSERA_TYPES_H_ */
