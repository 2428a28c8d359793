/* Consistency checks at load, on files crafted here from the fixtures: a
 * GGUF whose metadata disagrees with its tensors (block count both ways, head
 * counts, lengths, vocabulary, special token ids) and a .tsr whose tensor
 * kinds disagree with its data, nodes or input/output lists. Each must fail
 * with TSR_ERR_FORMAT naming the key or tensor; the unmodified rewrite must
 * load (so the test can tell a check from a broken rewrite). */
#define _POSIX_C_SOURCE 200809L
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf/gguf.h"
#include "engine/net/net.h"
#include "llm/fixture.h"
#include "tessera/tessera.h"

/* ---- GGUF ---- */

typedef struct edit {
  const char *key;   /* metadata key to set (added if absent), or NULL */
  int64_t value;
  uint64_t n_tokens; /* > 0: keep only the first n tokenizer.ggml.tokens */
} edit;

/* |src| rewritten with |e| applied, in a malloc'd buffer (*out_size bytes). */
static void *rewrite(const void *src, size_t size, const edit *e, size_t *out_size) {
  tsr_allocator a = tsr_allocator_system();
  tsr_gguf *g = NULL;
  tsr_error err;
  if (tsr_gguf_parse(src, size, &a, &g, &err) != TSR_OK) return NULL;
  tsr_gguf_writer *w = NULL;
  void *mem = NULL;
  tsr_gguf_str *strs = NULL;
  bool ok = tsr_gguf_writer_create(&a, g->alignment == 32 ? 0 : g->alignment, &w) == TSR_OK;
  bool set = false;
  for (uint64_t i = 0; ok && i < g->n_kv; ++i) {
    const tsr_gguf_kv *kv = &g->kv[i];
    if (tsr_gguf_str_eq(kv->key, "general.alignment")) continue;
    if (e->key != NULL && tsr_gguf_str_eq(kv->key, e->key)) {
      /* The same type as the original. */
      uint8_t v[8];
      int64_t x = e->value;
      memcpy(v, &x, 8); /* little-endian: the low bytes are the narrower types */
      ok = tsr_gguf_writer_add_val(w, e->key, kv->type, v) == TSR_OK;
      set = true;
    } else if (e->n_tokens > 0 && tsr_gguf_str_eq(kv->key, "tokenizer.ggml.tokens")) {
      strs = malloc(sizeof(*strs) * e->n_tokens);
      ok = strs != NULL;
      for (uint64_t k = 0; ok && k < e->n_tokens; ++k) strs[k] = tsr_gguf_arr_str(kv, k);
      ok = ok && tsr_gguf_writer_add_arr_str(w, "tokenizer.ggml.tokens", strs, e->n_tokens) == TSR_OK;
    } else {
      ok = tsr_gguf_writer_copy_kv(w, kv) == TSR_OK;
    }

  }
  if (ok && e->key != NULL && !set) ok = tsr_gguf_writer_add_val(w, e->key, TSR_GGUF_UINT32, &(uint32_t){(uint32_t)e->value}) == TSR_OK;
  /* The writer keeps names by reference until it writes. */
  char(*names)[80] = malloc(sizeof(*names) * (g->n_tensors ? g->n_tensors : 1));
  ok = ok && names != NULL;
  for (uint64_t i = 0; ok && i < g->n_tensors; ++i) {
    const tsr_gguf_tensor *t = &g->tensors[i];
    snprintf(names[i], sizeof(names[i]), "%.*s", (int)t->name.len, t->name.data);
    ok = tsr_gguf_writer_add_tensor_ggml(w, names[i], t->ggml_type, t->n_dims, t->ne, t->data) == TSR_OK;
  }
  uint64_t need = 0;
  ok = ok && tsr_gguf_writer_get_size(w, &need) == TSR_OK;
  if (ok) mem = aligned_alloc(64, (need + 63) / 64 * 64);
  ok = ok && mem != NULL && tsr_gguf_writer_write_mem(w, mem, (size_t)need, out_size, &err) == TSR_OK;
  tsr_gguf_writer_free(w);
  tsr_gguf_free(g);
  free(strs);
  free(names);
  if (!ok) {
    free(mem);
    return NULL;
  }
  return mem;
}

