#!/usr/bin/env bash
# `ulrseg data gen`: writes the folder format, appends splits, rejects bad flags with exit 2.
# usage: bash tests/cli_data.sh <ulrseg binary> <source dir>
bin="$1"
source "$(dirname "$0")/lib_cli.sh"

# Big-endian 32-bit integer at byte offset $2 of file $1 (PNG width at 16, height at 20).
be32() { od -An -tu1 -j"$2" -N4 "$1" | awk '{print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4}'; }

out="$tmp/ds"
"$bin" data gen --out "$out" --split train --count 3 --size 24x32 --seed 1 --threads 2 \
  >"$tmp/stdout" 2>"$tmp/stderr" || fail "data gen train exited $?: $(cat "$tmp/stderr")"
grep -q "wrote 3 train views (24x32, seed 1) to $out" "$tmp/stdout" || fail "summary line: $(cat "$tmp/stdout")"
for i in 000000 000001 000002; do
  for kind in images labels; do
    f="$out/$kind/train_$i.png"
    [ -s "$f" ] || { fail "missing $f"; continue; }
    [ "$(be32 "$f" 16)" = 32 ] || fail "$f: width $(be32 "$f" 16), expected 32"
    [ "$(be32 "$f" 20)" = 24 ] || fail "$f: height $(be32 "$f" 20), expected 24"
  done
done
[ -e "$out/images/train_000003.png" ] && fail "more images than --count"
grep -q '"format": "ulrseg-folder"' "$out/dataset.json" || fail "dataset.json format"
grep -q '"train_000002"' "$out/dataset.json" || fail "dataset.json lists train_000002"
grep -q '"window"' "$out/dataset.json" || fail "dataset.json lists the class table"
ls "$out" | grep -q tmp && fail "temp files left in $out"

# The same sample and seed render the same bytes.
cp "$out/images/train_000001.png" "$tmp/first.png"
"$bin" data gen --out "$tmp/again" --count 2 --size 24x32 --seed 1 >/dev/null 2>&1 ||
  fail "second data gen failed"
cmp -s "$tmp/first.png" "$tmp/again/images/train_000001.png" || fail "data gen is not reproducible"

# Appending a split keeps the first one; --json prints a summary.
"$bin" data gen --out "$out" --split val --count 2 --size 24x32 --json >"$tmp/json" 2>/dev/null ||
  fail "data gen val failed"
grep -q '"count":2' "$tmp/json" || fail "--json summary: $(cat "$tmp/json")"
grep -q '"val_000001"' "$out/dataset.json" || fail "val split not added"
grep -q '"train_000002"' "$out/dataset.json" || fail "train split lost when appending"

# Bad flags: exit 2 and one line naming the flag.
expect_usage() {
  local want="$1"
  shift
  expect_error 2 "$want" "$bin" data gen "$@"
}
expect_usage "--size: expected HxW with sides in [1, 4096], got '64'" --out "$tmp/x" --size 64
expect_usage "--size: expected HxW" --out "$tmp/x" --size 0x16
expect_usage "--count: expected an integer, got 'many'" --out "$tmp/x" --count many
expect_usage "--count: 0 is out of range" --out "$tmp/x" --count 0
expect_usage "--split: expected train, val or test, got 'dev'" --out "$tmp/x" --split dev
expect_usage "--out: required" --count 2
expect_usage "--colour: unknown flag" --out "$tmp/x" --colour red
[ -e "$tmp/x" ] && fail "a rejected command created its output folder"
# stats and preview read --size as gen does: "16x 16" and "+16x16" are not sizes.
expect_error 2 "--size: expected HxW with sides in [1, 4096], got '16x 16'" "$bin" data stats --size "16x 16" --count 1
expect_error 2 "--size: expected HxW with sides in [1, 4096], got '+16x16'" "$bin" data preview --out "$tmp/p.png" --size +16x16

"$bin" data gen --help >"$tmp/help" || fail "--help exited $?"
grep -q "usage: ulrseg data gen" "$tmp/help" || fail "--help text"

finish cli_data
