/* Tokenizers against llama.cpp's test vectors (phi-3 = SentencePiece,
 * gpt-2 / falcon / mpt = byte-level BPE with their pre-tokenizers), decode
 * round trips, llama2.c's tok512.bin, and pre-tokenizer cases. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf/gguf.h"
#include "engine/io/fileio.h"
#include "engine/llm/pretok.h"
#include "engine/llm/tokenizer.h"
#include "engine/llm/unicode.h"
#include "llm/fixture.h"

#define VOCAB_DIR "tokenizers/llama.cpp/"

/* ---- the llama.cpp vectors ---- */

typedef struct vectors {
  unsigned char *inp, *out;
  size_t inp_size, out_size;
  const char *text[64];
  size_t text_len[64];
  const char *ids[64]; /* lines of the .out file, NUL-terminated in place */
  int n;
} vectors;

/* Splits .inp on "\n__ggml_vocab_test__\n" and .out into lines, as
 * llama.cpp's test-tokenizer-0 reads them. */
static int load_vectors(const char *name, vectors *v) {
  char rel[256], path[1024];
  memset(v, 0, sizeof(*v));
  snprintf(rel, sizeof(rel), VOCAB_DIR "ggml-vocab-%s.gguf.inp", name);
  if (!fixture_path(rel, name, path, sizeof(path))) return 0;
  v->inp = fixture_slurp(path, &v->inp_size);
  snprintf(rel, sizeof(rel), VOCAB_DIR "ggml-vocab-%s.gguf.out", name);
  if (!fixture_path(rel, name, path, sizeof(path))) {
    free(v->inp);
    return 0;
  }
  size_t osz = 0;
  unsigned char *o = fixture_slurp(path, &osz);
  CU_ASSERT_PTR_NOT_NULL_FATAL(v->inp);
  CU_ASSERT_PTR_NOT_NULL_FATAL(o);
  v->out = realloc(o, osz + 1);
  v->out[osz] = '\0';
  v->out_size = osz;
  static const char sep[] = "\n__ggml_vocab_test__\n";
  const size_t sl = sizeof(sep) - 1;
  size_t pos = 0;
  while (pos < v->inp_size && v->n < 64) {
    const unsigned char *next = NULL;
    for (size_t i = pos; i + sl <= v->inp_size; ++i) {
      if (memcmp(v->inp + i, sep, sl) == 0) {
        next = v->inp + i;
        break;
      }
    }
    v->text[v->n] = (const char *)v->inp + pos;
    if (next == NULL) {
      v->text_len[v->n++] = v->inp_size - pos;
      break;
    }
    v->text_len[v->n++] = (size_t)(next - (v->inp + pos));
    pos = (size_t)(next - v->inp) + sl;
  }
  int lines = 0;
  char *p = (char *)v->out;
  while (*p && lines < 64) {
    v->ids[lines++] = p;
    char *nl = strchr(p, '\n');
    if (nl == NULL) break;
    *nl = '\0';
    p = nl + 1;
  }
  CU_ASSERT_EQUAL(lines, v->n);
  return lines == v->n;
}

static void free_vectors(vectors *v) {
  free(v->inp);
  free(v->out);
}

static size_t parse_ids(const char *line, int32_t *ids, size_t cap) {
  size_t n = 0;
  while (*line) {
    char *end;
    long x = strtol(line, &end, 10);
    if (end == line) break;
    if (n < cap) ids[n] = (int32_t)x;
    ++n;
    line = end;
  }
  return n;
}

static void print_ids(const char *what, const int32_t *ids, size_t n) {
  printf("    %s:", what);
  for (size_t i = 0; i < n && i < 64; ++i) printf(" %d", ids[i]);
  printf("\n");
}

/* Every line encodes to llama.cpp's ids (no BOS, no special parsing), and
 * both the expected ids and ours decode back to the input. */
