/* GGUF reader and writer: the stories260K fixture, a writer round trip over
 * every value type, truncation at 50 points, and hostile headers. */
#define _POSIX_C_SOURCE 200809L
#include <CUnit/Basic.h>
#include <math.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf/gguf.h"
#include "engine/io/fileio.h"
#include "llm/fixture.h"

#define STORIES_GGUF "llm/gguf/stories260K.gguf"

/* ---- a byte builder for hand-made files ---- */

typedef struct bb {
  unsigned char b[4096];
  size_t n;
} bb;

static void bb_put(bb *b, const void *p, size_t n) {
  CU_ASSERT_FATAL(b->n + n <= sizeof(b->b));
  memcpy(b->b + b->n, p, n);
  b->n += n;
}
static void bb_u32(bb *b, uint32_t v) {
  unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
  bb_put(b, x, 4);
}
static void bb_u64(bb *b, uint64_t v) {
  bb_u32(b, (uint32_t)v);
  bb_u32(b, (uint32_t)(v >> 32));
}
static void bb_str(bb *b, const char *s) {
  bb_u64(b, strlen(s));
  bb_put(b, s, strlen(s));
}
static void bb_header(bb *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
  b->n = 0;
  bb_put(b, "GGUF", 4);
  bb_u32(b, version);
  bb_u64(b, n_tensors);
  bb_u64(b, n_kv);
}
static void bb_tensor(bb *b, const char *name, uint32_t n_dims, const uint64_t *ne, uint32_t type, uint64_t off) {
  bb_str(b, name);
  bb_u32(b, n_dims);
  for (uint32_t i = 0; i < n_dims; ++i) bb_u64(b, ne[i]);
  bb_u32(b, type);
  bb_u64(b, off);
}
static void bb_pad(bb *b, size_t align) {
  while (b->n % align) b->b[b->n++] = 0;
}

/* Parses |n| bytes from an exact-size heap copy; returns the status. */
static tsr_status parse_copy(const void *p, size_t n, tsr_error *err) {
  tsr_allocator a = tsr_allocator_system();
  void *copy = malloc(n ? n : 1);
  if (n) memcpy(copy, p, n);
  tsr_gguf *g = NULL;
  tsr_status s = tsr_gguf_parse(copy, n, &a, &g, err);
  tsr_gguf_free(g);
  free(copy);
  return s;
}

/* ---- the fixture ---- */

static void check_u64(const tsr_gguf *g, const char *key, uint64_t want) {
  uint64_t v = 0;
  tsr_error err;
  CU_ASSERT_EQUAL(tsr_gguf_get_u64(g, key, &v, &err), TSR_OK);
  CU_ASSERT_EQUAL(v, want);
  if (v != want) printf("\n  %s = %llu, want %llu\n", key, (unsigned long long)v, (unsigned long long)want);
}

