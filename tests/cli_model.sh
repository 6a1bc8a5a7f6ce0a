#!/usr/bin/env bash
# `ulrseg train | eval | infer` on tiny inputs, and their bad-input behaviour.
# usage: bash tests/cli_model.sh <ulrseg binary> <source dir>
bin="$1"
src="$2"
source "$(dirname "$0")/lib_cli.sh"

tiny="$src/configs/tiny.json"
# --dry-run prints the resolved config and the per-layer cost table.
"$bin" train --config "$tiny" --dry-run >"$tmp/dry" 2>&1 || fail "train --dry-run exited $?"
grep -q "MFLOP per frame" "$tmp/dry" || fail "dry run prints no FLOPs"
grep -q "g.stem" "$tmp/dry" || fail "dry run lists no layers"

# A tiny joint run writes its folder and weights that eval and infer accept.
"$bin" train --config "$tiny" --out "$tmp/run" --threads 2 >"$tmp/train.out" 2>"$tmp/train.err" ||
  fail "train exited $?: $(tail -3 "$tmp/train.err")"
for f in config.json metrics.jsonl checkpoint.safetensors best.safetensors; do
  [ -s "$tmp/run/$f" ] || fail "train wrote no $f"
done
grep -q '"val_miou"' "$tmp/run/metrics.jsonl" || fail "metrics.jsonl has no validation"
w="$tmp/run/best.safetensors"
"$bin" inspect "$w" >"$tmp/inspect" || fail "inspect of trained weights failed"
grep -q "ulrseg-weights" "$tmp/inspect" || fail "weights metadata lacks the format"
grep -q "MFLOP per frame" "$tmp/inspect" || fail "inspect of weights prints no per-layer cost"

"$bin" eval --weights "$w" --count 8 --json >"$tmp/eval.json" 2>"$tmp/eval.err" || fail "eval exited $?: $(cat "$tmp/eval.err")"
for key in '"miou"' '"pixel_acc"' '"fwiou"' '"iou"' '"psnr"' '"confusion"'; do
  grep -q "$key" "$tmp/eval.json" || fail "eval --json lacks $key"
done
# Weights with the same training configuration but for the seed are summarised together.
"$bin" eval --weights "$w" --weights "$w" --count 4 --markdown >"$tmp/eval.md" 2>"$tmp/eval.err" ||
  fail "eval of two weights exited $?: $(cat "$tmp/eval.err")"
grep -q "^| [a-z0-9]* | 2 (1, 1) | " "$tmp/eval.md" || fail "eval --markdown does not group the two runs over seeds"

# infer: a 16x16 frame, a folder, a larger image (sensor note), grey and RGBA inputs.
"$bin" data gen --out "$tmp/ds" --count 2 --size 64x64 --seed 3 >/dev/null 2>&1 || fail "data gen failed"
"$bin" data gen --out "$tmp/ulr" --count 2 --size 16x16 --seed 3 >/dev/null 2>&1 || fail "data gen 16x16 failed"
"$bin" infer --weights "$w" --input "$tmp/ulr/images" --out "$tmp/pred" --sr >"$tmp/infer.out" 2>"$tmp/infer.err" ||
  fail "infer on a folder exited $?: $(cat "$tmp/infer.err")"
for kind in classes color overlay sr; do
  [ -s "$tmp/pred/train_000000_$kind.png" ] || fail "infer wrote no _$kind.png"
done
"$bin" infer --weights "$w" --input "$tmp/ds/images/train_000000.png" --out "$tmp/pred2" >/dev/null 2>"$tmp/note" ||
  fail "infer on a 64x64 image failed: $(cat "$tmp/note")"
grep -q "reduced to the 16x16 sensor frame" "$tmp/note" || fail "no note about the sensor simulation"
# A grey 16x16 PNG (a label map) is replicated to RGB.
"$bin" infer --weights "$w" --input "$tmp/ulr/labels/train_000000.png" --out "$tmp/pred3" >/dev/null 2>"$tmp/grey" ||
  fail "infer on a grey image failed: $(cat "$tmp/grey")"
[ -s "$tmp/pred3/train_000000_color.png" ] || fail "infer on a grey image wrote nothing"

# Ctrl-C saves a checkpoint and exits 130; --resume continues from it.
"$bin" train --config "$tiny" --set steps=100000 --out "$tmp/sig" --threads 1 >/dev/null 2>"$tmp/sig.err" &
pid=$!
for _ in $(seq 1 100); do grep -q "stage" "$tmp/sig.err" 2>/dev/null && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" = 130 ] || fail "train after Ctrl-C exited $rc, expected 130"
[ -s "$tmp/sig/checkpoint.safetensors" ] || fail "Ctrl-C left no checkpoint"
"$bin" train --config "$tiny" --set steps=100000 --out "$tmp/sig" --resume --stop-after 2 >"$tmp/resume.out" 2>/dev/null ||
  fail "resume after Ctrl-C failed"
grep -q "stopped (checkpoint saved" "$tmp/resume.out" || fail "resume output: $(cat "$tmp/resume.out")"
# --resume without a checkpoint: one line naming the folder, before any view is rendered, and
# no folder made.
expect_error 1 "$tmp/none: no checkpoint to resume" "$bin" train --config "$tiny" --out "$tmp/none" --resume
[ ! -e "$tmp/none" ] || fail "--resume without a checkpoint created $tmp/none"

# Bad input: each one line naming the file or flag, non-zero exit.
expect_error 2 "--weights: required" "$bin" infer --input "$tmp/ulr/images" --out "$tmp/x"
expect_error 2 "--input: $tmp/absent.png does not exist" "$bin" infer --weights "$w" --input "$tmp/absent.png" --out "$tmp/x"
printf 'not an image' >"$tmp/bad.png"
expect_error 1 "$tmp/bad.png" "$bin" infer --weights "$w" --input "$tmp/bad.png" --out "$tmp/x"
"$bin" data gen --out "$tmp/small" --count 1 --size 8x8 --seed 3 >/dev/null 2>&1 || fail "data gen 8x8 failed"
expect_error 1 "smaller than the model's 16x16 input" "$bin" infer --weights "$w" --input "$tmp/small/images/train_000000.png" --out "$tmp/x"
head -c 100 "$w" >"$tmp/trunc.safetensors"
expect_error 1 "$tmp/trunc.safetensors" "$bin" eval --weights "$tmp/trunc.safetensors" --count 2
expect_error 1 "$tmp/trunc.safetensors" "$bin" infer --weights "$tmp/trunc.safetensors" --input "$tmp/ulr/images" --out "$tmp/x"
expect_error 1 "format is 'ulrseg-checkpoint', expected 'ulrseg-weights'" "$bin" eval --weights "$tmp/run/checkpoint.safetensors" --count 2
expect_error 2 "--count: expected an integer" "$bin" eval --weights "$w" --count many
expect_error 2 "unknown flag" "$bin" eval --weights "$w" --colour red
expect_error 2 "--json and --markdown: choose one" "$bin" eval --weights "$w" --json --markdown
expect_error 2 "unknown key 'stpes'" "$bin" train --config "$tiny" --set stpes=3 --out "$tmp/y"
expect_error 1 "unknown key 'colour'" "$bin" train --config <(echo '{"colour": 1}') --out "$tmp/y"
expect_error 1 "needs the weights of an 'hr' run" "$bin" train --set steps=1 --set train_views=16 --set val_views=4 --out "$tmp/y"

finish cli_model
