#!/usr/bin/env bash
# `ulrseg experiment`: a plan killed at any moment (kill -9, Ctrl-C) continues with the same
# command to the same results as an uninterrupted run; --status names each run's state; bad
# plans and flags are one line naming the file, row and key.
# usage: bash tests/cli_experiment.sh <ulrseg binary> <source dir>
bin="$1"
src="$2"
source "$(dirname "$0")/lib_cli.sh"

model='"model": {"g_channels": 8, "g_blocks": 1, "g_heads": 2, "g_up_channels": [8, 8, 8],
         "s_channels": [8, 8, 16, 16], "s_heads": 2, "s_groups": 4, "d_channels": [8]}'
for m in fjl1 mmt1; do
  cat >"$tmp/$m.json" <<JSON
{"method": "$m", $model, "use_afe": false, "train_views": 32, "val_views": 8, "batch": 8,
 "stage1_steps": 10, "steps": 60, "warmup": 2, "eval_every": 20, "lr": 0.003}
JSON
done
cat >"$tmp/plan.json" <<JSON
{"title": "cli", "test_views": 8, "seeds": [1, 2], "runs": [
  {"name": "fjl1", "config": "$tmp/fjl1.json", "sizes": [16]},
  {"name": "mmt1", "config": "$tmp/mmt1.json", "sizes": [16]}]}
JSON
run() { "$bin" experiment --plan "$tmp/plan.json" --threads 2 --jobs 2 "$@"; }

# The test figures of every run, for comparing two results.json.
figures() {
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps([(x["id"], x["test"]) for x in r["runs"]]))' "$1"
}

run --out "$tmp/whole" 2>"$tmp/whole.err" || fail "uninterrupted plan failed: $(cat "$tmp/whole.err")"
grep -q '"complete": true' "$tmp/whole/results.json" || fail "results.json is not complete"
for f in results.md miou-methods.svg miou-sizes.svg; do [ -s "$tmp/whole/$f" ] || fail "$f missing"; done

# kill -9 once a first checkpoint is written, then Ctrl-C the continuation a little later. (The
# binary itself in the background, so that the signals reach it.)
"$bin" experiment --plan "$tmp/plan.json" --threads 2 --jobs 2 --out "$tmp/killed" 2>/dev/null &
pid=$!
for _ in $(seq 1 200); do
  ls "$tmp"/killed/runs/*/checkpoint.safetensors >/dev/null 2>&1 && break
  sleep 0.05
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
"$bin" experiment --plan "$tmp/plan.json" --threads 2 --jobs 2 --out "$tmp/killed" 2>"$tmp/int.err" &
pid=$!
sleep 0.5
# A second runner on the folder stops at once.
expect_error 1 "$tmp/killed: another \`ulrseg experiment\` works in this folder" run --out "$tmp/killed"
kill -INT "$pid" 2>/dev/null
wait "$pid"
rc=$?
[ "$rc" = 130 ] || [ "$rc" = 0 ] || fail "Ctrl-C: exit $rc, expected 130 (or 0 when it had finished): $(cat "$tmp/int.err")"
[ "$rc" = 0 ] || grep -q "interrupted; the same command continues" "$tmp/int.err" || fail "Ctrl-C: no message"
run --out "$tmp/killed" 2>"$tmp/rest.err" || fail "continued plan failed: $(cat "$tmp/rest.err")"
[ "$(figures "$tmp/killed/results.json")" = "$(figures "$tmp/whole/results.json")" ] ||
  fail "killed and continued plan gives other test figures than the uninterrupted one"

"$bin" experiment --plan "$tmp/plan.json" --out "$tmp/whole" --status >"$tmp/status" 2>&1
grep -q "fjl1-16x16-s2 *finished *70/70 *evaluated" "$tmp/status" || fail "--status: $(cat "$tmp/status")"

# The shipped paper plan resolves: every config, override and reused weights file of it.
(cd "$src" && "$bin" experiment --plan configs/paper.json --out "$tmp/paper" --status) >"$tmp/paper.status" 2>&1 ||
  fail "configs/paper.json: $(cat "$tmp/paper.status")"
grep -q "^hr-64x64-s1 *reused *3400/3400" "$tmp/paper.status" || fail "paper plan --status: $(head -3 "$tmp/paper.status")"
[ "$(grep -cE ' (missing|partial|finished|reused) ' "$tmp/paper.status")" = 37 ] ||
  fail "paper plan: expected 37 runs, got: $(cat "$tmp/paper.status")"

# tools/logged_hours.py counts the runs' training time as the runner does (results.json).
got=$(python3 "$src/tools/logged_hours.py" "$tmp"/whole/runs/*/metrics.jsonl | awk '$NF == "total" { print $3 }')
want=$(python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["train_hours"] * 3600))' "$tmp/whole/results.json")
[ -n "$got" ] && [ "$got" = "$want" ] || fail "logged_hours: $got s, the runner's train_hours: $want s"

