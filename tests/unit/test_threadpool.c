/* The CPU thread pool: every unit runs exactly once for any thread count,
 * chunk size and unit count (including more threads than units and jobs
 * back to back), the caller's thread takes part, and a pool of one thread
 * runs inline. */
#include <CUnit/Basic.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets/cpu/cpu_cost.h"
#include "targets/cpu/threadpool.h"

typedef struct job {
  atomic_int *hits;
  atomic_int calls;
  int64_t units;
  atomic_uint max_thread; /* highest thread index that ran a chunk */
} job;

static void count(void *arg, uint32_t thread, int64_t begin, int64_t end) {
  job *j = arg;
  unsigned seen = atomic_load(&j->max_thread);
  while (thread > seen && !atomic_compare_exchange_weak(&j->max_thread, &seen, thread)) {
  }
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
        atomic_init(&j.max_thread, 0);
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

/* tsr_pool_run_on: every unit once, and only threads below the limit
 * (the contention backoff off, so that jobs really are split). */
static void run_limited(uint32_t threads) {
  tsr_allocator a = tsr_allocator_system();
  tsr_pool p;
  CU_ASSERT_EQUAL_FATAL(tsr_pool_init(&p, threads, &a), TSR_OK);
  p.adaptive = false;
  static const int64_t kUnits[] = {1, 2, 5, 64, 1000};
  for (int rep = 0; rep < 30; ++rep) {
    for (uint32_t limit = 0; limit <= threads + 1; ++limit) {
      for (size_t ui = 0; ui < sizeof(kUnits) / sizeof(kUnits[0]); ++ui) {
        job j;
        j.units = kUnits[ui];
        j.hits = calloc((size_t)j.units, sizeof(atomic_int));
        atomic_init(&j.calls, 0);
        atomic_init(&j.max_thread, 0);
        tsr_pool_run_on(&p, count, &j, j.units, 1, limit);
        bool once = true;
        for (int64_t u = 0; u < j.units; ++u) once = once && atomic_load(&j.hits[u]) == 1;
        CU_ASSERT_TRUE(once);
        CU_ASSERT_TRUE(atomic_load(&j.max_thread) < (limit > 1 ? limit : 1));
        if (limit <= 1) CU_ASSERT_EQUAL(atomic_load(&j.calls), 1); /* inline, one call */
        free(j.hits);
      }
    }
  }
  tsr_pool_deinit(&p);
}

/* The split rule: below 2x the minimum one thread, then one per minimum,
 * never more than the pool or the units. */
static void test_split_threads(void) {
  CU_ASSERT_EQUAL(tsr_cpu_split_threads(0, 100, 4, 20000), 1);
  CU_ASSERT_EQUAL(tsr_cpu_split_threads(39999, 100, 4, 20000), 1);
  CU_ASSERT_EQUAL(tsr_cpu_split_threads(40000, 100, 4, 20000), 2);
  CU_ASSERT_EQUAL(tsr_cpu_split_threads(70000, 100, 4, 20000), 3);
  CU_ASSERT_EQUAL(tsr_cpu_split_threads(1000000, 100, 4, 20000), 4);
  CU_ASSERT_EQUAL(tsr_cpu_split_threads(1000000, 3, 4, 20000), 3);
  CU_ASSERT_EQUAL(tsr_cpu_split_threads(1000000, 100, 1, 20000), 1);
  CU_ASSERT_EQUAL(tsr_cpu_split_threads(0, 100, 4, 1), 4); /* 1: split everything */
  CU_ASSERT_EQUAL(tsr_cpu_split_threads(0, 1, 4, 1), 1);
}

/* The cost model grows with the work and knows a big conv from a small one. */
static void test_cost(void) {
  tsr_op small, big;
  memset(&small, 0, sizeof(small));
  small.type = TSR_OP_CONV2D;
  small.n_src = 2;
  const int64_t xs[4] = {1, 8, 8, 8}, ws[4] = {8, 8, 3, 3}, ys[4] = {1, 8, 8, 8};
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&small.src[0], TSR_DTYPE_F32, 4, xs, NULL), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&small.src[1], TSR_DTYPE_F32, 4, ws, NULL), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&small.dst, TSR_DTYPE_F32, 4, ys, NULL), TSR_OK);
  small.p.conv2d.kernel[0] = small.p.conv2d.kernel[1] = 3;
  small.p.conv2d.groups = 1;
  small.p.conv2d.activation = -1;
  big = small;
  const int64_t xb[4] = {1, 64, 64, 64}, wb[4] = {64, 64, 3, 3}, yb[4] = {1, 64, 64, 64};
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&big.src[0], TSR_DTYPE_F32, 4, xb, NULL), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&big.src[1], TSR_DTYPE_F32, 4, wb, NULL), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_tensor_init(&big.dst, TSR_DTYPE_F32, 4, yb, NULL), TSR_OK);
  const int64_t cs = tsr_cpu_op_cost_ns(&small, NULL), cb = tsr_cpu_op_cost_ns(&big, NULL);
  CU_ASSERT_TRUE(cs > 0 && cs < TSR_CPU_MIN_SPLIT_NS);   /* 37 kMAC: not worth a thread */
  CU_ASSERT_TRUE(cb > 100 * TSR_CPU_MIN_SPLIT_NS);       /* 151 MMAC: worth every thread */
}

