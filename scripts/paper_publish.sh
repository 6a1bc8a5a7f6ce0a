#!/usr/bin/env bash
# Copies what the paper plan's runner has finished into the tracked tree: for every run of
# runs/paper/runs that holds both evaluations (eval-val.json, eval-test.json), its config.json,
# metrics.jsonl and evaluations into weights/runs/paper/RUN/; then the runner's report
# (results.json, results.md and the two charts) into docs/paper/. The report is the one of the
# last `ulrseg experiment` call on that folder: run `make paper` or `ulrseg experiment ...
# --no-train` first. Weights are not copied (shipped files are chosen by hand, weights/MODEL_CARD.md).
# Last, the report's tables (from its "N of M runs trained" line to its training-time line, headings two levels
# down) replace what docs/RESULTS.md holds between its paper-table:begin and :end markers, so the
# figures there are the runner's own.
# Usage: scripts/paper_publish.sh [RUNS_DIR] (default runs/paper).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-runs/paper}
[ -d "$DIR/runs" ] || { echo "paper_publish: $DIR/runs: no such folder (run make paper first)" >&2; exit 1; }
[ -f "$DIR/results.json" ] || { echo "paper_publish: $DIR/results.json: missing (run the experiment first)" >&2; exit 1; }
count=0
for run in "$DIR"/runs/*/; do
  run=${run%/}
  id=$(basename "$run")
  [ -f "$run/eval-val.json" ] && [ -f "$run/eval-test.json" ] || continue
  mkdir -p "weights/runs/paper/$id"
  for f in config.json metrics.jsonl eval-val.json eval-test.json; do
    [ -f "$run/$f" ] && cp "$run/$f" "weights/runs/paper/$id/"
  done
  count=$((count + 1))
done
mkdir -p docs/paper
cp "$DIR/results.json" "$DIR/results.md" "$DIR/miou-methods.svg" "$DIR/miou-sizes.svg" docs/paper/

begin='<!-- paper-table:begin (scripts/paper_publish.sh writes this part) -->'
end='<!-- paper-table:end -->'
grep -qxF "$begin" docs/RESULTS.md && grep -qxF "$end" docs/RESULTS.md ||
  { echo "paper_publish: docs/RESULTS.md: the paper-table:begin/:end markers are missing" >&2; exit 1; }
tables=$(awk '/ runs trained and evaluated\. / { on = 1 } on { sub(/^## /, "#### "); print } on && /^Training time/ { exit }' docs/paper/results.md)
[ -n "$tables" ] || { echo "paper_publish: docs/paper/results.md: no \"N of M runs trained and evaluated\" line" >&2; exit 1; }
tmp=$(mktemp docs/RESULTS.md.tmp.XXXXXX)
TABLES=$tables awk -v b="$begin" -v e="$end" '
  $0 == b { print; print ""; print ENVIRON["TABLES"]; print ""; skip = 1; next }
  $0 == e { skip = 0 }
  !skip { print }' docs/RESULTS.md > "$tmp"
chmod 644 "$tmp"
mv "$tmp" docs/RESULTS.md
echo "paper_publish: $count evaluated runs into weights/runs/paper, the report into docs/paper and docs/RESULTS.md"
