#!/usr/bin/env bash
# `ulrseg privacy`: export writes the attacked frames as an ImageFolder with its CSV, faces reads
# one back, and every bad input of the sweep, faces and export is one line and the right status.
# usage: bash tests/cli_privacy.sh <ulrseg binary> <source dir>
bin="$1"
src="$2"
source "$(dirname "$0")/lib_cli.sh"

# export: the quick sweep's frames at 8x8 (24 identities; 20 training, 10 test views each).
out="$tmp/frames"
"$bin" privacy export --res 8 --quick --out "$out" >"$tmp/export.txt" 2>&1 || fail "export failed: $(cat "$tmp/export.txt")"
[ "$(ls "$out/train" | wc -l)" = 24 ] || fail "export: $(ls "$out/train" | wc -l) identity folders, expected 24"
[ "$(find "$out/train" -name '*.png' | wc -l)" = 480 ] || fail "export: wrong number of training frames"
[ "$(find "$out/test" -name '*.png' | wc -l)" = 240 ] || fail "export: wrong number of test frames"
[ "$(wc -l <"$out/views.csv")" = 721 ] || fail "export: views.csv has $(wc -l <"$out/views.csv") lines, expected 721"
head -1 "$out/views.csv" | grep -qx 'split,identity,file,distance_m,distance_bin,sitting,world_seed' ||
  fail "export: views.csv header: $(head -1 "$out/views.csv")"
grep -q '^test,person05,test/person05/test-00005.png,' "$out/views.csv" || fail "export: test row of person05 missing"

# faces on three of the exported identities: runs, JSON names the resolutions 4 and 8.
faces="$tmp/faces"
mkdir -p "$faces"
for p in person00 person01 person02; do cp -r "$out/test/$p" "$faces/$p"; done
"$bin" privacy faces --dir "$faces" --steps 10 --json >"$tmp/faces.json" 2>"$tmp/faces.err" ||
  fail "faces failed: $(cat "$tmp/faces.err")"
grep -q '"identities": 3' "$tmp/faces.json" || fail "faces: identities: $(head -c 300 "$tmp/faces.json")"
grep -q '"images": 30' "$tmp/faces.json" || fail "faces: images"
grep -q '"skipped_resolutions": \[' "$tmp/faces.json" || fail "faces: skipped resolutions"

# faces: bad inputs.
expect_error 2 "--dir: required" "$bin" privacy faces
expect_error 1 "$tmp/none: not a folder" "$bin" privacy faces --dir "$tmp/none"
echo x >"$tmp/file"
expect_error 1 "$tmp/file: not a folder" "$bin" privacy faces --dir "$tmp/file"
one="$tmp/one"
mkdir -p "$one/ada"
cp "$out/test/person00/test-00000.png" "$out/test/person00/test-00024.png" "$one/ada/"
expect_error 1 "$one: 1 identity folder(s); identity attacks need at least 2" "$bin" privacy faces --dir "$one"
mkdir -p "$one/bob"
cp "$out/test/person01/test-00001.png" "$one/bob/"
echo "not an image" >"$one/bob/notes.txt"
expect_error 1 "$one/bob: 1 image(s); every identity needs at least 2" "$bin" privacy faces --dir "$one"
head -c 60 "$out/test/person01/test-00025.png" >"$one/bob/cut.png"
expect_error 1 "$one/bob/cut.png: truncated PNG" "$bin" privacy faces --dir "$one"
expect_error 2 "--folds: " "$bin" privacy faces --dir "$faces" --folds 1
expect_error 2 "--bogus: unknown flag" "$bin" privacy faces --dir "$faces" --bogus 1

# export: bad inputs.
expect_error 2 "--res: required" "$bin" privacy export --out "$tmp/e1"
expect_error 2 "--res: '20' is not one of 8, 12, 16, 24, 32, 96" "$bin" privacy export --res 20 --out "$tmp/e1"
expect_error 2 "--out: required" "$bin" privacy export --res 8
expect_error 2 "--outfits: outfits: unknown 'blue' (fixed, new)" "$bin" privacy export --res 8 --out "$tmp/e1" --outfits blue
expect_error 1 "$out: exists and is not an empty folder" "$bin" privacy export --res 8 --out "$out"
expect_error 1 "$tmp/file: exists and is not an empty folder" "$bin" privacy export --res 8 --out "$tmp/file"
[ ! -e "$tmp/e1" ] || fail "a refused export left $tmp/e1 behind"

# the sweep: bad flags fail before anything is rendered.
expect_error 2 "--model: 'x.safetensors' is not R=FILE" "$bin" privacy --model x.safetensors
expect_error 2 "--model: '20' is not one of 8, 12, 16, 24, 32, 96" "$bin" privacy --model 20=x
expect_error 2 "--model: '96=x': models take ULR frames" "$bin" privacy --model 96=x
expect_error 2 "--model: $tmp/none.safetensors does not exist" "$bin" privacy --model "16=$tmp/none.safetensors"
expect_error 1 "$src/weights/ulrnet-joint-16x16.safetensors: takes 16x16 frames, given as the model for 8x8" \
  "$bin" privacy --quick --model "8=$src/weights/ulrnet-joint-16x16.safetensors"
expect_error 2 "--json and --markdown: choose one" "$bin" privacy --json --markdown
expect_error 2 "--bogus: unknown flag" "$bin" privacy --bogus 1

finish cli_privacy
