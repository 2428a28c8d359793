/* GGUF v2/v3: a bounds-checked reader over a blob in memory (usually a
 * mapped file; tensors are used in place) and a writer.
 *
 * Every offset, count, string length and tensor extent is checked against
 * the blob size before use: a truncated, corrupt or hostile file gives
 * TSR_ERR_FORMAT with a message naming the field; a tensor type Tessera does
 * not load gives TSR_ERR_UNSUPPORTED naming the type and the tensor. */
#ifndef TESSERA_ENGINE_GGUF_H_
#define TESSERA_ENGINE_GGUF_H_

#include <stdio.h>

#include "tessera/tessera.h"

/* GGUF metadata value types (the numbers are the file format's). */
typedef enum tsr_gguf_type {
  TSR_GGUF_UINT8 = 0,
  TSR_GGUF_INT8 = 1,
  TSR_GGUF_UINT16 = 2,
  TSR_GGUF_INT16 = 3,
  TSR_GGUF_UINT32 = 4,
  TSR_GGUF_INT32 = 5,
  TSR_GGUF_FLOAT32 = 6,
  TSR_GGUF_BOOL = 7,
  TSR_GGUF_STRING = 8,
  TSR_GGUF_ARRAY = 9,
  TSR_GGUF_UINT64 = 10,
  TSR_GGUF_INT64 = 11,
  TSR_GGUF_FLOAT64 = 12,
  TSR_GGUF_TYPE_COUNT
} tsr_gguf_type;

/* A string inside the blob: not NUL-terminated. */
typedef struct tsr_gguf_str {
  const char *data;
  uint64_t len;
} tsr_gguf_str;

typedef struct tsr_gguf_kv {
  tsr_gguf_str key;
  tsr_gguf_type type;
  union {
    uint64_t u64;   /* every unsigned type, and bool */
    int64_t i64;    /* every signed type */
    double f64;     /* FLOAT32, FLOAT64 */
    tsr_gguf_str str;
    struct {
      tsr_gguf_type type;   /* element type (no nested arrays) */
      uint64_t n;
      const uint8_t *data;  /* first element in the blob */
      const uint64_t *str_offsets; /* STRING arrays: n offsets of each length prefix, from |data| */
    } arr;
  } v;
} tsr_gguf_kv;

typedef struct tsr_gguf_tensor {
  tsr_gguf_str name;
  uint32_t n_dims;
  uint64_t ne[4];        /* ggml order: ne[0] is the innermost (contiguous) extent */
  uint32_t ggml_type;    /* as stored */
  tsr_dtype dtype;       /* Tessera's dtype */
  uint64_t offset;       /* from the start of the data section */
  const void *data;      /* in the blob */
  uint64_t nbytes;
} tsr_gguf_tensor;

typedef struct tsr_gguf {
  const uint8_t *base;
  uint64_t size;
  uint32_t version;
  uint64_t n_kv;
  tsr_gguf_kv *kv;
  uint64_t n_tensors;
  tsr_gguf_tensor *tensors;
  uint64_t alignment;    /* general.alignment, default 32 */
  uint64_t data_offset;  /* start of the tensor data section */
  const tsr_allocator *allocator;
} tsr_gguf;

/* Parses |data|[0..size) (which must outlive the result). Allocates the kv
 * and tensor tables through |a| (copied: it may be a temporary). */
TSR_NODISCARD tsr_status tsr_gguf_parse(const void *data, size_t size, const tsr_allocator *a,
                                        tsr_gguf **out, tsr_error *err);
void tsr_gguf_free(tsr_gguf *g);

/* Index of |key|, or -1. */
int64_t tsr_gguf_find(const tsr_gguf *g, const char *key);
/* Typed getters: TSR_ERR_FORMAT naming the key if it is absent or has an
 * incompatible type (integers of any width convert when the value fits). */
TSR_NODISCARD tsr_status tsr_gguf_get_u64(const tsr_gguf *g, const char *key, uint64_t *out, tsr_error *err);
TSR_NODISCARD tsr_status tsr_gguf_get_i64(const tsr_gguf *g, const char *key, int64_t *out, tsr_error *err);
TSR_NODISCARD tsr_status tsr_gguf_get_f64(const tsr_gguf *g, const char *key, double *out, tsr_error *err);
TSR_NODISCARD tsr_status tsr_gguf_get_str(const tsr_gguf *g, const char *key, tsr_gguf_str *out, tsr_error *err);
/* Array access: element |i| of array |key|. */
TSR_NODISCARD tsr_status tsr_gguf_get_arr(const tsr_gguf *g, const char *key, tsr_gguf_type *out_type,
                                          uint64_t *out_n, tsr_error *err);
tsr_gguf_str tsr_gguf_arr_str(const tsr_gguf_kv *kv, uint64_t i);
double tsr_gguf_arr_f64(const tsr_gguf_kv *kv, uint64_t i);
int64_t tsr_gguf_arr_i64(const tsr_gguf_kv *kv, uint64_t i);
/* True if |s| equals the NUL-terminated |c|. */
bool tsr_gguf_str_eq(tsr_gguf_str s, const char *c);

/* Tensor by name, or NULL. */
const tsr_gguf_tensor *tsr_gguf_find_tensor(const tsr_gguf *g, const char *name);
/* GGML type id <-> Tessera dtype; TSR_DTYPE_NONE / UINT32_MAX if none. */
tsr_dtype tsr_gguf_dtype_from_ggml(uint32_t ggml_type);
uint32_t tsr_gguf_ggml_from_dtype(tsr_dtype t);
/* Name of a GGML type id ("q4_k", "iq2_xxs", "unknown"). */
const char *tsr_gguf_ggml_type_name(uint32_t ggml_type);

