/* The greedy stories260K text (llama2.c's, 200 tokens from BOS) on every
 * CPU variant this machine has (cpu, cpu:scalar, cpu:avx2, cpu:avx512,
 * cpu:neon, cpu:neondot, cpu:ref) with 1 and 2 threads, from the llama2.c checkpoint and from the
 * GGUF: the fast kernels must not change a single token. A variant the CPU
 * lacks is skipped (and said so). */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#include "llm/fixture.h"
#include "tessera/llm.h"
#include "tessera/tessera.h"

#define BIN "llm/llama2c/stories260K.bin"
#define TOK "llm/llama2c/tok512.bin"
#define GGUF "llm/gguf/stories260K.gguf"
#define GOLDEN "llm/llama2c/stories260K_greedy200.txt"

typedef struct text_buf {
  char data[8192];
  size_t len;
} text_buf;

static bool collect(void *user, int32_t id, const char *text, size_t len) {
  (void)id;
  text_buf *b = user;
  if (b->len + len < sizeof(b->data)) {
    memcpy(b->data + b->len, text, len);
    b->len += len;
  }
  return true;
}

/* "cpu" is the top level (avx512vnni, or neoni8mm on an i8mm ARM core). */
static const char *const kVariants[] = {"cpu",         "cpu:scalar", "cpu:avx2", "cpu:avx512",
                                        "cpu:neon",    "cpu:neondot", "cpu:ref"};

static void golden_on_variants(const char *rel) {
  char path[1024], tok[1024], gpath[1024];
  if (!fixture_path(rel, rel, path, sizeof(path)) || !fixture_path(GOLDEN, rel, gpath, sizeof(gpath))) return;
  bool bin = strstr(rel, ".bin") != NULL;
  if (bin && !fixture_path(TOK, rel, tok, sizeof(tok))) return;
  size_t glen = 0;
  unsigned char *gold = fixture_slurp(gpath, &glen);
  CU_ASSERT_PTR_NOT_NULL_FATAL(gold);
  tsr_allocator sys = tsr_allocator_system();
  for (size_t v = 0; v < sizeof(kVariants) / sizeof(kVariants[0]); ++v) {
    for (uint32_t threads = 1; threads <= 2; ++threads) {
      tsr_target_options to = {0};
      to.n_threads = threads;
      tsr_target *t = NULL;
      tsr_error err;
      tsr_status s = tsr_target_create(kVariants[v], &to, &sys, &t, &err);
      if (s == TSR_ERR_UNSUPPORTED) {
        printf("\n    SKIPPED %s: %s", kVariants[v], err.message);
        break;
      }
      CU_ASSERT_EQUAL_FATAL(s, TSR_OK);
      tsr_llm_options o;
      memset(&o, 0, sizeof(o));
      o.targets[0] = t;
      o.n_targets = 1;
      o.fallback = t;
      if (bin) o.tokenizer_path = tok;
      tsr_llm *m = NULL;
      s = tsr_llm_load_file(path, &o, &m, &err);
      CU_ASSERT_EQUAL(s, TSR_OK);
      if (s == TSR_OK) {
        tsr_llm_generate_params gp;
        tsr_llm_generate_params_default(&gp);
        gp.max_tokens = 200;
        text_buf *tb = calloc(1, sizeof(*tb));
        gp.on_text = collect;
        gp.user = tb;
        tsr_llm_result r;
        CU_ASSERT_EQUAL(tsr_llm_generate(m, "", 0, &gp, &r), TSR_OK);
        bool same = tb->len == glen && memcmp(tb->data, gold, glen) == 0;
        CU_ASSERT(same);
        printf("\n    %-10s %u thread%s: %s", kVariants[v], threads, threads > 1 ? "s" : " ",
               same ? "the golden text" : "DIFFERS");
        free(tb);
        tsr_llm_free(m);
      }
      tsr_target_destroy(t);
    }
  }
  free(gold);
}

static void test_bin(void) { golden_on_variants(BIN); }
static void test_gguf(void) { golden_on_variants(GGUF); }

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("stories260K golden text on every CPU variant", NULL, NULL);
  CU_add_test(s, "llama2.c checkpoint", test_bin);
  CU_add_test(s, "GGUF", test_gguf);
  return fixture_run_all();
}
