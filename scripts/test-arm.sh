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

# Can the emulators run threads? On some hosts (seen: kernel 6.18 with
# Debian's qemu-user 7.2) pthread_create hangs under qemu-aarch64 and
# segfaults under qemu-arm, even in a ten-line program. Probe with a
# threaded hello (a few seconds); where it fails, run that architecture's
# suites with one thread (TESSERA_MAX_THREADS=1 caps every CPU target, and
# test_threadpool skips its multi-thread cases) and say so.
probe_dir="$(mktemp -d)"
trap 'rm -rf "$probe_dir"' EXIT
cat >"$probe_dir/hello.c" <<'C'
#include <pthread.h>
#include <stdio.h>
static void *run(void *arg) { return arg; }
int main(void) {
  pthread_t t;
  int x = 42;
  void *r = NULL;
  if (pthread_create(&t, NULL, run, &x) != 0 || pthread_join(t, &r) != 0 || r != &x) return 1;
  puts("threads ok");
  return 0;
}
C
# probe_threads NAME CC EMULATOR...: exports <NAME>_threads_env ("" or TESSERA_MAX_THREADS=1).
probe_threads() {
  local name="$1" cc="$2"
  shift 2
  local why=""
  if ! "$cc" -O1 -pthread "$probe_dir/hello.c" -o "$probe_dir/hello-$name" 2>"$probe_dir/cc-$name.log"; then
    why="the probe did not compile: $(head -1 "$probe_dir/cc-$name.log")"
  else
    local rc=0
    timeout 10 "$@" "$probe_dir/hello-$name" >/dev/null 2>&1 || rc=$?
    case "$rc" in
      0) ;;
      124) why="a threaded hello program hung in pthread_create under $1 (killed after 10 s)" ;;
      *) why="a threaded hello program failed under $1 (exit $rc)" ;;
    esac
  fi
  if [ -z "$why" ]; then
    echo "== $name: threads work under $1"
    printf -v "${name}_threads_env" '%s' ""
  else
    echo "== $name: $why: running the $name suites with ONE thread (TESSERA_MAX_THREADS=1)"
    printf -v "${name}_threads_env" '%s' "TESSERA_MAX_THREADS=1"
  fi
}
probe_threads aarch64 aarch64-linux-gnu-gcc qemu-aarch64 -L /usr/aarch64-linux-gnu
probe_threads armhf arm-linux-gnueabihf-gcc qemu-arm -L /usr/arm-linux-gnueabihf

echo "== aarch64 cross build (-Werror)"
cmake --preset aarch64 >/dev/null
cmake --build --preset aarch64 -j "$jobs"
for cpu in cortex-a72 cortex-a76; do
  echo "== aarch64 tests under qemu, QEMU_CPU=$cpu"
  env $aarch64_threads_env QEMU_CPU=$cpu ctest --preset aarch64 -j "$jobs" -R "$every_cpu"
done
echo "== aarch64 tests under qemu, QEMU_CPU=max (all but test_llm_models)"
env $aarch64_threads_env QEMU_CPU=max ctest --preset aarch64 -j "$jobs" -E '^test_llm_models$'

echo "== armhf cross build (-Werror, NEON)"
cmake --preset armhf >/dev/null
cmake --build --preset armhf -j "$jobs"
echo "== armhf tests under qemu, QEMU_CPU=cortex-a15 (all but test_llm_models)"
env $armhf_threads_env QEMU_CPU=cortex-a15 ctest --preset armhf -j "$jobs" -E '^test_llm_models$'
