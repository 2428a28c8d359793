/* The allocation counter the zero-allocation tests rely on: a positive
 * control (a deliberate malloc and a deliberate mmap are seen), a negative one
 * (nothing done, nothing counted), and the library's own file mapping (mmap)
 * seen through it. */
#define _POSIX_C_SOURCE 200809L
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>

#include "tessera/tessera.h"
#include "unit/alloc_counter.h"

static void test_positive_control(void) {
  int bad = alloc_counter_self_test();
  CU_ASSERT_EQUAL(bad & 1, 0); /* malloc/free */
  CU_ASSERT_EQUAL(bad & 2, 0); /* mmap/munmap */
  if (!alloc_counter_counts_mmap()) printf("\n  (mmap is not counted under AddressSanitizer)");
}

static void test_negative_control(void) {
  alloc_counter_install();
  alloc_counter_arm();
  int x[64];
  for (int i = 0; i < 64; ++i) x[i] = i * i;
  CU_ASSERT_EQUAL(alloc_counter_disarm(), 0);
  CU_ASSERT_EQUAL(x[63], 63 * 63);
}

/* tsr_file_map maps (no allocator call) and unmaps: two mmap-family calls. */
static void test_library_mmap(void) {
  if (!alloc_counter_counts_mmap()) return;
  char path[] = "/tmp/tsr_alloc_counter_XXXXXX";
  int fd = mkstemp(path);
  CU_ASSERT_FATAL(fd >= 0);
  FILE *f = fdopen(fd, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("0123456789", f);
  fclose(f);
  tsr_mapped_file m;
  tsr_error err;
  alloc_counter_install();
  alloc_counter_arm();
  CU_ASSERT_EQUAL(tsr_file_map_limited(path, "file", 0, NULL, &m, &err), TSR_OK);
  CU_ASSERT(m.mapped);
  tsr_file_unmap(&m);
  CU_ASSERT_EQUAL(alloc_counter_disarm(), 2);
  remove(path);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("allocation counter", NULL, NULL);
  CU_add_test(s, "positive control: malloc and mmap are seen", test_positive_control);
  CU_add_test(s, "negative control: nothing done, nothing counted", test_negative_control);
  CU_add_test(s, "the library's file mapping is seen", test_library_mmap);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  int failed = (int)CU_get_number_of_failures();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
