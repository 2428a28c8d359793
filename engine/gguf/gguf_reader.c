/* GGUF v2/v3 reader: one bounds-checked pass over the blob. Every read goes
 * through rd_*(), which checks the remaining length first; every size is
 * computed with overflow checks. Metadata values and tensors stay in the blob
 * (strings are not NUL-terminated; multi-byte values are read with memcpy
 * because the blob gives no alignment). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf/gguf.h"

/* ---- GGML types ---- */

typedef struct ggml_type_info {
  const char *name;
  uint32_t block;  /* elements per block; 0: not a valid type id */
  uint32_t bytes;  /* bytes per block */
  tsr_dtype dtype; /* NONE: valid in GGUF but not loaded by Tessera */
} ggml_type_info;

static const ggml_type_info kGgmlTypes[TSR_GGML_TYPE_COUNT] = {
    [0] = {"f32", 1, 4, TSR_DTYPE_F32},
    [1] = {"f16", 1, 2, TSR_DTYPE_F16},
    [2] = {"q4_0", 32, 18, TSR_DTYPE_Q4_0},
    [3] = {"q4_1", 32, 20, TSR_DTYPE_NONE},
    [4] = {"q4_2(removed)", 0, 0, TSR_DTYPE_NONE},
    [5] = {"q4_3(removed)", 0, 0, TSR_DTYPE_NONE},
    [6] = {"q5_0", 32, 22, TSR_DTYPE_NONE},
    [7] = {"q5_1", 32, 24, TSR_DTYPE_NONE},
    [8] = {"q8_0", 32, 34, TSR_DTYPE_Q8_0},
    [9] = {"q8_1", 32, 36, TSR_DTYPE_NONE},
    [10] = {"q2_k", 256, 84, TSR_DTYPE_NONE},
    [11] = {"q3_k", 256, 110, TSR_DTYPE_NONE},
    [12] = {"q4_k", 256, 144, TSR_DTYPE_Q4_K},
    [13] = {"q5_k", 256, 176, TSR_DTYPE_Q5_K},
    [14] = {"q6_k", 256, 210, TSR_DTYPE_Q6_K},
    [15] = {"q8_k", 256, 292, TSR_DTYPE_NONE},
    [16] = {"iq2_xxs", 256, 66, TSR_DTYPE_NONE},
    [17] = {"iq2_xs", 256, 74, TSR_DTYPE_NONE},
    [18] = {"iq3_xxs", 256, 98, TSR_DTYPE_NONE},
    [19] = {"iq1_s", 256, 50, TSR_DTYPE_NONE},
    [20] = {"iq4_nl", 32, 18, TSR_DTYPE_NONE},
    [21] = {"iq3_s", 256, 110, TSR_DTYPE_NONE},
    [22] = {"iq2_s", 256, 82, TSR_DTYPE_NONE},
    [23] = {"iq4_xs", 256, 136, TSR_DTYPE_NONE},
    [24] = {"i8", 1, 1, TSR_DTYPE_I8},
    [25] = {"i16", 1, 2, TSR_DTYPE_NONE},
    [26] = {"i32", 1, 4, TSR_DTYPE_I32},
    [27] = {"i64", 1, 8, TSR_DTYPE_I64},
    [28] = {"f64", 1, 8, TSR_DTYPE_NONE},
    [29] = {"iq1_m", 256, 56, TSR_DTYPE_NONE},
    [30] = {"bf16", 1, 2, TSR_DTYPE_BF16},
    [31] = {"q4_0_4_4(removed)", 0, 0, TSR_DTYPE_NONE},
    [32] = {"q4_0_4_8(removed)", 0, 0, TSR_DTYPE_NONE},
    [33] = {"q4_0_8_8(removed)", 0, 0, TSR_DTYPE_NONE},
    [34] = {"tq1_0", 256, 54, TSR_DTYPE_NONE},
    [35] = {"tq2_0", 256, 66, TSR_DTYPE_NONE},
    [36] = {"iq4_nl_4_4(removed)", 0, 0, TSR_DTYPE_NONE},
    [37] = {"iq4_nl_4_8(removed)", 0, 0, TSR_DTYPE_NONE},
    [38] = {"iq4_nl_8_8(removed)", 0, 0, TSR_DTYPE_NONE},
};

tsr_dtype tsr_gguf_dtype_from_ggml(uint32_t ggml_type) {
  return ggml_type < TSR_GGML_TYPE_COUNT ? kGgmlTypes[ggml_type].dtype : TSR_DTYPE_NONE;
}

uint32_t tsr_gguf_ggml_from_dtype(tsr_dtype t) {
  if (t == TSR_DTYPE_NONE) return UINT32_MAX;
  for (uint32_t i = 0; i < TSR_GGML_TYPE_COUNT; ++i) {
    if (kGgmlTypes[i].dtype == t) return i;
  }
  return UINT32_MAX;
}

