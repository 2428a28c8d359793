/* The conformance suite under CUnit: one suite per available target, one
 * test per op. Targets are enumerated at run time, so a target added later
 * is covered with no new test code. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

#define MAX_TARGETS 16

static char g_names[MAX_TARGETS][32];
static uint32_t g_n_targets;
static tsr_target *g_current;
static const char *g_current_name;
static conf_counts g_total;
static tsr_allocator g_alloc;

static int suite_init_n(uint32_t i) {
  tsr_error err;
  g_current_name = g_names[i];
  if (conf_create_target(g_names[i], 0, &g_alloc, &g_current, &err) != TSR_OK) {
    fprintf(stderr, "cannot create target %s: %s\n", g_names[i], err.message);
    g_current = NULL;
    return 1;
  }
  return 0;
}

static int suite_clean(void) {
  tsr_target_destroy(g_current);
  g_current = NULL;
  return 0;
}

#define INIT_FN(i) static int suite_init_##i(void) { return suite_init_n(i); }
INIT_FN(0) INIT_FN(1) INIT_FN(2) INIT_FN(3) INIT_FN(4) INIT_FN(5) INIT_FN(6) INIT_FN(7)
INIT_FN(8) INIT_FN(9) INIT_FN(10) INIT_FN(11) INIT_FN(12) INIT_FN(13) INIT_FN(14) INIT_FN(15)
static int (*const kInit[MAX_TARGETS])(void) = {
    suite_init_0, suite_init_1, suite_init_2,  suite_init_3,  suite_init_4,  suite_init_5,  suite_init_6,  suite_init_7,
    suite_init_8, suite_init_9, suite_init_10, suite_init_11, suite_init_12, suite_init_13, suite_init_14, suite_init_15};

static void run_op(tsr_op_type op) {
  conf_options opt = {.quick = false, .check_threads = true, .seed = 0x7e55e7a, .log = stdout, .verbose = false};
  conf_counts c = {0};
  bool ok = conf_run_op(g_current, g_current_name, op, &opt, &c);
  g_total.passed += c.passed;
  g_total.failed += c.failed;
  g_total.skipped += c.skipped;
  if (c.skipped) printf("  [%s] %s: %u cases skipped (unsupported on this target)\n", g_current_name, tsr_op_type_name(op), (unsigned)c.skipped);
  CU_ASSERT_TRUE(ok);
  CU_ASSERT_EQUAL(c.failed, 0);
}

#define TEST_FN(id, name) static void test_##id(void) { run_op(TSR_OP_##id); }
TSR_OP_LIST(TEST_FN)
#undef TEST_FN

int main(int argc, char **argv) {
  g_alloc = tsr_allocator_system();
  const char *only = argc > 1 ? argv[1] : getenv("TESSERA_CONFORMANCE_TARGETS");
  char all[MAX_TARGETS * 2][32];
  uint32_t n = tsr_target_enumerate(all, MAX_TARGETS * 2);
  for (uint32_t i = 0; i < n && i < MAX_TARGETS * 2 && g_n_targets < MAX_TARGETS; ++i) {
    if (only && *only) { /* comma-separated list of names */
      const char *p = strstr(only, all[i]);
      size_t l = strlen(all[i]);
      bool match = false;
      while (p) {
        if ((p == only || p[-1] == ',') && (p[l] == '\0' || p[l] == ',')) match = true;
        p = strstr(p + 1, all[i]);
      }
      if (!match) continue;
    }
    memcpy(g_names[g_n_targets++], all[i], 32);
  }
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  for (uint32_t t = 0; t < g_n_targets; ++t) {
    char suite_name[64];
    snprintf(suite_name, sizeof(suite_name), "conformance[%s]", g_names[t]);
    CU_pSuite s = CU_add_suite(suite_name, kInit[t], suite_clean);
    if (s == NULL) return 2;
#define ADD_TEST(id, name) \
    if (conf_case_count(TSR_OP_##id, false) > 0) CU_add_test(s, name, test_##id);
    TSR_OP_LIST(ADD_TEST)
#undef ADD_TEST
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  printf("\nconformance: %u targets, %u cases passed, %u failed, %u skipped (unsupported)\n", (unsigned)g_n_targets,
         (unsigned)g_total.passed, (unsigned)g_total.failed, (unsigned)g_total.skipped);
  CU_cleanup_registry();
  return failures != 0 || g_n_targets == 0 ? 1 : 0;
}
