#!/usr/bin/env bash
# Trains the shipped weights, in order: the HR model (the AFE teacher and the upper bound), then
# ours (joint), FJL-1 and MMT-1 — every method with the same views and the same step budget.
# Each run's folder (runs/NAME: config, metrics.jsonl, checkpoints) and log (runs/NAME.log) are
# kept; the best-validation weights are copied into weights/ and the metrics and logs into
# weights/runs/. Usage: scripts/train_weights.sh [BIN [NAME...]] (default build/ulrseg, all of
# hr joint fjl1 mmt1), THREADS=2. Runs that need the teacher read weights/ulrnet-hr-64x64.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/ulrseg}
shift || true
NAMES=${*:-hr joint fjl1 mmt1}
THREADS=${THREADS:-2}
mkdir -p runs weights/runs

train() {  # train NAME CONFIG WEIGHTS_FILE (skipped unless NAME is asked for)
  local name=$1 config=$2 out=$3
  [[ " $NAMES " == *" $name "* ]] || return 0
  echo "== $name: $BIN train --config $config --out runs/$name --threads $THREADS"
  "$BIN" train --config "$config" --out "runs/$name" --threads "$THREADS" 2>&1 | tee "runs/$name.log"
  cp "runs/$name/best.safetensors" "$out"
  mkdir -p "weights/runs/$name"
  cp "runs/$name/metrics.jsonl" "runs/$name/config.json" "weights/runs/$name/"
  cp "runs/$name.log" "weights/runs/$name/train.log"
}

train hr configs/hr.json weights/ulrnet-hr-64x64.safetensors
train joint configs/joint.json weights/ulrnet-joint-16x16.safetensors
train fjl1 configs/fjl1.json weights/ulrnet-fjl1-16x16.safetensors
train mmt1 configs/mmt1.json weights/ulrnet-mmt1-16x16.safetensors
