#!/usr/bin/env bash
# Data-parallel throughput on one machine: the default joint model (batch 16, 2 micro-batches)
# trained by 1 process x 2 threads and by 2 MPI ranks x 1 thread, 80 steps each after 20 of
# warm-up; prints samples/s (the trainer's own logged rate, mean of the last records) and the
# gradient exchange per step. Run it on an idle machine.
# usage: bash bench/mpi.sh [ulrseg binary]
set -euo pipefail
bin="${1:-build/ulrseg}"
tmp="$(mktemp -d /tmp/ulrseg_mpi_XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
flags=(--config configs/joint.json --set train_views=512 --set val_views=32 --set stage1_steps=0
       --set steps=100 --set eval_every=100000 --set micro_batches=2)
rate() {  # mean samples/s of the records after step 20
  python3 -c 'import json,sys
r=[json.loads(l) for l in open(sys.argv[1])]
v=[x["samples_per_s"] for x in r if "samples_per_s" in x and x["step"]>20]
print("%.1f" % (sum(v)/len(v)))' "$1/metrics.jsonl"
}
"$bin" train "${flags[@]}" --out "$tmp/one" --threads 2 >/dev/null 2>&1
echo "1 process x 2 threads: $(rate "$tmp/one") samples/s"
mpirun -np 2 --oversubscribe --bind-to none "$bin" train "${flags[@]}" --out "$tmp/two" --threads 1 >/dev/null 2>"$tmp/two.err"
echo "2 ranks x 1 thread:    $(rate "$tmp/two") samples/s"
grep "data parallel" "$tmp/two.err"
