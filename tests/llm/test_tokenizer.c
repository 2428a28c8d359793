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
#include "llm/llamacpp_extra_vectors.h"
#include "llm/pretok_cases.h"

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
static void run_vocab(const char *name, tsr_tokenizer_kind kind, const char *pre, const extra_vector *extra,
                      size_t n_extra) {
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
  /* Special tokens parsed, BOS as the vocabulary asks (llama.cpp's
   * add_special = parse_special = true). */
  int ok_extra = 0;
  uint32_t flags = TSR_TOKENIZE_PARSE_SPECIAL | (tsr_tokenizer_add_bos_default(t) ? TSR_TOKENIZE_ADD_BOS : 0);
  for (size_t i = 0; i < n_extra; ++i) {
    size_t ng = 0;
    s = tsr_tokenizer_encode(t, extra[i].text, strlen(extra[i].text), flags, got, 1024, &ng);
    int same = s == TSR_OK && ng == (size_t)extra[i].n && memcmp(got, extra[i].ids, ng * sizeof(int32_t)) == 0;
    ok_extra += same;
    if (!same) {
      printf("\n  %s special '%s':\n", name, extra[i].text);
      print_ids("want", extra[i].ids, (size_t)extra[i].n);
      print_ids("got ", got, ng);
    }
  }
  printf("with special tokens %d/%zu ", ok_extra, n_extra);
  CU_ASSERT_EQUAL((size_t)ok_extra, n_extra);
  CU_ASSERT(n_extra >= 20);
  tsr_tokenizer_free(t);
  tsr_gguf_free(g);
  tsr_file_unmap(&f);
  free_vectors(&v);
}

#define EXTRA(x) x, sizeof(x) / sizeof(x[0])
static void test_phi3(void) { run_vocab("phi-3", TSR_TOKENIZER_SPM, "default", EXTRA(kExtra_phi3)); }
static void test_gpt2(void) { run_vocab("gpt-2", TSR_TOKENIZER_BPE, "gpt-2", EXTRA(kExtra_gpt2)); }
static void test_falcon(void) { run_vocab("falcon", TSR_TOKENIZER_BPE, "falcon", EXTRA(kExtra_falcon)); }
static void test_mpt(void) { run_vocab("mpt", TSR_TOKENIZER_BPE, "mpt", EXTRA(kExtra_mpt)); }

/* ---- pre-tokenizers ---- */

