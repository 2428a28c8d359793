/* GGUF v3 writer, as the specification and llama.cpp's gguf_write_to_buf lay
 * a file out: header, key/values, tensor infos, zero padding to the
 * alignment, then each tensor's data followed by zero padding to the
 * alignment (after the last one too). Tensor offsets are assigned in the
 * order tensors were added. Values are written little-endian whatever the
 * host; tensor data is copied as it is in memory (Tessera's targets are
 * little-endian, as GGUF is). */
#include <string.h>

#include "engine/gguf/gguf.h"

typedef struct wkv {
  const char *key;
  uint64_t key_len;
  tsr_gguf_type type;
  uint8_t val[8];             /* scalar, little-endian */
  const char *str;            /* STRING */
  uint64_t str_len;
  tsr_gguf_type arr_type;     /* ARRAY */
  uint64_t n;
  const void *arr;            /* numeric elements, host order (or LE when |src|) */
  const tsr_gguf_str *strs;   /* string elements */
  const tsr_gguf_kv *src;     /* copied from a parsed file: elements read from it */
} wkv;

typedef struct wtensor {
  const char *name;
  uint32_t ggml_type;
  uint32_t n_dims;
  uint64_t ne[4];
  uint64_t nbytes;
  const void *data;
} wtensor;

struct tsr_gguf_writer {
  tsr_allocator a;
  uint64_t alignment;
  wkv *kv;
  size_t n_kv, cap_kv;
  wtensor *t;
  size_t n_t, cap_t;
};

static tsr_status grow(const tsr_allocator *a, void **arr, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return TSR_OK;
  size_t nc = *cap ? *cap * 2 : 16;
  while (nc < need) nc *= 2;
  void *p = tsr_alloc(a, nc * elem, 0);
  if (p == NULL) return TSR_ERR_OUT_OF_MEMORY;
  if (*arr) memcpy(p, *arr, *cap * elem);
  tsr_free(a, *arr);
  *arr = p;
  *cap = nc;
  return TSR_OK;
}

static bool key_eq(const wkv *k, const char *key, uint64_t len) {
  return k->key_len == len && memcmp(k->key, key, (size_t)len) == 0;
}

static void store_le(uint8_t *p, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = (uint8_t)(v >> (8 * i));
}

/* Host value of a scalar of |t| at |p|, as the raw bits widened. */
static uint64_t host_bits(tsr_gguf_type t, const void *p) {
  switch (tsr_gguf_type_size(t)) {
    case 1: { uint8_t v; memcpy(&v, p, 1); return v; }
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    case 8: { uint64_t v; memcpy(&v, p, 8); return v; }
    default: return 0;
  }
}

static tsr_status set_alignment(tsr_gguf_writer *w, uint64_t v) {
  if (v == 0 || (v & (v - 1)) != 0 || v > (1u << 30)) return TSR_ERR_INVALID_ARGUMENT;
  w->alignment = v;
  return TSR_OK;
}

/* A new entry for |key| (|len| bytes); general.alignment replaces an earlier
 * one and must be a u32 power of two. */
static tsr_status new_kv(tsr_gguf_writer *w, const char *key, uint64_t len, tsr_gguf_type type, const uint8_t *le_val,
                         wkv **out) {
  if (w == NULL || key == NULL || len == 0) return TSR_ERR_INVALID_ARGUMENT;
  bool is_align = len == 17 && memcmp(key, "general.alignment", 17) == 0;
  if (is_align) {
    if (type != TSR_GGUF_UINT32 || le_val == NULL) return TSR_ERR_INVALID_ARGUMENT;
    uint64_t v = (uint64_t)le_val[0] | (uint64_t)le_val[1] << 8 | (uint64_t)le_val[2] << 16 | (uint64_t)le_val[3] << 24;
    TSR_TRY(set_alignment(w, v));
  }
  for (size_t i = 0; i < w->n_kv; ++i) {
    if (!key_eq(&w->kv[i], key, len)) continue;
    if (!is_align) return TSR_ERR_INVALID_ARGUMENT;
    *out = &w->kv[i];
    memset(*out, 0, sizeof(**out));
    (*out)->key = key;
    (*out)->key_len = len;
    (*out)->type = type;
    return TSR_OK;
  }
  TSR_TRY(grow(&w->a, (void **)&w->kv, &w->cap_kv, w->n_kv + 1, sizeof(wkv)));
  wkv *k = &w->kv[w->n_kv++];
  memset(k, 0, sizeof(*k));
  k->key = key;
  k->key_len = len;
  k->type = type;
  *out = k;
  return TSR_OK;
}

