#!/usr/bin/env python3
"""Training hours from runs' metrics.jsonl, as the experiment runner counts them.

For each file: the sum over its records with a samples_per_s of (step - previous step) * batch
/ samples_per_s, validation excluded (train/runner.cpp, logged_training_seconds). The batch is
read from config.json beside the file (default 16). --after STEP counts only the steps after
STEP (a run that went on with other settings from there). Prints hours per file and the total.
Standard library only.

usage: tools/logged_hours.py [--after STEP] METRICS.jsonl ...
"""
import json
import os
import sys


def logged_seconds(path, after):
    config = os.path.join(os.path.dirname(path), "config.json")
    batch = 16
    if os.path.exists(config):
        with open(config) as f:
            batch = json.load(f).get("batch", 16)
    seconds, last = 0.0, 0
    with open(path) as f:
        for line in f:
            if not line.endswith("\n"):
                break  # a line a kill cut short
            record = json.loads(line)
            rate = record.get("samples_per_s")
            if not isinstance(rate, (int, float)) or rate <= 0:
                continue
            step = record["step"]
            counted = step - max(last, after)
            if counted > 0:
                seconds += counted * batch / rate
            last = step
    return seconds


def main(argv):
    args, after = argv[1:], 0
    if len(args) >= 2 and args[0] == "--after":
        after, args = int(args[1]), args[2:]
    if not args:
        sys.exit(__doc__.strip().splitlines()[-1])
    total = 0.0
    for path in args:
        try:
            seconds = logged_seconds(path, after)
        except (OSError, ValueError, KeyError) as e:
            sys.exit(f"logged_hours: {path}: {e}")
        total += seconds
        print(f"{seconds / 3600:8.3f} h {seconds:10.1f} s  {path}")
    print(f"{total / 3600:8.3f} h {total:10.1f} s  total")


if __name__ == "__main__":
    main(sys.argv)
