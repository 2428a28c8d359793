// The C++ side of bench/shim/gbench.h.
#include "shim/gbench.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

struct tsr_bench_state {
  benchmark::State *state;
};

extern "C" void tsr_bench_register(const char *name, tsr_bench_fn fn, void *arg) {
  benchmark::RegisterBenchmark(std::string(name).c_str(), [fn, arg](benchmark::State &s) {
    tsr_bench_state st{&s};
    fn(&st, arg);
  })
      ->UseRealTime()
      /* with --benchmark_repetitions: the best and worst repetitions too
       * (on a shared machine the best is the one least disturbed) */
      ->ComputeStatistics("min", [](const std::vector<double> &v) { return *std::min_element(v.begin(), v.end()); })
      ->ComputeStatistics("max", [](const std::vector<double> &v) { return *std::max_element(v.begin(), v.end()); });
}

extern "C" bool tsr_bench_keep_running(tsr_bench_state *st) { return st->state->KeepRunning(); }

extern "C" void tsr_bench_rate(tsr_bench_state *st, const char *name, double per_iteration) {
  st->state->counters[name] =
      benchmark::Counter(per_iteration, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

extern "C" void tsr_bench_frac(tsr_bench_state *st, const char *name, double per_iteration,
                               double peak_per_second) {
  if (peak_per_second <= 0) return;
  st->state->counters[name] =
      benchmark::Counter(per_iteration / peak_per_second, benchmark::Counter::kIsIterationInvariantRate);
}

extern "C" void tsr_bench_value(tsr_bench_state *st, const char *name, double value) {
  st->state->counters[name] = benchmark::Counter(value);
}

extern "C" void tsr_bench_skip(tsr_bench_state *st, const char *why) { st->state->SkipWithError(why); }

extern "C" int tsr_bench_main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
