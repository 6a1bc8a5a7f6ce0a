#!/usr/bin/env bash
# `ulrseg infer` on a folder with hostile entries: a FIFO and a folder named like images, a
# truncated PNG, two inputs sharing a stem, a file name holding an escape sequence, and the
# pixel limit. Bad inputs get one line each and no outputs; good ones are still written.
# usage: bash tests/cli_infer.sh <ulrseg binary> <source dir>
bin="$1"
src="$2"
source "$(dirname "$0")/lib_cli.sh"

w="$src/weights/ulrnet-joint-16x16.safetensors"
"$bin" data gen --out "$tmp/ulr" --count 2 --size 16x16 --seed 3 >/dev/null 2>&1 || fail "data gen failed"
frame="$tmp/ulr/images/train_000000.png"

# A folder of two good frames, a FIFO and a folder named like PNGs, and a truncated PNG.
in="$tmp/in"
mkdir -p "$in"
cp "$frame" "$in/good1.png"
cp "$tmp/ulr/images/train_000001.png" "$in/good2.png"
mkfifo "$in/fifo.png"
mkdir "$in/dir.png"
head -c 100 "$frame" >"$in/cut.png"
timeout 120 "$bin" infer --weights "$w" --input "$in" --out "$tmp/batch" >"$tmp/batch.txt" 2>"$tmp/batch.err"
rc=$?
[ "$rc" -eq 1 ] || fail "infer over bad inputs exited $rc, expected 1 (124: it hung): $(cat "$tmp/batch.err")"
for want in "ulrseg infer: $in/fifo.png: a FIFO, not an image file" \
            "ulrseg infer: $in/dir.png: a folder, not an image file" \
            "ulrseg infer: $in/cut.png: truncated PNG" \
            "ulrseg infer: 3 of 5 inputs failed (above); the others were written"; do
  grep -qF -- "$want" "$tmp/batch.err" || fail "stderr lacks '$want': $(cat "$tmp/batch.err")"
done
[ "$(wc -l <"$tmp/batch.err")" -eq 4 ] || fail "expected one line per bad input and a summary: $(cat "$tmp/batch.err")"
for stem in good1 good2; do
  for kind in classes color overlay; do
    [ -s "$tmp/batch/${stem}_$kind.png" ] || fail "no $stem _$kind.png beside the bad inputs"
  done
  grep -qF "$in/$stem.png -> $tmp/batch/$stem" "$tmp/batch.txt" || fail "stdout does not list $stem"
done
ls "$tmp/batch" | grep -qE '^(fifo|dir|cut)_' && fail "outputs written for a bad input: $(ls "$tmp/batch")"

# a.png and a.jpg would write the same outputs: refused before anything is written.
mkdir -p "$tmp/pair"
cp "$frame" "$tmp/pair/a.png"
cp "$frame" "$tmp/pair/a.jpg"
expect_error 1 "$tmp/pair/a.jpg and $tmp/pair/a.png would both write $tmp/pair_out/a_*.png; rename one" \
  "$bin" infer --weights "$w" --input "$tmp/pair" --out "$tmp/pair_out"
[ -e "$tmp/pair_out" ] && fail "the refused pair still wrote $tmp/pair_out"

# The pixel limit names the file and the limit; --max-pixels must be a positive count.
expect_error 1 "$frame: image is 16x16 (256 pixels), above the limit of 255 pixels (--max-pixels N raises it)" \
  "$bin" infer --weights "$w" --input "$frame" --out "$tmp/limit" --max-pixels 255
"$bin" infer --weights "$w" --input "$frame" --out "$tmp/limit" --max-pixels 256 >/dev/null 2>&1 ||
  fail "a 16x16 frame within --max-pixels 256 was refused"
expect_error 2 "--max-pixels" "$bin" infer --weights "$w" --input "$frame" --out "$tmp/limit" --max-pixels 0

# A file name holding ESC [31m is printed as the visible escape \x1b, never as the raw byte.
esc=$'\e'
mkdir -p "$tmp/named"
cp "$frame" "$tmp/named/${esc}[31mred.png"
"$bin" infer --weights "$w" --input "$tmp/named" --out "$tmp/named_out" >"$tmp/named.txt" 2>&1 ||
  fail "infer on an oddly named file exited $?: $(cat "$tmp/named.txt")"
grep -qF '\x1b[31mred.png -> ' "$tmp/named.txt" || fail "the name is not shown escaped: $(cat -v "$tmp/named.txt")"
grep -q "$esc" "$tmp/named.txt" && fail "a raw ESC reached the output: $(cat -v "$tmp/named.txt")"
[ -s "$tmp/named_out/${esc}[31mred_classes.png" ] || fail "no outputs for the oddly named file"

# Every shipped 16x16 file loads in infer and eval like the others (the paper plan's PP-1, PP-2
# and MMT-2 among them).
shipped_eval() {
  "$bin" eval --weights "$1" --count 4 --json >"$tmp/shipped.json" 2>"$tmp/shipped.err" ||
    fail "eval with $1 failed: $(cat "$tmp/shipped.err")"
  grep -q '"miou"' "$tmp/shipped.json" || fail "eval with $1 printed no mIoU"
}
for name in joint fjl1 mmt1 pp1 pp2 mmt2; do
  sw="$src/weights/ulrnet-$name-16x16.safetensors"
  "$bin" infer --weights "$sw" --input "$frame" --out "$tmp/shipped_$name" >/dev/null 2>"$tmp/shipped.err" ||
    fail "infer with $sw failed: $(cat "$tmp/shipped.err")"
  [ -s "$tmp/shipped_$name/train_000000_classes.png" ] || fail "infer with $sw wrote no class map"
  shipped_eval "$sw"
done
for name in joint-8x8 joint-32x32; do  # ours at the other input sizes: eval renders their frames
  shipped_eval "$src/weights/ulrnet-$name.safetensors"
done

finish cli_infer
