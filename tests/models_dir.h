/* Where the tests find the model fixtures, decided when the test runs (not
 * when it was configured): $TESSERA_MODELS if set, else the folder the build
 * passed as TSR_TEST_MODELS_DEFAULT (../shared/models next to the source
 * tree), else ../shared/models from the working directory.
 *
 * A missing fixture normally makes a test report itself skipped. In CI
 * (CI=true, as CI runners set it) or with TESSERA_REQUIRE_MODELS=1 it is a
 * failure instead; TESSERA_REQUIRE_MODELS=0 turns that off even in CI. */
#ifndef TESSERA_TESTS_MODELS_DIR_H_
#define TESSERA_TESTS_MODELS_DIR_H_

#include <stdlib.h>
#include <string.h>

#ifndef TSR_TEST_MODELS_DEFAULT
#define TSR_TEST_MODELS_DEFAULT "../shared/models"
#endif

static inline const char *tsr_test_models_dir(void) {
  const char *dir = getenv("TESSERA_MODELS");
  return dir != NULL && dir[0] != '\0' ? dir : TSR_TEST_MODELS_DEFAULT;
}

/* 1 when a missing fixture must fail the test rather than skip it. */
static inline int tsr_test_models_required(void) {
  const char *req = getenv("TESSERA_REQUIRE_MODELS");
  if (req != NULL && req[0] != '\0') return strcmp(req, "0") != 0;
  const char *ci = getenv("CI");
  return ci != NULL && (strcmp(ci, "true") == 0 || strcmp(ci, "1") == 0);
}

#endif
