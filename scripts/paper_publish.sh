#!/usr/bin/env bash
# Copies what the paper plan's runner has finished into the tracked tree: for every run of
# runs/paper/runs that holds both evaluations (eval-val.json, eval-test.json), its config.json,
# metrics.jsonl and evaluations into weights/runs/paper/RUN/; then the runner's report
# (results.json, results.md and the two charts) into docs/paper/. The report is the one of the
# last `ulrseg experiment` call on that folder: run `make paper` or `ulrseg experiment ...
# --no-train` first. Weights are not copied (shipped files are chosen by hand, weights/MODEL_CARD.md).
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
echo "paper_publish: $count evaluated runs into weights/runs/paper, the report into docs/paper"
