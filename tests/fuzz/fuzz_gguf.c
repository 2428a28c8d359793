/* libFuzzer target: the GGUF reader on arbitrary bytes, then everything a
 * parsed file feeds: the typed getters, the tensors' extents, a copy through
 * the writer (which must parse again), and the tokenizer built from the
 * metadata, encoding and decoding a few texts (one taken from the input).
 * A crash, a sanitizer report, or a writer copy that does not parse is a
 * bug. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf/gguf.h"
#include "engine/llm/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t g_sink;

static void exercise_kv(const tsr_gguf *g) {
  char key[256];
  for (uint64_t i = 0; i < g->n_kv; ++i) {
    const tsr_gguf_kv *kv = &g->kv[i];
    size_t n = kv->key.len < sizeof(key) - 1 ? (size_t)kv->key.len : sizeof(key) - 1;
    memcpy(key, kv->key.data, n);
    key[n] = '\0';
    uint64_t u;
    int64_t s;
    double d;
    tsr_gguf_str str;
    tsr_gguf_type t;
    uint64_t an;
    tsr_error err;
    g_sink ^= (uint8_t)tsr_gguf_get_u64(g, key, &u, &err);
    g_sink ^= (uint8_t)tsr_gguf_get_i64(g, key, &s, &err);
    g_sink ^= (uint8_t)tsr_gguf_get_f64(g, key, &d, &err);
    if (tsr_gguf_get_str(g, key, &str, &err) == TSR_OK && str.len > 0) g_sink ^= (uint8_t)str.data[str.len - 1];
    if (tsr_gguf_get_arr(g, key, &t, &an, &err) == TSR_OK) {
      uint64_t lim = an < 4096 ? an : 4096;
      for (uint64_t j = 0; j < lim; ++j) {
        tsr_gguf_str e = tsr_gguf_arr_str(kv, j);
        if (e.len > 0) g_sink ^= (uint8_t)e.data[e.len - 1];
        g_sink ^= (uint8_t)tsr_gguf_arr_i64(kv, j);
        double f = tsr_gguf_arr_f64(kv, j);
        g_sink ^= (uint8_t)(f > -1e9 && f < 1e9 ? (int)f : 0); /* NaN fails both */
      }
      (void)tsr_gguf_arr_str(kv, an);
    }
  }
}

static void exercise_tensors(const tsr_gguf *g) {
  for (uint64_t i = 0; i < g->n_tensors; ++i) {
    const tsr_gguf_tensor *t = &g->tensors[i];
    if (t->nbytes > 0) {
      const uint8_t *p = t->data;
      g_sink ^= p[0] ^ p[t->nbytes - 1];
    }
    if (t->name.len > 0) g_sink ^= (uint8_t)t->name.data[0];
  }
}

/* Copies every kv and tensor through the writer; the copy must parse. */
static void writer_copy(const tsr_gguf *g, const tsr_allocator *a) {
  for (uint64_t i = 0; i < g->n_tensors; ++i) {
    if (g->tensors[i].name.len >= TSR_GGUF_MAX_NAME || memchr(g->tensors[i].name.data, 0, g->tensors[i].name.len))
      return; /* the writer keeps llama.cpp's stricter limit; NUL ends a C name */
    if (g->tensors[i].n_dims == 0) return; /* written back with one dimension */
  }
  tsr_gguf_writer *w = NULL;
  if (tsr_gguf_writer_create(a, g->alignment, &w) != TSR_OK) return;
  char(*names)[TSR_GGUF_MAX_NAME] = malloc((size_t)(g->n_tensors ? g->n_tensors : 1) * TSR_GGUF_MAX_NAME);
  int ok = names != NULL;
  for (uint64_t i = 0; i < g->n_kv && ok; ++i) {
    const tsr_gguf_kv *kv = &g->kv[i];
    tsr_status s = tsr_gguf_writer_copy_kv(w, kv);
    if (s != TSR_OK && tsr_gguf_str_eq(kv->key, "general.alignment")) {
      ok = 0; /* not a u32: valid to read, not written back as such */
    } else if (s != TSR_OK) {
      __builtin_trap();
    }
  }
  for (uint64_t i = 0; i < g->n_tensors && ok; ++i) {
    const tsr_gguf_tensor *t = &g->tensors[i];
    memcpy(names[i], t->name.data, (size_t)t->name.len);
    names[i][t->name.len] = '\0';
    if (tsr_gguf_writer_add_tensor_ggml(w, names[i], t->ggml_type, t->n_dims, t->ne, t->data) != TSR_OK)
      __builtin_trap();
  }
  uint64_t size = 0;
  if (ok && tsr_gguf_writer_get_size(w, &size) == TSR_OK && size < ((uint64_t)64 << 20)) {
    uint8_t *mem = malloc((size_t)size);
    tsr_error err;
    if (mem != NULL && tsr_gguf_writer_write_mem(w, mem, (size_t)size, NULL, &err) == TSR_OK) {
      tsr_gguf *g2 = NULL;
      if (tsr_gguf_parse_ex(mem, (size_t)size, a, TSR_GGUF_ALLOW_UNSUPPORTED, &g2, &err) != TSR_OK) __builtin_trap();
      if (g2->n_kv != g->n_kv || g2->n_tensors != g->n_tensors) __builtin_trap();
      for (uint64_t i = 0; i < g->n_tensors; ++i) {
        if (g2->tensors[i].nbytes != g->tensors[i].nbytes ||
            memcmp(g2->tensors[i].data, g->tensors[i].data, (size_t)g->tensors[i].nbytes) != 0)
          __builtin_trap();
      }
      tsr_gguf_free(g2);
    }
    free(mem);
  }
  free(names);
  tsr_gguf_writer_free(w);
}

