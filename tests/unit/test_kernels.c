/* Every CPU kernel variant of the registry on its own, against the
 * reference, on every conformance case it matches (so a variant the
 * registry never picks first is still tested): one CUnit test per variant,
 * skipped (and said so) where this CPU lacks the variant's ISA. A variant
 * that matches no case fails: its tests could not catch anything. */
#include <CUnit/Basic.h>
#include <CUnit/TestRun.h>
#include <stdio.h>
#include <string.h>

#include "conformance/conformance.h"
#include "kernels/common/kernel.h"

static uint32_t g_isa;
static conf_counts g_total;
static unsigned g_skipped_variants;

static void test_variant(void) {
  const char *name = CU_get_current_test()->pName;
  uint32_t n;
  const tsr_kernel *const *table = tsr_kernel_table(&n);
  const tsr_kernel *k = NULL;
  for (uint32_t i = 0; i < n; ++i) {
    if (strcmp(table[i]->name, name) == 0) k = table[i];
  }
  CU_ASSERT_PTR_NOT_NULL_FATAL(k);
  if ((k->isa & ~g_isa) != 0) {
    printf("\n  SKIPPED %s: this CPU lacks its ISA\n", name);
    g_skipped_variants++;
    return;
  }
  conf_options opt = {.quick = false, .check_threads = false, .seed = 0x7e55e7a, .log = stdout, .verbose = false};
  conf_counts c = {0};
  bool ok = conf_run_kernel(k, &opt, &c);
  g_total.passed += c.passed;
  g_total.failed += c.failed;
  CU_ASSERT_TRUE(ok);
  CU_ASSERT_EQUAL(c.failed, 0);
  CU_ASSERT(c.passed > 0); /* a variant no case reaches is untested */
  if (c.passed == 0) printf("\n  %s matches no %s case\n", name, tsr_op_type_name(k->op));
}

int main(void) {
  tsr_cpu_features f;
  tsr_cpu_detect(&f);
  g_isa = f.isa;
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("kernel variants", NULL, NULL);
  uint32_t n;
  const tsr_kernel *const *table = tsr_kernel_table(&n);
  unsigned variants = 0;
  for (uint32_t i = 0; i < n; ++i) {
    size_t l = strlen(table[i]->name);
    if (table[i]->isa == 0 && l >= 4 && strcmp(table[i]->name + l - 4, "_ref") == 0) continue;
    if (conf_case_count(table[i]->op, false) == 0) continue;
    CU_add_test(s, table[i]->name, test_variant);
    variants++;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  printf("\nkernel variants: %u listed, %u skipped (ISA absent); cases: %u passed, %u failed\n", variants,
         g_skipped_variants, (unsigned)g_total.passed, (unsigned)g_total.failed);
  CU_cleanup_registry();
  return failures != 0 ? 1 : 0;
}
