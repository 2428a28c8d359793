/* A C interface to Google Benchmark: C code registers functions, the C++
 * shim registers them with benchmark::RegisterBenchmark and runs them. */
#ifndef TESSERA_BENCH_GBENCH_H_
#define TESSERA_BENCH_GBENCH_H_

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsr_bench_state tsr_bench_state;
typedef void (*tsr_bench_fn)(tsr_bench_state *st, void *arg);

/* Registers |fn|(state, arg) under |name| (copied). */
void tsr_bench_register(const char *name, tsr_bench_fn fn, void *arg);
/* The benchmark loop condition: while (tsr_bench_keep_running(st)) {...}. */
bool tsr_bench_keep_running(tsr_bench_state *st);
/* Sets counter |name| to |per_iteration| units per iteration, reported as a
 * rate per second (e.g. FLOP/s, bytes/s). */
void tsr_bench_rate(tsr_bench_state *st, const char *name, double per_iteration);
/* Sets counter |name| to (per_iteration per second) / |peak_per_second|:
 * the fraction of a peak rate reached. */
void tsr_bench_frac(tsr_bench_state *st, const char *name, double per_iteration, double peak_per_second);
/* Sets counter |name| to a plain value. */
void tsr_bench_value(tsr_bench_state *st, const char *name, double value);
void tsr_bench_skip(tsr_bench_state *st, const char *why);
/* Parses Google Benchmark's flags and runs every registered benchmark. */
int tsr_bench_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* TESSERA_BENCH_GBENCH_H_ */