/* Loads |src| with |e| applied: the status, and the detail in |err|. */
static tsr_status load_edited(const void *src, size_t size, const edit *e, tsr_error *err) {
  size_t n = 0;
  void *mem = rewrite(src, size, e, &n);
  CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
  tsr_llm_options o;
  memset(&o, 0, sizeof(o));
  o.n_threads = 1;
  o.n_ctx = 32;
  tsr_llm *m = NULL;
  tsr_error_clear(err);
  tsr_status s = tsr_llm_load_memory(mem, n, &o, &m, err);
  tsr_llm_free(m);
  free(mem);
  return s;
}

static void expect_format(const void *src, size_t size, edit e, const char *want1, const char *want2) {
  tsr_error err;
  tsr_status s = load_edited(src, size, &e, &err);
  CU_ASSERT_EQUAL(s, TSR_ERR_FORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, want1));
  if (want2) CU_ASSERT_PTR_NOT_NULL(strstr(err.message, want2));
  if (s != TSR_ERR_FORMAT || strstr(err.message, want1) == NULL || (want2 && strstr(err.message, want2) == NULL))
    printf("\n  %s = %lld: got %s: %s\n", e.key ? e.key : "tokens", (long long)(e.key ? e.value : (int64_t)e.n_tokens),
           tsr_status_string(s), err.message);
}

static void test_gguf_metadata(void) {
  char path[512];
  if (!fixture_path("llm/gguf/stories260K.gguf", "gguf consistency", path, sizeof(path))) return;
  size_t size = 0;
  unsigned char *src = fixture_slurp(path, &size);
  CU_ASSERT_PTR_NOT_NULL_FATAL(src);
  /* The rewrite alone loads: dim 64, 5 blocks, 8 heads, 4 kv heads, ffn 172, vocabulary 512. */
  tsr_error err;
  CU_ASSERT_EQUAL(load_edited(src, size, &(edit){NULL, 0, 0}, &err), TSR_OK);
  CU_ASSERT_EQUAL(load_edited(src, size, &(edit){"tokenizer.ggml.bos_token_id", 511, 0}, &err), TSR_OK);
  expect_format(src, size, (edit){"llama.block_count", 4, 0}, "llama.block_count = 4", "block 4");
  expect_format(src, size, (edit){"llama.block_count", 6, 0}, "llama.block_count = 6", "5 blocks");
  expect_format(src, size, (edit){"llama.attention.head_count_kv", 2, 0}, "llama.attention.head_count_kv = 2",
                "blk.0.attn_k.weight");
  expect_format(src, size, (edit){"llama.attention.head_count", 4, 0}, "llama.attention.head_count = 4", NULL);
  expect_format(src, size, (edit){"llama.embedding_length", 32, 0}, "llama.embedding_length = 32", NULL);
  expect_format(src, size, (edit){"llama.feed_forward_length", 100, 0}, "llama.feed_forward_length = 100",
                "blk.0.ffn_gate.weight");
  expect_format(src, size, (edit){"llama.vocab_size", 500, 0}, "llama.vocab_size = 500", "512 rows");
  expect_format(src, size, (edit){NULL, 0, 500}, "tokenizer.ggml.tokens has 500 entries", "512 rows");
  expect_format(src, size, (edit){"tokenizer.ggml.bos_token_id", 9999, 0}, "tokenizer.ggml.bos_token_id = 9999",
                "512 tokens");
  expect_format(src, size, (edit){"tokenizer.ggml.eos_token_id", 512, 0}, "tokenizer.ggml.eos_token_id = 512", NULL);
  expect_format(src, size, (edit){"tokenizer.ggml.padding_token_id", 600, 0}, "tokenizer.ggml.padding_token_id = 600",
                NULL);
  expect_format(src, size, (edit){"tokenizer.ggml.unknown_token_id", 1000, 0}, "tokenizer.ggml.unknown_token_id", NULL);
  free(src);
}

/* ---- .tsr ---- */

#if defined(TSR_HAVE_ONNX) /* the .tsr is made from an ONNX file */
/* PilotNet converted to .tsr in memory (64-byte aligned, malloc'd). */
static void *pilotnet_tsr(const char *onnx, size_t *out_size) {
  tsr_allocator a = tsr_allocator_system();
  tsr_net *net = NULL;
  tsr_error err;
  if (tsr_net_open(onnx, NULL, &a, &net, &err) != TSR_OK) return NULL;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  tsr_status s = f ? tsr_net_write_tsr(net, f, &err) : TSR_ERR_IO;
  if (f) fclose(f);
  tsr_net_destroy(net);
  void *mem = NULL;
  if (s == TSR_OK && (mem = aligned_alloc(64, (len + 63) / 64 * 64)) != NULL) memcpy(mem, buf, len);
  free(buf);
  *out_size = len;
  return mem;
}

