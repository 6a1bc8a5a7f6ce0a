#!/usr/bin/env bash
# `ulrseg inspect`: a small safetensors file written here byte by byte (no Python), its text and
# JSON output, and the exit codes for a malformed file (1) and a missing argument (2).
# usage: bash tests/cli_inspect.sh <ulrseg binary> <source dir>
ulrseg="$1"
source "$(dirname "$0")/lib_cli.sh"

# Writes a safetensors file: $1 path, $2 header JSON, $3 data as printf escapes. The header is
# padded with spaces to a multiple of 8 and preceded by its length (8 bytes, little-endian).
write_safetensors() {
  local path=$1 header=$2 data=$3
  while (( ${#header} % 8 != 0 )); do header="$header "; done
  local n=${#header}
  printf "\\$(printf %03o $((n & 255)))\\$(printf %03o $((n >> 8 & 255)))\\000\\000\\000\\000\\000\\000" > "$path"
  printf '%s' "$header" >> "$path"
  printf "$data" >> "$path"
}

good="$tmp/small.safetensors"
# a.weight: F32 [1.0, -2.5]; b.labels: U8 [1, 2, 3]; c.empty: F32 [0, 4].
write_safetensors "$good" \
  '{"__metadata__":{"format":"ulrseg-test"},"a.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b.labels":{"dtype":"U8","shape":[3],"data_offsets":[8,11]},"c.empty":{"dtype":"F32","shape":[0,4],"data_offsets":[11,11]}}' \
  '\000\000\200\077\000\000\040\300\001\002\003'

out=$("$ulrseg" inspect "$good" 2>"$tmp/err"); rc=$?
[ "$rc" -eq 0 ] || fail "inspect of a good file exited $rc: $(cat "$tmp/err")"
for want in "format: ulrseg-test" "a.weight" "b.labels" "c.empty" "F32" "U8" "[0,4]" \
            "total: 3 tensors, 5 parameters, 11 bytes of data"; do
  grep -qF -- "$want" <<<"$out" || fail "text output lacks '$want'"
done
# a.weight: count 2, min -2.5, max 1, mean -0.75; b.labels: 1, 3, 2; c.empty: no statistics.
grep -qE 'a\.weight +F32 +\[2\] +2 +-2\.5 +1 +-0\.75$' <<<"$out" || fail "a.weight row: $out"
grep -qE 'b\.labels +U8 +\[3\] +3 +1 +3 +2$' <<<"$out" || fail "b.labels row: $out"
grep -qE 'c\.empty +F32 +\[0,4\] +0 +- +- +-$' <<<"$out" || fail "c.empty row: $out"

json=$("$ulrseg" inspect "$good" --json); rc=$?
[ "$rc" -eq 0 ] || fail "inspect --json exited $rc"
[ "$(wc -l <<<"$json")" -eq 1 ] || fail "JSON output is not one line"
for want in '"name":"a.weight"' '"mean":-0.75' '"format":"ulrseg-test"' '"parameters":5' \
            '"shape":[0,4],"count":0,"bytes":0,"min":null'; do
  grep -qF -- "$want" <<<"$json" || fail "JSON output lacks '$want'"
done

# Malformed: the same file cut short inside the header.
bad="$tmp/cut.safetensors"
head -c 40 "$good" > "$bad"
expect_error 1 "ulrseg inspect: $bad: header length" "$ulrseg" inspect "$bad"

# Malformed: a byte after the last tensor.
cat "$good" > "$tmp/trailing.safetensors"
printf '\000' >> "$tmp/trailing.safetensors"
expect_error 1 "1 trailing bytes after the last tensor" "$ulrseg" inspect "$tmp/trailing.safetensors"

# Metadata and tensor names holding escape sequences (ESC [31m, an OSC title ending in BEL) are
# shown as visible escapes, in the table and in error messages, never as the raw bytes.
evil="$tmp/evil.safetensors"
write_safetensors "$evil" \
  '{"__metadata__":{"note\u001b[31m":"red\u001b[0m"},"x\u001b]0;title\u0007":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}' \
  '\000\000\200\077'
"$ulrseg" inspect "$evil" >"$tmp/evil.out" 2>&1 || fail "inspect of escaped names exited $?: $(cat -v "$tmp/evil.out")"
grep -qF 'note\x1b[31m: red\x1b[0m' "$tmp/evil.out" || fail "metadata not escaped: $(cat -v "$tmp/evil.out")"
grep -qF 'x\x1b]0;title\x07 ' "$tmp/evil.out" || fail "tensor name not escaped: $(cat -v "$tmp/evil.out")"
grep -q $'[\e\a]' "$tmp/evil.out" && fail "raw control bytes reached the output: $(cat -v "$tmp/evil.out")"
write_safetensors "$evil" '{"x\u001b[2J":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}' '\000\000\200\077'
expect_error 1 'tensor "x\x1b[2J": holds 4 bytes but shape [2] of F32 needs 8 bytes' "$ulrseg" inspect "$evil"
grep -q $'\e' "$tmp/err" && fail "a raw ESC reached stderr: $(cat -v "$tmp/err")"

# A file that does not exist.
expect_error 1 "$tmp/nope.safetensors: cannot open" "$ulrseg" inspect "$tmp/nope.safetensors"

# Usage errors: no FILE, an unknown flag.
expect_error 2 "ulrseg inspect: missing FILE" "$ulrseg" inspect
expect_error 2 "--bogus" "$ulrseg" inspect "$good" --bogus

finish cli_inspect
