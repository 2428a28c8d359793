/* Bounded, typed input files: a FIFO, a character device, a directory, a
 * link to a device and a file over its limit are each refused with a status
 * naming the path, through tsr_file_map_limited, tsr_llm_load_file and
 * tsr_net_open; none of them blocks or reads without bound. */
#define _POSIX_C_SOURCE 200809L
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/net/net.h"
#include "llm/fixture.h"
#include "tessera/tessera.h"

static char g_dir[64];
static char g_fifo[128], g_link[128], g_big[128], g_onnx_link[128], g_fifo_gguf[128];

static int setup(void) {
  snprintf(g_dir, sizeof(g_dir), "/tmp/tsr_inputs_XXXXXX");
  if (mkdtemp(g_dir) == NULL) return 1;
  snprintf(g_fifo, sizeof(g_fifo), "%s/fifo", g_dir);
  snprintf(g_fifo_gguf, sizeof(g_fifo_gguf), "%s/fifo.gguf", g_dir);
  snprintf(g_link, sizeof(g_link), "%s/zero.gguf", g_dir);
  snprintf(g_onnx_link, sizeof(g_onnx_link), "%s/zero.onnx", g_dir);
  snprintf(g_big, sizeof(g_big), "%s/big.bin", g_dir);
  if (mkfifo(g_fifo, 0600) != 0 || mkfifo(g_fifo_gguf, 0600) != 0) return 1;
  if (symlink("/dev/zero", g_link) != 0 || symlink("/dev/zero", g_onnx_link) != 0) return 1;
  FILE *f = fopen(g_big, "wb");
  if (f == NULL) return 1;
  for (int i = 0; i < 100; ++i) fputc(i, f);
  return fclose(f) == 0 ? 0 : 1;
}

static int teardown(void) {
  remove(g_fifo);
  remove(g_fifo_gguf);
  remove(g_link);
  remove(g_onnx_link);
  remove(g_big);
  rmdir(g_dir);
  return 0;
}

/* |s| is |want| and the detail names |path| and contains |why|. */
static void expect_refused(tsr_status s, tsr_status want, const tsr_error *err, const char *path, const char *why) {
  CU_ASSERT_EQUAL(s, want);
  CU_ASSERT_PTR_NOT_NULL(strstr(err->message, path));
  CU_ASSERT_PTR_NOT_NULL(strstr(err->message, why));
  if (s != want || strstr(err->message, path) == NULL || strstr(err->message, why) == NULL)
    printf("\n  got %s: %s\n", tsr_status_string(s), err->message);
}

static void test_map_kinds(void) {
  tsr_allocator a = tsr_allocator_system();
  tsr_mapped_file f;
  tsr_error err;
  expect_refused(tsr_file_map_limited(g_fifo, "model", 0, &a, &f, &err), TSR_ERR_IO, &err, g_fifo, "a FIFO");
  expect_refused(tsr_file_map_limited("/dev/zero", "model", 0, &a, &f, &err), TSR_ERR_IO, &err, "/dev/zero",
                 "character device");
  expect_refused(tsr_file_map_limited(g_dir, "prompt", 0, &a, &f, &err), TSR_ERR_IO, &err, g_dir, "a directory");
  expect_refused(tsr_file_map_limited(g_link, "image", 0, &a, &f, &err), TSR_ERR_IO, &err, g_link,
                 "character device");
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "image"));
  /* The limit: 100 bytes pass at 100, not at 99. */
  expect_refused(tsr_file_map_limited(g_big, "tokenizer", 99, &a, &f, &err), TSR_ERR_INVALID_ARGUMENT, &err, g_big,
                 "100 bytes, over the limit of 99");
  CU_ASSERT_EQUAL_FATAL(tsr_file_map_limited(g_big, "tokenizer", 100, &a, &f, &err), TSR_OK);
  CU_ASSERT_EQUAL(f.size, 100);
  CU_ASSERT_EQUAL(f.data[99], 99);
  tsr_file_unmap(&f);
  /* The FIFO is still usable afterwards: nothing was left open on it. */
  CU_ASSERT_EQUAL(tsr_file_map(g_fifo, &a, &f, &err), TSR_ERR_IO);
}

static void test_llm_load(void) {
  tsr_llm *m = NULL;
  tsr_error err;
  expect_refused(tsr_llm_load_file(g_fifo_gguf, NULL, &m, &err), TSR_ERR_IO, &err, g_fifo_gguf, "a FIFO");
  expect_refused(tsr_llm_load_file("/dev/zero", NULL, &m, &err), TSR_ERR_IO, &err, "/dev/zero", "character device");
  expect_refused(tsr_llm_load_file(g_dir, NULL, &m, &err), TSR_ERR_IO, &err, g_dir, "a directory");
  expect_refused(tsr_llm_load_file(g_link, NULL, &m, &err), TSR_ERR_IO, &err, g_link, "character device");
  CU_ASSERT_PTR_NULL(m);
  char bin[512], tok[512], gguf[512];
  if (!fixture_path("llm/llama2c/stories260K.bin", "llm load limits", bin, sizeof(bin)) ||
      !fixture_path("llm/llama2c/tok512.bin", "llm load limits", tok, sizeof(tok)) ||
      !fixture_path("llm/gguf/stories260K.gguf", "llm load limits", gguf, sizeof(gguf)))
    return;
  tsr_llm_options o;
  memset(&o, 0, sizeof(o));
  o.n_threads = 1;
  o.max_model_bytes = 1000;
  expect_refused(tsr_llm_load_file(gguf, &o, &m, &err), TSR_ERR_INVALID_ARGUMENT, &err, gguf,
                 "over the limit of 1000 bytes");
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "model"));
  o.max_model_bytes = 0;
  o.tokenizer_path = g_fifo;
  expect_refused(tsr_llm_load_file(bin, &o, &m, &err), TSR_ERR_IO, &err, g_fifo, "tokenizer");
  o.tokenizer_path = tok;
  o.max_tokenizer_bytes = 10;
  expect_refused(tsr_llm_load_file(bin, &o, &m, &err), TSR_ERR_INVALID_ARGUMENT, &err, tok, "over the limit of 10");
  CU_ASSERT_PTR_NULL(m);
  /* At the defaults both load. */
  o.max_tokenizer_bytes = 0;
  CU_ASSERT_EQUAL(tsr_llm_load_file(bin, &o, &m, &err), TSR_OK);
  tsr_llm_free(m);
}

static void test_net_open(void) {
  tsr_allocator a = tsr_allocator_system();
  tsr_net *net = NULL;
  tsr_error err;
  expect_refused(tsr_net_open(g_onnx_link, NULL, &a, &net, &err), TSR_ERR_IO, &err, g_onnx_link, "character device");
  expect_refused(tsr_net_open(g_fifo, NULL, &a, &net, &err), TSR_ERR_IO, &err, g_fifo, "a FIFO");
  CU_ASSERT_PTR_NULL(net);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("inputs", setup, teardown);
  CU_add_test(s, "file kinds and limits", test_map_kinds);
  CU_add_test(s, "llm load refuses them", test_llm_load);
  CU_add_test(s, "net open refuses them", test_net_open);
  return fixture_run_all();
}