/* Index of the first tensor of |kind| in the file's tensor.kind array whose
 * index satisfies |node_dst| (written by a node) as asked; -1 if none. */
static int64_t find_kind(const tsr_gguf *g, int64_t kind, bool node_dst) {
  const tsr_gguf_kv *k = tsr_gguf_get_kv(g, "tsr.net.tensor.kind");
  const tsr_gguf_kv *d = tsr_gguf_get_kv(g, "tsr.net.node.dst");
  if (k == NULL || d == NULL) return -1;
  for (uint64_t i = 0; i < k->v.arr.n; ++i) {
    if (tsr_gguf_arr_i64(k, i) != kind) continue;
    bool written = false;
    for (uint64_t n = 0; n < d->v.arr.n; ++n) written = written || tsr_gguf_arr_i64(d, n) == (int64_t)i;
    if (written == node_dst) return (int64_t)i;
  }
  return -1;
}

/* A copy of |src| with tensor |idx| re-marked |kind|; loads it. */
static tsr_status load_remarked(const void *src, size_t size, int64_t idx, int32_t kind, tsr_error *err) {
  tsr_allocator a = tsr_allocator_system();
  void *mem = aligned_alloc(64, (size + 63) / 64 * 64);
  CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
  memcpy(mem, src, size);
  tsr_gguf *g = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_gguf_parse(mem, size, &a, &g, err), TSR_OK);
  const tsr_gguf_kv *k = tsr_gguf_get_kv(g, "tsr.net.tensor.kind");
  CU_ASSERT_FATAL(k != NULL && k->v.arr.type == TSR_GGUF_INT32);
  if (idx >= 0) memcpy((uint8_t *)mem + (k->v.arr.data - g->base) + 4 * (size_t)idx, &kind, 4);
  tsr_gguf_free(g);
  tsr_net *net = NULL;
  tsr_error_clear(err);
  tsr_status s = tsr_net_load_tsr(mem, size, &a, &net, err);
  tsr_net_destroy(net);
  free(mem);
  return s;
}

static void test_tsr_kinds(void) {
  char path[512];
  if (!fixture_path("onnx/pilotnet/nvidia_pilotnet.onnx", "tsr consistency", path, sizeof(path))) return;
  size_t size = 0;
  void *src = pilotnet_tsr(path, &size);
  CU_ASSERT_PTR_NOT_NULL_FATAL(src);
  tsr_allocator a = tsr_allocator_system();
  tsr_gguf *g = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(tsr_gguf_parse(src, size, &a, &g, &err), TSR_OK);
  int64_t weight = find_kind(g, TSR_TENSOR_CONST, false);
  int64_t inner = find_kind(g, TSR_TENSOR_INTERNAL, true);
  tsr_gguf_free(g);
  CU_ASSERT_FATAL(weight >= 0 && inner >= 0);
  /* Unmodified: loads. */
  CU_ASSERT_EQUAL(load_remarked(src, size, -1, 0, &err), TSR_OK);
  /* A weight re-marked as an input: its data is still in the file. */
  CU_ASSERT_EQUAL(load_remarked(src, size, weight, TSR_TENSOR_INPUT, &err), TSR_ERR_FORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "is marked INPUT, but the file holds constant data"));
  /* ... or as an intermediate. */
  CU_ASSERT_EQUAL(load_remarked(src, size, weight, TSR_TENSOR_INTERNAL, &err), TSR_ERR_FORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "is marked INTERNAL"));
  /* A node's result re-marked as an input: a node would overwrite it (the
   * graph refuses the node). */
  CU_ASSERT_EQUAL(load_remarked(src, size, inner, TSR_TENSOR_INPUT, &err), TSR_ERR_FORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "writes input tensor"));
  /* ... as an output that no list names. */
  CU_ASSERT_EQUAL(load_remarked(src, size, inner, TSR_TENSOR_OUTPUT, &err), TSR_ERR_FORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "is not listed in tsr.net.output.tensor"));
  /* ... as a constant without data. */
  CU_ASSERT_EQUAL(load_remarked(src, size, inner, TSR_TENSOR_CONST, &err), TSR_ERR_FORMAT);
  free(src);
}
#endif

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("consistency at load", NULL, NULL);
  CU_add_test(s, "GGUF metadata against the tensors", test_gguf_metadata);
#if defined(TSR_HAVE_ONNX)
  CU_add_test(s, ".tsr tensor kinds against data, nodes and lists", test_tsr_kinds);
#endif
  return fixture_run_all();
}
