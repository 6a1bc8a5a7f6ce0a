#!/usr/bin/env bash
# ulrseg and PyTorch side by side on this machine: runs `ulrseg bench --json` and its PyTorch
# peer (bench/torch_peer.py: the same model, inference and joint training step) one after the
# other with the same thread count, and prints one markdown table.
#
#   bench/compare.sh [--threads N]          (default N = 2)
#
# Builds nothing: needs build/ulrseg (`make build`) and Debian's python3-torch, run through
# /usr/bin/python3. The two runs take a few minutes; on a busy machine the figures move, so
# compare runs made on an idle one.
#
# ULRSEG_BENCH_JSON=FILE reads ulrseg's figures from FILE instead of running the program (to
# test this script, or to set a saved run beside a fresh PyTorch one).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=/usr/bin/python3
ULRSEG=build/ulrseg
threads=2
die() { echo "compare.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --threads)
      [ $# -ge 2 ] || die "--threads needs a number"
      threads=$2; shift 2 ;;
    --threads=*) threads=${1#--threads=}; shift ;;
    -h|--help) sed -n '2,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (usage: bench/compare.sh [--threads N])" ;;
  esac
done
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || die "--threads wants a positive integer, not '$threads'"

[ -x "$PYTHON" ] || die "$PYTHON not found; the PyTorch side needs Debian's python3 and python3-torch"
"$PYTHON" -c 'import torch' 2>/dev/null ||
  die "$PYTHON cannot import torch; install Debian's python3-torch to run the PyTorch side"
if [ -n "${ULRSEG_BENCH_JSON:-}" ]; then
  [ -r "$ULRSEG_BENCH_JSON" ] || die "ULRSEG_BENCH_JSON=$ULRSEG_BENCH_JSON: no such readable file"
else
  [ -x "$ULRSEG" ] || die "$ULRSEG not found; build it first (make build)"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

if [ -n "${ULRSEG_BENCH_JSON:-}" ]; then
  cp "$ULRSEG_BENCH_JSON" "$tmp/ulrseg.json"
else
  echo "compare.sh: $ULRSEG bench --threads $threads --json ..." >&2
  "$ULRSEG" bench --threads "$threads" --json >"$tmp/ulrseg.json" ||
    die "$ULRSEG bench --threads $threads --json failed (exit $?)"
fi
echo "compare.sh: $PYTHON bench/torch_peer.py --threads $threads --json ..." >&2
"$PYTHON" bench/torch_peer.py --threads "$threads" --json >"$tmp/torch.json" ||
  die "bench/torch_peer.py --threads $threads --json failed (exit $?)"

"$PYTHON" - "$tmp/ulrseg.json" "$tmp/torch.json" "$load_before" <<'EOF'
import json
import os
import sys

sys.dont_write_bytecode = True  # importing torch_peer below must leave no __pycache__ in bench/
sys.path.insert(0, "bench")
KEYS = ["threads", "gemm_peak_gflops", "train_batch", "train_samples_per_s", "train_samples_per_s_b16",
        "train_gflop_per_sample", "infer_b1_ms_median", "infer_b1_ms_p99", "infer_batch",
        "infer_batch_frames_per_s", "infer_gflop_per_frame", "train_peak_rss_mib", "infer_peak_rss_mib"]


def load(path, who):
    try:
        with open(path) as f:
            text = f.read()
        if "{" not in text:
            sys.exit(f"compare.sh: {who} printed no JSON object")
        r = json.loads(text[text.index("{"):])  # skip anything printed before the object
    except (OSError, ValueError) as e:
        sys.exit(f"compare.sh: {who} did not print a readable JSON object ({e})")
    missing = [k for k in KEYS if not isinstance(r.get(k), (int, float))]
    if missing:
        sys.exit(f"compare.sh: {who}'s JSON lacks the figures {', '.join(missing)}")
    return r


u = load(sys.argv[1], "ulrseg bench")
t = load(sys.argv[2], "bench/torch_peer.py")


best_peak = max(u["gemm_peak_gflops"], t["gemm_peak_gflops"])


def share(r, gflop, per_s, peak=None):
    percent = 100 * gflop * per_s / (peak or r["gemm_peak_gflops"])
    return f"{percent:.0f}%" if percent >= 9.95 else f"{percent:.1f}%"


def higher_is_better(a, b):
    return f"{a / b:.2f}x"


def lower_is_better(a, b):
    if a < 0.995 * b:
        return f"{b / a:.2f}x lower"
    return f"{a / b:.2f}x higher" if a > 1.005 * b else "same"


def same_count(a, b):
    return "same" if abs(a - b) <= 0.005 * max(a, b) else f"{a / b:.3f}x"


rows = [
    ("gemm peak, GFLOP/s", "gemm_peak_gflops", "{:.1f}", higher_is_better),
    (f"training step, batch {u['train_batch']}, samples/s", "train_samples_per_s", "{:.2f}", higher_is_better),
    ("training step, batch 16, samples/s", "train_samples_per_s_b16", "{:.2f}", higher_is_better),
    ("training step, GFLOP/sample", "train_gflop_per_sample", "{:.3f}", same_count),
    ("training, share of own gemm peak", lambda r: share(r, r["train_gflop_per_sample"], r["train_samples_per_s"])),
    ("training, share of the better gemm peak",
     lambda r: share(r, r["train_gflop_per_sample"], r["train_samples_per_s"], best_peak)),
    ("inference batch 1, median ms", "infer_b1_ms_median", "{:.2f}", lower_is_better),
    ("inference batch 1, p99 ms", "infer_b1_ms_p99", "{:.2f}", lower_is_better),
    ("inference batch 1, share of own gemm peak",
     lambda r: share(r, r["infer_gflop_per_frame"], 1e3 / r["infer_b1_ms_median"])),
    ("inference batch 1, share of the better gemm peak",
     lambda r: share(r, r["infer_gflop_per_frame"], 1e3 / r["infer_b1_ms_median"], best_peak)),
    (f"inference batch {u['infer_batch']}, frames/s", "infer_batch_frames_per_s", "{:.1f}", higher_is_better),
    (f"inference batch {u['infer_batch']}, share of own gemm peak",
     lambda r: share(r, r["infer_gflop_per_frame"], r["infer_batch_frames_per_s"])),
    (f"inference batch {u['infer_batch']}, share of the better gemm peak",
     lambda r: share(r, r["infer_gflop_per_frame"], r["infer_batch_frames_per_s"], best_peak)),
    ("inference, GFLOP/frame (G+S forward)", "infer_gflop_per_frame", "{:.4f}", same_count),
    (f"peak RSS, training batch {u['train_batch']}, MiB", "train_peak_rss_mib", "{:.0f}", lower_is_better),
    ("peak RSS, inference, MiB", "infer_peak_rss_mib", "{:.0f}", lower_is_better),
]

cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
load_after = " ".join(open("/proc/loadavg").read().split()[:3])
print(f"{u['engine']} and {t['engine']}, {u['threads']} threads each, on {cpu} ({os.cpu_count()} cores); "
      f"load average {sys.argv[3]} before, {load_after} after\n")
print("| figure | ulrseg | PyTorch | ulrseg / PyTorch |")
print("|---|---:|---:|---|")
for row in rows:
    if callable(row[1]):
        print(f"| {row[0]} | {row[1](u)} | {row[1](t)} | |")
    else:
        name, key, fmt, ratio = row
        print(f"| {name} | {fmt.format(u[key])} | {fmt.format(t[key])} | {ratio(u[key], t[key])} |")

notes = []
if u["threads"] != t["threads"]:
    notes.append(f"the engines ran with different thread counts ({u['threads']} and {t['threads']})")
if (u["train_batch"], u["infer_batch"]) != (t["train_batch"], t["infer_batch"]):
    notes.append("the engines ran different batch sizes; the PyTorch rows use its own")
for key, what in (("infer_gflop_per_frame", "G+S forward"), ("train_gflop_per_sample", "training step")):
    if same_count(u[key], t[key]) != "same":
        notes.append(f"the engines count different FLOPs for the {what}: the shares are not comparable")
try:
    from torch_peer import blas_library
    notes.append(f"PyTorch's torch.mm runs on {blas_library()}")
except Exception:  # a note, not a figure: never fail the table for it
    pass
notes.append("shares: achieved GFLOP/s (FLOPs per sample or frame x rate) over the engine's own gemm "
             f"peak, or over the better of the two ({best_peak:.1f} GFLOP/s), which sets both engines "
             "against the same yardstick")
print("\n" + "\n".join(f"- {n}" for n in notes))
EOF