const char *tsr_gguf_ggml_type_name(uint32_t ggml_type) {
  return ggml_type < TSR_GGML_TYPE_COUNT ? kGgmlTypes[ggml_type].name : "unknown";
}

bool tsr_gguf_ggml_type_layout(uint32_t ggml_type, uint32_t *block, uint32_t *bytes) {
  if (ggml_type >= TSR_GGML_TYPE_COUNT || kGgmlTypes[ggml_type].block == 0) return false;
  *block = kGgmlTypes[ggml_type].block;
  *bytes = kGgmlTypes[ggml_type].bytes;
  return true;
}

size_t tsr_gguf_type_size(tsr_gguf_type t) {
  switch (t) {
    case TSR_GGUF_UINT8: case TSR_GGUF_INT8: case TSR_GGUF_BOOL: return 1;
    case TSR_GGUF_UINT16: case TSR_GGUF_INT16: return 2;
    case TSR_GGUF_UINT32: case TSR_GGUF_INT32: case TSR_GGUF_FLOAT32: return 4;
    case TSR_GGUF_UINT64: case TSR_GGUF_INT64: case TSR_GGUF_FLOAT64: return 8;
    default: return 0;
  }
}

const char *tsr_gguf_type_name(tsr_gguf_type t) {
  static const char *const names[TSR_GGUF_TYPE_COUNT] = {"u8",  "i8",  "u16", "i16", "u32", "i32", "f32",
                                                         "bool", "str", "arr", "u64", "i64", "f64"};
  return (unsigned)t < TSR_GGUF_TYPE_COUNT ? names[t] : "invalid";
}

/* ---- little-endian loads from unaligned memory ---- */

static uint64_t load_le(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* Decodes one scalar of |t| at |p| into the kv value union fields. */
static void decode_scalar(tsr_gguf_type t, const uint8_t *p, tsr_gguf_kv *kv) {
  uint64_t raw = load_le(p, tsr_gguf_type_size(t));
  switch (t) {
    case TSR_GGUF_UINT8: case TSR_GGUF_UINT16: case TSR_GGUF_UINT32: case TSR_GGUF_UINT64:
      kv->v.u64 = raw;
      break;
    case TSR_GGUF_BOOL: kv->v.u64 = raw != 0; break;
    case TSR_GGUF_INT8: kv->v.i64 = (int8_t)(uint8_t)raw; break;
    case TSR_GGUF_INT16: kv->v.i64 = (int16_t)(uint16_t)raw; break;
    case TSR_GGUF_INT32: kv->v.i64 = (int32_t)(uint32_t)raw; break;
    case TSR_GGUF_INT64: kv->v.i64 = (int64_t)raw; break;
    case TSR_GGUF_FLOAT32: {
      uint32_t b = (uint32_t)raw;
      float f;
      memcpy(&f, &b, 4);
      kv->v.f64 = f;
      break;
    }
    case TSR_GGUF_FLOAT64: {
      double d;
      memcpy(&d, &raw, 8);
      kv->v.f64 = d;
      break;
    }
    default: break;
  }
}

/* ---- the cursor ---- */

typedef struct rd {
  const uint8_t *p;
  uint64_t size;
  uint64_t pos;
  tsr_error *err;
} rd;

#define FORMAT(r, ...) TSR_ERROR((r)->err, TSR_ERR_FORMAT, __VA_ARGS__)

static uint64_t rd_left(const rd *r) { return r->size - r->pos; }

/* |what| names the field for the message ("kv 3 type"). */
static tsr_status rd_bytes(rd *r, uint64_t n, const uint8_t **out, const char *what) {
  if (n > rd_left(r))
    return FORMAT(r, "gguf: %s: needs %" PRIu64 " bytes at offset %" PRIu64 ", file has %" PRIu64, what, n, r->pos,
                  r->size);
  *out = r->p + r->pos;
  r->pos += n;
  return TSR_OK;
}

static tsr_status rd_u32(rd *r, uint32_t *v, const char *what) {
  const uint8_t *p = NULL;
  TSR_TRY(rd_bytes(r, 4, &p, what));
  *v = (uint32_t)load_le(p, 4);
  return TSR_OK;
}

static tsr_status rd_u64(rd *r, uint64_t *v, const char *what) {
  const uint8_t *p = NULL;
  TSR_TRY(rd_bytes(r, 8, &p, what));
  *v = load_le(p, 8);
  return TSR_OK;
}

static tsr_status rd_str(rd *r, tsr_gguf_str *s, const char *what) {
  uint64_t len;
  TSR_TRY(rd_u64(r, &len, what));
  const uint8_t *p = NULL;
  if (len > rd_left(r))
    return FORMAT(r, "gguf: %s: string length %" PRIu64 " at offset %" PRIu64 " runs past the end of the file (%" PRIu64
                     " bytes)", what, len, r->pos - 8, r->size);
  TSR_TRY(rd_bytes(r, len, &p, what));
  s->data = (const char *)p;
  s->len = len;
  return TSR_OK;
}

/* A string for messages: at most 48 bytes, printable ASCII only. */
static void printable(tsr_gguf_str s, char out[64]) {
  size_t n = s.len < 48 ? (size_t)s.len : 48, j = 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)s.data[i];
    out[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
  }
  if (s.len > 48) {
    memcpy(out + j, "...", 3);
    j += 3;
  }
  out[j] = '\0';
}