static void test_stories(void) {
  char path[1024];
  if (!fixture_path(STORIES_GGUF, "gguf stories260K", path, sizeof(path))) return;
  tsr_allocator a = tsr_allocator_system();
  tsr_mapped_file f;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(tsr_file_map(path, &a, &f, &err), TSR_OK);
  CU_ASSERT_EQUAL(f.size, 1185376);
  tsr_gguf *g = NULL;
  tsr_status s = tsr_gguf_parse(f.data, f.size, &a, &g, &err);
  if (s != TSR_OK) printf("\n  %s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(s, TSR_OK);
  CU_ASSERT_EQUAL(g->version, 3);
  CU_ASSERT_EQUAL(g->n_tensors, 48);
  CU_ASSERT_EQUAL(g->alignment, 32);
  CU_ASSERT_EQUAL(g->data_offset, 14176);
  CU_ASSERT_EQUAL(tsr_gguf_find(g, "general.alignment"), -1);
  for (uint64_t i = 0; i < g->n_tensors; ++i) {
    CU_ASSERT_EQUAL(g->tensors[i].ggml_type, 0);
    CU_ASSERT_EQUAL(g->tensors[i].dtype, TSR_DTYPE_F32);
    CU_ASSERT_PTR_EQUAL(g->tensors[i].data, f.data + g->data_offset + g->tensors[i].offset);
  }
  check_u64(g, "llama.embedding_length", 64);
  check_u64(g, "llama.feed_forward_length", 172);
  check_u64(g, "llama.block_count", 5);
  check_u64(g, "llama.attention.head_count", 8);
  check_u64(g, "llama.attention.head_count_kv", 4);
  check_u64(g, "llama.rope.dimension_count", 8);
  check_u64(g, "llama.context_length", 2048);
  check_u64(g, "tokenizer.ggml.bos_token_id", 1);
  check_u64(g, "tokenizer.ggml.eos_token_id", 2);
  check_u64(g, "tokenizer.ggml.unknown_token_id", 0);
  double eps = 0;
  CU_ASSERT_EQUAL(tsr_gguf_get_f64(g, "llama.attention.layer_norm_rms_epsilon", &eps, &err), TSR_OK);
  CU_ASSERT(fabs(eps - 1e-5) < 1e-12);
  tsr_gguf_str model;
  CU_ASSERT_EQUAL(tsr_gguf_get_str(g, "tokenizer.ggml.model", &model, &err), TSR_OK);
  CU_ASSERT(tsr_gguf_str_eq(model, "llama"));
  CU_ASSERT_EQUAL(tsr_gguf_get_str(g, "general.architecture", &model, &err), TSR_OK);
  CU_ASSERT(tsr_gguf_str_eq(model, "llama"));
  /* A string where a number is wanted, and a missing key, name the key. */
  CU_ASSERT_EQUAL(tsr_gguf_get_u64(g, "general.architecture", &(uint64_t){0}, &err), TSR_ERR_FORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "general.architecture"));
  CU_ASSERT_EQUAL(tsr_gguf_get_u64(g, "llama.nope", &(uint64_t){0}, &err), TSR_ERR_FORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "llama.nope"));

  tsr_gguf_type t;
  uint64_t n = 0;
  CU_ASSERT_EQUAL(tsr_gguf_get_arr(g, "tokenizer.ggml.tokens", &t, &n, &err), TSR_OK);
  CU_ASSERT_EQUAL(t, TSR_GGUF_STRING);
  CU_ASSERT_EQUAL(n, 512);
  const tsr_gguf_kv *tok = tsr_gguf_get_kv(g, "tokenizer.ggml.tokens");
  CU_ASSERT(tsr_gguf_str_eq(tsr_gguf_arr_str(tok, 0), "<unk>"));
  CU_ASSERT(tsr_gguf_str_eq(tsr_gguf_arr_str(tok, 1), "<s>"));
  CU_ASSERT(tsr_gguf_str_eq(tsr_gguf_arr_str(tok, 2), "</s>"));
  CU_ASSERT(tsr_gguf_str_eq(tsr_gguf_arr_str(tok, 3), "<0x00>"));
  CU_ASSERT_EQUAL(tsr_gguf_arr_str(tok, 512).len, 0);
  CU_ASSERT_EQUAL(tsr_gguf_get_arr(g, "tokenizer.ggml.scores", &t, &n, &err), TSR_OK);
  CU_ASSERT_EQUAL(t, TSR_GGUF_FLOAT32);
  CU_ASSERT_EQUAL(n, 512);
  CU_ASSERT_EQUAL(tsr_gguf_get_arr(g, "tokenizer.ggml.token_type", &t, &n, &err), TSR_OK);
  CU_ASSERT_EQUAL(t, TSR_GGUF_INT32);
  CU_ASSERT_EQUAL(n, 512);
  const tsr_gguf_kv *types = tsr_gguf_get_kv(g, "tokenizer.ggml.token_type");
  CU_ASSERT_EQUAL(tsr_gguf_arr_i64(types, 0), 2); /* unknown */
  CU_ASSERT_EQUAL(tsr_gguf_arr_i64(types, 1), 3); /* control */
  CU_ASSERT_EQUAL(tsr_gguf_arr_i64(types, 3), 6); /* byte */

  const tsr_gguf_tensor *emb = tsr_gguf_find_tensor(g, "token_embd.weight");
  const tsr_gguf_tensor *out = tsr_gguf_find_tensor(g, "output.weight");
  CU_ASSERT_PTR_NOT_NULL_FATAL(emb);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(emb->n_dims, 2);
  CU_ASSERT_EQUAL(emb->ne[0], 64);
  CU_ASSERT_EQUAL(emb->ne[1], 512);
  CU_ASSERT_EQUAL(emb->nbytes, 64 * 512 * 4);
  CU_ASSERT_EQUAL(memcmp(emb->data, out->data, emb->nbytes), 0);
  CU_ASSERT_PTR_NULL(tsr_gguf_find_tensor(g, "nope"));

  /* Copying every kv and tensor through the writer reproduces the file byte
   * for byte: the writer lays files out exactly as gguf-py did. */
  tsr_gguf_writer *w = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_gguf_writer_create(&a, 32, &w), TSR_OK);
  for (uint64_t i = 0; i < g->n_kv; ++i) CU_ASSERT_EQUAL(tsr_gguf_writer_copy_kv(w, &g->kv[i]), TSR_OK);
  char names[48][TSR_GGUF_MAX_NAME + 1];
  for (uint64_t i = 0; i < g->n_tensors; ++i) {
    const tsr_gguf_tensor *ti = &g->tensors[i];
    memcpy(names[i], ti->name.data, (size_t)ti->name.len);
    names[i][ti->name.len] = '\0';
    CU_ASSERT_EQUAL(tsr_gguf_writer_add_tensor_ggml(w, names[i], ti->ggml_type, ti->n_dims, ti->ne, ti->data), TSR_OK);
  }
  uint64_t size = 0;
  CU_ASSERT_EQUAL(tsr_gguf_writer_get_size(w, &size), TSR_OK);
  CU_ASSERT_EQUAL(size, f.size);
  unsigned char *copy = malloc((size_t)size);
  size_t written = 0;
  CU_ASSERT_EQUAL(tsr_gguf_writer_write_mem(w, copy, (size_t)size, &written, &err), TSR_OK);
  CU_ASSERT_EQUAL(written, f.size);
  CU_ASSERT(written == f.size && memcmp(copy, f.data, f.size) == 0);
  free(copy);
  tsr_gguf_writer_free(w);
  tsr_gguf_free(g);
  tsr_file_unmap(&f);
}

/* Truncating the fixture anywhere gives TSR_ERR_FORMAT: 25 cuts in the
 * header and metadata, 25 in the tensor data. */
