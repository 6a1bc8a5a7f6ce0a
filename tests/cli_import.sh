#!/usr/bin/env bash
# `ulrseg data import`: the NYUv2 13-class PNG layout (made from `data gen` views) into a folder
# dataset, resumed, with a bad file stopping it or skipped (one line each); bad flags exit 2 with
# one line naming the flag; the shipped model evaluates on the imported folder.
# usage: bash tests/cli_import.sh <ulrseg binary> <source dir>
bin="$1"
src="$2"
source "$(dirname "$0")/lib_cli.sh"

be32() { od -An -tu1 -j"$2" -N4 "$1" | awk '{print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4}'; }

# The release's names: nyu_rgb_NNNN.png and new_nyu_class13_NNNN.png, NNNN the image's index
# (1 is an official test image, 3 and 4 training images).
"$bin" data gen --out "$tmp/gen" --count 3 --size 96x128 --threads 2 >/dev/null 2>&1 || fail "data gen failed"
mkdir -p "$tmp/rgb" "$tmp/lab13"
i=0
for k in 0001 0003 0004; do
  cp "$tmp/gen/images/train_00000$i.png" "$tmp/rgb/nyu_rgb_$k.png"
  cp "$tmp/gen/labels/train_00000$i.png" "$tmp/lab13/new_nyu_class13_$k.png"
  i=$((i + 1))
done
nyu=("$bin" data import --format nyuv2 --images "$tmp/rgb" --labels "$tmp/lab13" --threads 2)

out="$tmp/nyu"
"${nyu[@]}" --out "$out" --val 1 >"$tmp/stdout" 2>"$tmp/stderr" || fail "import exited $?: $(cat "$tmp/stderr")"
grep -q "imported 3 nyuv2 samples into $out (test 1, train 1, val 1) in .*: 3 written, 0 already there, 0 bad files skipped" \
  "$tmp/stdout" || fail "summary line: $(cat "$tmp/stdout")"
for name in nyu-0001 nyu-0003 nyu-0004; do
  f="$out/images/$name.png"
  [ -s "$f" ] || { fail "missing $f"; continue; }
  [ "$(be32 "$f" 16)x$(be32 "$f" 20)" = 64x64 ] || fail "$f is not 64x64"
done
grep -q '"test": \[' "$out/dataset.json" || fail "dataset.json has no test split"
grep -q '"size": "64x64"' "$out/import.json" || fail "import.json: $(cat "$out/import.json")"
ls "$out" | grep -q tmp && fail "temp files left in $out"

# A second run finds everything written; --json says so.
"${nyu[@]}" --out "$out" --val 1 --json >"$tmp/json" 2>/dev/null || fail "second import failed"
grep -q '"written":0' "$tmp/json" || fail "second run wrote again: $(cat "$tmp/json")"
grep -q '"resumed":3' "$tmp/json" || fail "second run: $(cat "$tmp/json")"
# Other settings into the same folder: refused, naming import.json.
expect_error 1 "$out/import.json: $out was imported with" "${nyu[@]}" --out "$out" --val 1 --size 32x32

# The shipped model on the imported folder (the paper's custom-dataset test, one view).
"$bin" eval --weights "$src/weights/ulrnet-joint-16x16.safetensors" --data "$out" --split test \
  --count 1 --threads 2 --json >"$tmp/eval" 2>"$tmp/stderr" || fail "eval exited $?: $(cat "$tmp/stderr")"
grep -q '"miou": 0\.' "$tmp/eval" || fail "eval output: $(head -c 300 "$tmp/eval")"

# The loader alone on the imported folder, from the files and from memory.
for cache in "" --cache; do
  "$bin" data loader --data "$out" --split train --size 64x64 --batch 1 --batches 3 --threads 2 $cache \
    >"$tmp/loader" 2>&1 || fail "data loader $cache exited $?: $(cat "$tmp/loader")"
  grep -q "batches/s of 1" "$tmp/loader" || fail "data loader $cache: $(cat "$tmp/loader")"