/* ---- sorting for duplicate detection ---- */

static int cmp_str(tsr_gguf_str a, tsr_gguf_str b) {
  uint64_t n = a.len < b.len ? a.len : b.len;
  int c = n ? memcmp(a.data, b.data, (size_t)n) : 0;
  if (c != 0) return c;
  return a.len < b.len ? -1 : (a.len > b.len ? 1 : 0);
}

static int cmp_kv_ptr(const void *a, const void *b) {
  const tsr_gguf_kv *x = *(const tsr_gguf_kv *const *)a, *y = *(const tsr_gguf_kv *const *)b;
  return cmp_str(x->key, y->key);
}

static int cmp_tensor_name(const void *a, const void *b) {
  const tsr_gguf_tensor *x = *(const tsr_gguf_tensor *const *)a, *y = *(const tsr_gguf_tensor *const *)b;
  return cmp_str(x->name, y->name);
}

static int cmp_tensor_offset(const void *a, const void *b) {
  const tsr_gguf_tensor *x = *(const tsr_gguf_tensor *const *)a, *y = *(const tsr_gguf_tensor *const *)b;
  if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
  if (x->nbytes != y->nbytes) return x->nbytes < y->nbytes ? -1 : 1;
  return 0;
}

/* ---- parsing ---- */

/* Smallest encodings, to bound counts by the bytes left before allocating:
 * a kv is key length (8) + type (4) + at least 1 value byte; a tensor info is
 * name length (8) + n_dims (4) + type (4) + offset (8). */
enum { MIN_KV_BYTES = 13, MIN_TENSOR_BYTES = 24 };

static tsr_status parse_kv(rd *r, tsr_gguf *g, uint64_t i, tsr_gguf_kv *kv) {
  char what[160], key[64];
  snprintf(what, sizeof(what), "kv %" PRIu64 " key", i);
  TSR_TRY(rd_str(r, &kv->key, what));
  if (kv->key.len == 0) return FORMAT(r, "gguf: kv %" PRIu64 ": empty key", i);
  printable(kv->key, key);
  snprintf(what, sizeof(what), "kv %" PRIu64 " ('%s') type", i, key);
  uint32_t type;
  TSR_TRY(rd_u32(r, &type, what));
  if (type >= TSR_GGUF_TYPE_COUNT)
    return FORMAT(r, "gguf: kv %" PRIu64 " ('%s'): invalid value type %" PRIu32, i, key, type);
  kv->type = (tsr_gguf_type)type;
  snprintf(what, sizeof(what), "kv %" PRIu64 " ('%s') value", i, key);
  if (kv->type == TSR_GGUF_STRING) return rd_str(r, &kv->v.str, what);
  if (kv->type != TSR_GGUF_ARRAY) {
    const uint8_t *p = NULL;
    TSR_TRY(rd_bytes(r, tsr_gguf_type_size(kv->type), &p, what));
    decode_scalar(kv->type, p, kv);
    return TSR_OK;
  }
  uint32_t et;
  snprintf(what, sizeof(what), "kv %" PRIu64 " ('%s') array element type", i, key);
  TSR_TRY(rd_u32(r, &et, what));
  if (et >= TSR_GGUF_TYPE_COUNT)
    return FORMAT(r, "gguf: kv %" PRIu64 " ('%s'): invalid array element type %" PRIu32, i, key, et);
  if (et == TSR_GGUF_ARRAY) return FORMAT(r, "gguf: kv %" PRIu64 " ('%s'): nested arrays are not supported", i, key);
  uint64_t n;
  snprintf(what, sizeof(what), "kv %" PRIu64 " ('%s') array length", i, key);
  TSR_TRY(rd_u64(r, &n, what));
  kv->v.arr.type = (tsr_gguf_type)et;
  kv->v.arr.n = n;
  kv->v.arr.data = r->p + r->pos;
  kv->v.arr.str_offsets = NULL;
  if (et != TSR_GGUF_STRING) {
    uint64_t es = tsr_gguf_type_size((tsr_gguf_type)et);
    if (n > rd_left(r) / es)
      return FORMAT(r, "gguf: kv %" PRIu64 " ('%s'): array of %" PRIu64 " %s runs past the end of the file", i, key, n,
                    tsr_gguf_type_name((tsr_gguf_type)et));
    const uint8_t *p = NULL;
    snprintf(what, sizeof(what), "kv %" PRIu64 " ('%s') array data", i, key);
    return rd_bytes(r, n * es, &p, what);
  }
  if (n > rd_left(r) / 8)
    return FORMAT(r, "gguf: kv %" PRIu64 " ('%s'): array of %" PRIu64 " strings runs past the end of the file", i, key,
                  n);
  uint64_t *offs = NULL;
  if (n > 0) {
    offs = tsr_alloc(g->allocator, (size_t)n * sizeof(uint64_t), 0);
    if (offs == NULL)
      return TSR_ERROR(r->err, TSR_ERR_OUT_OF_MEMORY, "gguf: kv '%s': no memory for %" PRIu64 " string offsets", key, n);
  }
  kv->v.arr.str_offsets = offs;
  uint64_t start = r->pos;
  for (uint64_t j = 0; j < n; ++j) {
    offs[j] = r->pos - start;
    uint64_t len = rd_left(r) >= 8 ? load_le(r->p + r->pos, 8) : 0;
    if (rd_left(r) < 8 || len > rd_left(r) - 8)
      return FORMAT(r, "gguf: kv %" PRIu64 " ('%s'): string %" PRIu64 " of %" PRIu64 " at offset %" PRIu64
                       " runs past the end of the file", i, key, j, n, r->pos);
    r->pos += 8 + len;
  }
  return TSR_OK;
}

