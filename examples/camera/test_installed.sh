#!/usr/bin/env bash
# The camera example against the INSTALLED package, as a user builds it:
# installs BUILD_DIR into a temporary prefix, configures and builds
# examples/camera there with find_package(tessera) (YOLOX-Nano from the
# fixtures linked into the image), makes an NV12 frame from the YOLOX
# reference input (its 416x312 letterboxed content), runs 3 frames and
# checks: exit 0 (which includes zero allocator calls after init) and the
# yellow disc of the reference image found as class 29 (frisbee) with a score
# of at least 0.5 on every frame. Then the same with the network converted to
# .tsr by the installed `tsr`.
# Usage: test_installed.sh BUILD_DIR [C_COMPILER]. Fixtures missing: SKIPPED.
set -euo pipefail
build="$(cd "$1" && pwd)"
cc="${2:-cc}"
src="$(cd "$(dirname "$0")/../.." && pwd)"
models="${TESSERA_MODELS:-$(cd "$src/.." && pwd)/shared/models}"
onnx="$models/onnx/yolox_nano/yolox_nano.onnx"
ref="$models/onnx/yolox_nano/reference/synthetic_shapes_letterbox/images.f32"
for f in "$onnx" "$ref"; do
  if [ ! -f "$f" ]; then
    echo "SKIPPED: fixture $f not found (set TESSERA_MODELS)"
    exit 0
  fi
done
tmp="$(mktemp -d "${TMPDIR:-/tmp}/tessera-camera.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
echo "== installed to $tmp/prefix"

run_case() { # run_case NAME MODEL
  local name="$1" model="$2"
  cmake -S "$src/examples/camera" -B "$tmp/$name" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_C_COMPILER="$cc" \
    -DCAM_MODEL="$model" >"$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log" >&2; exit 1; }
  cmake --build "$tmp/$name" >>"$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log" >&2; exit 1; }
  "$tmp/$name/tsr_camera_make_frame" "$ref" 416 416 416 312 "$tmp/frame.nv12"
  local rc=0
  "$tmp/$name/tsr_camera" "$tmp/frame.nv12" 416 312 3 >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
  cat "$tmp/$name.out" "$tmp/$name.err"
  if [ "$rc" != 0 ]; then
    echo "test_installed: $name: tsr_camera exited $rc" >&2
    exit 1
  fi
  local hits
  hits="$(awk '$3 == "box" && $4 == 29 && $5 >= 0.5 { n++ } END { print n + 0 }' "$tmp/$name.out")"
  if [ "$hits" != 3 ]; then
    echo "test_installed: $name: class 29 (score >= 0.5) found on $hits of 3 frames" >&2
    exit 1
  fi
  echo "$name: ok"
}
run_case camera_onnx "$onnx"
"$tmp/prefix/bin/tsr" convert "$onnx" -o "$tmp/yolox_nano.tsr" >/dev/null
run_case camera_tsr "$tmp/yolox_nano.tsr"
echo "== camera example passed"