/* ---- additions to the reader ---- */

/* GGML type ids known to this reader are below this; tensor names are at
 * most this many bytes (the specification's limit). */
#define TSR_GGML_TYPE_COUNT 39
#define TSR_GGUF_MAX_NAME 64

enum {
  /* Accept tensors of GGML types Tessera does not load (their dtype is then
   * TSR_DTYPE_NONE; extents are still checked): for tools that only need the
   * metadata (tokenizers, `tsr info`). */
  TSR_GGUF_ALLOW_UNSUPPORTED = 1u << 0,
};
/* tsr_gguf_parse with TSR_GGUF_* |flags|. */
TSR_NODISCARD tsr_status tsr_gguf_parse_ex(const void *data, size_t size, const tsr_allocator *a, uint32_t flags,
                                           tsr_gguf **out, tsr_error *err);
/* The kv of |key|, or NULL. */
const tsr_gguf_kv *tsr_gguf_get_kv(const tsr_gguf *g, const char *key);
/* Bytes of one scalar of |t| (0 for STRING, ARRAY and invalid types). */
size_t tsr_gguf_type_size(tsr_gguf_type t);
/* Static name of |t| ("u32", "str", "arr"; "invalid" out of range). */
const char *tsr_gguf_type_name(tsr_gguf_type t);
/* Elements and bytes per block of a GGML type id; false for ids that are not
 * valid (unknown or removed). */
bool tsr_gguf_ggml_type_layout(uint32_t ggml_type, uint32_t *block, uint32_t *bytes);

/* ---- writer ---- */

typedef struct tsr_gguf_writer tsr_gguf_writer;

/* A GGUF v3 writer; keys and tensors are copied by reference until
 * tsr_gguf_writer_write, so their memory must stay valid until then.
 * |alignment| 0 means the default 32; another value adds general.alignment.
 * The add functions return TSR_ERR_INVALID_ARGUMENT for a duplicate key or
 * tensor name, a bad shape, or a tensor name of 64 bytes or more. */
TSR_NODISCARD tsr_status tsr_gguf_writer_create(const tsr_allocator *a, uint64_t alignment,
                                                tsr_gguf_writer **out);
void tsr_gguf_writer_free(tsr_gguf_writer *w);
TSR_NODISCARD tsr_status tsr_gguf_writer_add_u32(tsr_gguf_writer *w, const char *key, uint32_t v);
TSR_NODISCARD tsr_status tsr_gguf_writer_add_i32(tsr_gguf_writer *w, const char *key, int32_t v);
TSR_NODISCARD tsr_status tsr_gguf_writer_add_u64(tsr_gguf_writer *w, const char *key, uint64_t v);
TSR_NODISCARD tsr_status tsr_gguf_writer_add_f32(tsr_gguf_writer *w, const char *key, float v);
TSR_NODISCARD tsr_status tsr_gguf_writer_add_bool(tsr_gguf_writer *w, const char *key, bool v);
TSR_NODISCARD tsr_status tsr_gguf_writer_add_str(tsr_gguf_writer *w, const char *key, const char *v, uint64_t len);
/* Array of |n| elements of |type| (not STRING) at |data|, or of |n| strings. */
TSR_NODISCARD tsr_status tsr_gguf_writer_add_arr(tsr_gguf_writer *w, const char *key, tsr_gguf_type type,
                                                 const void *data, uint64_t n);
TSR_NODISCARD tsr_status tsr_gguf_writer_add_arr_str(tsr_gguf_writer *w, const char *key,
                                                     const tsr_gguf_str *strs, uint64_t n);
/* Copies a key/value (any type, arrays included) from a parsed file. */
TSR_NODISCARD tsr_status tsr_gguf_writer_copy_kv(tsr_gguf_writer *w, const tsr_gguf_kv *kv);
/* A tensor of |dtype| with Tessera shape (outermost first) and contiguous data. */
TSR_NODISCARD tsr_status tsr_gguf_writer_add_tensor(tsr_gguf_writer *w, const char *name, tsr_dtype dtype,
                                                    int32_t ndim, const int64_t *shape, const void *data);
/* Writes the file. */
TSR_NODISCARD tsr_status tsr_gguf_writer_write(tsr_gguf_writer *w, FILE *f, tsr_error *err);

/* ---- additions to the writer ---- */

/* A scalar of any non-string |type|; |v| points at a host value of that type
 * (uint8_t for BOOL). "general.alignment" (u32 only) sets the alignment. */
TSR_NODISCARD tsr_status tsr_gguf_writer_add_val(tsr_gguf_writer *w, const char *key, tsr_gguf_type type,
                                                 const void *v);
/* A tensor given as GGUF stores it: GGML type id and ne[] innermost first
 * (1 <= n_dims <= 4); any valid GGML type, e.g. to copy a parsed tensor. */
TSR_NODISCARD tsr_status tsr_gguf_writer_add_tensor_ggml(tsr_gguf_writer *w, const char *name, uint32_t ggml_type,
                                                         uint32_t n_dims, const uint64_t *ne, const void *data);
/* Bytes the file will take. Pure. */
TSR_NODISCARD tsr_status tsr_gguf_writer_get_size(const tsr_gguf_writer *w, uint64_t *out_size);
/* Writes the file into |mem| (TSR_ERR_BUFFER_TOO_SMALL if |cap| is less than
 * the size, which *out_size gets in any case). Allocates: never. */
TSR_NODISCARD tsr_status tsr_gguf_writer_write_mem(tsr_gguf_writer *w, void *mem, size_t cap, size_t *out_size,
                                                   tsr_error *err);

#endif /* TESSERA_ENGINE_GGUF_H_ */
