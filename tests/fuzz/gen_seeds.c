/* Writes the GGUF seed corpus from the model fixtures: small files derived
 * with Tessera's writer, not the fixtures themselves; nothing derived from
 * a fixture is committed. test_fuzz_corpus calls tsr_fuzz_gen_seeds at run
 * time (TSR_FUZZ_SEEDS_NO_MAIN); scripts/fuzz.sh runs it as a program. Vocabularies are trimmed to a few hundred tokens (keeping the
 * special ones), tensors to a few rows; one file holds every value type and
 * tensor type, one a header cut short.
 *   fuzz_gen_seeds MODELS_DIR OUT_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf/gguf.h"
#include "engine/io/fileio.h"

static int save(tsr_gguf_writer *w, const char *dir, const char *name) {
  uint64_t size = 0;
  tsr_error err;
  if (tsr_gguf_writer_get_size(w, &size) != TSR_OK) return 1;
  unsigned char *mem = malloc((size_t)size);
  if (mem == NULL || tsr_gguf_writer_write_mem(w, mem, (size_t)size, NULL, &err) != TSR_OK) return 1;
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (f == NULL) return 1;
  fwrite(mem, 1, (size_t)size, f);
  fclose(f);
  free(mem);
  printf("%s: %llu bytes\n", path, (unsigned long long)size);
  return 0;
}

/* Keeps ids [0, head) and [n - tail, n) of the per-token arrays, |merges|
 * first entries of tokenizer.ggml.merges; other kv as they are. */
