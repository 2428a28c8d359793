#!/usr/bin/env bash
# The installed package works from any prefix: installs the build into a
# temporary prefix, MOVES that prefix elsewhere, then builds the firmware
# example (examples/firmware, an LM consumer of the public API) against it
#   1. with CMake, find_package(tessera): tessera::tessera (static) and
#      tessera::tessera_shared where the shared library was built;
#   2. with pkg-config: `pkg-config --libs tessera` (the shared library where
#      built, else libtessera.a), then `pkg-config --static --libs tessera`
#      with only libtessera.a left in the prefix;
# and runs each: stdout must be llama2.c's greedy text. The package files must
# name no path of the build machine (build tree, install prefix, /usr/lib...).
# Usage: test_package.sh BUILD_DIR [C_COMPILER]. Model fixtures: as the other
# tests (tests/models_dir.h): SKIPPED when missing, failed in CI.
set -euo pipefail
build="$(cd "$1" && pwd)"
cc="${2:-cc}"
src="$(cd "$(dirname "$0")/../.." && pwd)"
models="${TESSERA_MODELS:-$(cd "$src/.." && pwd)/shared/models}"
model="$models/llm/llama2c/stories260K.bin"
tok="$models/llm/llama2c/tok512.bin"
golden="$models/llm/llama2c/stories260K_greedy200.txt"
for f in "$model" "$tok" "$golden"; do
  if [ ! -f "$f" ]; then
    required=0
    if [ -n "${TESSERA_REQUIRE_MODELS:-}" ]; then
      [ "$TESSERA_REQUIRE_MODELS" != 0 ] && required=1
    elif [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then
      required=1
    fi
    if [ "$required" = 1 ]; then
      echo "test_package: fixture $f not found, and fixtures are required here (CI, TESSERA_REQUIRE_MODELS)" >&2
      exit 1
    fi
    echo "SKIPPED: fixture $f not found (set TESSERA_MODELS)"
    exit 0
  fi
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tessera-package.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/staged" >/dev/null
mv "$tmp/staged" "$tmp/moved"
prefix="$tmp/moved"
pc="$(find "$prefix" -name tessera.pc)"
libdir="$(dirname "$(dirname "$pc")")"
echo "== installed to $tmp/staged, moved to $prefix (libdir ${libdir#"$prefix"/})"

echo "== the package names no path of this machine"
if grep -rnE "$tmp/staged|$build|$src|/usr/(local/)?lib|/usr/include" "$libdir/cmake/tessera" "$pc"; then
  echo "test_package: absolute paths in the installed package (above)" >&2
  exit 1
fi

check() { # check NAME CMD...: runs the consumer, compares with the golden text
  local name="$1"
  shift
  "$@" >"$tmp/$name.out"
  if ! cmp -s "$tmp/$name.out" "$golden"; then
    echo "test_package: $name: output differs from $golden" >&2
    diff "$tmp/$name.out" "$golden" | head >&2 || true
    exit 1
  fi
  echo "$name: ok"
}

echo "== CMake: find_package(tessera) from the moved prefix"
cmake -S "$src/tests/package" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
  -DFW_MODEL="$model" -DFW_TOKENIZER="$tok" >"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log" >&2; exit 1; }
cmake --build "$tmp/cmake" >>"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log" >&2; exit 1; }
check fw_cmake_static "$tmp/cmake/fw_cmake_static"
shared=0
if ls "$libdir"/libtessera.so* >/dev/null 2>&1; then
  shared=1
  check fw_cmake_shared "$tmp/cmake/fw_cmake_shared"
fi

echo "== pkg-config from the moved prefix"
export PKG_CONFIG_PATH="$(dirname "$pc")"
fw=("$src/examples/firmware/firmware.c" "$src/examples/firmware/alloc_hook.c" "$src/examples/firmware/blob.S"
    "-DFW_MODEL=$model" "-DFW_TOKENIZER=$tok")
if [ "$shared" = 1 ]; then
  echo "pkg-config --libs tessera: $(pkg-config --libs tessera)"
  # shellcheck disable=SC2046
  "$cc" -std=c11 -o "$tmp/fw_pc_shared" "${fw[@]}" $(pkg-config --cflags --libs tessera)
  readelf -d "$tmp/fw_pc_shared" | grep -q 'NEEDED.*libtessera\.so' || {
    echo "test_package: fw_pc_shared does not link libtessera.so" >&2
    exit 1
  }
  LD_LIBRARY_PATH="$libdir" check fw_pc_shared "$tmp/fw_pc_shared"
  rm -f "$libdir"/libtessera.so*  # from here on -ltessera can only be libtessera.a
else
  # Only libtessera.a installed: plain `pkg-config --libs` must link it too.
  echo "pkg-config --libs tessera: $(pkg-config --libs tessera)"
  # shellcheck disable=SC2046
  "$cc" -std=c11 -o "$tmp/fw_pc_plain" "${fw[@]}" $(pkg-config --cflags --libs tessera)
  check fw_pc_plain "$tmp/fw_pc_plain"
fi
echo "pkg-config --static --libs tessera: $(pkg-config --static --libs tessera)"
# shellcheck disable=SC2046
"$cc" -std=c11 -o "$tmp/fw_pc_static" "${fw[@]}" $(pkg-config --static --cflags --libs tessera)
check fw_pc_static "$tmp/fw_pc_static"
echo "== package test passed"