static void test_truncation(void) {
  char path[1024];
  if (!fixture_path(STORIES_GGUF, "gguf truncation", path, sizeof(path))) return;
  size_t size = 0;
  unsigned char *buf = fixture_slurp(path, &size);
  CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
  const size_t data = 14176;
  size_t cuts[50];
  cuts[0] = 0;
  cuts[1] = 3;
  cuts[2] = 7;   /* in the version */
  cuts[3] = 15;  /* in n_tensors */
  cuts[4] = 23;  /* in n_kv */
  cuts[5] = 24;  /* first key */
  for (int i = 6; i < 24; ++i) cuts[i] = 24 + (size_t)(i - 6) * (data - 24) / 18 + (size_t)i * 7;
  cuts[24] = data - 1; /* in the padding before the data */
  for (int i = 25; i < 49; ++i) cuts[i] = data + (size_t)(i - 25) * (size - data) / 24 + 1;
  cuts[49] = size - 1;
  for (int i = 0; i < 50; ++i) {
    tsr_error err;
    tsr_error_clear(&err);
    CU_ASSERT_FATAL(cuts[i] < size);
    tsr_status s = parse_copy(buf, cuts[i], &err);
    CU_ASSERT_EQUAL(s, TSR_ERR_FORMAT);
    if (s != TSR_ERR_FORMAT) printf("\n  cut at %zu: %s (%s)\n", cuts[i], tsr_status_string(s), err.message);
    CU_ASSERT(strlen(err.message) > 0);
  }
  free(buf);
}

/* ---- writer round trip ---- */