static int trim_vocab(const char *models, const char *rel, const char *dir, const char *name, uint64_t head,
                      uint64_t tail, uint64_t n_merges, uint64_t tensor_rows) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s", models, rel);
  tsr_allocator a = tsr_allocator_system();
  tsr_mapped_file f;
  tsr_error err;
  if (tsr_file_map(path, &a, &f, &err) != TSR_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  tsr_gguf *g = NULL;
  if (tsr_gguf_parse(f.data, f.size, &a, &g, &err) != TSR_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  tsr_gguf_writer *w = NULL;
  if (tsr_gguf_writer_create(&a, g->alignment, &w) != TSR_OK) return 1;
  /* Storage for the trimmed arrays; freed at the end. */
  void *keep[16];
  int n_keep = 0;
  for (uint64_t i = 0; i < g->n_kv; ++i) {
    const tsr_gguf_kv *kv = &g->kv[i];
    char key[128];
    snprintf(key, sizeof(key), "%.*s", (int)kv->key.len, kv->key.data);
    bool per_token = strcmp(key, "tokenizer.ggml.tokens") == 0 || strcmp(key, "tokenizer.ggml.scores") == 0 ||
                     strcmp(key, "tokenizer.ggml.token_type") == 0;
    bool merges = strcmp(key, "tokenizer.ggml.merges") == 0;
    if (kv->type != TSR_GGUF_ARRAY || (!per_token && !merges)) {
      if (tsr_gguf_writer_copy_kv(w, kv) != TSR_OK) return 1;
      continue;
    }
    uint64_t n = kv->v.arr.n, m = 0;
    uint64_t *idx = malloc((size_t)(head + tail + n_merges + 1) * sizeof(uint64_t));
    if (merges) {
      for (uint64_t j = 0; j < n_merges && j < n; ++j) idx[m++] = j;
    } else {
      for (uint64_t j = 0; j < head && j < n; ++j) idx[m++] = j;
      for (uint64_t j = n > tail ? n - tail : 0; j < n; ++j) {
        if (j >= head) idx[m++] = j;
      }
    }
    char *kcopy = malloc(strlen(key) + 1);
    strcpy(kcopy, key);
    keep[n_keep++] = kcopy;
    if (kv->v.arr.type == TSR_GGUF_STRING) {
      tsr_gguf_str *s = malloc((size_t)(m ? m : 1) * sizeof(*s));
      for (uint64_t j = 0; j < m; ++j) s[j] = tsr_gguf_arr_str(kv, idx[j]);
      if (tsr_gguf_writer_add_arr_str(w, kcopy, s, m) != TSR_OK) return 1;
      keep[n_keep++] = s;
    } else if (kv->v.arr.type == TSR_GGUF_FLOAT32) {
      float *v = malloc((size_t)(m ? m : 1) * sizeof(float));
      for (uint64_t j = 0; j < m; ++j) v[j] = (float)tsr_gguf_arr_f64(kv, idx[j]);
      if (tsr_gguf_writer_add_arr(w, kcopy, TSR_GGUF_FLOAT32, v, m) != TSR_OK) return 1;
      keep[n_keep++] = v;
    } else {
      int32_t *v = malloc((size_t)(m ? m : 1) * sizeof(int32_t));
      for (uint64_t j = 0; j < m; ++j) v[j] = (int32_t)tsr_gguf_arr_i64(kv, idx[j]);
      if (tsr_gguf_writer_add_arr(w, kcopy, TSR_GGUF_INT32, v, m) != TSR_OK) return 1;
      keep[n_keep++] = v;
    }
    free(idx);
  }
  /* A few rows of the first tensors. */
  char names[4][TSR_GGUF_MAX_NAME];
  for (uint64_t i = 0; i < g->n_tensors && i < 4; ++i) {
    const tsr_gguf_tensor *t = &g->tensors[i];
    uint64_t ne[4] = {t->ne[0], t->ne[1] < tensor_rows ? t->ne[1] : tensor_rows, 1, 1};
    snprintf(names[i], sizeof(names[i]), "%.*s", (int)t->name.len, t->name.data);
    if (tsr_gguf_writer_add_tensor_ggml(w, names[i], t->ggml_type, t->n_dims < 2 ? t->n_dims : 2, ne, t->data) !=
        TSR_OK)
      return 1;
  }
  int rc = save(w, dir, name);
  tsr_gguf_writer_free(w);
  for (int i = 0; i < n_keep; ++i) free(keep[i]);
  tsr_gguf_free(g);
  tsr_file_unmap(&f);
  return rc;
}

/* Every metadata value type, arrays of each, tensors of every type the
 * reader loads and one it does not (q2_k), alignment 64. */
static int all_types(const char *dir) {
  tsr_allocator a = tsr_allocator_system();
  tsr_gguf_writer *w = NULL;
  if (tsr_gguf_writer_create(&a, 64, &w) != TSR_OK) return 1;
  static const uint8_t scal[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  static const char *const keys[] = {"t.u8", "t.i8", "t.u16", "t.i16", "t.u32", "t.i32", "t.f32",
                                     "t.bool", "", "", "t.u64", "t.i64", "t.f64"};
  static const char *const akeys[] = {"a.u8", "a.i8", "a.u16", "a.i16", "a.u32", "a.i32", "a.f32",
                                      "a.bool", "", "", "a.u64", "a.i64", "a.f64"};
  static const uint8_t arr[64] = {1, 0, 1, 0, 3, 4, 5, 6, 7, 8, 9, 10};
  for (int t = 0; t < TSR_GGUF_TYPE_COUNT; ++t) {
    if (t == TSR_GGUF_STRING || t == TSR_GGUF_ARRAY) continue;
    if (tsr_gguf_writer_add_val(w, keys[t], (tsr_gguf_type)t, scal) != TSR_OK) return 1;
    if (tsr_gguf_writer_add_arr(w, akeys[t], (tsr_gguf_type)t, arr, 3) != TSR_OK) return 1;
  }
  static const tsr_gguf_str strs[3] = {{"a", 1}, {"", 0}, {"\xe2\x96\x81x", 4}};
  if (tsr_gguf_writer_add_str(w, "t.str", "hello", 5) != TSR_OK) return 1;
  if (tsr_gguf_writer_add_arr_str(w, "a.str", strs, 3) != TSR_OK) return 1;
  static uint8_t data[4096];
  for (size_t i = 0; i < sizeof(data); ++i) data[i] = (uint8_t)(i * 7);
  static const uint32_t types[] = {0, 1, 30, 8, 2, 12, 13, 14, 24, 26, 27, 10};
  static const char *const names[] = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_k", "q5_k", "q6_k", "i8", "i32",
                                      "i64", "q2_k"};
  for (int i = 0; i < 12; ++i) {
    uint32_t block, bytes;
    if (!tsr_gguf_ggml_type_layout(types[i], &block, &bytes)) return 1;
    uint64_t ne[2] = {block > 1 ? block : 5, 2};
    if (tsr_gguf_writer_add_tensor_ggml(w, names[i], types[i], 2, ne, data) != TSR_OK) return 1;
  }
  int rc = save(w, dir, "all_types.gguf");
  tsr_gguf_writer_free(w);
  return rc;
}

/* The header and the first key/values of stories260K, cut short. */
static int cut(const char *models, const char *dir) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/llm/gguf/stories260K.gguf", models);
  FILE *f = fopen(path, "rb");
  if (f == NULL) return 1;
  unsigned char buf[1500];
  size_t n = fread(buf, 1, sizeof(buf), f);
  fclose(f);
  snprintf(path, sizeof(path), "%s/stories_cut.gguf", dir);
  FILE *o = fopen(path, "wb");
  if (o == NULL) return 1;
  fwrite(buf, 1, n, o);
  fclose(o);
  printf("%s: %zu bytes\n", path, n);
  return 0;
}

int tsr_fuzz_gen_seeds(const char *m, const char *d);
int tsr_fuzz_gen_seeds(const char *m, const char *d) {
  int rc = 0;
  rc |= trim_vocab(m, "llm/gguf/stories260K.gguf", d, "stories_trim.gguf", 40, 0, 0, 2);
  rc |= trim_vocab(m, "tokenizers/llama.cpp/ggml-vocab-phi-3.gguf", d, "phi3_trim.gguf", 300, 64, 0, 0);
  rc |= trim_vocab(m, "tokenizers/llama.cpp/ggml-vocab-gpt-2.gguf", d, "gpt2_trim.gguf", 300, 1, 200, 0);
  rc |= trim_vocab(m, "tokenizers/llama.cpp/ggml-vocab-falcon.gguf", d, "falcon_trim.gguf", 300, 0, 200, 0);
  rc |= trim_vocab(m, "tokenizers/llama.cpp/ggml-vocab-mpt.gguf", d, "mpt_trim.gguf", 300, 180, 200, 0);
  rc |= all_types(d);
  rc |= cut(m, d);
  return rc;
}

#ifndef TSR_FUZZ_SEEDS_NO_MAIN
int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MODELS_DIR OUT_DIR\n", argv[0]);
    return 2;
  }
  return tsr_fuzz_gen_seeds(argv[1], argv[2]);
}
#endif