tsr_status tsr_gguf_writer_create(const tsr_allocator *a, uint64_t alignment, tsr_gguf_writer **out) {
  if (a == NULL || out == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (alignment == 0) alignment = 32;
  tsr_gguf_writer *w = tsr_alloc(a, sizeof(*w), 0);
  if (w == NULL) return TSR_ERR_OUT_OF_MEMORY;
  memset(w, 0, sizeof(*w));
  w->a = *a;
  tsr_status s = set_alignment(w, alignment);
  if (s == TSR_OK && alignment != 32) s = tsr_gguf_writer_add_u32(w, "general.alignment", (uint32_t)alignment);
  if (s != TSR_OK) {
    tsr_gguf_writer_free(w);
    return s;
  }
  *out = w;
  return TSR_OK;
}

void tsr_gguf_writer_free(tsr_gguf_writer *w) {
  if (w == NULL) return;
  tsr_allocator a = w->a;
  tsr_free(&a, w->kv);
  tsr_free(&a, w->t);
  tsr_free(&a, w);
}

tsr_status tsr_gguf_writer_add_val(tsr_gguf_writer *w, const char *key, tsr_gguf_type type, const void *v) {
  size_t es = tsr_gguf_type_size(type);
  if (es == 0 || v == NULL || key == NULL) return TSR_ERR_INVALID_ARGUMENT;
  uint8_t le[8];
  uint64_t bits = host_bits(type, v);
  if (type == TSR_GGUF_BOOL) bits = bits != 0;
  store_le(le, bits, es);
  wkv *k;
  TSR_TRY(new_kv(w, key, strlen(key), type, le, &k));
  memcpy(k->val, le, es);
  return TSR_OK;
}

tsr_status tsr_gguf_writer_add_u32(tsr_gguf_writer *w, const char *key, uint32_t v) {
  return tsr_gguf_writer_add_val(w, key, TSR_GGUF_UINT32, &v);
}
tsr_status tsr_gguf_writer_add_i32(tsr_gguf_writer *w, const char *key, int32_t v) {
  return tsr_gguf_writer_add_val(w, key, TSR_GGUF_INT32, &v);
}
tsr_status tsr_gguf_writer_add_u64(tsr_gguf_writer *w, const char *key, uint64_t v) {
  return tsr_gguf_writer_add_val(w, key, TSR_GGUF_UINT64, &v);
}
tsr_status tsr_gguf_writer_add_f32(tsr_gguf_writer *w, const char *key, float v) {
  return tsr_gguf_writer_add_val(w, key, TSR_GGUF_FLOAT32, &v);
}
tsr_status tsr_gguf_writer_add_bool(tsr_gguf_writer *w, const char *key, bool v) {
  uint8_t b = v ? 1 : 0;
  return tsr_gguf_writer_add_val(w, key, TSR_GGUF_BOOL, &b);
}

tsr_status tsr_gguf_writer_add_str(tsr_gguf_writer *w, const char *key, const char *v, uint64_t len) {
  if (key == NULL || (v == NULL && len > 0)) return TSR_ERR_INVALID_ARGUMENT;
  wkv *k;
  TSR_TRY(new_kv(w, key, strlen(key), TSR_GGUF_STRING, NULL, &k));
  k->str = v;
  k->str_len = len;
  return TSR_OK;
}

tsr_status tsr_gguf_writer_add_arr(tsr_gguf_writer *w, const char *key, tsr_gguf_type type, const void *data,
                                   uint64_t n) {
  if (key == NULL || tsr_gguf_type_size(type) == 0 || (data == NULL && n > 0)) return TSR_ERR_INVALID_ARGUMENT;
  wkv *k;
  TSR_TRY(new_kv(w, key, strlen(key), TSR_GGUF_ARRAY, NULL, &k));
  k->arr_type = type;
  k->n = n;
  k->arr = data;
  return TSR_OK;
}

tsr_status tsr_gguf_writer_add_arr_str(tsr_gguf_writer *w, const char *key, const tsr_gguf_str *strs, uint64_t n) {
  if (key == NULL || (strs == NULL && n > 0)) return TSR_ERR_INVALID_ARGUMENT;
  for (uint64_t i = 0; i < n; ++i) {
    if (strs[i].data == NULL && strs[i].len > 0) return TSR_ERR_INVALID_ARGUMENT;
  }
  wkv *k;
  TSR_TRY(new_kv(w, key, strlen(key), TSR_GGUF_ARRAY, NULL, &k));
  k->arr_type = TSR_GGUF_STRING;
  k->n = n;
  k->strs = strs;
  return TSR_OK;
}

tsr_status tsr_gguf_writer_copy_kv(tsr_gguf_writer *w, const tsr_gguf_kv *kv) {
  if (w == NULL || kv == NULL || kv->key.len == 0 || (unsigned)kv->type >= TSR_GGUF_TYPE_COUNT)
    return TSR_ERR_INVALID_ARGUMENT;
  uint8_t le[8] = {0};
  size_t es = tsr_gguf_type_size(kv->type);
  if (es > 0) {
    /* The parsed value, back to its stored width. */
    uint64_t bits = 0;
    if (kv->type == TSR_GGUF_FLOAT32) {
      float f = (float)kv->v.f64;
      uint32_t b;
      memcpy(&b, &f, 4);
      bits = b;
    } else if (kv->type == TSR_GGUF_FLOAT64) {
      memcpy(&bits, &kv->v.f64, 8);
    } else {
      bits = kv->v.u64; /* the same bits as i64 */
    }
    store_le(le, bits, es);
  }
  wkv *k;
  TSR_TRY(new_kv(w, kv->key.data, kv->key.len, kv->type, es > 0 ? le : NULL, &k));
  memcpy(k->val, le, 8);
  if (kv->type == TSR_GGUF_STRING) {
    k->str = kv->v.str.data;
    k->str_len = kv->v.str.len;
  } else if (kv->type == TSR_GGUF_ARRAY) {
    k->arr_type = kv->v.arr.type;
    k->n = kv->v.arr.n;
    k->arr = kv->v.arr.data;
    k->src = kv;
  }
  return TSR_OK;
}

static tsr_status add_tensor(tsr_gguf_writer *w, const char *name, uint32_t ggml_type, uint32_t n_dims,
                             const uint64_t ne[4], const void *data) {
  uint32_t block, bytes;
  if (w == NULL || name == NULL || n_dims == 0 || n_dims > 4 || !tsr_gguf_ggml_type_layout(ggml_type, &block, &bytes))
    return TSR_ERR_INVALID_ARGUMENT;
  size_t len = strlen(name);
  /* llama.cpp keeps names in 64-byte buffers with a terminating NUL. */
  if (len == 0 || len >= TSR_GGUF_MAX_NAME) return TSR_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < w->n_t; ++i) {
    if (strcmp(w->t[i].name, name) == 0) return TSR_ERR_INVALID_ARGUMENT;
  }
  uint64_t n = 1;
  for (uint32_t d = 0; d < 4; ++d) {
    uint64_t e = d < n_dims ? ne[d] : 1;
    if (e > (uint64_t)INT64_MAX || (e != 0 && n > (uint64_t)INT64_MAX / e)) return TSR_ERR_INVALID_ARGUMENT;
    n *= e;
  }
  if (ne[0] % block != 0) return TSR_ERR_INVALID_ARGUMENT;
  uint64_t nbytes = n / block;
  if (nbytes > UINT64_MAX / bytes) return TSR_ERR_INVALID_ARGUMENT;
  nbytes *= bytes;
  if (data == NULL && nbytes > 0) return TSR_ERR_INVALID_ARGUMENT;
  TSR_TRY(grow(&w->a, (void **)&w->t, &w->cap_t, w->n_t + 1, sizeof(wtensor)));
  wtensor *t = &w->t[w->n_t++];
  memset(t, 0, sizeof(*t));
  t->name = name;
  t->ggml_type = ggml_type;
  t->n_dims = n_dims;
  for (uint32_t d = 0; d < 4; ++d) t->ne[d] = d < n_dims ? ne[d] : 1;
  t->nbytes = nbytes;
  t->data = data;
  return TSR_OK;
}