static void test_writer_roundtrip(void) {
  tsr_allocator a = tsr_allocator_system();
  tsr_gguf_writer *w = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_gguf_writer_create(&a, 64, &w), TSR_OK);
  uint8_t u8 = 200;
  int8_t i8 = -100;
  uint16_t u16 = 60000;
  int16_t i16 = -30000;
  int64_t i64 = -5000000000LL;
  double f64 = -2.5e300;
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_val(w, "t.u8", TSR_GGUF_UINT8, &u8), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_val(w, "t.i8", TSR_GGUF_INT8, &i8), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_val(w, "t.u16", TSR_GGUF_UINT16, &u16), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_val(w, "t.i16", TSR_GGUF_INT16, &i16), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_u32(w, "t.u32", 4000000000u), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_i32(w, "t.i32", -2000000000), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_f32(w, "t.f32", 0.1f), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_bool(w, "t.bool", true), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_str(w, "t.str", "h\xc3\xa9llo\0x", 8), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_u64(w, "t.u64", UINT64_MAX - 1), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_val(w, "t.i64", TSR_GGUF_INT64, &i64), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_val(w, "t.f64", TSR_GGUF_FLOAT64, &f64), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_str(w, "t.empty", "", 0), TSR_OK);
  /* Arrays of every element type. */
  uint8_t au8[3] = {1, 2, 255};
  int8_t ai8[3] = {-1, 0, 127};
  uint16_t au16[2] = {1, 65535};
  int16_t ai16[2] = {-32768, 7};
  uint32_t au32[2] = {0, 0xdeadbeefu};
  int32_t ai32[3] = {-1, 2, -3};
  float af32[2] = {1.5f, -0.25f};
  uint8_t abool[3] = {1, 0, 1};
  uint64_t au64[2] = {1, UINT64_MAX};
  int64_t ai64[2] = {INT64_MIN, 42};
  double af64[2] = {3.25, -1e-300};
  tsr_gguf_str astr[3] = {{"a", 1}, {"", 0}, {"\xe2\x96\x81x", 4}};
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr(w, "a.u8", TSR_GGUF_UINT8, au8, 3), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr(w, "a.i8", TSR_GGUF_INT8, ai8, 3), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr(w, "a.u16", TSR_GGUF_UINT16, au16, 2), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr(w, "a.i16", TSR_GGUF_INT16, ai16, 2), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr(w, "a.u32", TSR_GGUF_UINT32, au32, 2), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr(w, "a.i32", TSR_GGUF_INT32, ai32, 3), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr(w, "a.f32", TSR_GGUF_FLOAT32, af32, 2), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr(w, "a.bool", TSR_GGUF_BOOL, abool, 3), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr(w, "a.u64", TSR_GGUF_UINT64, au64, 2), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr(w, "a.i64", TSR_GGUF_INT64, ai64, 2), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr(w, "a.f64", TSR_GGUF_FLOAT64, af64, 2), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr(w, "a.none", TSR_GGUF_INT32, NULL, 0), TSR_OK);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr_str(w, "a.str", astr, 3), TSR_OK);
  /* Rejected: duplicates, string/array element types, nested arrays. */
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_u32(w, "t.u8", 1), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr(w, "a.bad", TSR_GGUF_STRING, astr, 3), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_arr(w, "a.bad", TSR_GGUF_ARRAY, au8, 3), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_u32(w, "general.alignment", 48), TSR_ERR_INVALID_ARGUMENT);

  /* Tensors of every dtype the reader loads, with odd sizes to exercise the
   * padding. */
  static const tsr_dtype dts[] = {TSR_DTYPE_F32,  TSR_DTYPE_F16,  TSR_DTYPE_BF16, TSR_DTYPE_Q8_0,
                                  TSR_DTYPE_Q4_0, TSR_DTYPE_Q4_K, TSR_DTYPE_Q5_K, TSR_DTYPE_Q6_K,
                                  TSR_DTYPE_I8,   TSR_DTYPE_I32,  TSR_DTYPE_I64};
  enum { ND = sizeof(dts) / sizeof(dts[0]) };
  char tnames[ND][32];
  unsigned char *tdata[ND];
  size_t tbytes[ND];
  int64_t shapes[ND][3];
  for (int i = 0; i < ND; ++i) {
    int64_t bs = tsr_dtype_block_size(dts[i]);
    shapes[i][0] = i == 0 ? 1 : 1 + i % 2; /* tensor 0 is 1-D */
    shapes[i][1] = i == 0 ? 1 : 3;
    shapes[i][2] = bs > 1 ? bs * (1 + i % 3) : 5 + i;
    snprintf(tnames[i], sizeof(tnames[i]), "blk.%d.%s", i, tsr_dtype_name(dts[i]));
    tbytes[i] = tsr_dtype_row_bytes(dts[i], shapes[i][2]) * (size_t)(shapes[i][0] * shapes[i][1]);
    tdata[i] = malloc(tbytes[i]);
    for (size_t j = 0; j < tbytes[i]; ++j) tdata[i][j] = (unsigned char)(j * 31 + (size_t)i);
    CU_ASSERT_EQUAL(tsr_gguf_writer_add_tensor(w, tnames[i], dts[i], i == 0 ? 1 : 3, i == 0 ? &shapes[i][2] : shapes[i],
                                               tdata[i]),
                    TSR_OK);
  }
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_tensor(w, tnames[0], TSR_DTYPE_F32, 1, shapes[0], tdata[0]),
                  TSR_ERR_INVALID_ARGUMENT);
  int64_t bad_q = 31;
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_tensor(w, "bad", TSR_DTYPE_Q8_0, 1, &bad_q, tdata[0]), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_tensor(w, "bad", TSR_DTYPE_U8, 1, &bad_q, tdata[0]), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(tsr_gguf_writer_add_tensor(w,
                                             "a_name_that_is_much_too_long_for_llama_cpp_which_keeps_64_bytes_x",
                                             TSR_DTYPE_F32, 1, &bad_q, tdata[0]),
                  TSR_ERR_INVALID_ARGUMENT);

  uint64_t size = 0;
  CU_ASSERT_EQUAL_FATAL(tsr_gguf_writer_get_size(w, &size), TSR_OK);
  unsigned char *mem = malloc((size_t)size);
  tsr_error err;
  size_t got = 0;
  CU_ASSERT_EQUAL(tsr_gguf_writer_write_mem(w, mem, (size_t)size - 1, &got, &err), TSR_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(got, size);
  CU_ASSERT_EQUAL_FATAL(tsr_gguf_writer_write_mem(w, mem, (size_t)size, &got, &err), TSR_OK);
  CU_ASSERT_EQUAL(size % 64, 0);
  /* The FILE path writes the same bytes. */
  FILE *tf = tmpfile();
  CU_ASSERT_PTR_NOT_NULL_FATAL(tf);
  CU_ASSERT_EQUAL(tsr_gguf_writer_write(w, tf, &err), TSR_OK);
  CU_ASSERT_EQUAL(ftell(tf), (long)size);
  rewind(tf);
  unsigned char *fbytes = malloc((size_t)size);
  CU_ASSERT_EQUAL(fread(fbytes, 1, (size_t)size, tf), size);
  CU_ASSERT_EQUAL(memcmp(fbytes, mem, (size_t)size), 0);
  free(fbytes);
  fclose(tf);
  tsr_gguf_writer_free(w);

  tsr_gguf *g = NULL;
  tsr_status s = tsr_gguf_parse(mem, (size_t)size, &a, &g, &err);
  if (s != TSR_OK) printf("\n  %s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(s, TSR_OK);
  CU_ASSERT_EQUAL(g->version, 3);
  CU_ASSERT_EQUAL(g->alignment, 64);
  CU_ASSERT_EQUAL(g->data_offset % 64, 0);
  CU_ASSERT_EQUAL(g->n_kv, 1 + 13 + 13);
  uint64_t u = 0;
  int64_t v = 0;
  double d = 0;
  tsr_gguf_str str;
  CU_ASSERT(tsr_gguf_get_u64(g, "general.alignment", &u, &err) == TSR_OK && u == 64);
  CU_ASSERT_EQUAL(tsr_gguf_get_kv(g, "general.alignment")->type, TSR_GGUF_UINT32);
  CU_ASSERT(tsr_gguf_get_u64(g, "t.u8", &u, &err) == TSR_OK && u == 200);
  CU_ASSERT(tsr_gguf_get_i64(g, "t.i8", &v, &err) == TSR_OK && v == -100);
  CU_ASSERT(tsr_gguf_get_u64(g, "t.i8", &u, &err) == TSR_ERR_FORMAT);
  CU_ASSERT(tsr_gguf_get_u64(g, "t.u16", &u, &err) == TSR_OK && u == 60000);
  CU_ASSERT(tsr_gguf_get_i64(g, "t.i16", &v, &err) == TSR_OK && v == -30000);
  CU_ASSERT(tsr_gguf_get_u64(g, "t.u32", &u, &err) == TSR_OK && u == 4000000000u);
  CU_ASSERT(tsr_gguf_get_i64(g, "t.u32", &v, &err) == TSR_OK && v == 4000000000LL);
  CU_ASSERT(tsr_gguf_get_i64(g, "t.i32", &v, &err) == TSR_OK && v == -2000000000);
  CU_ASSERT(tsr_gguf_get_f64(g, "t.f32", &d, &err) == TSR_OK && d == (double)0.1f);
  CU_ASSERT(tsr_gguf_get_u64(g, "t.bool", &u, &err) == TSR_OK && u == 1);
  CU_ASSERT_EQUAL(tsr_gguf_get_kv(g, "t.bool")->type, TSR_GGUF_BOOL);
  CU_ASSERT(tsr_gguf_get_str(g, "t.str", &str, &err) == TSR_OK && str.len == 8 && memcmp(str.data, "h\xc3\xa9llo\0x", 8) == 0);
  CU_ASSERT(tsr_gguf_get_u64(g, "t.u64", &u, &err) == TSR_OK && u == UINT64_MAX - 1);
  CU_ASSERT(tsr_gguf_get_i64(g, "t.u64", &v, &err) == TSR_ERR_FORMAT);
  CU_ASSERT(tsr_gguf_get_i64(g, "t.i64", &v, &err) == TSR_OK && v == -5000000000LL);
  CU_ASSERT(tsr_gguf_get_f64(g, "t.f64", &d, &err) == TSR_OK && d == -2.5e300);
  CU_ASSERT(tsr_gguf_get_str(g, "t.empty", &str, &err) == TSR_OK && str.len == 0);
  CU_ASSERT(tsr_gguf_get_str(g, "t.u8", &str, &err) == TSR_ERR_FORMAT);

  tsr_gguf_type et;
  uint64_t n;
  const tsr_gguf_kv *kv;
  CU_ASSERT(tsr_gguf_get_arr(g, "a.u8", &et, &n, &err) == TSR_OK && et == TSR_GGUF_UINT8 && n == 3);
  kv = tsr_gguf_get_kv(g, "a.u8");
  CU_ASSERT(tsr_gguf_arr_i64(kv, 2) == 255 && tsr_gguf_arr_i64(kv, 3) == 0);
  kv = tsr_gguf_get_kv(g, "a.i8");
  CU_ASSERT(kv->v.arr.type == TSR_GGUF_INT8 && tsr_gguf_arr_i64(kv, 0) == -1 && tsr_gguf_arr_i64(kv, 2) == 127);
  kv = tsr_gguf_get_kv(g, "a.u16");
  CU_ASSERT(kv->v.arr.type == TSR_GGUF_UINT16 && tsr_gguf_arr_i64(kv, 1) == 65535);
  kv = tsr_gguf_get_kv(g, "a.i16");
  CU_ASSERT(kv->v.arr.type == TSR_GGUF_INT16 && tsr_gguf_arr_i64(kv, 0) == -32768);
  kv = tsr_gguf_get_kv(g, "a.u32");
  CU_ASSERT(kv->v.arr.type == TSR_GGUF_UINT32 && tsr_gguf_arr_i64(kv, 1) == 0xdeadbeefLL);
  kv = tsr_gguf_get_kv(g, "a.i32");
  CU_ASSERT(kv->v.arr.type == TSR_GGUF_INT32 && tsr_gguf_arr_i64(kv, 2) == -3 && kv->v.arr.n == 3);
  kv = tsr_gguf_get_kv(g, "a.f32");
  CU_ASSERT(kv->v.arr.type == TSR_GGUF_FLOAT32 && tsr_gguf_arr_f64(kv, 1) == -0.25);
  kv = tsr_gguf_get_kv(g, "a.bool");
  CU_ASSERT(kv->v.arr.type == TSR_GGUF_BOOL && tsr_gguf_arr_i64(kv, 0) == 1 && tsr_gguf_arr_i64(kv, 1) == 0);
  kv = tsr_gguf_get_kv(g, "a.u64");
  CU_ASSERT(kv->v.arr.type == TSR_GGUF_UINT64 && tsr_gguf_arr_i64(kv, 1) == INT64_MAX); /* saturates */
  kv = tsr_gguf_get_kv(g, "a.i64");
  CU_ASSERT(kv->v.arr.type == TSR_GGUF_INT64 && tsr_gguf_arr_i64(kv, 0) == INT64_MIN);
  kv = tsr_gguf_get_kv(g, "a.f64");
  CU_ASSERT(kv->v.arr.type == TSR_GGUF_FLOAT64 && tsr_gguf_arr_f64(kv, 0) == 3.25 && tsr_gguf_arr_f64(kv, 1) == -1e-300);
  kv = tsr_gguf_get_kv(g, "a.none");
  CU_ASSERT(kv->v.arr.type == TSR_GGUF_INT32 && kv->v.arr.n == 0);
  kv = tsr_gguf_get_kv(g, "a.str");
  CU_ASSERT(kv->v.arr.type == TSR_GGUF_STRING && kv->v.arr.n == 3);
  CU_ASSERT(tsr_gguf_str_eq(tsr_gguf_arr_str(kv, 0), "a"));
  CU_ASSERT(tsr_gguf_str_eq(tsr_gguf_arr_str(kv, 1), ""));
  CU_ASSERT(tsr_gguf_str_eq(tsr_gguf_arr_str(kv, 2), "\xe2\x96\x81x"));

  CU_ASSERT_EQUAL(g->n_tensors, ND);
  for (int i = 0; i < ND; ++i) {
    const tsr_gguf_tensor *t = tsr_gguf_find_tensor(g, tnames[i]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(t->dtype, dts[i]);
    CU_ASSERT_EQUAL(t->n_dims, i == 0 ? 1u : 3u);
    CU_ASSERT_EQUAL(t->ne[0], (uint64_t)shapes[i][2]);
    if (i > 0) {
      CU_ASSERT_EQUAL(t->ne[1], (uint64_t)shapes[i][1]);
      CU_ASSERT_EQUAL(t->ne[2], (uint64_t)shapes[i][0]);
    }
    CU_ASSERT_EQUAL(t->offset % 64, 0);
    CU_ASSERT_EQUAL(t->nbytes, tbytes[i]);
    CU_ASSERT_EQUAL(memcmp(t->data, tdata[i], tbytes[i]), 0);
    free(tdata[i]);
  }

  /* A copy through copy_kv gives the same metadata bytes. */
  tsr_gguf_writer *w2 = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_gguf_writer_create(&a, 32, &w2), TSR_OK);
  for (uint64_t i = 0; i < g->n_kv; ++i) CU_ASSERT_EQUAL(tsr_gguf_writer_copy_kv(w2, &g->kv[i]), TSR_OK);
  uint64_t size2 = 0;
  CU_ASSERT_EQUAL(tsr_gguf_writer_get_size(w2, &size2), TSR_OK);
  unsigned char *mem2 = malloc((size_t)size2);
  CU_ASSERT_EQUAL_FATAL(tsr_gguf_writer_write_mem(w2, mem2, (size_t)size2, NULL, &err), TSR_OK);
  tsr_gguf *g2 = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_gguf_parse(mem2, (size_t)size2, &a, &g2, &err), TSR_OK);
  CU_ASSERT_EQUAL(g2->n_kv, g->n_kv);
  CU_ASSERT_EQUAL(g2->n_tensors, 0);
  CU_ASSERT_EQUAL(g2->alignment, 64);
  /* Key/value bytes: from just after the header to the end of the last kv. */
  const unsigned char *k1 = (const unsigned char *)g->kv[0].key.data - 8;
  const unsigned char *k2 = (const unsigned char *)g2->kv[0].key.data - 8;
  size_t kvbytes = (size_t)((const unsigned char *)g->tensors[0].name.data - 8 - k1);
  CU_ASSERT_EQUAL(memcmp(k1, k2, kvbytes), 0);
  tsr_gguf_free(g2);
  free(mem2);
  tsr_gguf_writer_free(w2);
  tsr_gguf_free(g);
  free(mem);
}

