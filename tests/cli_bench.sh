#!/usr/bin/env bash
# `ulrseg bench --quick`: runs every section and prints the figures bench/compare.sh reads.
# Timings are not checked (benchmarks assert nothing); the keys and their sanity are.
# usage: bash tests/cli_bench.sh <ulrseg binary> <source dir>
bin="$1"
source "$(dirname "$0")/lib_cli.sh"

"$bin" bench --quick --json --threads 2 >"$tmp/bench.json" 2>"$tmp/err" || fail "bench --json exited $?: $(cat "$tmp/err")"
for key in threads gemm_peak_gflops train_batch train_samples_per_s train_gflop_per_sample \
  infer_b1_ms_median infer_b1_ms_p99 infer_batch_frames_per_s infer_gflop_per_frame train_peak_rss_mib; do
  grep -qE "\"$key\":[0-9.e+-]+" "$tmp/bench.json" || fail "bench --json lacks a number for $key"
done
grep -q '"threads":2[,}]' "$tmp/bench.json" || fail "bench --json does not report 2 threads"
grep -q '"infer_gflop_per_frame":0.289' "$tmp/bench.json" || fail "inference cost is not the model's 289 MFLOP"
[ "$(wc -l <"$tmp/bench.json")" = 1 ] || fail "bench --json is not one line"

expect_error 2 "--reps" "$bin" bench --reps 0
expect_error 2 "--bogus" "$bin" bench --bogus
expect_error 2 "--only" "$bin" bench --only nothing

# --only train: the peak and the training figures, nothing of the other parts.
"$bin" bench --quick --json --only train --threads 1 >"$tmp/train.json" 2>"$tmp/err" ||
  fail "bench --only train exited $?: $(cat "$tmp/err")"
grep -qE '"train_samples_per_s":[0-9.e+-]+' "$tmp/train.json" || fail "bench --only train lacks the training rate"
grep -qE '"gemm_peak_gflops":[0-9.e+-]+' "$tmp/train.json" || fail "bench --only train lacks the peak"
grep -q '"infer_b1_ms_median"\|"kernels"' "$tmp/train.json" && fail "bench --only train reports other parts"

finish cli_bench