static tsr_status parse_tensor_info(rd *r, uint64_t i, tsr_gguf_tensor *t) {
  char what[160], name[64];
  snprintf(what, sizeof(what), "tensor %" PRIu64 " name", i);
  TSR_TRY(rd_str(r, &t->name, what));
  printable(t->name, name);
  if (t->name.len > TSR_GGUF_MAX_NAME)
    return FORMAT(r, "gguf: tensor %" PRIu64 " ('%s'): name of %" PRIu64 " bytes is longer than %d", i, name,
                  t->name.len, TSR_GGUF_MAX_NAME);
  snprintf(what, sizeof(what), "tensor %" PRIu64 " ('%s') n_dims", i, name);
  TSR_TRY(rd_u32(r, &t->n_dims, what));
  if (t->n_dims > 4)
    return FORMAT(r, "gguf: tensor '%s': n_dims %" PRIu32 " is more than 4", name, t->n_dims);
  for (uint32_t d = 0; d < 4; ++d) t->ne[d] = 1;
  for (uint32_t d = 0; d < t->n_dims; ++d) {
    snprintf(what, sizeof(what), "tensor '%s' ne[%" PRIu32 "]", name, d);
    TSR_TRY(rd_u64(r, &t->ne[d], what));
    if (t->ne[d] > (uint64_t)INT64_MAX)
      return FORMAT(r, "gguf: tensor '%s': ne[%" PRIu32 "] = %" PRIu64 " is out of range", name, d, t->ne[d]);
  }
  snprintf(what, sizeof(what), "tensor '%s' type", name);
  TSR_TRY(rd_u32(r, &t->ggml_type, what));
  snprintf(what, sizeof(what), "tensor '%s' offset", name);
  TSR_TRY(rd_u64(r, &t->offset, what));
  return TSR_OK;
}

/* Element count and byte size of |t|, checked. */
static tsr_status tensor_extent(rd *r, tsr_gguf_tensor *t, uint64_t alignment) {
  char name[64];
  printable(t->name, name);
  uint32_t block, bytes;
  if (!tsr_gguf_ggml_type_layout(t->ggml_type, &block, &bytes))
    return FORMAT(r, "gguf: tensor '%s': invalid ggml type %" PRIu32 " (%s)", name, t->ggml_type,
                  tsr_gguf_ggml_type_name(t->ggml_type));
  uint64_t n = 1;
  for (int d = 0; d < 4; ++d) {
    if (t->ne[d] != 0 && n > (uint64_t)INT64_MAX / t->ne[d])
      return FORMAT(r, "gguf: tensor '%s': element count %" PRIu64 "x%" PRIu64 "x%" PRIu64 "x%" PRIu64 " overflows",
                    name, t->ne[0], t->ne[1], t->ne[2], t->ne[3]);
    n *= t->ne[d];
  }
  if (t->ne[0] % block != 0)
    return FORMAT(r, "gguf: tensor '%s': ne[0] = %" PRIu64 " is not a multiple of the %s block size %" PRIu32, name,
                  t->ne[0], tsr_gguf_ggml_type_name(t->ggml_type), block);
  uint64_t blocks = n / block;
  if (blocks > UINT64_MAX / bytes) return FORMAT(r, "gguf: tensor '%s': byte size overflows", name);
  t->nbytes = blocks * bytes;
  if (t->offset % alignment != 0)
    return FORMAT(r, "gguf: tensor '%s': offset %" PRIu64 " is not a multiple of the alignment %" PRIu64, name,
                  t->offset, alignment);
  return TSR_OK;
}

/* general.alignment: an unsigned integer (u32 in the specification), a
 * nonzero power of two. */
