/* Runs the GGUF fuzz target once over every file of its seed corpus
 * (tests/fuzz/corpus/gguf: seeds and fixed crashers), so that ordinary test
 * builds, the sanitizer one included, replay them. */
#define _POSIX_C_SOURCE 200809L
#include <CUnit/Basic.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void test_corpus(void) {
  DIR *d = opendir(TSR_FUZZ_CORPUS);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  int files = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", TSR_FUZZ_CORPUS, e->d_name);
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
    ++files;
  }
  closedir(d);
  printf("\n  %d corpus files replayed ", files);
  CU_ASSERT(files >= 7);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("fuzz corpus", NULL, NULL);
  CU_add_test(s, "fuzz target over " TSR_FUZZ_CORPUS, test_corpus);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return f ? 1 : 0;
}
