/* Element type table, tensors and allocators. */
#include <stdlib.h>
#include <string.h>

#include "tessera/tessera.h"

typedef struct dtype_info {
  const char *name;
  int64_t block;
  size_t bytes;
} dtype_info;

static const dtype_info kDtypes[TSR_DTYPE_COUNT] = {
    [TSR_DTYPE_NONE] = {"none", 1, 0},  [TSR_DTYPE_F32] = {"f32", 1, 4},
    [TSR_DTYPE_F16] = {"f16", 1, 2},    [TSR_DTYPE_BF16] = {"bf16", 1, 2},
    [TSR_DTYPE_I8] = {"i8", 1, 1},      [TSR_DTYPE_U8] = {"u8", 1, 1},
    [TSR_DTYPE_I32] = {"i32", 1, 4},    [TSR_DTYPE_I64] = {"i64", 1, 8},
    [TSR_DTYPE_Q8_0] = {"q8_0", 32, 34}, [TSR_DTYPE_Q4_0] = {"q4_0", 32, 18},
    [TSR_DTYPE_Q4_K] = {"q4_k", 256, 144}, [TSR_DTYPE_Q5_K] = {"q5_k", 256, 176},
    [TSR_DTYPE_Q6_K] = {"q6_k", 256, 210},
};

const char *tsr_dtype_name(tsr_dtype t) {
  return (unsigned)t < TSR_DTYPE_COUNT ? kDtypes[t].name : "?";
}

int64_t tsr_dtype_block_size(tsr_dtype t) {
  return (unsigned)t < TSR_DTYPE_COUNT ? kDtypes[t].block : 1;
}

size_t tsr_dtype_block_bytes(tsr_dtype t) {
  return (unsigned)t < TSR_DTYPE_COUNT ? kDtypes[t].bytes : 0;
}

bool tsr_dtype_is_quantized(tsr_dtype t) {
  return (unsigned)t < TSR_DTYPE_COUNT && kDtypes[t].block > 1;
}

size_t tsr_dtype_row_bytes(tsr_dtype t, int64_t n) {
  int64_t bs = tsr_dtype_block_size(t);
  if (n < 0 || n % bs != 0) return 0;
  return (size_t)(n / bs) * tsr_dtype_block_bytes(t);
}

tsr_dtype tsr_dtype_from_name(const char *name) {
  if (name == NULL) return TSR_DTYPE_NONE;
  for (int i = 1; i < TSR_DTYPE_COUNT; ++i) {
    if (strcmp(name, kDtypes[i].name) == 0) return (tsr_dtype)i;
  }
  return TSR_DTYPE_NONE;
}

/* ---- tensors ---- */

tsr_status tsr_tensor_init(tsr_tensor *t, tsr_dtype dtype, int32_t ndim, const int64_t *shape,
                           void *data) {
  if (t == NULL || ndim < 0 || ndim > TSR_MAX_DIMS || (ndim > 0 && shape == NULL) ||
      (unsigned)dtype >= TSR_DTYPE_COUNT) {
    return TSR_ERR_INVALID_ARGUMENT;
  }
  for (int i = 0; i < ndim; ++i) {
    if (shape[i] < 0) return TSR_ERR_INVALID_ARGUMENT;
  }
  int64_t bs = tsr_dtype_block_size(dtype);
  if (bs > 1 && (ndim == 0 || shape[ndim - 1] % bs != 0)) return TSR_ERR_INVALID_ARGUMENT;
  memset(t, 0, sizeof(*t));
  t->dtype = dtype;
  t->ndim = ndim;
  int64_t stride = (int64_t)tsr_dtype_block_bytes(dtype);
  for (int i = ndim - 1; i >= 0; --i) {
    t->shape[i] = shape[i];
    if (i == ndim - 1 && bs > 1) {
      t->stride[i] = 0;
      stride = (int64_t)tsr_dtype_row_bytes(dtype, shape[i]);
    } else {
      t->stride[i] = stride;
      stride *= shape[i];
    }
  }
  for (int i = ndim; i < TSR_MAX_DIMS; ++i) t->shape[i] = 1;
  t->data = data;
  return TSR_OK;
}

int64_t tsr_tensor_numel(const tsr_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->ndim; ++i) n *= t->shape[i];
  return n;
}

size_t tsr_tensor_nbytes(const tsr_tensor *t) {
  if (t->dtype == TSR_DTYPE_NONE) return 0;
  if (t->ndim == 0) return tsr_dtype_block_bytes(t->dtype);
  size_t row = tsr_dtype_row_bytes(t->dtype, t->shape[t->ndim - 1]);
  int64_t rows = 1;
  for (int i = 0; i < t->ndim - 1; ++i) rows *= t->shape[i];
  return row * (size_t)rows;
}

bool tsr_tensor_is_contiguous(const tsr_tensor *t) {
  int64_t bs = tsr_dtype_block_size(t->dtype);
  int64_t expect = (int64_t)tsr_dtype_block_bytes(t->dtype);
  for (int i = t->ndim - 1; i >= 0; --i) {
    if (i == t->ndim - 1 && bs > 1) {
      expect = (int64_t)tsr_dtype_row_bytes(t->dtype, t->shape[i]);
      continue;
    }
    if (t->shape[i] != 1 && t->stride[i] != expect) return false;
    expect *= t->shape[i];
  }
  return true;
}

bool tsr_tensor_same_shape(const tsr_tensor *a, const tsr_tensor *b) {
  if (a->ndim != b->ndim) return false;
  for (int i = 0; i < a->ndim; ++i) {
    if (a->shape[i] != b->shape[i]) return false;
  }
  return true;
}

/* ---- allocators ---- */

static void *system_alloc(void *user, size_t size, size_t align) {
  (void)user;
  if (align < sizeof(void *)) align = sizeof(void *);
  if (size == 0) size = 1;
  size = (size + align - 1) & ~(align - 1);
  return aligned_alloc(align, size);
}

static void system_free(void *user, void *ptr) {
  (void)user;
  free(ptr);
}

tsr_allocator tsr_allocator_system(void) {
  tsr_allocator a = {system_alloc, system_free, NULL};
  return a;
}

static void *bump_alloc(void *user, size_t size, size_t align) {
  tsr_bump *b = user;
  if (align == 0) align = 1;
  uintptr_t base = (uintptr_t)b->base;
  uintptr_t p = (base + b->used + align - 1) & ~(uintptr_t)(align - 1);
  size_t end = (size_t)(p - base) + size;
  if (end > b->size || end < size) return NULL;
  b->used = end;
  if (end > b->peak) b->peak = end;
  return (void *)p;
}

static void bump_free(void *user, void *ptr) {
  (void)user;
  (void)ptr;
}

void tsr_bump_init(tsr_bump *b, void *mem, size_t size) {
  b->base = mem;
  b->size = size;
  b->used = 0;
  b->peak = 0;
}

tsr_allocator tsr_bump_allocator(tsr_bump *b) {
  tsr_allocator a = {bump_alloc, bump_free, b};
  return a;
}

void *tsr_alloc(const tsr_allocator *a, size_t size, size_t align) {
  if (a == NULL || a->alloc == NULL) return NULL;
  return a->alloc(a->user, size, align ? align : 16);
}

void tsr_free(const tsr_allocator *a, void *ptr) {
  if (a == NULL || a->free == NULL || ptr == NULL) return;
  a->free(a->user, ptr);
}
