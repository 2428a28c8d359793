#!/usr/bin/env bash
# Static analysis of the library (the sources of tessera_obj: hal/, kernels/,
# targets/, engine/), with the exact configuration kept in the tree:
#   clang-tidy  .clang-tidy (bug-finding checks only), one run per source file
#   cppcheck    --enable=warning,portability, suppressions in scripts/cppcheck.supp
# Both read the compile commands of a configured build (the ci preset exports
# them: cmake --preset ci), so each file is analysed with its real flags and
# defines. Generated sources (under the build folder) are left out.
#
#   scripts/lint.sh [--build DIR] [--tidy-only | --cppcheck-only] [PATH...]
#
# PATH... restricts the files (prefixes relative to the repository: hal/
# kernels/softmax/). Prints every finding, then counts per tool and per
# folder; exit status 1 if there is any finding, 2 on a usage or tool error.
# Debian 12: apt-get install clang-tidy cppcheck (clang-tidy 14, cppcheck 2.10).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
build="$root/build-ci" tidy=1 cpp=1 paths=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$(cd "$2" && pwd)"; shift ;;
    --tidy-only) cpp=0 ;;
    --cppcheck-only) tidy=0 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "lint: unknown option $1" >&2; exit 2 ;;
    *) paths+=("${1%/}") ;;
  esac
  shift
done
db="$build/compile_commands.json"
[ -f "$db" ] || { echo "lint: no $db: configure first (cmake --preset ci)" >&2; exit 2; }
tidy_bin="${CLANG_TIDY:-clang-tidy}" cppcheck_bin="${CPPCHECK:-cppcheck}"
[ "$tidy" = 0 ] || command -v "$tidy_bin" >/dev/null || { echo "lint: $tidy_bin not found" >&2; exit 2; }
[ "$cpp" = 0 ] || command -v "$cppcheck_bin" >/dev/null || { echo "lint: $cppcheck_bin not found" >&2; exit 2; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tessera-lint.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# The library's translation units: a compile database of only those.
python3 - "$db" "$root" "$build" "$tmp/compile_commands.json" "${paths[@]}" <<'EOF'
import json, os, sys
db, root, build, out, prefixes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
keep = []
for c in json.load(open(db)):
    f = os.path.normpath(os.path.join(c["directory"], c["file"]))
    if "tessera_obj" not in c.get("output", c.get("command", "")) or f.startswith(build + os.sep):
        continue
    rel = os.path.relpath(f, root)
    if prefixes and not any(rel == p or rel.startswith(p + "/") for p in prefixes):
        continue
    c["file"] = f
    keep.append(c)
json.dump(keep, open(out, "w"), indent=1)
EOF
mapfile -t files < <(python3 -c 'import json,sys; [print(c["file"]) for c in json.load(open(sys.argv[1]))]' \
                     "$tmp/compile_commands.json" | sort -u)
[ "${#files[@]}" -gt 0 ] || { echo "lint: no library source matches ${paths[*]}" >&2; exit 2; }
echo "lint: ${#files[@]} library source file(s)"
jobs="$(nproc)"

: >"$tmp/tidy.txt"
if [ "$tidy" = 1 ]; then
  # Own .clang-tidy; gcc-only warning flags in the compile commands are not
  # clang-tidy findings.
  printf '%s\n' "${files[@]}" |
    xargs -P "$jobs" -n 1 "$tidy_bin" -p "$tmp" --quiet --extra-arg=-Wno-unknown-warning-option \
      >"$tmp/tidy.log" 2>&1 || true
  # One line per finding (a header's finding is reported once per file that includes it).
  grep -E '^/.*:[0-9]+:[0-9]+: (warning|error): .*\[[A-Za-z0-9.,-]+\]$' "$tmp/tidy.log" |
    sed "s#^$root/##" | sort -u >"$tmp/tidy.txt" || true
  cat "$tmp/tidy.txt"
fi

: >"$tmp/cppcheck.txt"
if [ "$cpp" = 1 ]; then
  "$cppcheck_bin" --project="$tmp/compile_commands.json" --enable=warning,portability --std=c11 \
    --inline-suppr --suppressions-list="$root/scripts/cppcheck.supp" --quiet -j "$jobs" \
    --template='{file}:{line}:{column}: {severity}: {message} [{id}]' >"$tmp/cppcheck.log" 2>&1 || true
  grep -E '^/?.*:[0-9]+:[0-9]+: [a-z]+: .*\[[A-Za-z0-9_]+\]$' "$tmp/cppcheck.log" |
    sed "s#^$root/##" | sort -u >"$tmp/cppcheck.txt" || true
  cat "$tmp/cppcheck.txt"
fi

count() { wc -l <"$1" | tr -d ' '; }
by_dir() { cut -d/ -f1 "$1" | sort | uniq -c | awk '{printf " %s %s", $2, $1}'; }
echo "lint: clang-tidy $(count "$tmp/tidy.txt") finding(s)$(by_dir "$tmp/tidy.txt")$([ "$tidy" = 1 ] || echo ' (not run)')"
echo "lint: cppcheck $(count "$tmp/cppcheck.txt") finding(s)$(by_dir "$tmp/cppcheck.txt")$([ "$cpp" = 1 ] || echo ' (not run)')"
[ "$(count "$tmp/tidy.txt")" = 0 ] && [ "$(count "$tmp/cppcheck.txt")" = 0 ]
