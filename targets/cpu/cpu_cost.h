/* A rough single-thread time estimate per op, from its shapes: how many
 * threads an op is worth splitting over (a split costs a wake-up, a join
 * and, on a busy machine, waiting for a descheduled worker). It never
 * decides what is computed, only how the units are cut: results are the
 * same for any estimate. */
#ifndef TESSERA_TARGETS_CPU_CPU_COST_H_
#define TESSERA_TARGETS_CPU_CPU_COST_H_

#include "tessera/tessera.h"

/* Least estimated work per thread (ns) before an op is split: below twice
 * this an op runs on the calling thread alone. 20 us (tuned on a loaded VM)
 * kept most of YOLOX-Nano's layers on one thread on an idle machine; 5 us
 * lets them split while PilotNet's tiny ops still run on the caller. */
#define TSR_CPU_MIN_SPLIT_NS 5000

/* Estimated time (ns) of |op| on one thread of a SIMD CPU (multiply-adds
 * plus the bytes it reads and writes); |dyn| gives the attention length.
 * Pure, cheap (a few multiplications). */
int64_t tsr_cpu_op_cost_ns(const tsr_op *op, const tsr_dyn_values *dyn);

/* Threads worth using for a job of |cost_ns| over |units| units on a pool
 * of |n_threads|: the most that keeps at least |min_ns| of work per thread
 * (at least 1, at most min(n_threads, units)). */
uint32_t tsr_cpu_split_threads(int64_t cost_ns, int64_t units, uint32_t n_threads, int64_t min_ns);

#endif /* TESSERA_TARGETS_CPU_CPU_COST_H_ */
