#!/usr/bin/env bash
# The ARM and bare-build part of CI (called by scripts/test.sh; runnable
# alone after scripts/install-deps.sh):
#   - the bare build (no OS threads, no file I/O) natively, with its tests;
#   - aarch64 cross build, tests under qemu-aarch64 once per CPU model, so
#     that every kernel dispatch path runs: cortex-a72 (NEON), cortex-a76
#     (+ dotprod, fp16), max (+ i8mm);
#   - armhf (NEON) cross build, tests under qemu-arm.
# Under qemu every test runs except test_llm_models (a long fixture suite,
# over 15 minutes emulated; it runs natively); the kernel, conformance,
# engine tests, the golden stories260K text through `tsr run` and the
# firmware example run for every CPU model.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jobs="$(nproc)"
every_cpu='^(test_conformance|test_kernels|test_reference|test_engine|test_api|tsr_run_llama2c_golden|firmware_stories260K)$'

echo "== bare build (TSR_NO_THREADS, TSR_NO_FILEIO), its tests"
cmake --preset bare >/dev/null
cmake --build --preset bare -j "$jobs"
ctest --preset bare -j "$jobs"

echo "== aarch64 cross build (-Werror)"
cmake --preset aarch64 >/dev/null
cmake --build --preset aarch64 -j "$jobs"
for cpu in cortex-a72 cortex-a76; do
  echo "== aarch64 tests under qemu, QEMU_CPU=$cpu"
  QEMU_CPU=$cpu ctest --preset aarch64 -j "$jobs" -R "$every_cpu"
done
echo "== aarch64 tests under qemu, QEMU_CPU=max (all but test_llm_models)"
QEMU_CPU=max ctest --preset aarch64 -j "$jobs" -E '^test_llm_models$'

echo "== armhf cross build (-Werror, NEON)"
cmake --preset armhf >/dev/null
cmake --build --preset armhf -j "$jobs"
echo "== armhf tests under qemu, QEMU_CPU=cortex-a15 (all but test_llm_models)"
QEMU_CPU=cortex-a15 ctest --preset armhf -j "$jobs" -E '^test_llm_models$'
