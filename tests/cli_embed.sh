#!/usr/bin/env bash
# The installed library from a program outside the tree: `cmake --install` of the build that made
# the ulrseg binary into a temporary prefix, examples/embed configured and built against it with
# find_package(ulrseg), then run on frames written here (no Python) with the shipped weights.
# usage: bash tests/cli_embed.sh <ulrseg binary> <source dir>
ulrseg="$1"
src="$2"
build=$(dirname "$ulrseg")  # the binary sits at the top of its build tree
source "$(dirname "$0")/lib_cli.sh"

# Install, then build the example with the compiler that built the library.
cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 ||
  { fail "cmake --install $build: $(tail -3 "$tmp/install.log")"; finish cli_embed; }
for f in include/ulrseg/ulrseg.h lib/libulrseg.a bin/ulrseg lib/cmake/ulrseg/ulrsegConfig.cmake; do
  [ -f "$tmp/prefix/$f" ] || fail "install lacks $f"
done
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
cmake -S "$src/examples/embed" -B "$tmp/embed" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$tmp/prefix" >"$tmp/configure.log" 2>&1 ||
  { fail "configure examples/embed: $(tail -5 "$tmp/configure.log")"; finish cli_embed; }
cmake --build "$tmp/embed" >"$tmp/build.log" 2>&1 ||
  { fail "build examples/embed: $(tail -5 "$tmp/build.log")"; finish cli_embed; }
embed="$tmp/embed/embed"
weights="$src/weights/ulrnet-joint-16x16.safetensors"

# A 16x16 frame of seeded pseudo-random pixels, and the same frame at 32x32 (each pixel a 2x2
# block). The sensor's area average turns the second back into the first exactly, so
# segment_image() on it must give the same classes as segment() on the first.
RANDOM=7
pixels=()
for ((i = 0; i < 256; i++)); do
  printf -v pixel '\\%03o\\%03o\\%03o' $((RANDOM % 256)) $((RANDOM % 256)) $((RANDOM % 256))
  pixels+=("$pixel")
done
small="$tmp/small.ppm" large="$tmp/large.ppm"
{ printf 'P6\n16 16\n255\n'; printf "$(printf '%s' "${pixels[@]}")"; } >"$small"
{
  printf 'P6\n# each pixel of small.ppm doubled\n32 32\n255\n'
  for ((y = 0; y < 16; y++)); do
    row=""
    for ((x = 0; x < 16; x++)); do row+="${pixels[y * 16 + x]}${pixels[y * 16 + x]}"; done
    printf "$row$row"
  done
} >"$large"
[ "$(wc -c <"$small")" -eq $((13 + 768)) ] || fail "small.ppm has $(wc -c <"$small") bytes"

# table FILE: the class rows of the output; total FILE: their pixel counts summed.
table() { sed -n '/^class /,$p' "$1" | tail -n +2; }
total() { table "$1" | awk '{ n += $2 } END { print n + 0 }'; }

"$embed" "$weights" "$small" >"$tmp/small.out" 2>"$tmp/err"; rc=$?
[ "$rc" -eq 0 ] || fail "embed on small.ppm exited $rc: $(cat "$tmp/err")"
[ -s "$tmp/err" ] && fail "embed on small.ppm wrote to stderr: $(cat "$tmp/err")"
grep -qxF "model: joint, 16x16 -> 64x64, 14 classes" "$tmp/small.out" || fail "model line: $(head -1 "$tmp/small.out")"
grep -qxF "frame: $small, 16x16" "$tmp/small.out" || fail "frame line: $(sed -n 2p "$tmp/small.out")"
[ "$(total "$tmp/small.out")" -eq 4096 ] || fail "small.ppm: class pixels sum to $(total "$tmp/small.out"), want 64*64"

"$embed" "$weights" "$large" >"$tmp/large.out" 2>"$tmp/err"; rc=$?
[ "$rc" -eq 0 ] || fail "embed on large.ppm exited $rc: $(cat "$tmp/err")"
grep -qxF "frame: $large, 32x32" "$tmp/large.out" || fail "frame line: $(sed -n 2p "$tmp/large.out")"
[ "$(table "$tmp/large.out")" = "$(table "$tmp/small.out")" ] ||
  fail "32x32 through the sensor differs from the 16x16 frame: $(table "$tmp/large.out") vs $(table "$tmp/small.out")"

# Without a frame: the made-up wall-over-floor frame.
"$embed" "$weights" >"$tmp/made.out" 2>"$tmp/err"; rc=$?
[ "$rc" -eq 0 ] || fail "embed without a frame exited $rc: $(cat "$tmp/err")"
grep -qxF "frame: made up, 16x16" "$tmp/made.out" || fail "made-up frame line: $(sed -n 2p "$tmp/made.out")"
[ "$(total "$tmp/made.out")" -eq 4096 ] || fail "made-up frame: class pixels sum to $(total "$tmp/made.out")"
# The shipped joint model sees it as mostly wall and floor (98.6% when this test was written).
wall_floor=$(table "$tmp/made.out" | awk '$1 == "wall" { w = $2 } $1 == "floor" { f = $2 }
                                         END { print (w > 0 && f > 0) ? w + f : 0 }')
[ "$wall_floor" -ge 3072 ] || fail "made-up frame: want wall and floor on 75% of pixels: $(table "$tmp/made.out")"

expect_error 1 "embed: $tmp/nope.safetensors" "$embed" "$tmp/nope.safetensors" "$small"
head -c 400 "$small" >"$tmp/cut.ppm"
expect_error 1 "embed: $tmp/cut.ppm: fewer pixels" "$embed" "$weights" "$tmp/cut.ppm"
expect_error 1 "embed: $weights: not a binary PPM" "$embed" "$weights" "$weights"
expect_error 2 "usage:" "$embed"

finish cli_embed