static void test_pretok(void) {
  int bad = 0;
  for (size_t c = 0; c < sizeof(kPretokCases) / sizeof(kPretokCases[0]); ++c) {
    const char *text = kPretokCases[c].text;
    size_t len = strlen(text), n = 0, pos = 0;
    uint32_t cpts[256];
    uint16_t flags[256];
    size_t out[256], tmp[256];
    while (pos < len && n < 256) {
      cpts[n] = tsr_utf8_decode((const uint8_t *)text, len, &pos);
      flags[n] = tsr_unicode_flags(cpts[n]);
      ++n;
    }
    for (int k = 0; k < TSR_PRETOK_COUNT; ++k) {
      size_t nw = tsr_pretok_split((tsr_pretok)k, cpts, flags, n, out, tmp);
      int same = nw == kPretokCases[c].n[k];
      for (size_t i = 0; same && i < nw; ++i) same = out[i] == kPretokCases[c].len[k][i];
      if (!same) {
        ++bad;
        printf("\n  case %zu kind %d: got", c, k);
        for (size_t i = 0; i < nw; ++i) printf(" %zu", out[i]);
      }
    }
  }
  CU_ASSERT_EQUAL(bad, 0);
  /* Flags: categories and White_Space as llama.cpp's tables have them. */
  CU_ASSERT_EQUAL(tsr_unicode_flags('a'), TSR_UCF_LETTER);
  CU_ASSERT_EQUAL(tsr_unicode_flags(' '), TSR_UCF_SEPARATOR | TSR_UCF_WHITESPACE);
  CU_ASSERT_EQUAL(tsr_unicode_flags('\n'), TSR_UCF_CONTROL | TSR_UCF_WHITESPACE);
  CU_ASSERT_EQUAL(tsr_unicode_flags(0x0663), TSR_UCF_NUMBER);
  CU_ASSERT_EQUAL(tsr_unicode_flags(0x20AC), TSR_UCF_SYMBOL);
  CU_ASSERT_EQUAL(tsr_unicode_flags(0x0301), TSR_UCF_MARK);
  CU_ASSERT_EQUAL(tsr_unicode_flags(0x3000), TSR_UCF_SEPARATOR | TSR_UCF_WHITESPACE);
  CU_ASSERT_EQUAL(tsr_unicode_flags(0x0378), TSR_UCF_UNDEFINED);
  CU_ASSERT_EQUAL(tsr_unicode_flags(0x10FFFF), TSR_UCF_UNDEFINED);
  CU_ASSERT_EQUAL(tsr_unicode_flags(0x110000), 0);
  /* UTF-8: invalid bytes are U+FFFD one at a time. */
  const uint8_t bad8[] = {0xe2, 0x82, 'x', 0xff, 0xc3};
  size_t pos = 0;
  CU_ASSERT_EQUAL(tsr_utf8_decode(bad8, 5, &pos), 0xfffd);
  CU_ASSERT_EQUAL(pos, 1);
  CU_ASSERT_EQUAL(tsr_utf8_decode(bad8, 5, &pos), 0xfffd);
  CU_ASSERT_EQUAL(tsr_utf8_decode(bad8, 5, &pos), 'x');
  CU_ASSERT_EQUAL(tsr_utf8_decode(bad8, 5, &pos), 0xfffd);
  CU_ASSERT_EQUAL(tsr_utf8_decode(bad8, 5, &pos), 0xfffd);
  CU_ASSERT_EQUAL(pos, 5);
}

/* ---- synthetic vocabularies (through the GGUF writer) ---- */

typedef struct synth {
  char text[400][16];
  tsr_gguf_str tok[400];
  float score[400];
  int32_t type[400];
  int n;
  tsr_gguf_str merges[16];
  int n_merges;
  unsigned char *blob;
  tsr_gguf *g;
} synth;

static int add_tok(synth *v, const char *text, float score, int32_t type) {
  snprintf(v->text[v->n], sizeof(v->text[v->n]), "%s", text);
  v->tok[v->n].data = v->text[v->n];
  v->tok[v->n].len = strlen(text);
  v->score[v->n] = score;
  v->type[v->n] = type;
  return v->n++;
}

/* Writes |model| with the vocabulary (and |extra| hooks) to memory and
 * parses it; returns the tokenizer status. */
typedef void (*synth_hook)(tsr_gguf_writer *w);
static tsr_status synth_build(synth *v, const char *model, const char *pre, synth_hook hook, tsr_tokenizer **out,
                              tsr_error *err) {
  tsr_allocator a = tsr_allocator_system();
  tsr_gguf_writer *w = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_gguf_writer_create(&a, 0, &w), TSR_OK);
  if (model) CU_ASSERT_EQUAL(tsr_gguf_writer_add_str(w, "tokenizer.ggml.model", model, strlen(model)), TSR_OK);
  if (pre) CU_ASSERT_EQUAL(tsr_gguf_writer_add_str(w, "tokenizer.ggml.pre", pre, strlen(pre)), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr_str(w, "tokenizer.ggml.tokens", v->tok, (uint64_t)v->n), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr(w, "tokenizer.ggml.scores", TSR_GGUF_FLOAT32, v->score, (uint64_t)v->n),
                  TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr(w, "tokenizer.ggml.token_type", TSR_GGUF_INT32, v->type, (uint64_t)v->n),
                  TSR_OK);
  if (v->n_merges > 0)
    CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr_str(w, "tokenizer.ggml.merges", v->merges, (uint64_t)v->n_merges), TSR_OK);
  if (hook) hook(w);
  uint64_t size = 0;
  CU_ASSERT_EQUAL_FATAL(tsr_gguf_writer_get_size(w, &size), TSR_OK);
  v->blob = malloc((size_t)size);
  CU_ASSERT_EQUAL_FATAL(tsr_gguf_writer_write_mem(w, v->blob, (size_t)size, NULL, err), TSR_OK);
  tsr_gguf_writer_free(w);
  CU_ASSERT_EQUAL_FATAL(tsr_gguf_parse(v->blob, (size_t)size, &a, &v->g, err), TSR_OK);
  *out = NULL;
  return tsr_tokenizer_from_gguf(v->g, &a, out, err);
}

