#!/usr/bin/env bash
# Runs every fuzzer of a -DULRSEG_FUZZ=ON build for SECONDS on its seed corpus
# tests/fuzz/corpus/NAME (only read). What a run finds stays in the build folder: new inputs in BUILD/fuzz/NAME/corpus
# (kept, the next run starts from them too), crashes, timeouts and out-of-memory inputs in
# BUILD/fuzz/NAME/findings (emptied first). Prints per target the executions, the coverage
# (cov: code edges, ft: features) and the findings; exits 1 when any target found something.
# usage: bash tests/fuzz/run.sh BUILD SECONDS [JOBS]   (JOBS targets at a time, default 1)
set -u
build="$1"
seconds="$2"
jobs="${3:-1}"
src="$(cd "$(dirname "$0")/../.." && pwd)"
# Inputs that crashed are the findings; a timeout (10 s) or more than 2 GB (a decompression
# bomb) counts as one too.
options=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048)
ubsan="halt_on_error=1:print_stacktrace=1:suppressions=$src/tests/sanitizers/ubsan.supp"
# The fuzz input files of the image and weights targets go to memory when it can.
tmp=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm

row='%-14s %12s %7s %7s %9s'
# One target: its log and findings under $build/fuzz/NAME.
fuzz_one() {
  local name=$1 corpus=$2 out="$build/fuzz/$1"
  rm -rf "$out/findings"
  mkdir -p "$out/corpus" "$out/findings"
  echo "fuzz_$name: ${seconds}s (log: $out/log)"
  TMPDIR="$tmp" UBSAN_OPTIONS="$ubsan" "$build/fuzz_$name" "${options[@]}" \
    -artifact_prefix="$out/findings/" "$out/corpus" "$corpus" >"$out/log" 2>&1
  echo $? >"$out/rc"
}
# JOBS targets at a time (each fuzzer is one process on one core).
names=()
for corpus in "$src"/tests/fuzz/corpus/*/; do
  name=$(basename "$corpus")
  names+=("$name")
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  fuzz_one "$name" "$corpus" &
done
wait

rows=()
found_any=0
for name in "${names[@]}"; do
  out="$build/fuzz/$name"
  rc=$(cat "$out/rc")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log" | tail -1)
  # The last status line: "#N ... cov: C ft: F ...".
  cov=$(grep -o 'cov: [0-9]*' "$out/log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$out/log" | tail -1 | cut -d' ' -f2)
  findings=$(find "$out/findings" -type f | wc -l)
  if [ "$rc" -ne 0 ] || [ "$findings" -ne 0 ]; then
    found_any=1
    echo "fuzz_$name:"
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
