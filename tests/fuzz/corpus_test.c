/* Runs the GGUF fuzz target once over every file of its corpus, so that
 * ordinary test builds, the sanitizer ones included, replay them: the
 * committed inputs (tests/fuzz/corpus/gguf: the grown corpus and fixed
 * crashers) and the seeds derived at run time from the model fixtures
 * (GGUF, TSR_FUZZ_GGUF_SEEDS: gen_seeds.c, written to a temporary directory; fixtures missing: a skip
 * of those seeds, a failure where fixtures are required). */
#define _POSIX_C_SOURCE 200809L
#include <CUnit/Basic.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int tsr_fuzz_gen_seeds(const char *models, const char *out_dir);

/* Replays every file of |dir| (removing them afterwards if |remove_after|);
 * returns the count, -1 if |dir| cannot be read. */
static int replay_dir(const char *dir, bool remove_after) {
  DIR *d = opendir(dir);
  if (d == NULL) return -1;
  int files = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) continue;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    /* An exact-size copy: AddressSanitizer sees any read past the end. */
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    size_t got = fread(buf, 1, n > 0 ? (size_t)n : 0, f);
    fclose(f);
    CU_ASSERT_EQUAL(got, (size_t)n);
    LLVMFuzzerTestOneInput(buf, got);
    free(buf);
    if (remove_after) remove(path);
    ++files;
  }
  closedir(d);
  return files;
}

static void test_corpus(void) {
  const int files = replay_dir(TSR_FUZZ_CORPUS, false);
  printf("\n  %d committed corpus files replayed ", files);
  CU_ASSERT(files >= 7);
}

#ifdef TSR_FUZZ_GGUF_SEEDS
static void test_seeds(void) {
  const char *models = tsr_test_models_dir();
  char probe[1024];
  snprintf(probe, sizeof(probe), "%s/llm/gguf/stories260K.gguf", models);
  if (access(probe, R_OK) != 0) {
    printf("\n  SKIPPED: fixtures not found at %s ", models);
    CU_ASSERT_FALSE(tsr_test_models_required());
    return;
  }
  const char *tmp = getenv("TMPDIR");
  char dir[1024];
  snprintf(dir, sizeof(dir), "%s/tsr_fuzz_seeds_XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  CU_ASSERT_EQUAL(tsr_fuzz_gen_seeds(models, dir), 0);
  const int files = replay_dir(dir, true);
  rmdir(dir);
  printf("\n  %d seeds derived from the fixtures replayed ", files);
  CU_ASSERT_EQUAL(files, 7);
}
#endif

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("fuzz corpus", NULL, NULL);
  CU_add_test(s, "fuzz target over " TSR_FUZZ_CORPUS, test_corpus);
#ifdef TSR_FUZZ_GGUF_SEEDS
  CU_add_test(s, "fuzz target over the seeds derived from the fixtures", test_seeds);
#endif
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return f ? 1 : 0;
}