static void synth_free(synth *v, tsr_tokenizer *t) {
  tsr_tokenizer_free(t);
  tsr_gguf_free(v->g);
  free(v->blob);
  v->g = NULL;
  v->blob = NULL;
}

static int encodes_to(tsr_tokenizer *t, const char *text, uint32_t flags, const int32_t *want, size_t nw) {
  int32_t got[128];
  size_t n = 0;
  if (tsr_tokenizer_encode(t, text, strlen(text), flags, got, 128, &n) != TSR_OK) return 0;
  int same = n == nw && (nw == 0 || memcmp(got, want, nw * sizeof(int32_t)) == 0);
  if (!same) {
    printf("\n  '%s':\n", text);
    print_ids("want", want, nw);
    print_ids("got ", got, n);
  }
  return same;
}

static int decodes_to(const tsr_tokenizer *t, const int32_t *ids, size_t n, const char *want) {
  char buf[256];
  size_t len = 0;
  if (tsr_tokenizer_decode(t, ids, n, buf, sizeof(buf), &len) != TSR_OK) return 0;
  int same = len == strlen(want) && memcmp(buf, want, len) == 0;
  if (!same) printf("\n  decoded '%.*s', want '%s'\n", (int)len, buf, want);
  return same;
}

/* GPT-2's byte-to-code-point map, written out independently of the
 * tokenizer's. */
static void gpt2_byte_char(int b, char out[4]) {
  int cp = b, n = 0;
  if (!((b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae)) {
    cp = 256;
    for (int x = 0; x < b; ++x) cp += !((x >= 0x21 && x <= 0x7e) || (x >= 0xa1 && x <= 0xac) || x >= 0xae);
  }
  if (cp < 0x80) {
    out[n++] = (char)cp;
  } else {
    out[n++] = (char)(0xc0 | (cp >> 6));
    out[n++] = (char)(0x80 | (cp & 0x3f));
  }
  out[n] = '\0';
}

static void hook_gpt2_ids(tsr_gguf_writer *w) {
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", 261), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", 261), TSR_OK);
}

