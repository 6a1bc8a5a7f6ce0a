#!/usr/bin/env bash
# Data-parallel training: `mpirun -np 2` on the tiny config gives the losses, validation and
# weights of one process with the same micro-batches, bit for bit, also across a stop and
# --resume; a micro_batches that does not fit the ranks is one line. Skipped (with a line saying
# so) when the program was built without MPI or mpirun is missing.
# usage: bash tests/cli_mpi.sh <ulrseg binary> <source dir>
bin="$1"
src="$2"
source "$(dirname "$0")/lib_cli.sh"

if ! command -v mpirun >/dev/null || ! ldd "$bin" | grep -q libmpi; then
  echo "cli_mpi: skipped (no MPI in this build or no mpirun)"
  exit 0
fi
# Tests run as root in CI's containers; Open MPI refuses that unless told.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# Containers often forbid the cross-process memory reads of the shared-memory transport.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mpi() { mpirun -np 2 --oversubscribe "$bin" "$@"; }
tiny="$src/configs/tiny.json"

# metrics.jsonl without its timings.
records() {
  python3 -c 'import json,sys
for l in open(sys.argv[1]):
  d = json.loads(l); d.pop("samples_per_s", None); print(json.dumps(d))' "$1"
}
# The tensors of a safetensors file (its bytes after the header; the metadata holds the command).
tensors() { python3 -c 'import struct,sys,hashlib; b=open(sys.argv[1],"rb").read(); n=struct.unpack("<Q",b[:8])[0]; print(hashlib.sha256(b[8+n:]).hexdigest())' "$1"; }

"$bin" train --config "$tiny" --set micro_batches=2 --out "$tmp/one" --threads 1 >/dev/null 2>"$tmp/one.err" ||
  fail "one process: $(cat "$tmp/one.err")"
mpi train --config "$tiny" --set micro_batches=2 --out "$tmp/two" --threads 1 >"$tmp/two.out" 2>"$tmp/two.err" ||
  fail "2 ranks: $(cat "$tmp/two.err")"
[ "$(records "$tmp/one/metrics.jsonl")" = "$(records "$tmp/two/metrics.jsonl")" ] ||
  fail "2 ranks log other losses than one process with 2 micro-batches"
for f in best checkpoint; do
  [ "$(tensors "$tmp/one/$f.safetensors")" = "$(tensors "$tmp/two/$f.safetensors")" ] || fail "$f.safetensors differs"
done
grep -q "data parallel: 2 ranks; gradient exchange" "$tmp/two.err" || fail "no exchange report: $(cat "$tmp/two.err")"
[ "$(grep -c "step 16, best val" "$tmp/two.out")" = 1 ] || fail "more than rank 0 spoke: $(cat "$tmp/two.out")"

# Stopped after 7 steps by 2 ranks, resumed by 2 ranks: the uninterrupted records.
mpi train --config "$tiny" --set micro_batches=2 --out "$tmp/split" --threads 1 --stop-after 7 >/dev/null 2>&1 ||
  fail "2 ranks, --stop-after"
mpi train --config "$tiny" --set micro_batches=2 --out "$tmp/split" --threads 1 --resume >/dev/null 2>"$tmp/res.err" ||
  fail "2 ranks, --resume: $(cat "$tmp/res.err")"
[ "$(records "$tmp/split/metrics.jsonl")" = "$(records "$tmp/one/metrics.jsonl")" ] ||
  fail "stopped and resumed by 2 ranks: other records"

# A micro-batch count the ranks cannot share: one line per rank, exit 1, nothing written.
mpi train --config "$tiny" --out "$tmp/bad" >/dev/null 2>"$tmp/bad.err" && fail "micro_batches 1 on 2 ranks ran"
grep -q "config: micro_batches (1) must be a multiple of the 2 processes of this run (set micro_batches=2)" "$tmp/bad.err" ||
  fail "micro_batches 1 on 2 ranks: $(cat "$tmp/bad.err")"
[ ! -e "$tmp/bad" ] || fail "a refused run wrote its folder"

finish cli_mpi