/* ---- hostile headers ---- */

static void expect(const bb *b, tsr_status want, const char *needle) {
  tsr_error err;
  tsr_error_clear(&err);
  tsr_status s = parse_copy(b->b, b->n, &err);
  CU_ASSERT_EQUAL(s, want);
  if (needle != NULL) CU_ASSERT_PTR_NOT_NULL(strstr(err.message, needle));
  if (s != want || (needle != NULL && strstr(err.message, needle) == NULL))
    printf("\n  want %s '%s', got %s '%s'\n", tsr_status_string(want), needle ? needle : "", tsr_status_string(s),
           err.message);
}

static void test_hostile(void) {
  bb b;
  uint64_t ne2[2] = {32, 2};
  /* Not GGUF, empty, versions. */
  b.n = 0;
  expect(&b, TSR_ERR_FORMAT, "magic");
  bb_put(&b, "GGUX", 4);
  expect(&b, TSR_ERR_FORMAT, "magic");
  bb_header(&b, 1, 0, 0);
  expect(&b, TSR_ERR_UNSUPPORTED, "version 1");
  bb_header(&b, 4, 0, 0);
  expect(&b, TSR_ERR_UNSUPPORTED, "version 4");
  bb_header(&b, 0x03000000u, 0, 0);
  expect(&b, TSR_ERR_UNSUPPORTED, "big-endian");
  bb_header(&b, 2, 0, 0);
  expect(&b, TSR_OK, NULL);
  bb_header(&b, 3, 0, 0);
  expect(&b, TSR_OK, NULL);
  b.n = 20;
  expect(&b, TSR_ERR_FORMAT, "n_kv");
  /* Counts far beyond the file. */
  bb_header(&b, 3, 0, UINT64_MAX);
  expect(&b, TSR_ERR_FORMAT, "n_kv");
  bb_header(&b, 3, UINT64_MAX / 8, 0);
  expect(&b, TSR_ERR_FORMAT, "n_tensors");
  bb_header(&b, 3, 1ull << 40, 1);
  bb_str(&b, "k");
  bb_u32(&b, TSR_GGUF_UINT8);
  bb_put(&b, "x", 1);
  expect(&b, TSR_ERR_FORMAT, "n_tensors");
  /* A key whose length runs past the end of the file. */
  bb_header(&b, 3, 0, 1);
  bb_u64(&b, UINT64_MAX - 3);
  bb_put(&b, "abcdefgh", 8);
  expect(&b, TSR_ERR_FORMAT, "kv 0 key");
  bb_header(&b, 3, 0, 1);
  bb_u64(&b, 100);
  bb_put(&b, "abcdefgh", 8);
  expect(&b, TSR_ERR_FORMAT, "past the end");
  /* Empty key, bad value type, nested array, arrays past the end. */
  bb_header(&b, 3, 0, 1);
  bb_str(&b, "");
  bb_u32(&b, TSR_GGUF_UINT8);
  bb_put(&b, "x", 1);
  expect(&b, TSR_ERR_FORMAT, "empty key");
  bb_header(&b, 3, 0, 1);
  bb_str(&b, "some.key");
  bb_u32(&b, 13);
  bb_put(&b, "xxxxxxxx", 8);
  expect(&b, TSR_ERR_FORMAT, "some.key");
  bb_header(&b, 3, 0, 1);
  bb_str(&b, "nested");
  bb_u32(&b, TSR_GGUF_ARRAY);
  bb_u32(&b, TSR_GGUF_ARRAY);
  bb_u64(&b, 1);
  bb_put(&b, "xxxxxxxxxxxxxxxx", 16);
  expect(&b, TSR_ERR_FORMAT, "nested");
  bb_header(&b, 3, 0, 1);
  bb_str(&b, "big.array");
  bb_u32(&b, TSR_GGUF_ARRAY);
  bb_u32(&b, TSR_GGUF_UINT64);
  bb_u64(&b, UINT64_MAX / 4);
  bb_put(&b, "xxxxxxxxxxxxxxxx", 16);
  expect(&b, TSR_ERR_FORMAT, "big.array");
  bb_header(&b, 3, 0, 1);
  bb_str(&b, "str.array");
  bb_u32(&b, TSR_GGUF_ARRAY);
  bb_u32(&b, TSR_GGUF_STRING);
  bb_u64(&b, 2);
  bb_str(&b, "ok");
  bb_u64(&b, 1u << 20);
  bb_put(&b, "xxxx", 4);
  expect(&b, TSR_ERR_FORMAT, "str.array");
  bb_header(&b, 3, 0, 1);
  bb_str(&b, "str.array");
  bb_u32(&b, TSR_GGUF_ARRAY);
  bb_u32(&b, TSR_GGUF_STRING);
  bb_u64(&b, UINT64_MAX);
  bb_put(&b, "xxxxxxxxxxxxxxxx", 16);
  expect(&b, TSR_ERR_FORMAT, "str.array");
  /* Duplicate keys. */
  bb_header(&b, 3, 0, 2);
  for (int i = 0; i < 2; ++i) {
    bb_str(&b, "dup.key");
    bb_u32(&b, TSR_GGUF_UINT8);
    bb_put(&b, "x", 1);
  }
  expect(&b, TSR_ERR_FORMAT, "duplicate key 'dup.key'");
  /* Alignment that is not a power of two, or of the wrong type. */
  bb_header(&b, 3, 0, 1);
  bb_str(&b, "general.alignment");
  bb_u32(&b, TSR_GGUF_UINT32);
  bb_u32(&b, 48);
  expect(&b, TSR_ERR_FORMAT, "general.alignment");
  bb_header(&b, 3, 0, 1);
  bb_str(&b, "general.alignment");
  bb_u32(&b, TSR_GGUF_STRING);
  bb_str(&b, "32");
  expect(&b, TSR_ERR_FORMAT, "general.alignment");

  /* Tensor infos: dims, extents, types, offsets. */
  bb_header(&b, 3, 1, 0);
  bb_tensor(&b, "t.dims", 5, (const uint64_t[]){1, 1, 1, 1, 1}, 0, 0);
  bb_pad(&b, 32);
  expect(&b, TSR_ERR_FORMAT, "n_dims");
  bb_header(&b, 3, 1, 0);
  bb_tensor(&b, "t.huge", 4, (const uint64_t[]){1u << 20, 1u << 20, 1u << 20, 1u << 20}, 0, 0);
  bb_pad(&b, 32);
  expect(&b, TSR_ERR_FORMAT, "t.huge");
  bb_header(&b, 3, 1, 0);
  bb_tensor(&b, "t.neg", 1, (const uint64_t[]){UINT64_MAX}, 0, 0);
  bb_pad(&b, 32);
  expect(&b, TSR_ERR_FORMAT, "t.neg");
  bb_header(&b, 3, 1, 0);
  bb_tensor(&b, "t.past", 2, ne2, 0, 0);
  bb_pad(&b, 32);
  bb_put(&b, "0123456789", 10);
  expect(&b, TSR_ERR_FORMAT, "t.past");
  bb_header(&b, 3, 1, 0);
  bb_tensor(&b, "t.offset", 2, ne2, 0, UINT64_MAX - 31);
  bb_pad(&b, 32);
  expect(&b, TSR_ERR_FORMAT, "t.offset");
  bb_header(&b, 3, 1, 0);
  bb_tensor(&b, "t.misaligned", 1, ne2, 0, 4);
  bb_pad(&b, 32);
  for (int i = 0; i < 160; ++i) bb_put(&b, "x", 1);
  expect(&b, TSR_ERR_FORMAT, "t.misaligned");
  bb_header(&b, 3, 1, 0);
  bb_tensor(&b, "t.block", 1, (const uint64_t[]){33}, 8, 0);
  bb_pad(&b, 32);
  for (int i = 0; i < 160; ++i) bb_put(&b, "x", 1);
  expect(&b, TSR_ERR_FORMAT, "t.block");
  bb_header(&b, 3, 1, 0);
  bb_tensor(&b, "t.badtype", 1, ne2, 99, 0);
  bb_pad(&b, 32);
  for (int i = 0; i < 160; ++i) bb_put(&b, "x", 1);
  expect(&b, TSR_ERR_FORMAT, "t.badtype");
  bb_header(&b, 3, 1, 0);
  bb_tensor(&b, "t.removed", 1, ne2, 4, 0);
  bb_pad(&b, 32);
  for (int i = 0; i < 160; ++i) bb_put(&b, "x", 1);
  expect(&b, TSR_ERR_FORMAT, "t.removed");
  /* Two tensors: overlapping, duplicate names. */
  bb_header(&b, 3, 2, 0);
  bb_tensor(&b, "t.a", 2, ne2, 0, 0);
  bb_tensor(&b, "t.b", 2, ne2, 0, 224);
  bb_pad(&b, 32);
  for (int i = 0; i < 512; ++i) bb_put(&b, "x", 1);
  expect(&b, TSR_ERR_FORMAT, "overlap");
  bb_header(&b, 3, 2, 0);
  bb_tensor(&b, "t.a", 2, ne2, 0, 0);
  bb_tensor(&b, "t.a", 2, ne2, 0, 256);
  bb_pad(&b, 32);
  for (int i = 0; i < 512; ++i) bb_put(&b, "x", 1);
  expect(&b, TSR_ERR_FORMAT, "duplicate tensor name 't.a'");
  bb_header(&b, 3, 2, 0);
  bb_tensor(&b, "t.a", 2, ne2, 0, 0);
  bb_tensor(&b, "t.b", 2, ne2, 0, 256);
  bb_pad(&b, 32);
  for (int i = 0; i < 512; ++i) bb_put(&b, "x", 1);
  expect(&b, TSR_OK, NULL);
  /* A name longer than the specification allows. */
  bb_header(&b, 3, 1, 0);
  bb_tensor(&b, "a_name_that_is_much_too_long_for_gguf_which_allows_64_bytes_at_most", 1, ne2, 0, 0);
  bb_pad(&b, 32);
  expect(&b, TSR_ERR_FORMAT, "longer than 64");
  /* Types Tessera does not load: UNSUPPORTED naming the type and tensor,
   * unless the caller asks for metadata only. */
  static const struct {
    uint32_t type;
    const char *name;
  } unsup[] = {{10, "q2_k"}, {3, "q4_1"}, {16, "iq2_xxs"}, {23, "iq4_xs"}, {28, "f64"}};
  for (size_t i = 0; i < sizeof(unsup) / sizeof(unsup[0]); ++i) {
    bb_header(&b, 3, 2, 0);
    bb_tensor(&b, "ok.weight", 2, ne2, 0, 0);
    bb_tensor(&b, "blk.0.ffn_down.weight", 1, (const uint64_t[]){256}, unsup[i].type, 256);
    bb_pad(&b, 32);
    for (int j = 0; j < 256 + 256 * 8; ++j) bb_put(&b, "x", 1);
    tsr_error err;
    CU_ASSERT_EQUAL(parse_copy(b.b, b.n, &err), TSR_ERR_UNSUPPORTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "blk.0.ffn_down.weight"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, unsup[i].name));
    tsr_allocator a = tsr_allocator_system();
    tsr_gguf *g = NULL;
    CU_ASSERT_EQUAL(tsr_gguf_parse_ex(b.b, b.n, &a, TSR_GGUF_ALLOW_UNSUPPORTED, &g, &err), TSR_OK);
    if (g != NULL) CU_ASSERT_EQUAL(g->tensors[1].dtype, TSR_DTYPE_NONE);
    tsr_gguf_free(g);
  }
}