tsr_status tsr_gguf_writer_add_tensor(tsr_gguf_writer *w, const char *name, tsr_dtype dtype, int32_t ndim,
                                      const int64_t *shape, const void *data) {
  uint32_t gt = tsr_gguf_ggml_from_dtype(dtype);
  if (gt == UINT32_MAX || ndim < 0 || ndim > 4 || (shape == NULL && ndim > 0)) return TSR_ERR_INVALID_ARGUMENT;
  uint64_t ne[4] = {1, 1, 1, 1};
  for (int32_t i = 0; i < ndim; ++i) {
    if (shape[i] < 0) return TSR_ERR_INVALID_ARGUMENT;
    ne[ndim - 1 - i] = (uint64_t)shape[i];
  }
  return add_tensor(w, name, gt, ndim > 0 ? (uint32_t)ndim : 1u, ne, data);
}

tsr_status tsr_gguf_writer_add_tensor_ggml(tsr_gguf_writer *w, const char *name, uint32_t ggml_type, uint32_t n_dims,
                                           const uint64_t *ne, const void *data) {
  if (ne == NULL || n_dims == 0 || n_dims > 4) return TSR_ERR_INVALID_ARGUMENT;
  uint64_t e[4] = {1, 1, 1, 1};
  for (uint32_t d = 0; d < n_dims; ++d) e[d] = ne[d];
  return add_tensor(w, name, ggml_type, n_dims, e, data);
}