static tsr_status read_alignment(rd *r, const tsr_gguf *g, uint64_t *out) {
  int64_t k = tsr_gguf_find(g, "general.alignment");
  *out = 32;
  if (k < 0) return TSR_OK;
  const tsr_gguf_kv *kv = &g->kv[k];
  uint64_t v;
  switch (kv->type) {
    case TSR_GGUF_UINT8: case TSR_GGUF_UINT16: case TSR_GGUF_UINT32: case TSR_GGUF_UINT64: v = kv->v.u64; break;
    case TSR_GGUF_INT8: case TSR_GGUF_INT16: case TSR_GGUF_INT32: case TSR_GGUF_INT64:
      if (kv->v.i64 <= 0) return FORMAT(r, "gguf: general.alignment %" PRId64 " is not positive", kv->v.i64);
      v = (uint64_t)kv->v.i64;
      break;
    default:
      return FORMAT(r, "gguf: general.alignment has type %s, expected u32", tsr_gguf_type_name(kv->type));
  }
  if (v == 0 || (v & (v - 1)) != 0 || v > (1u << 30))
    return FORMAT(r, "gguf: general.alignment %" PRIu64 " is not a power of two up to 2^30", v);
  *out = v;
  return TSR_OK;
}

static tsr_status parse(rd *r, tsr_gguf *g, uint32_t flags) {
  const uint8_t *magic = NULL;
  if (r->size < 4 || memcmp(r->p, "GGUF", 4) != 0)
    return FORMAT(r, "gguf: not a GGUF file (magic is not 'GGUF')");
  TSR_TRY(rd_bytes(r, 4, &magic, "magic"));
  TSR_TRY(rd_u32(r, &g->version, "version"));
  if (g->version == 1)
    return TSR_ERROR(r->err, TSR_ERR_UNSUPPORTED, "gguf: version 1 is not supported (only 2 and 3)");
  if (g->version != 2 && g->version != 3) {
    if ((g->version & 0xffffu) == 0 && (g->version >> 16) != 0)
      return TSR_ERROR(r->err, TSR_ERR_UNSUPPORTED, "gguf: big-endian files are not supported");
    if (g->version == 0) return FORMAT(r, "gguf: version 0 is invalid");
    return TSR_ERROR(r->err, TSR_ERR_UNSUPPORTED, "gguf: version %" PRIu32 " is not supported (only 2 and 3)",
                     g->version);
  }
  TSR_TRY(rd_u64(r, &g->n_tensors, "n_tensors"));
  TSR_TRY(rd_u64(r, &g->n_kv, "n_kv"));
  if (g->n_kv > rd_left(r) / MIN_KV_BYTES)
    return FORMAT(r, "gguf: n_kv = %" PRIu64 " is more than the %" PRIu64 " bytes left can hold", g->n_kv, rd_left(r));
  if (g->n_tensors > (rd_left(r) - g->n_kv * MIN_KV_BYTES) / MIN_TENSOR_BYTES)
    return FORMAT(r, "gguf: n_tensors = %" PRIu64 " is more than the %" PRIu64 " bytes left can hold", g->n_tensors,
                  rd_left(r));

  /* Both counts are now bounded by the blob size, so these products fit. */
  if (g->n_kv > 0) {
    g->kv = tsr_alloc(g->allocator, (size_t)g->n_kv * sizeof(tsr_gguf_kv), 0);
    if (g->kv == NULL) return TSR_ERROR(r->err, TSR_ERR_OUT_OF_MEMORY, "gguf: no memory for %" PRIu64 " kv", g->n_kv);
    memset(g->kv, 0, (size_t)g->n_kv * sizeof(tsr_gguf_kv));
  }
  if (g->n_tensors > 0) {
    g->tensors = tsr_alloc(g->allocator, (size_t)g->n_tensors * sizeof(tsr_gguf_tensor), 0);
    if (g->tensors == NULL)
      return TSR_ERROR(r->err, TSR_ERR_OUT_OF_MEMORY, "gguf: no memory for %" PRIu64 " tensors", g->n_tensors);
    memset(g->tensors, 0, (size_t)g->n_tensors * sizeof(tsr_gguf_tensor));
  }

  uint64_t n_sort = g->n_kv > g->n_tensors ? g->n_kv : g->n_tensors;
  const void **sorted = NULL;
  if (n_sort > 0) {
    sorted = tsr_alloc(g->allocator, (size_t)n_sort * sizeof(void *), 0);
    if (sorted == NULL) return TSR_ERROR(r->err, TSR_ERR_OUT_OF_MEMORY, "gguf: no memory for the name index");
  }
  tsr_status s = TSR_OK;
  for (uint64_t i = 0; i < g->n_kv && s == TSR_OK; ++i) s = parse_kv(r, g, i, &g->kv[i]);
  if (s == TSR_OK && g->n_kv > 1) {
    for (uint64_t i = 0; i < g->n_kv; ++i) sorted[i] = &g->kv[i];
    qsort(sorted, (size_t)g->n_kv, sizeof(void *), cmp_kv_ptr);
    for (uint64_t i = 1; i < g->n_kv && s == TSR_OK; ++i) {
      if (cmp_kv_ptr(&sorted[i - 1], &sorted[i]) == 0) {
        char key[64];
        printable(((const tsr_gguf_kv *)sorted[i])->key, key);
        s = FORMAT(r, "gguf: duplicate key '%s'", key);
      }
    }
  }
  if (s == TSR_OK) s = read_alignment(r, g, &g->alignment);
  for (uint64_t i = 0; i < g->n_tensors && s == TSR_OK; ++i) s = parse_tensor_info(r, i, &g->tensors[i]);
  if (s == TSR_OK && g->n_tensors > 1) {
    for (uint64_t i = 0; i < g->n_tensors; ++i) sorted[i] = &g->tensors[i];
    qsort(sorted, (size_t)g->n_tensors, sizeof(void *), cmp_tensor_name);
    for (uint64_t i = 1; i < g->n_tensors && s == TSR_OK; ++i) {
      if (cmp_tensor_name(&sorted[i - 1], &sorted[i]) == 0) {
        char name[64];
        printable(((const tsr_gguf_tensor *)sorted[i])->name, name);
        s = FORMAT(r, "gguf: duplicate tensor name '%s'", name);
      }
    }
  }
  if (s == TSR_OK) {
    /* The data section starts at the next multiple of the alignment. */
    uint64_t pad = (g->alignment - r->pos % g->alignment) % g->alignment;
    g->data_offset = r->pos + pad; /* r->pos <= size < 2^63: no overflow */
    if (g->n_tensors > 0 && g->data_offset > r->size)
      s = FORMAT(r, "gguf: data section at offset %" PRIu64 " starts past the end of the file (%" PRIu64 " bytes)",
                 g->data_offset, r->size);
  }
  for (uint64_t i = 0; i < g->n_tensors && s == TSR_OK; ++i) {
    tsr_gguf_tensor *t = &g->tensors[i];
    s = tensor_extent(r, t, g->alignment);
    if (s != TSR_OK) break;
    uint64_t room = r->size - g->data_offset;
    if (t->offset > room || t->nbytes > room - t->offset) {
      char name[64];
      printable(t->name, name);
      s = FORMAT(r, "gguf: tensor '%s': data [%" PRIu64 ", +%" PRIu64 ") runs past the end of the file (%" PRIu64
                    " bytes of tensor data)", name, t->offset, t->nbytes, room);
      break;
    }
    t->data = r->p + g->data_offset + t->offset;
    t->dtype = tsr_gguf_dtype_from_ggml(t->ggml_type);
  }
  if (s == TSR_OK && g->n_tensors > 1) {
    for (uint64_t i = 0; i < g->n_tensors; ++i) sorted[i] = &g->tensors[i];
    qsort(sorted, (size_t)g->n_tensors, sizeof(void *), cmp_tensor_offset);
    for (uint64_t i = 1; i < g->n_tensors && s == TSR_OK; ++i) {
      const tsr_gguf_tensor *a = sorted[i - 1], *b = sorted[i];
      if (a->offset + a->nbytes > b->offset) {
        char na[64], nb[64];
        printable(a->name, na);
        printable(b->name, nb);
        s = FORMAT(r, "gguf: tensors '%s' and '%s' overlap (offsets %" PRIu64 "+%" PRIu64 " and %" PRIu64 ")", na, nb,
                   a->offset, a->nbytes, b->offset);
      }
    }
  }
  tsr_free(g->allocator, (void *)sorted);
  if (s != TSR_OK) return s;
  if (!(flags & TSR_GGUF_ALLOW_UNSUPPORTED)) {
    for (uint64_t i = 0; i < g->n_tensors; ++i) {
      const tsr_gguf_tensor *t = &g->tensors[i];
      if (t->dtype == TSR_DTYPE_NONE) {
        char name[64];
        printable(t->name, name);
        return TSR_ERROR(r->err, TSR_ERR_UNSUPPORTED, "gguf: tensor '%s' has type %s (%" PRIu32 "), which Tessera does not load",
                         name, tsr_gguf_ggml_type_name(t->ggml_type), t->ggml_type);
      }
    }
  }
  return TSR_OK;
}