static void test_fileio(void) {
  tsr_allocator a = tsr_allocator_system();
  tsr_mapped_file f;
  tsr_error err;
  CU_ASSERT_EQUAL(tsr_file_map("/nonexistent/file.gguf", &a, &f, &err), TSR_ERR_IO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "/nonexistent/file.gguf"));
  CU_ASSERT_EQUAL(tsr_file_map("/", &a, &f, &err), TSR_ERR_IO);
  /* An empty file reads as zero bytes. */
  char tmpl[] = "/tmp/tsr_fileio_XXXXXX";
  int fd = mkstemp(tmpl);
  CU_ASSERT_FATAL(fd >= 0);
  close(fd);
  FILE *tf;
  CU_ASSERT_EQUAL(tsr_file_map(tmpl, &a, &f, &err), TSR_OK);
  CU_ASSERT_EQUAL(f.size, 0);
  CU_ASSERT_FALSE(f.mapped);
  tsr_file_unmap(&f);
  tf = fopen(tmpl, "wb");
  fputs("GGUF", tf);
  fclose(tf);
  CU_ASSERT_EQUAL(tsr_file_map(tmpl, &a, &f, &err), TSR_OK);
  CU_ASSERT_EQUAL(f.size, 4);
  CU_ASSERT(f.mapped);
  CU_ASSERT_EQUAL(memcmp(f.data, "GGUF", 4), 0);
  tsr_file_unmap(&f);
  CU_ASSERT_PTR_NULL(f.data);
  remove(tmpl);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("gguf", NULL, NULL);
  CU_add_test(s, "stories260K.gguf", test_stories);
  CU_add_test(s, "truncation at 50 points", test_truncation);
  CU_add_test(s, "writer round trip", test_writer_roundtrip);
  CU_add_test(s, "hostile headers", test_hostile);
  CU_add_test(s, "file mapping", test_fileio);
  return fixture_run_all();
}