static void test_synthetic_bpe(void) {
  synth v;
  memset(&v, 0, sizeof(v));
  for (int b = 0; b < 256; ++b) {
    char c[4];
    gpt2_byte_char(b, c);
    add_tok(&v, b == 'z' ? "[no z]" : c, 0.0f, 1);
  }
  int he = add_tok(&v, "he", 0, 1), ll = add_tok(&v, "ll", 0, 1), hell = add_tok(&v, "hell", 0, 1);
  int hello = add_tok(&v, "hello", 0, 1), ghello = add_tok(&v, "\xc4\xa0hello", 0, 1);
  int eot = add_tok(&v, "<|endoftext|>", 0, 3), tool = add_tok(&v, "<tool>", 0, 4);
  (void)he;
  (void)ll;
  (void)hell;
  static const char *const merges[] = {"h e", "l l", "he ll", "hell o", "\xc4\xa0 hello"};
  for (int i = 0; i < 5; ++i) {
    v.merges[i].data = merges[i];
    v.merges[i].len = strlen(merges[i]);
  }
  v.n_merges = 5;
  tsr_tokenizer *t = NULL;
  tsr_error err;
  tsr_status s = synth_build(&v, "gpt2", "gpt-2", hook_gpt2_ids, &t, &err);
  if (s != TSR_OK) printf("\n  %s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(s, TSR_OK);
  CU_ASSERT_EQUAL(tsr_tokenizer_get_kind(t), TSR_TOKENIZER_BPE);
  CU_ASSERT_EQUAL(tsr_tokenizer_bos(t), eot);
  CU_ASSERT(tsr_tokenizer_is_eog(t, eot) && tsr_tokenizer_is_control(t, eot));
  CU_ASSERT(!tsr_tokenizer_is_eog(t, hello));
  CU_ASSERT(!tsr_tokenizer_add_bos_default(t));
  CU_ASSERT(encodes_to(t, "hello hello", 0, (const int32_t[]){hello, ghello}, 2));
  CU_ASSERT(encodes_to(t, "hello hello", TSR_TOKENIZE_ADD_BOS | TSR_TOKENIZE_ADD_EOS,
                       (const int32_t[]){eot, hello, ghello, eot}, 4));
  /* User-defined tokens split the text even without special parsing. */
  CU_ASSERT(encodes_to(t, "hello<tool>hello", 0, (const int32_t[]){hello, tool, hello}, 3));
  /* Control tokens only with it. */
  CU_ASSERT(encodes_to(t, "<|endoftext|>", TSR_TOKENIZE_PARSE_SPECIAL, (const int32_t[]){eot}, 1));
  CU_ASSERT(encodes_to(t, "<|endoftext|>", 0,
                       (const int32_t[]){'<', '|', 'e', 'n', 'd', 'o', 'f', 't', 'e', 'x', 't', '|', '>'}, 13));
  /* A byte without a token is dropped, as llama.cpp drops it. */
  CU_ASSERT(encodes_to(t, "hez", 0, (const int32_t[]){he}, 1));
  CU_ASSERT(encodes_to(t, "", 0, NULL, 0));
  /* Non-ASCII bytes go through the byte map: U+00E9 is C3 A9. */
  CU_ASSERT(encodes_to(t, "\xc3\xa9", 0, (const int32_t[]){0xc3, 0xa9}, 2));
  CU_ASSERT(decodes_to(t, (const int32_t[]){hello, ghello, 0xc3, 0xa9}, 4, "hello hello\xc3\xa9"));
  CU_ASSERT(decodes_to(t, (const int32_t[]){eot, hello, tool, eot}, 4, "hello<tool>"));
  synth_free(&v, t);
}

static void test_synthetic_spm(void) {
  synth v;
  memset(&v, 0, sizeof(v));
  add_tok(&v, "<unk>", 0, 2);
  add_tok(&v, "<s>", 0, 3);
  add_tok(&v, "</s>", 0, 3);
  for (int b = 0; b < 256; ++b) {
    char x[8];
    snprintf(x, sizeof(x), "<0x%02X>", b);
    add_tok(&v, x, 0, 6);
  }
  int sp = add_tok(&v, "\xe2\x96\x81", -1.0f, 1);
  int ta = add_tok(&v, "a", -2.0f, 1), tb = add_tok(&v, "b", -2.0f, 1);
  int t_a = add_tok(&v, "\xe2\x96\x81" "a", -0.5f, 1);
  add_tok(&v, "ab", -1.5f, 1);
  int t_ab = add_tok(&v, "\xe2\x96\x81" "ab", -0.1f, 1);
  int aa = add_tok(&v, "aa", -1.0f, 1);
  tsr_tokenizer *t = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(synth_build(&v, "llama", NULL, NULL, &t, &err), TSR_OK);
  CU_ASSERT_EQUAL(tsr_tokenizer_get_kind(t), TSR_TOKENIZER_SPM);
  CU_ASSERT(tsr_tokenizer_bos(t) == 1 && tsr_tokenizer_eos(t) == 2 && tsr_tokenizer_add_bos_default(t));
  CU_ASSERT(tsr_tokenizer_is_eog(t, 2) && !tsr_tokenizer_is_eog(t, 1));
  /* "ab" -> "▁ab": ▁a (-0.5) first, then ▁a+b = ▁ab. */
  CU_ASSERT(encodes_to(t, "ab", TSR_TOKENIZE_ADD_BOS, (const int32_t[]){1, t_ab}, 2));
  /* Unknown characters fall back to <0xNN> byte tokens. */
  CU_ASSERT(encodes_to(t, "ba \xc3\xa9", 0, (const int32_t[]){sp, tb, ta, sp, 3 + 0xc3, 3 + 0xa9}, 6));
  CU_ASSERT(decodes_to(t, (const int32_t[]){sp, tb, ta, sp, 3 + 0xc3, 3 + 0xa9}, 6, "ba \xc3\xa9"));
  CU_ASSERT(decodes_to(t, (const int32_t[]){1, t_ab, 2}, 3, "ab"));
  /* Control tokens in the text with special parsing; after one, the next
   * fragment gets the space prefix again. */
  CU_ASSERT(encodes_to(t, "a</s>a", TSR_TOKENIZE_PARSE_SPECIAL, (const int32_t[]){t_a, 2, t_a}, 3));
  /* Token by token: the prefix space goes at the start and after BOS only. */
  char piece[8];
  size_t len = 0;
  CU_ASSERT(tsr_tokenizer_decode_token(t, -1, t_a, piece, sizeof(piece), &len) == TSR_OK && len == 1);
  CU_ASSERT(tsr_tokenizer_decode_token(t, 1, t_a, piece, sizeof(piece), &len) == TSR_OK && len == 1);
  CU_ASSERT(tsr_tokenizer_decode_token(t, ta, t_a, piece, sizeof(piece), &len) == TSR_OK && len == 2);
  CU_ASSERT(tsr_tokenizer_decode_token(t, ta, 1, piece, sizeof(piece), &len) == TSR_OK && len == 0);
  /* Best score first: ▁a (-0.5) beats aa (-1), and ▁aa is no token. */
  CU_ASSERT(encodes_to(t, "aa", 0, (const int32_t[]){t_a, ta}, 2));
  CU_ASSERT(encodes_to(t, "baa", 0, (const int32_t[]){sp, tb, aa}, 3));
  synth_free(&v, t);
}

static void hook_no_prefix(tsr_gguf_writer *w) {
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_bool(w, "tokenizer.ggml.add_space_prefix", false), TSR_OK);
}