tsr_status tsr_gguf_parse_ex(const void *data, size_t size, const tsr_allocator *a, uint32_t flags, tsr_gguf **out,
                             tsr_error *err) {
  if ((data == NULL && size > 0) || a == NULL || out == NULL)
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "tsr_gguf_parse: NULL argument");
  if ((uint64_t)size > (uint64_t)INT64_MAX)
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "tsr_gguf_parse: blob too large");
  /* The result keeps its own copy of the allocator, so that the caller's
   * may be a temporary. */
  typedef struct gguf_with_alloc {
    tsr_gguf g;
    tsr_allocator a;
  } gguf_with_alloc;
  gguf_with_alloc *ga = tsr_alloc(a, sizeof(*ga), 0);
  if (ga == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "gguf: no memory");
  memset(ga, 0, sizeof(*ga));
  ga->a = *a;
  tsr_gguf *g = &ga->g;
  g->base = data;
  g->size = size;
  g->allocator = &ga->a;
  g->alignment = 32;
  rd r = {data, size, 0, err};
  tsr_status s = parse(&r, g, flags);
  if (s != TSR_OK) {
    tsr_gguf_free(g);
    return s;
  }
  *out = g;
  return TSR_OK;
}

tsr_status tsr_gguf_parse(const void *data, size_t size, const tsr_allocator *a, tsr_gguf **out, tsr_error *err) {
  return tsr_gguf_parse_ex(data, size, a, 0, out, err);
}

