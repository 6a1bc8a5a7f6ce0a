#!/usr/bin/env bash
# `ulrseg nav`: a quick run of the agents that render no step (JSON keys, the shortest path's
# SPL of 1, the episode file read back gives the same results), and one line for each bad
# input: an unknown category, an episode file that does not parse, weights for another input
# size, flags that do not go together.
# usage: bash tests/cli_nav.sh <ulrseg binary> <source dir>
bin="$1"
src="$2"
source "$(dirname "$0")/lib_cli.sh"

"$bin" nav --agent shortest --agent random --episodes 3 --seed 2 --out "$tmp/nav" --json \
  >"$tmp/nav.json" 2>"$tmp/nav.err" || fail "nav exited $?: $(cat "$tmp/nav.err")"
for key in '"success"' '"success_habitat"' '"spl"' '"softspl"' '"dtg"' '"episodes"' '"per_category"'; do
  grep -qF "$key" "$tmp/nav.json" || fail "nav --json lacks $key"
done
python3 - "$tmp/nav.json" <<'EOF' || fail "shortest does not get success_habitat 1 and SPL 1"
import json, sys
r = json.load(open(sys.argv[1]))
a = r["agents"]["shortest"]
assert r["episodes"] == 3 and a["episodes"] == 3
assert a["success_habitat"] == 1 and abs(a["spl"] - 1) < 1e-3, a
EOF
grep -q "episodes/s" "$tmp/nav.err" || fail "nav prints no episodes/s on stderr: $(cat "$tmp/nav.err")"
for f in nav_episodes.json nav_results.json nav_map_0.png; do
  [ -s "$tmp/nav/$f" ] || fail "nav wrote no $f"
done
"$bin" nav --agent shortest --agent random --episodes-file "$tmp/nav/nav_episodes.json" --seed 2 --out "$tmp/again" --json \
  >"$tmp/again.json" 2>/dev/null || fail "nav on its own episode file failed"
cmp -s <(grep -v '_file\|"maps"\|/nav_map\|"strip"\|"seconds"' "$tmp/nav.json") \
       <(grep -v '_file\|"maps"\|/nav_map\|"strip"\|"seconds"' "$tmp/again.json") ||
  fail "the episode file read back gives other results"

expect_error 2 "--category: unknown 'lamp' (sofa, chair, table, picture, bed, tv)" \
  "$bin" nav --agent random --episodes 2 --category lamp --out "$tmp/x"
printf '{"format": "ulrseg-nav-episodes", "episodes": [' >"$tmp/cut.json"
expect_error 1 "$tmp/cut.json: line 1" "$bin" nav --agent random --episodes-file "$tmp/cut.json" --out "$tmp/x"
sed 's/"category": "[a-z]*"/"category": "lamp"/' "$tmp/nav/nav_episodes.json" >"$tmp/lamp.json"
expect_error 1 "$tmp/lamp.json: episode 0: category: unknown 'lamp'" \
  "$bin" nav --agent random --episodes-file "$tmp/lamp.json" --out "$tmp/x"
expect_error 2 "--episodes-file: the file fixes the episodes; drop --episodes and --category" \
  "$bin" nav --agent random --episodes-file "$tmp/nav/nav_episodes.json" --episodes 4
expect_error 2 "--agent: '$tmp/none.safetensors' is neither oracle, random, shortest nor a weights file" \
  "$bin" nav --agent "$tmp/none.safetensors" --episodes 1
expect_error 2 "--map: no episode has id 7" "$bin" nav --agent random --episodes 2 --map 7 --out "$tmp/x"
expect_error 2 "--strip-agent: no agent that sees frames is labelled 'random'" \
  "$bin" nav --agent random --episodes 1 --strip-agent random --out "$tmp/x"

# A model trained for 8x8 frames: refused before any episode runs.
"$bin" train --config "$src/configs/tiny.json" --set model.in_h=8 --set model.in_w=8 --set model.scale=8 \
  --set steps=1 --set stage1_steps=1 --out "$tmp/tiny8" --threads 1 >/dev/null 2>&1 || fail "tiny 8x8 training failed"
expect_error 1 "$tmp/tiny8/best.safetensors: takes 8x8 frames; navigation gives the agents 16x16 frames" \
  "$bin" nav --agent "$tmp/tiny8/best.safetensors" --episodes 1 --out "$tmp/x"

finish cli_nav