# tools/paper_class_diff.py on a hand-worked report: IoU x 0.5 against 0.3 over the two classes
# counted (z is NaN in both) is a share of +0.1; a's matrix holds 4 x pixels, predicts x on 5, 3 right.
cat >"$tmp/report.json" <<'JSON'
{"runs": [
 {"row": "a", "size": 16, "seed": 1, "test": {"iou": {"x": 0.5, "y": 0.2, "z": null},
  "confusion": [[3, 1, 0], [2, 4, 0], [0, 0, 0]]}},
 {"row": "b", "size": 16, "seed": 1, "test": {"iou": {"x": 0.3, "y": 0.2, "z": null},
  "confusion": [[4, 0, 0], [1, 5, 0], [0, 0, 0]]}}]}
JSON
python3 "$src/tools/paper_class_diff.py" "$tmp/report.json" a b >"$tmp/diff.txt" 2>&1 || fail "paper_class_diff: $(cat "$tmp/diff.txt")"
grep -qE '^x +0\.500 +0\.300 +\+0\.1000 +4 +5 +3 +5 +4$' "$tmp/diff.txt" || fail "paper_class_diff x: $(cat "$tmp/diff.txt")"
grep -qE '^mIoU +\+0\.1000' "$tmp/diff.txt" || fail "paper_class_diff total: $(cat "$tmp/diff.txt")"
grep -q '^z ' "$tmp/diff.txt" && fail "paper_class_diff counts a class that is NaN in both"
expect_error 1 "paper_class_diff: c at 16x16: no evaluated runs" python3 "$src/tools/paper_class_diff.py" "$tmp/report.json" a c

# Bad plans and flags.
echo '{"runs": [{"name": "a", "config": "x.json", "sizes": [16], "seeds": [1], "lr": 1}]}' >"$tmp/bad.json"
expect_error 1 "$tmp/bad.json: runs[0]: unknown key 'lr'" "$bin" experiment --plan "$tmp/bad.json" --out "$tmp/o"
echo "{\"runs\": [{\"name\": \"a\", \"config\": \"$tmp/fjl1.json\", \"method\": \"pp9\", \"sizes\": [16], \"seeds\": [1]}]}" >"$tmp/bad.json"
expect_error 1 "$tmp/bad.json: row 'a': method: expected joint, fjl1, mmt1, hr, pp1, pp2 or mmt2, got \"pp9\"" \
  "$bin" experiment --plan "$tmp/bad.json" --out "$tmp/o"
expect_error 1 "$tmp/missing.json" "$bin" experiment --plan "$tmp/missing.json" --out "$tmp/o"
expect_error 2 "--out" "$bin" experiment --plan "$tmp/plan.json"
expect_error 2 "--jobs" "$bin" experiment --plan "$tmp/plan.json" --out "$tmp/o" --jobs 0
[ ! -e "$tmp/o" ] || fail "a refused plan created its output folder"

finish cli_experiment