/* ---- output ---- */

typedef struct sink {
  FILE *f;        /* or */
  uint8_t *mem;   /* or neither: only count */
  uint64_t cap;
  uint64_t pos;
  bool failed;
} sink;

static void put(sink *s, const void *p, uint64_t n) {
  if (s->failed || n == 0) return;
  if (s->f != NULL) {
    if (fwrite(p, 1, (size_t)n, s->f) != n) s->failed = true;
  } else if (s->mem != NULL) {
    if (n > s->cap - s->pos) {
      s->failed = true;
      return;
    }
    memcpy(s->mem + s->pos, p, (size_t)n);
  }
  s->pos += n;
}

static void put_le(sink *s, uint64_t v, size_t n) {
  uint8_t b[8];
  store_le(b, v, n);
  put(s, b, n);
}

static void put_str(sink *s, const void *p, uint64_t len) {
  put_le(s, len, 8);
  put(s, p, len);
}

static void put_zeros(sink *s, uint64_t n) {
  static const uint8_t zeros[64] = {0};
  while (n > 0) {
    uint64_t k = n < sizeof(zeros) ? n : sizeof(zeros);
    put(s, zeros, k);
    n -= k;
  }
}

static void pad(sink *s, uint64_t alignment) { put_zeros(s, (alignment - s->pos % alignment) % alignment); }