static void run_vocab(const char *name, tsr_tokenizer_kind kind, const char *pre) {
  vectors v;
  if (!load_vectors(name, &v)) return;
  char rel[256], path[1024];
  snprintf(rel, sizeof(rel), VOCAB_DIR "ggml-vocab-%s.gguf", name);
  if (!fixture_path(rel, name, path, sizeof(path))) {
    free_vectors(&v);
    return;
  }
  tsr_allocator a = tsr_allocator_system();
  tsr_mapped_file f;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(tsr_file_map(path, &a, &f, &err), TSR_OK);
  tsr_gguf *g = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_gguf_parse(f.data, f.size, &a, &g, &err), TSR_OK);
  tsr_tokenizer *t = NULL;
  tsr_status s = tsr_tokenizer_from_gguf(g, &a, &t, &err);
  if (s != TSR_OK) printf("\n  %s: %s\n", name, err.message);
  CU_ASSERT_EQUAL_FATAL(s, TSR_OK);
  CU_ASSERT_EQUAL(tsr_tokenizer_get_kind(t), kind);
  CU_ASSERT_STRING_EQUAL(tsr_tokenizer_pre_name(t), pre);
  int ok = 0, rt_expected = 0, rt_ours = 0;
  int32_t want[1024], got[1024];
  char text[8192];
  for (int i = 0; i < v.n; ++i) {
    size_t nw = parse_ids(v.ids[i], want, 1024), ng = 0;
    s = tsr_tokenizer_encode(t, v.text[i], v.text_len[i], 0, got, 1024, &ng);
    CU_ASSERT_EQUAL(s, TSR_OK);
    int same = s == TSR_OK && ng == nw && memcmp(got, want, nw * sizeof(int32_t)) == 0;
    ok += same;
    if (!same) {
      printf("\n  %s line %d '%.*s':\n", name, i, (int)v.text_len[i], v.text[i]);
      print_ids("want", want, nw);
      print_ids("got ", got, ng);
    }
    size_t len = 0;
    if (tsr_tokenizer_decode(t, want, nw, text, sizeof(text), &len) == TSR_OK && len == v.text_len[i] &&
        memcmp(text, v.text[i], len) == 0)
      ++rt_expected;
    if (tsr_tokenizer_decode(t, got, ng, text, sizeof(text), &len) == TSR_OK && len == v.text_len[i] &&
        memcmp(text, v.text[i], len) == 0)
      ++rt_ours;
    else
      printf("\n  %s line %d: decode gives '%.*s'\n", name, i, (int)len, text);
  }
  printf("\n  %s: %d/%d lines match llama.cpp, round trip %d/%d (expected ids) %d/%d (ours) ", name, ok, v.n,
         rt_expected, v.n, rt_ours, v.n);
  CU_ASSERT_EQUAL(v.n, 46);
  CU_ASSERT_EQUAL(ok, v.n);
  CU_ASSERT_EQUAL(rt_expected, v.n);
  CU_ASSERT_EQUAL(rt_ours, v.n);
  tsr_tokenizer_free(t);
  tsr_gguf_free(g);
  tsr_file_unmap(&f);
  free_vectors(&v);
}

static void test_phi3(void) { run_vocab("phi-3", TSR_TOKENIZER_SPM, "default"); }
static void test_gpt2(void) { run_vocab("gpt-2", TSR_TOKENIZER_BPE, "gpt-2"); }
static void test_falcon(void) { run_vocab("falcon", TSR_TOKENIZER_BPE, "falcon"); }
static void test_mpt(void) { run_vocab("mpt", TSR_TOKENIZER_BPE, "mpt"); }

/* ---- llama2.c ---- */

/* Recorded from llama2.c's run.c (karpathy/llama2.c, encode(bos=1, eos=0))
 * with tok512.bin. */
static const struct {
  const char *text;
  int n;
  int32_t ids[20];
} kTok512[] = {
    {"Once upon a time", 5, {1, 403, 407, 261, 378}},
    {"Hello, world!", 9, {1, 346, 306, 414, 432, 263, 304, 341, 443}},
    {"  two  spaces", 12, {1, 410, 410, 259, 424, 414, 410, 262, 427, 412, 331, 419}},
    {"caf\xc3\xa9 na\xc3\xafve \xe2\x98\x83 snow", 17,
     {1, 280, 412, 431, 485, 297, 412, 198, 178, 360, 410, 229, 155, 134, 262, 416, 327}},
    {"\xf0\x9f\xa6\x99 llama", 10, {1, 410, 243, 162, 169, 156, 278, 421, 314, 412}},
    {"x", 3, {1, 410, 444}},
    {"Lily and Tom went to the park", 12, {1, 317, 269, 274, 287, 263, 377, 267, 265, 282, 295, 433}},
    {"tab\tand\nnewline", 14, {1, 259, 412, 430, 12, 412, 264, 13, 416, 411, 424, 421, 271, 411}},
    {"\xe4\xb8\xad\xe6\x96\x87", 8, {1, 410, 231, 187, 176, 233, 153, 138}},
    {"", 1, {1}},
};