void tsr_gguf_free(tsr_gguf *g) {
  if (g == NULL) return;
  tsr_allocator a0 = *g->allocator; /* lives inside the block freed last */
  const tsr_allocator *a = &a0;
  if (g->kv != NULL) {
    for (uint64_t i = 0; i < g->n_kv; ++i) {
      if (g->kv[i].type == TSR_GGUF_ARRAY) tsr_free(a, (void *)g->kv[i].v.arr.str_offsets);
    }
  }
  tsr_free(a, g->kv);
  tsr_free(a, g->tensors);
  tsr_free(a, g);
}

/* ---- lookups ---- */

bool tsr_gguf_str_eq(tsr_gguf_str s, const char *c) {
  size_t n = strlen(c);
  return s.len == n && (n == 0 || memcmp(s.data, c, n) == 0);
}

int64_t tsr_gguf_find(const tsr_gguf *g, const char *key) {
  if (g == NULL || key == NULL) return -1;
  for (uint64_t i = 0; i < g->n_kv; ++i) {
    if (tsr_gguf_str_eq(g->kv[i].key, key)) return (int64_t)i;
  }
  return -1;
}

const tsr_gguf_kv *tsr_gguf_get_kv(const tsr_gguf *g, const char *key) {
  int64_t i = tsr_gguf_find(g, key);
  return i < 0 ? NULL : &g->kv[i];
}

const tsr_gguf_tensor *tsr_gguf_find_tensor(const tsr_gguf *g, const char *name) {
  if (g == NULL || name == NULL) return NULL;
  for (uint64_t i = 0; i < g->n_tensors; ++i) {
    if (tsr_gguf_str_eq(g->tensors[i].name, name)) return &g->tensors[i];
  }
  return NULL;
}

static bool is_unsigned(tsr_gguf_type t) {
  return t == TSR_GGUF_UINT8 || t == TSR_GGUF_UINT16 || t == TSR_GGUF_UINT32 || t == TSR_GGUF_UINT64 ||
         t == TSR_GGUF_BOOL;
}
static bool is_signed(tsr_gguf_type t) {
  return t == TSR_GGUF_INT8 || t == TSR_GGUF_INT16 || t == TSR_GGUF_INT32 || t == TSR_GGUF_INT64;
}

/* The kv of |key|, or NULL with TSR_ERR_FORMAT in |err|. */
static const tsr_gguf_kv *lookup(const tsr_gguf *g, const char *key, tsr_error *err) {
  int64_t i = tsr_gguf_find(g, key);
  if (i < 0) {
    TSR_ERROR(err, TSR_ERR_FORMAT, "gguf: key '%s' is missing", key ? key : "(null)");
    return NULL;
  }
  return &g->kv[i];
}

tsr_status tsr_gguf_get_u64(const tsr_gguf *g, const char *key, uint64_t *out, tsr_error *err) {
  const tsr_gguf_kv *kv = lookup(g, key, err);
  if (kv == NULL) return TSR_ERR_FORMAT;
  if (is_unsigned(kv->type)) {
    *out = kv->v.u64;
    return TSR_OK;
  }
  if (is_signed(kv->type) && kv->v.i64 >= 0) {
    *out = (uint64_t)kv->v.i64;
    return TSR_OK;
  }
  if (is_signed(kv->type)) return TSR_ERROR(err, TSR_ERR_FORMAT, "gguf: key '%s' = %" PRId64 " is negative", key, kv->v.i64);
  return TSR_ERROR(err, TSR_ERR_FORMAT, "gguf: key '%s' has type %s, expected an unsigned integer", key,
                   tsr_gguf_type_name(kv->type));
}