/* Equal scores: the leftmost pair merges first. */
static void test_synthetic_spm_ties(void) {
  synth v;
  memset(&v, 0, sizeof(v));
  add_tok(&v, "<unk>", 0, 2);
  add_tok(&v, "<s>", 0, 3);
  add_tok(&v, "</s>", 0, 3);
  int ta = add_tok(&v, "a", -2.0f, 1), aa = add_tok(&v, "aa", -1.0f, 1);
  tsr_tokenizer *t = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(synth_build(&v, "llama", NULL, hook_no_prefix, &t, &err), TSR_OK);
  CU_ASSERT(encodes_to(t, "aaa", 0, (const int32_t[]){aa, ta}, 2));
  CU_ASSERT(encodes_to(t, "aaaaa", 0, (const int32_t[]){aa, aa, ta}, 3));
  /* No byte tokens and no <unk> fallback for 'b' but <unk>. */
  CU_ASSERT(encodes_to(t, "ab", 0, (const int32_t[]){ta, 0}, 2));
  synth_free(&v, t);
}

static void hook_bad_bos_type(tsr_gguf_writer *w) {
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_str(w, "tokenizer.ggml.bos_token_id", "1", 1), TSR_OK);
}
static void hook_big_bos(tsr_gguf_writer *w) {
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", 100000), TSR_OK);
}