static void test_llama2c(void) {
  char path[1024];
  if (!fixture_path("llm/llama2c/tok512.bin", "llama2.c tok512", path, sizeof(path))) return;
  size_t size = 0;
  unsigned char *blob = fixture_slurp(path, &size);
  CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
  tsr_allocator a = tsr_allocator_system();
  tsr_error err;
  tsr_tokenizer *t = NULL, *t2 = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_tokenizer_from_llama2c(blob, size, 512, &a, &t, &err), TSR_OK);
  /* Without the model's vocabulary size, the entries are counted. */
  CU_ASSERT_EQUAL_FATAL(tsr_tokenizer_from_llama2c(blob, size, 0, &a, &t2, &err), TSR_OK);
  CU_ASSERT_EQUAL(tsr_tokenizer_vocab_size(t2), 512);
  tsr_tokenizer_free(t2);
  CU_ASSERT_EQUAL(tsr_tokenizer_get_kind(t), TSR_TOKENIZER_LLAMA2C);
  CU_ASSERT_EQUAL(tsr_tokenizer_bos(t), 1);
  CU_ASSERT_EQUAL(tsr_tokenizer_eos(t), 2);
  CU_ASSERT(tsr_tokenizer_is_eog(t, 1) && tsr_tokenizer_is_eog(t, 2) && !tsr_tokenizer_is_eog(t, 3));
  for (size_t i = 0; i < sizeof(kTok512) / sizeof(kTok512[0]); ++i) {
    int32_t ids[64];
    size_t n = 0;
    const char *text = kTok512[i].text;
    CU_ASSERT_EQUAL(tsr_tokenizer_encode(t, text, strlen(text), TSR_TOKENIZE_ADD_BOS, ids, 64, &n), TSR_OK);
    int same = n == (size_t)kTok512[i].n && memcmp(ids, kTok512[i].ids, n * sizeof(int32_t)) == 0;
    CU_ASSERT(same);
    if (!same) {
      printf("\n  '%s'\n", text);
      print_ids("want", kTok512[i].ids, (size_t)kTok512[i].n);
      print_ids("got ", ids, n);
    }
    /* Decoding after BOS drops the dummy prefix: the text comes back. */
    char buf[256];
    size_t len = 0;
    CU_ASSERT_EQUAL(tsr_tokenizer_decode(t, ids, n, buf, sizeof(buf), &len), TSR_OK);
    CU_ASSERT(len == strlen(text) && memcmp(buf, text, len) == 0);
  }
  /* Token by token as llama2.c prints: <0xNN> is the byte, and the space
   * after BOS goes. */
  char piece[16];
  size_t len = 0;
  CU_ASSERT_EQUAL(tsr_tokenizer_decode_token(t, 1, 403, piece, sizeof(piece), &len), TSR_OK);
  CU_ASSERT(len == 4 && memcmp(piece, "Once", 4) == 0);
  CU_ASSERT_EQUAL(tsr_tokenizer_decode_token(t, 403, 407, piece, sizeof(piece), &len), TSR_OK);
  CU_ASSERT(len == 5 && memcmp(piece, " upon", 5) == 0);
  CU_ASSERT_EQUAL(tsr_tokenizer_decode_token(t, 5, 13, piece, sizeof(piece), &len), TSR_OK);
  CU_ASSERT(len == 1 && piece[0] == '\n');
  CU_ASSERT_EQUAL(tsr_tokenizer_decode_token(t, 5, 3 + 0xe2, piece, sizeof(piece), &len), TSR_OK);
  CU_ASSERT(len == 1 && (unsigned char)piece[0] == 0xe2);
  CU_ASSERT_EQUAL(tsr_tokenizer_decode_token(t, 5, 512, piece, sizeof(piece), &len), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(tsr_tokenizer_decode_token(t, 5, 403, piece, 2, &len), TSR_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(len, 5);
  /* Output capacity: the count comes back even when it does not fit. */
  int32_t few[2];
  size_t n = 0;
  CU_ASSERT_EQUAL(tsr_tokenizer_encode(t, "Once upon a time", 16, TSR_TOKENIZE_ADD_BOS | TSR_TOKENIZE_ADD_EOS, few, 2,
                                       &n),
                  TSR_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(n, 6);
  CU_ASSERT(few[0] == 1 && few[1] == 403);
  tsr_tokenizer_free(t);

  /* Truncated or inconsistent files. */
  CU_ASSERT_EQUAL(tsr_tokenizer_from_llama2c(blob, 3, 512, &a, &t, &err), TSR_ERR_FORMAT);
  CU_ASSERT_EQUAL(tsr_tokenizer_from_llama2c(blob, size - 1, 512, &a, &t, &err), TSR_ERR_FORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "token 511"));
  CU_ASSERT_EQUAL(tsr_tokenizer_from_llama2c(blob, size, 513, &a, &t, &err), TSR_ERR_FORMAT);
  CU_ASSERT_EQUAL(tsr_tokenizer_from_llama2c(blob, size - 1, 0, &a, &t, &err), TSR_ERR_FORMAT);
  free(blob);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("tokenizer", NULL, NULL);
  CU_add_test(s, "llama.cpp vectors: phi-3 (SPM)", test_phi3);
  CU_add_test(s, "llama.cpp vectors: gpt-2", test_gpt2);
  CU_add_test(s, "llama.cpp vectors: falcon", test_falcon);
  CU_add_test(s, "llama.cpp vectors: mpt", test_mpt);
  CU_add_test(s, "llama2.c tok512.bin", test_llama2c);
  return fixture_run_all();
}