static void exercise_tokenizer(const tsr_gguf *g, const tsr_allocator *a, const uint8_t *data, size_t size) {
  tsr_tokenizer *t = NULL;
  tsr_error err;
  if (tsr_tokenizer_from_gguf(g, a, &t, &err) != TSR_OK) return;
  static const char *const texts[] = {"Hello world, it's 2024!\n  x\t\ty", "<s>a</s> <|endoftext|>",
                                      "\xe2\x96\x81 caf\xc3\xa9 \xff\xfe 123456 \xf0\x9f\xa6\x99"};
  int32_t ids[512];
  char buf[2048];
  for (int k = 0; k < 4; ++k) {
    const char *text = k < 3 ? texts[k] : (const char *)data + (size > 64 ? size - 64 : 0);
    size_t len = k < 3 ? strlen(text) : (size > 64 ? 64 : size);
    for (uint32_t flags = 0; flags < 8; flags += 3) {
      size_t n = 0, out = 0;
      tsr_status s = tsr_tokenizer_encode(t, text, len, flags, ids, 512, &n);
      if (s != TSR_OK && s != TSR_ERR_BUFFER_TOO_SMALL && s != TSR_ERR_OUT_OF_MEMORY) __builtin_trap();
      if (s != TSR_OK) continue;
      for (size_t i = 0; i < n; ++i) {
        if (ids[i] < 0 || ids[i] >= tsr_tokenizer_vocab_size(t)) __builtin_trap();
        g_sink ^= (uint8_t)tsr_tokenizer_decode_token(t, i ? ids[i - 1] : -1, ids[i], buf, 16, &out);
        (void)tsr_tokenizer_is_eog(t, ids[i]);
      }
      g_sink ^= (uint8_t)tsr_tokenizer_decode(t, ids, n, buf, sizeof(buf), &out);
    }
  }
  tsr_tokenizer_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tsr_allocator a = tsr_allocator_system();
  tsr_error err;
  tsr_gguf *g = NULL;
  tsr_status strict = tsr_gguf_parse(data, size, &a, &g, &err);
  tsr_gguf_free(g);
  g = NULL;
  tsr_status s = tsr_gguf_parse_ex(data, size, &a, TSR_GGUF_ALLOW_UNSUPPORTED, &g, &err);
  /* The two agree except for tensors of types Tessera does not load. */
  if (s != TSR_OK && strict == TSR_OK) __builtin_trap();
  if (s == TSR_OK && strict != TSR_OK && strict != TSR_ERR_UNSUPPORTED) __builtin_trap();
  if (s != TSR_OK) {
    if (s != TSR_ERR_FORMAT && s != TSR_ERR_UNSUPPORTED && s != TSR_ERR_OUT_OF_MEMORY) __builtin_trap();
    if (err.message[0] == '\0') __builtin_trap();
    return 0;
  }
  exercise_kv(g);
  exercise_tensors(g);
  writer_copy(g, &a);
  exercise_tokenizer(g, &a, data, size);
  tsr_gguf_free(g);
  return 0;
}
