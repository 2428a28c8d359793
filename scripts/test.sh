#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs dependencies,
# builds with warnings as errors, runs every test, then again under
# ASan + UBSan and under TSan, then the bare and ARM builds (qemu). This is
# what CI runs (.ci/run).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/models.sh
scripts/install-deps.sh
export TESSERA_MODELS="$(tsr_models_dir "$root")"
[ -d "$TESSERA_MODELS" ] || echo "test: no model fixtures at $TESSERA_MODELS: model tests will report themselves skipped (failed when CI=true or TESSERA_REQUIRE_MODELS=1)" >&2
jobs="$(nproc)"

echo "== release build (-Werror), all tests"
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$jobs"
ctest --preset ci -j "$jobs"

echo "== ASan + UBSan build, all tests"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
ctest --preset asan -j "$jobs"

echo "== ThreadSanitizer build, all tests (GPU drivers' own threads suppressed: tests/tsan.supp)"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$jobs"
ctest --preset tsan -j "$jobs"

scripts/test-arm.sh
echo "== all tests passed"