/* TESSERA_MAX_THREADS (set by scripts/test-arm.sh where the emulator
 * cannot run threads): the cases needing more threads are skipped, loudly. */
static uint32_t g_max_threads;

static bool threads_allowed(uint32_t n, const char *what) {
  if (g_max_threads == 0 || n <= g_max_threads) return true;
  printf("\n  SKIPPED %s: TESSERA_MAX_THREADS=%u ", what, (unsigned)g_max_threads);
  return false;
}

static void test_one(void) { run_many(1); }
static void test_two(void) {
  if (threads_allowed(2, "2 threads")) run_many(2);
}
static void test_four(void) {
  if (threads_allowed(4, "4 threads")) run_many(4);
}
static void test_many(void) {
  if (threads_allowed(9, "9 threads")) run_many(9);
}
static void test_limited_two(void) {
  if (threads_allowed(2, "at most k of 2")) run_limited(2);
}
static void test_limited_five(void) {
  if (threads_allowed(5, "at most k of 5")) run_limited(5);
}

/* The start wait is bounded: with no time at all to start, init either
 * finds every worker already running (TSR_OK) or gives up with
 * TSR_ERR_DEVICE and a deinitialised pool; never a hang, and a pool made
 * after a failed one works. Both outcomes are counted (ASan checks that an
 * abandoned worker touches nothing freed). */
static void test_bounded_start(void) {
  if (!threads_allowed(3, "bounded start")) return;
  tsr_allocator a = tsr_allocator_system();
  int ok = 0, gave_up = 0;
  for (int i = 0; i < 200; ++i) {
    tsr_pool p;
    const tsr_status st = tsr_pool_init_bounded(&p, 3, &a, 0);
    CU_ASSERT_TRUE(st == TSR_OK || st == TSR_ERR_DEVICE);
    if (st == TSR_OK) {
      ++ok;
      tsr_pool_deinit(&p);
    } else {
      ++gave_up;
      CU_ASSERT_EQUAL(p.n_threads, 0);
    }
  }
  printf("\n  bounded start: %d started in time, %d gave up ", ok, gave_up);
  tsr_pool p;
  CU_ASSERT_EQUAL_FATAL(tsr_pool_init(&p, 3, &a), TSR_OK);
  job j;
  j.units = 100;
  j.hits = calloc((size_t)j.units, sizeof(atomic_int));
  atomic_init(&j.calls, 0);
  atomic_init(&j.max_thread, 0);
  tsr_pool_run(&p, count, &j, j.units, 1);
  for (int64_t u = 0; u < j.units; ++u) CU_ASSERT_EQUAL(atomic_load(&j.hits[u]), 1);
  free(j.hits);
  tsr_pool_deinit(&p);
}

int main(void) {
  const char *cap = getenv("TESSERA_MAX_THREADS");
  g_max_threads = cap != NULL ? (uint32_t)strtoul(cap, NULL, 10) : 0;
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("thread pool", NULL, NULL);
  CU_add_test(s, "1 thread", test_one);
  CU_add_test(s, "2 threads", test_two);
  CU_add_test(s, "4 threads", test_four);
  CU_add_test(s, "9 threads (more than CPUs)", test_many);
  CU_add_test(s, "at most k of 2 threads", test_limited_two);
  CU_add_test(s, "at most k of 5 threads", test_limited_five);
  CU_add_test(s, "bounded start wait", test_bounded_start);
  CU_add_test(s, "split rule", test_split_threads);
  CU_add_test(s, "cost model", test_cost);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return failures != 0 ? 1 : 0;
}