/* Metadata that is missing, of the wrong type or unsupported. */
static void test_bad_metadata(void) {
  synth v;
  memset(&v, 0, sizeof(v));
  add_tok(&v, "<unk>", 0, 2);
  add_tok(&v, "<s>", 0, 3);
  add_tok(&v, "</s>", 0, 3);
  add_tok(&v, "a", 0, 1);
  tsr_tokenizer *t = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL(synth_build(&v, NULL, NULL, NULL, &t, &err), TSR_ERR_FORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "tokenizer.ggml.model"));
  synth_free(&v, t);
  CU_ASSERT_EQUAL(synth_build(&v, "bert", NULL, NULL, &t, &err), TSR_ERR_UNSUPPORTED);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "bert"));
  synth_free(&v, t);
  CU_ASSERT_EQUAL(synth_build(&v, "gpt2", "gpt-2", NULL, &t, &err), TSR_ERR_FORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "merges"));
  synth_free(&v, t);
  v.merges[0].data = "a a";
  v.merges[0].len = 3;
  v.n_merges = 1;
  CU_ASSERT_EQUAL(synth_build(&v, "gpt2", "some-new-pre", NULL, &t, &err), TSR_ERR_UNSUPPORTED);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "some-new-pre"));
  synth_free(&v, t);
  v.n_merges = 0;
  CU_ASSERT_EQUAL(synth_build(&v, "llama", NULL, hook_bad_bos_type, &t, &err), TSR_ERR_FORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "bos_token_id"));
  synth_free(&v, t);
  /* An id past the vocabulary keeps the default, as llama.cpp does. */
  CU_ASSERT_EQUAL(synth_build(&v, "llama", NULL, hook_big_bos, &t, &err), TSR_OK);
  CU_ASSERT_EQUAL(tsr_tokenizer_bos(t), 1);
  synth_free(&v, t);
}

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

/* stories260K.gguf carries the tok512 vocabulary as a SentencePiece GGUF:
 * llama.cpp's algorithm gives llama2.c's ids on these texts too. */
static void test_stories_gguf(void) {
  char path[1024];
  if (!fixture_path("llm/gguf/stories260K.gguf", "stories260K.gguf tokenizer", path, sizeof(path))) return;
  tsr_allocator a = tsr_allocator_system();
  tsr_mapped_file f;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(tsr_file_map(path, &a, &f, &err), TSR_OK);
  tsr_gguf *g = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_gguf_parse(f.data, f.size, &a, &g, &err), TSR_OK);
  tsr_tokenizer *t = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_tokenizer_from_gguf(g, &a, &t, &err), TSR_OK);
  CU_ASSERT_EQUAL(tsr_tokenizer_get_kind(t), TSR_TOKENIZER_SPM);
  CU_ASSERT_EQUAL(tsr_tokenizer_vocab_size(t), 512);
  CU_ASSERT(tsr_tokenizer_bos(t) == 1 && tsr_tokenizer_eos(t) == 2 && tsr_tokenizer_is_eog(t, 2));
  for (size_t i = 0; i < sizeof(kTok512) / sizeof(kTok512[0]); ++i) {
    const char *text = kTok512[i].text;
    CU_ASSERT(encodes_to(t, text, TSR_TOKENIZE_ADD_BOS, kTok512[i].ids, (size_t)kTok512[i].n));
    CU_ASSERT(decodes_to(t, kTok512[i].ids, (size_t)kTok512[i].n, text));
  }
  tsr_tokenizer_free(t);
  tsr_gguf_free(g);
  tsr_file_unmap(&f);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("tokenizer", NULL, NULL);
  CU_add_test(s, "llama.cpp vectors: phi-3 (SPM)", test_phi3);
  CU_add_test(s, "llama.cpp vectors: gpt-2", test_gpt2);
  CU_add_test(s, "llama.cpp vectors: falcon", test_falcon);
  CU_add_test(s, "llama.cpp vectors: mpt", test_mpt);
  CU_add_test(s, "llama2.c tok512.bin", test_llama2c);
  CU_add_test(s, "stories260K.gguf vocabulary = llama2.c's", test_stories_gguf);
  CU_add_test(s, "pre-tokenizers and Unicode tables", test_pretok);
  CU_add_test(s, "synthetic byte-level BPE vocabulary", test_synthetic_bpe);
  CU_add_test(s, "synthetic SentencePiece vocabulary", test_synthetic_spm);
  CU_add_test(s, "SentencePiece ties go leftmost", test_synthetic_spm_ties);
  CU_add_test(s, "bad tokenizer metadata", test_bad_metadata);
  return fixture_run_all();
}
