#!/usr/bin/env bash
# Config values from flags, config files and weights metadata: bad ones are one line naming the
# flag or file and the key (never a crash); --help lists the keys; --seed sets the seed; old and
# new training configs in weights files still group over seeds in `ulrseg eval`.
# usage: bash tests/cli_config.sh <ulrseg binary> <source dir>
bin="$1"
src="$2"
source "$(dirname "$0")/lib_cli.sh"

tiny="$src/configs/tiny.json"
mmt1="$src/weights/ulrnet-mmt1-16x16.safetensors"

# edit_metadata SRC DST PYTHON: copies a safetensors file, running PYTHON on `md` (its metadata,
# a dict of strings) and `tc` (its train_config, parsed) first.
edit_metadata() {
  python3 - "$1" "$2" "$3" <<'EOF'
import json, struct, sys
src, dst, edit = sys.argv[1:4]
raw = open(src, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
md = header["__metadata__"]
tc = json.loads(md["train_config"])
exec(edit)
md["train_config"] = json.dumps(tc, separators=(",", ":"))
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
open(dst, "wb").write(struct.pack("<Q", len(text)) + text + raw[8 + n:])
EOF
}

# Zero heads or groups: a range error, not SIGFPE.
for key in g_heads s_heads s_groups; do
  expect_error 2 "--set: model.$key: expected an integer in [1, 64], got 0" "$bin" train --config "$tiny" --set "model.$key=0" --dry-run
done
# 2^32 + 16 is not 16; 1e300 and 1e6 are out of range, not undefined conversions or out of memory.
expect_error 2 "--set: model.g_channels: expected an integer in [4, 512], got 4294967312" \
  "$bin" train --config "$tiny" --set model.g_channels=4294967312 --dry-run
expect_error 2 "--set: model.g_channels: expected an integer in [4, 512], got 1e+300" \
  "$bin" train --config "$tiny" --set model.g_channels=1e300 --dry-run
expect_error 2 "--set: model.g_channels: expected an integer in [4, 512], got 1000000" \
  "$bin" train --config "$tiny" --set model.g_channels=1e6 --dry-run
expect_error 2 "--set: steps: expected an integer in [0, 100000000], got 1e+300" \
  "$bin" train --config "$tiny" --set steps=1e300 --dry-run
echo '{"model": {"g_heads": 0}}' >"$tmp/heads0.json"
expect_error 1 "$tmp/heads0.json: model.g_heads: expected an integer in [1, 64], got 0" \
  "$bin" train --config "$tmp/heads0.json" --dry-run

# A weights file whose model config has g_heads 0.
edit_metadata "$mmt1" "$tmp/heads0.safetensors" \
  'm = json.loads(md["model"]); m["g_heads"] = 0; md["model"] = json.dumps(m)' || fail "could not write heads0.safetensors"
expect_error 1 "$tmp/heads0.safetensors: model.g_heads: expected an integer in [1, 64], got 0" \
  "$bin" eval --weights "$tmp/heads0.safetensors" --count 1
expect_error 1 "$tmp/heads0.safetensors: model.g_heads: expected an integer in [1, 64], got 0" \
  "$bin" inspect "$tmp/heads0.safetensors"

# --help lists every key with its default and range.
"$bin" train --help >"$tmp/help" || fail "train --help exited $?"
grep -q '^  model.g_heads  *4  *\[1, 64\]  ' "$tmp/help" || fail "train --help lacks model.g_heads with default and range"
grep -q '^  schedule  *"cosine"  *cosine | constant  ' "$tmp/help" || fail "train --help lacks schedule and its values"
grep -q '^  sad_fake  *"soft"  *soft | hard  ' "$tmp/help" || fail "train --help lacks sad_fake and its values"

# --seed sets the seed, after the --set overrides.
"$bin" train --config "$tiny" --set seed=3 --seed 5 --dry-run >"$tmp/dry" 2>&1 || fail "train --seed --dry-run exited $?"
grep -q '^  "seed": 5,$' "$tmp/dry" || fail "--seed 5 did not set the seed: $(grep seed "$tmp/dry")"
expect_error 2 "--seed" "$bin" train --config "$tiny" --seed 1e300 --dry-run

# Seed groups: the shipped mmt1 weights (a config written before g_lr_scale, sad_real_tau and
# sad_fake existed) and a copy whose config holds those keys at their defaults, for seed 2, are
# one experiment over two seeds; a copy with another schedule is not.
edit_metadata "$mmt1" "$tmp/mmt1-seed2.safetensors" \
  'tc.update(seed=2, g_lr_scale=1, sad_real_tau=1, sad_fake="soft")' || fail "could not write mmt1-seed2"
edit_metadata "$mmt1" "$tmp/mmt1-constant.safetensors" 'tc.update(seed=3, schedule="constant")' ||
  fail "could not write mmt1-constant"
"$bin" eval --weights "$mmt1" --weights "$tmp/mmt1-seed2.safetensors" --weights "$tmp/mmt1-constant.safetensors" \
  --count 2 --markdown --threads 2 >"$tmp/groups.md" 2>"$tmp/groups.err" || fail "eval of three weights exited $?: $(cat "$tmp/groups.err")"
grep -q '^| mmt1 (schedule=cosine) | 2 (1, 2) | ' "$tmp/groups.md" || fail "old and new configs do not group: $(cat "$tmp/groups.md")"
grep -q '^| mmt1 (schedule=constant) | 1 (3) | ' "$tmp/groups.md" || fail "a different schedule joined the group: $(cat "$tmp/groups.md")"

finish cli_config
