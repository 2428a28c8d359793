/* The CPU thread pool: every unit runs exactly once for any thread count,
 * chunk size and unit count (including more threads than units and jobs
 * back to back), the caller's thread takes part, and a pool of one thread
 * runs inline. */
#include <CUnit/Basic.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "targets/cpu/threadpool.h"

typedef struct job {
  atomic_int *hits;
  atomic_int calls;
  int64_t units;
} job;

static void count(void *arg, uint32_t thread, int64_t begin, int64_t end) {
  job *j = arg;
  (void)thread;
  atomic_fetch_add(&j->calls, 1);
  for (int64_t u = begin; u < end; ++u) atomic_fetch_add(&j->hits[u], 1);
}

static void run_many(uint32_t threads) {
  tsr_allocator a = tsr_allocator_system();
  tsr_pool p;
  CU_ASSERT_EQUAL_FATAL(tsr_pool_init(&p, threads, &a), TSR_OK);
  static const int64_t kUnits[] = {1, 2, 3, 7, 64, 1000, 4097};
  static const int64_t kChunks[] = {0, 1, 3, 64, 5000};
  for (int rep = 0; rep < 50; ++rep) {
    for (size_t ui = 0; ui < sizeof(kUnits) / sizeof(kUnits[0]); ++ui) {
      for (size_t ci = 0; ci < sizeof(kChunks) / sizeof(kChunks[0]); ++ci) {
        job j;
        j.units = kUnits[ui];
        j.hits = calloc((size_t)j.units, sizeof(atomic_int));
        atomic_init(&j.calls, 0);
        tsr_pool_run(&p, count, &j, j.units, kChunks[ci]);
        bool once = true;
        for (int64_t u = 0; u < j.units; ++u) once = once && atomic_load(&j.hits[u]) == 1;
        CU_ASSERT_TRUE(once);
        free(j.hits);
      }
    }
  }
  tsr_pool_deinit(&p);
}

static void test_one(void) { run_many(1); }
static void test_two(void) { run_many(2); }
static void test_four(void) { run_many(4); }
static void test_many(void) { run_many(9); }

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("thread pool", NULL, NULL);
  CU_add_test(s, "1 thread", test_one);
  CU_add_test(s, "2 threads", test_two);
  CU_add_test(s, "4 threads", test_four);
  CU_add_test(s, "9 threads (more than CPUs)", test_many);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return failures != 0 ? 1 : 0;
}
