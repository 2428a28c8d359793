#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs one.
#   scripts/fuzz.sh [TARGET] [SECONDS] [extra libFuzzer flags...]
#   scripts/fuzz.sh seeds      (derives seeds from the fixtures into build-fuzz/seeds/gguf, used by later runs)
# TARGET defaults to fuzz_gguf, SECONDS to 600. The seed corpus in
# tests/fuzz/corpus/<name> is read only; new inputs go to build-fuzz/corpus/,
# crashes to build-fuzz/crashes/ (add real crashers to the seed corpus as
# regression inputs once fixed).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${1:-fuzz_gguf}"
secs="${2:-600}"
shift $(( $# > 2 ? 2 : $# )) || true
build="$root/build-fuzz"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DTSR_FUZZ=ON \
  -DTSR_BUILD_TESTS=OFF -DTSR_BUILD_TOOLS=OFF -DTSR_BUILD_BENCH=OFF >/dev/null
export TESSERA_MODELS="${TESSERA_MODELS:-$root/../shared/models}"
if [ "$target" = seeds ]; then
  cmake --build "$build" --target fuzz_gen_seeds -j "${TSR_JOBS:-2}"
  # Derived from the fixtures: kept in the build tree, never committed.
  mkdir -p "$build/seeds/gguf"
  exec "$build/tests/fuzz/fuzz_gen_seeds" "$TESSERA_MODELS" "$build/seeds/gguf"
fi
cmake --build "$build" --target "$target" -j "${TSR_JOBS:-2}"
seeds="$root/tests/fuzz/corpus/${target#fuzz_}"
work="$build/corpus/${target#fuzz_}"
mkdir -p "$work" "$build/crashes"
cd "$build"
"./tests/fuzz/$target" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$build/crashes/" "$@" "$work" "$seeds" \
  $([ -d "$build/seeds/${target#fuzz_}" ] && echo "$build/seeds/${target#fuzz_}")
