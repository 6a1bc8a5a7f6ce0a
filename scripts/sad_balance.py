#!/usr/bin/env python3
"""How the SAD's game went: range and median of the discriminator loss `d` and the adversarial
term `adv` logged in a run's metrics.jsonl, from step 1000 (after the first lead of D) to the end.
Usage: scripts/sad_balance.py RUN/metrics.jsonl [...]"""
import json
import statistics
import sys

if len(sys.argv) < 2:
    sys.exit(__doc__.split("Usage: ")[1])
for path in sys.argv[1:]:
    with open(path) as f:
        rows = [r for r in map(json.loads, f) if "d" in r and r["step"] >= 1000]
    if not rows:
        sys.exit(f"{path}: no SAD losses logged after step 1000 (not a joint run with the SAD?)")
    parts = []
    for key in ("d", "adv"):
        v = [r[key] for r in rows]
        parts.append(f"{key} {min(v):.2f}-{max(v):.2f} median {statistics.median(v):.2f}")
    print(f"{path}: " + ", ".join(parts))