static void put_kv(sink *s, const wkv *k) {
  put_str(s, k->key, k->key_len);
  put_le(s, (uint64_t)k->type, 4);
  if (k->type == TSR_GGUF_STRING) {
    put_str(s, k->str, k->str_len);
    return;
  }
  if (k->type != TSR_GGUF_ARRAY) {
    put(s, k->val, tsr_gguf_type_size(k->type));
    return;
  }
  put_le(s, (uint64_t)k->arr_type, 4);
  put_le(s, k->n, 8);
  if (k->arr_type == TSR_GGUF_STRING) {
    for (uint64_t i = 0; i < k->n; ++i) {
      tsr_gguf_str str = k->src ? tsr_gguf_arr_str(k->src, i) : k->strs[i];
      put_str(s, str.data, str.len);
    }
    return;
  }
  size_t es = tsr_gguf_type_size(k->arr_type);
  if (k->src != NULL) {
    put(s, k->arr, k->n * es); /* already little-endian */
    return;
  }
  const uint8_t *p = k->arr;
  for (uint64_t i = 0; i < k->n; ++i) {
    uint64_t bits = host_bits(k->arr_type, p + i * es);
    if (k->arr_type == TSR_GGUF_BOOL) bits = bits != 0;
    put_le(s, bits, es);
  }
}

static void emit(const tsr_gguf_writer *w, sink *s) {
  put(s, "GGUF", 4);
  put_le(s, 3, 4);
  put_le(s, w->n_t, 8);
  put_le(s, w->n_kv, 8);
  for (size_t i = 0; i < w->n_kv; ++i) put_kv(s, &w->kv[i]);
  uint64_t offset = 0; /* tensors in the order added, each padded */
  for (size_t i = 0; i < w->n_t; ++i) {
    const wtensor *t = &w->t[i];
    put_str(s, t->name, strlen(t->name));
    put_le(s, t->n_dims, 4);
    for (uint32_t d = 0; d < t->n_dims; ++d) put_le(s, t->ne[d], 8);
    put_le(s, t->ggml_type, 4);
    put_le(s, offset, 8);
    offset += t->nbytes + (w->alignment - t->nbytes % w->alignment) % w->alignment;
  }
  pad(s, w->alignment);
  for (size_t i = 0; i < w->n_t; ++i) {
    put(s, w->t[i].data, w->t[i].nbytes);
    pad(s, w->alignment);
  }
}

tsr_status tsr_gguf_writer_get_size(const tsr_gguf_writer *w, uint64_t *out_size) {
  if (w == NULL || out_size == NULL) return TSR_ERR_INVALID_ARGUMENT;
  sink s = {NULL, NULL, 0, 0, false};
  emit(w, &s);
  *out_size = s.pos;
  return TSR_OK;
}

tsr_status tsr_gguf_writer_write_mem(tsr_gguf_writer *w, void *mem, size_t cap, size_t *out_size, tsr_error *err) {
  if (w == NULL || (mem == NULL && cap > 0))
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "gguf writer: NULL argument");
  uint64_t need;
  TSR_TRY(tsr_gguf_writer_get_size(w, &need));
  if (out_size) *out_size = (size_t)need;
  if (need > cap)
    return TSR_ERROR(err, TSR_ERR_BUFFER_TOO_SMALL, "gguf writer: needs %llu bytes, have %zu",
                     (unsigned long long)need, cap);
  sink s = {NULL, mem, cap, 0, false};
  emit(w, &s);
  return TSR_OK;
}

tsr_status tsr_gguf_writer_write(tsr_gguf_writer *w, FILE *f, tsr_error *err) {
  if (w == NULL || f == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "gguf writer: NULL argument");
  sink s = {f, NULL, 0, 0, false};
  emit(w, &s);
  if (s.failed || fflush(f) != 0) return TSR_ERROR(err, TSR_ERR_IO, "gguf writer: write failed");
  return TSR_OK;
}