tsr_status tsr_gguf_get_i64(const tsr_gguf *g, const char *key, int64_t *out, tsr_error *err) {
  const tsr_gguf_kv *kv = lookup(g, key, err);
  if (kv == NULL) return TSR_ERR_FORMAT;
  if (is_signed(kv->type)) {
    *out = kv->v.i64;
    return TSR_OK;
  }
  if (is_unsigned(kv->type) && kv->v.u64 <= (uint64_t)INT64_MAX) {
    *out = (int64_t)kv->v.u64;
    return TSR_OK;
  }
  if (is_unsigned(kv->type))
    return TSR_ERROR(err, TSR_ERR_FORMAT, "gguf: key '%s' = %" PRIu64 " does not fit int64", key, kv->v.u64);
  return TSR_ERROR(err, TSR_ERR_FORMAT, "gguf: key '%s' has type %s, expected an integer", key,
                   tsr_gguf_type_name(kv->type));
}

tsr_status tsr_gguf_get_f64(const tsr_gguf *g, const char *key, double *out, tsr_error *err) {
  const tsr_gguf_kv *kv = lookup(g, key, err);
  if (kv == NULL) return TSR_ERR_FORMAT;
  if (kv->type == TSR_GGUF_FLOAT32 || kv->type == TSR_GGUF_FLOAT64) {
    *out = kv->v.f64;
  } else if (is_signed(kv->type)) {
    *out = (double)kv->v.i64;
  } else if (is_unsigned(kv->type) && kv->type != TSR_GGUF_BOOL) {
    *out = (double)kv->v.u64;
  } else {
    return TSR_ERROR(err, TSR_ERR_FORMAT, "gguf: key '%s' has type %s, expected a number", key,
                     tsr_gguf_type_name(kv->type));
  }
  return TSR_OK;
}

tsr_status tsr_gguf_get_str(const tsr_gguf *g, const char *key, tsr_gguf_str *out, tsr_error *err) {
  const tsr_gguf_kv *kv = lookup(g, key, err);
  if (kv == NULL) return TSR_ERR_FORMAT;
  if (kv->type != TSR_GGUF_STRING)
    return TSR_ERROR(err, TSR_ERR_FORMAT, "gguf: key '%s' has type %s, expected str", key, tsr_gguf_type_name(kv->type));
  *out = kv->v.str;
  return TSR_OK;
}

tsr_status tsr_gguf_get_arr(const tsr_gguf *g, const char *key, tsr_gguf_type *out_type, uint64_t *out_n,
                            tsr_error *err) {
  const tsr_gguf_kv *kv = lookup(g, key, err);
  if (kv == NULL) return TSR_ERR_FORMAT;
  if (kv->type != TSR_GGUF_ARRAY)
    return TSR_ERROR(err, TSR_ERR_FORMAT, "gguf: key '%s' has type %s, expected arr", key, tsr_gguf_type_name(kv->type));
  if (out_type) *out_type = kv->v.arr.type;
  if (out_n) *out_n = kv->v.arr.n;
  return TSR_OK;
}

tsr_gguf_str tsr_gguf_arr_str(const tsr_gguf_kv *kv, uint64_t i) {
  tsr_gguf_str s = {"", 0};
  if (kv == NULL || kv->type != TSR_GGUF_ARRAY || kv->v.arr.type != TSR_GGUF_STRING || i >= kv->v.arr.n) return s;
  /* The parser checked every length prefix and string against the blob. */
  const uint8_t *p = kv->v.arr.data + kv->v.arr.str_offsets[i];
  s.len = load_le(p, 8);
  s.data = (const char *)p + 8;
  return s;
}

/* Element |i| of a numeric array as a scalar kv. False if out of range. */
static bool arr_elem(const tsr_gguf_kv *kv, uint64_t i, tsr_gguf_kv *out) {
  if (kv == NULL || kv->type != TSR_GGUF_ARRAY || i >= kv->v.arr.n) return false;
  size_t es = tsr_gguf_type_size(kv->v.arr.type);
  if (es == 0) return false;
  out->type = kv->v.arr.type;
  decode_scalar(kv->v.arr.type, kv->v.arr.data + i * es, out);
  return true;
}

double tsr_gguf_arr_f64(const tsr_gguf_kv *kv, uint64_t i) {
  tsr_gguf_kv e;
  if (!arr_elem(kv, i, &e)) return 0.0;
  if (e.type == TSR_GGUF_FLOAT32 || e.type == TSR_GGUF_FLOAT64) return e.v.f64;
  if (is_signed(e.type)) return (double)e.v.i64;
  return (double)e.v.u64;
}

int64_t tsr_gguf_arr_i64(const tsr_gguf_kv *kv, uint64_t i) {
  tsr_gguf_kv e;
  if (!arr_elem(kv, i, &e)) return 0;
  if (e.type == TSR_GGUF_FLOAT32 || e.type == TSR_GGUF_FLOAT64) {
    /* NaN and out-of-range values have no integer: 0. */
    return (e.v.f64 >= -9.2e18 && e.v.f64 <= 9.2e18) ? (int64_t)e.v.f64 : 0;
  }
  if (is_signed(e.type)) return e.v.i64;
  return e.v.u64 > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)e.v.u64;
}
