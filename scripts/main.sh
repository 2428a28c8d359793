#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: installs dependencies, builds,
# then runs tsr on the real llama2.c model (CPU target unless TSR_TARGET says
# otherwise). Extra arguments go to tsr.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/models.sh
scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default >/dev/null
models="$(tsr_models_dir "$root")"
./build/tools/tsr targets
tsr_require_models "$models" llm/llama2c/stories260K.bin
tsr_require_models "$models" llm/llama2c/tok512.bin
exec ./build/tools/tsr run -m "$models/llm/llama2c/stories260K.bin" -z "$models/llm/llama2c/tok512.bin" \
  -n 200 --temp 0 --target "${TSR_TARGET:-cpu}" "$@"
