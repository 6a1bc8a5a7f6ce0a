#!/usr/bin/env bash
# Runs every fuzzer of a -DULRSEG_FUZZ=ON build for SECONDS on its seed corpus
# tests/fuzz/corpus/NAME (only read). What a run finds stays in the build folder: new inputs in BUILD/fuzz/NAME/corpus
# (kept, the next run starts from them too), crashes, timeouts and out-of-memory inputs in
# BUILD/fuzz/NAME/findings (emptied first). Prints per target the executions, the coverage
# (cov: code edges, ft: features) and the findings; exits 1 when any target found something.
# usage: bash tests/fuzz/run.sh BUILD SECONDS
set -u
build="$1"
seconds="$2"
src="$(cd "$(dirname "$0")/../.." && pwd)"
# Inputs that crashed are the findings; a timeout (10 s) or more than 2 GB (a decompression
# bomb) counts as one too.
options=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048)
ubsan="halt_on_error=1:print_stacktrace=1:suppressions=$src/tests/sanitizers/ubsan.supp"
# The fuzz input files of the image and weights targets go to memory when it can.
tmp=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm

row='%-14s %12s %7s %7s %9s'
rows=()
found_any=0
for corpus in "$src"/tests/fuzz/corpus/*/; do
  name=$(basename "$corpus")
  out="$build/fuzz/$name"
  rm -rf "$out/findings"
  mkdir -p "$out/corpus" "$out/findings"
  echo "fuzz_$name: ${seconds}s (log: $out/log)"
  OMP_NUM_THREADS=1 TMPDIR="$tmp" UBSAN_OPTIONS="$ubsan" "$build/fuzz_$name" "${options[@]}" \
    -artifact_prefix="$out/findings/" "$out/corpus" "$corpus" >"$out/log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log" | tail -1)
  # The last status line: "#N ... cov: C ft: F ...".
  cov=$(grep -o 'cov: [0-9]*' "$out/log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$out/log" | tail -1 | cut -d' ' -f2)
  findings=$(find "$out/findings" -type f | wc -l)
  if [ "$rc" -ne 0 ] || [ "$findings" -ne 0 ]; then
    found_any=1
    grep -m 3 -E '^==[0-9]+==ERROR|runtime error|^SUMMARY|terminate called|what\(\)' "$out/log"
    for f in "$out/findings"/*; do [ -f "$f" ] && echo "  finding: $f"; done
  fi
  rows+=("$(printf "$row" "$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$findings")")
done

echo
printf "$row\n" target executions cov ft findings
printf '%s\n' "${rows[@]}"
if [ "$found_any" -ne 0 ]; then
  echo "fuzz: findings above. Rerun one: $build/fuzz_NAME FILE; shrink it:" \
       "$build/fuzz_NAME -minimize_crash=1 -runs=100000 FILE"
  exit 1
fi
echo "fuzz: no findings"
