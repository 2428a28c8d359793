/* Machine probes for the benchmarks' "fraction of peak" counters: memory
 * read bandwidth, core clock and the arithmetic peak of each ISA's dot
 * instruction, all measured (best of a few runs), not looked up. */
#ifndef TESSERA_BENCH_PROBE_H_
#define TESSERA_BENCH_PROBE_H_

#include <stddef.h>
#include <stdint.h>

/* Read bandwidth in GB/s streaming |bytes| (well above the last-level cache)
 * on |threads| threads. */
double tsr_probe_read_gbs(unsigned threads, size_t bytes);
/* Core clock in GHz from a chain of dependent integer adds (1 cycle each). */
double tsr_probe_clock_ghz(void);
/* One core's peak in GOP/s (2 ops per multiply-add) of the int8 dot product
 * the variants of |isa| (a TSR_ISA_* bit set) use: vpdpbusd zmm with
 * AVX512VNNI, pmaddubsw + pmaddwd zmm with AVX512, ymm with AVX2; 0 for
 * none. Measured with independent accumulators. */
double tsr_probe_int8_gops(uint32_t isa);
/* One core's peak f32 GFLOP/s (FMA, 2 per lane) at the widest vector of
 * |isa|; 0 for none. */
double tsr_probe_f32_gflops(uint32_t isa);
/* Last-level cache size in bytes (0: unknown). */
size_t tsr_probe_llc_bytes(void);

#endif /* TESSERA_BENCH_PROBE_H_ */
