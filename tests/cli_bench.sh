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
# The kernels come from the model's trace: 16 distinct convolutions (3 kernels each), 2 attention
# blocks (forward, backward), 2 pixel shuffles and 2 group norms, at batch 4 and 1.
[ "$(grep -o '"kernel":' "$tmp/bench.json" | wc -l)" = 112 ] || fail "bench --json does not list 112 kernels"
[ "$(grep -o '"kernel":"conv ' "$tmp/bench.json" | wc -l)" = 96 ] || fail "bench --json does not list 96 conv kernels"
for k in "conv fwd   3x3 16->32 64x64 /2" "conv dweight 1x1 96->256 8x8" "attention 64 tokens, 96 ch bwd" \
  "pixel_shuffle 64 ch 32x32" "group_norm 32 ch 32x32"; do
  grep -qF "\"kernel\":\"$k\"" "$tmp/bench.json" || fail "bench --json lacks the kernel '$k'"
done

expect_error 2 "--reps" "$bin" bench --reps 0
expect_error 2 "--bogus" "$bin" bench --bogus
expect_error 2 "--only" "$bin" bench --only nothing
expect_error 2 "--json and --markdown: choose one" "$bin" bench --json --markdown

# --markdown: the same figures as tables.
"$bin" bench --quick --markdown --only kernels --threads 1 >"$tmp/bench.md" 2>"$tmp/err" ||
  fail "bench --markdown exited $?: $(cat "$tmp/err")"
grep -q '^| kernel, shape (batch 4) | ms | rate | % peak |$' "$tmp/bench.md" || fail "bench --markdown lacks the batch-4 table"
grep -q '^| conv fwd   3x3 16->32 64x64 /2 | [0-9.]* | [0-9.]* GFLOP/s | [0-9]*% |$' "$tmp/bench.md" ||
  fail "bench --markdown lacks a conv row"
grep -q '^| all convolutions (one of each) | ' "$tmp/bench.md" || fail "bench --markdown lacks the conv total"
grep -q 'End to end' "$tmp/bench.md" && fail "bench --markdown --only kernels reports the end-to-end part"

# --only train: the peak and the training figures, nothing of the other parts.
"$bin" bench --quick --json --only train --threads 1 >"$tmp/train.json" 2>"$tmp/err" ||
  fail "bench --only train exited $?: $(cat "$tmp/err")"
grep -qE '"train_samples_per_s":[0-9.e+-]+' "$tmp/train.json" || fail "bench --only train lacks the training rate"
grep -qE '"gemm_peak_gflops":[0-9.e+-]+' "$tmp/train.json" || fail "bench --only train lacks the peak"
grep -q '"infer_b1_ms_median"\|"kernels"' "$tmp/train.json" && fail "bench --only train reports other parts"

finish cli_bench
