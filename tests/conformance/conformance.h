/* The conformance harness: every op x every target x every dtype it
 * supports x a set of shapes, against the reference kernels, with the
 * tolerances of one table, plus the determinism contract (two runs and, on
 * CPU targets, 1 vs N threads, bitwise equal). Used by the CUnit suite and by
 * `tsr selftest`. */
#ifndef TESSERA_TESTS_CONFORMANCE_H_
#define TESSERA_TESTS_CONFORMANCE_H_

#include <stdio.h>

#include "tessera/tessera.h"

typedef struct conf_tolerance {
  double nmse;    /* normalised mean squared error, sum (y-r)^2 / sum r^2 */
  double max_abs; /* max |y - r| / max(1, max |r|) */
} conf_tolerance;

typedef struct conf_counts {
  uint32_t passed;
  uint32_t failed;
  uint32_t skipped; /* the target does not support the case */
} conf_counts;

typedef struct conf_options {
  bool quick;           /* fewer shapes (selftest) */
  bool check_threads;   /* CPU targets: compare 1 thread with N threads */
  uint64_t seed;
  FILE *log;            /* failures and skips are described here; NULL: quiet */
  bool verbose;         /* also log every pass */
} conf_options;

/* The tolerance for an op whose interesting dtype (the weight dtype for
 * matmul, the KV dtype for attention, the output dtype for convert) is |dt|. */
conf_tolerance conf_tolerance_for(tsr_op_type op, tsr_dtype dt);

/* Number of cases the harness has for |op| (0: op not covered). */
uint32_t conf_case_count(tsr_op_type op, bool quick);

/* Creates the target |name| the way the harness does (n_threads 0 = all). */
tsr_status conf_create_target(const char *name, uint32_t n_threads, const tsr_allocator *a,
                              tsr_target **out, tsr_error *err);

/* Runs every case of |op| on |target| (and, for CPU targets with
 * check_threads, on a 1-thread twin created from |target_name|), adding to
 * |counts|. Returns false if anything failed. */
bool conf_run_op(tsr_target *target, const char *target_name, tsr_op_type op,
                 const conf_options *opt, conf_counts *counts);

struct tsr_kernel;

/* Runs the CPU kernel |k| itself (not through a target) on every case of its
 * op that it matches: packs, runs serially and again in reverse-ordered
 * chunks of one unit, checks the two bitwise equal and against the
 * reference. |counts->passed/failed| count matched cases, |skipped| the
 * others. The caller checks that the CPU has k's ISA. */
bool conf_run_kernel(const struct tsr_kernel *k, const conf_options *opt, conf_counts *counts);

#endif /* TESSERA_TESTS_CONFORMANCE_H_ */