done
expect_error 2 "--batch: 0 is out of range" "$bin" data loader --data "$out" --batch 0
expect_error 2 "--data: a folder dataset" "$bin" data loader --data synthetic

# A cut label file: one line naming it and exit 1; with --skip-bad one line, a count, exit 0.
lab="$tmp/lab13/new_nyu_class13_0003.png"
head -c 100 "$lab" >"$tmp/cut.png" && mv "$tmp/cut.png" "$lab"
expect_error 1 "$lab: truncated PNG" "${nyu[@]}" --out "$tmp/stop"
"${nyu[@]}" --out "$tmp/skip" --skip-bad >"$tmp/stdout" 2>"$tmp/stderr" || fail "--skip-bad exited $?"
[ "$(grep -c "^skipped $lab: truncated PNG" "$tmp/stderr")" = 1 ] || fail "skip line: $(cat "$tmp/stderr")"
grep -q "(test 1, train 1) in .*: 2 written, 0 already there, 1 bad file skipped" "$tmp/stdout" ||
  fail "summary with a bad file: $(cat "$tmp/stdout")"

# Bad flags: exit 2 and one line naming the flag.
expect_usage() {
  local want="$1"
  shift
  expect_error 2 "$want" "$bin" data import "$@"
}
expect_usage "--format: required" --out "$tmp/x"
expect_usage "--format: expected sunrgbd, nyuv2, nyuv2-mat or folder, got 'nyu'" --format nyu --out "$tmp/x"
expect_usage "--split: expected train or test (the official list the images are from), got 'val'" \
  --format sunrgbd --images "$tmp/rgb" --labels "$tmp/lab13" --split val --out "$tmp/x"
expect_usage "--split: not a flag of --format nyuv2" "${nyu[@]:3}" --split train --out "$tmp/x"
expect_usage "--mat: not a flag of --format nyuv2" "${nyu[@]:3}" --mat a.mat --out "$tmp/x"
expect_usage "--classes: required" --format folder --images "$tmp/rgb" --labels "$tmp/lab13" --split a --out "$tmp/x"
expect_usage "--unlabelled: not a flag of --format folder" --format folder --images "$tmp/rgb" \
  --labels "$tmp/lab13" --classes m.json --split a --unlabelled ignore --out "$tmp/x"
expect_usage "--unlabelled: expected unknown or ignore, got 'void'" "${nyu[@]:3}" --unlabelled void --out "$tmp/x"
expect_usage "--label-resize: expected majority or nearest, got 'mode'" "${nyu[@]:3}" --label-resize mode --out "$tmp/x"
expect_usage "--crop: a square crop needs a square --size, got 32x64" "${nyu[@]:3}" --crop 96 --size 32x64 --out "$tmp/x"
expect_usage "--out: required" "${nyu[@]:3}"
expect_usage "--colour: unknown flag" "${nyu[@]:3}" --out "$tmp/x" --colour red
[ -e "$tmp/x" ] && fail "a rejected command created its output folder"
expect_error 1 "$tmp/none.mat: " "$bin" data import --format nyuv2-mat --mat "$tmp/none.mat" --out "$tmp/y"

# The paper's geometry from a folder dataset: 16x16 -> 128x128 (scale 8), which the model's rules allow.
for cfg in hr-128 joint-128; do
  "$bin" train --config "$src/configs/$cfg.json" --dry-run >"$tmp/dry" 2>&1 || fail "$cfg dry run: $(tail -1 "$tmp/dry")"
  grep -q '"scale": 8' "$tmp/dry" || fail "$cfg: scale is not 8"
  grep -q '\[1,14,128,128\]' "$tmp/dry" || fail "$cfg: S does not segment at 128x128"
done

"$bin" data import --help >"$tmp/help" || fail "--help exited $?"
grep -q "usage: ulrseg data import" "$tmp/help" || fail "--help text"

finish cli_import
