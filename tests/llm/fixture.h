/* Model fixtures for the LLM tests: found at run time under $TESSERA_MODELS
 * or ../shared/models next to the source tree (tests/models_dir.h). A test
 * whose fixture is missing prints SKIPPED and counts a skip; main() then
 * exits with TSR_TEST_SKIP_CODE (ctest's SKIP_RETURN_CODE) unless something
 * failed, or with 1 where fixtures are required (CI=true,
 * TESSERA_REQUIRE_MODELS=1). */
#ifndef TESSERA_TESTS_LLM_FIXTURE_H_
#define TESSERA_TESTS_LLM_FIXTURE_H_

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models_dir.h"

#define TSR_TEST_SKIP_CODE 77

static int g_fixture_skips;

/* The whole of |path| in a malloc'd buffer of exactly its size (so that
 * AddressSanitizer sees any read past the end). NULL if unreadable. */
static inline unsigned char *fixture_slurp(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  if (fseek(f, 0, SEEK_END) != 0) {
    fclose(f);
    return NULL;
  }
  long n = ftell(f);
  if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
  if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf != NULL) *size = (size_t)n;
  return buf;
}

/* Writes the path of fixture |rel| (relative to the models directory) into
 * |out|; false (and prints SKIPPED for |test|) if it is not there. */
static inline int fixture_path(const char *rel, const char *test, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s", tsr_test_models_dir(), rel);
  FILE *f = fopen(out, "rb");
  if (f != NULL) {
    fclose(f);
    return 1;
  }
  printf("\n  SKIPPED %s: fixture %s not found\n", test, out);
  ++g_fixture_skips;
  return 0;
}

/* Runs the registry and returns the exit code: 1 on failure or on a missing
 * fixture where fixtures are required, the skip code if a fixture was
 * missing, else 0. */
static inline int fixture_run_all(void) {
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  if (f) return 1;
  if (g_fixture_skips && tsr_test_models_required()) {
    printf("%d test(s) FAILED for missing fixtures: they are required here (CI=true or TESSERA_REQUIRE_MODELS=1)\n",
           g_fixture_skips);
    return 1;
  }
  if (g_fixture_skips) {
    printf("%d test(s) SKIPPED for missing fixtures\n", g_fixture_skips);
    return TSR_TEST_SKIP_CODE;
  }
  return 0;
}

#endif
