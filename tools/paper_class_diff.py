#!/usr/bin/env python3
"""Where the pooled mIoU difference of two rows of the paper plan comes from, class by class.

Reads the runner's results.json (docs/paper/results.json, or runs/paper/results.json) and, for
two rows at one input size, prints per class: each row's test IoU (mean over its evaluated
seeds), the class's share of the mIoU difference (IoU difference / number of classes counted),
and, per run (the mean over a row's seeds), the test pixels of the class and the pixels each row
predicts as it (the confusion matrix's row and column sums) with the correct ones. Standard library only.

usage: tools/paper_class_diff.py RESULTS.json ROW_A ROW_B [SIZE]   (SIZE default 16)
"""
import json
import sys


def runs_of(results, row, size):
    runs = [r for r in results["runs"] if r["row"] == row and r["size"] == size and "test" in r]
    if not runs:
        sys.exit(f"paper_class_diff: {row} at {size}x{size}: no evaluated runs in the results")
    return runs


def main(argv):
    if len(argv) not in (4, 5):
        sys.exit(__doc__.strip().splitlines()[-1])
    path, row_a, row_b = argv[1], argv[2], argv[3]
    size = int(argv[4]) if len(argv) == 5 else 16
    try:
        with open(path) as f:
            results = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"paper_class_diff: {path}: {e}")
    a, b = runs_of(results, row_a, size), runs_of(results, row_b, size)
    names = list(a[0]["test"]["iou"].keys())

    def mean_iou(runs, c):
        values = [r["test"]["iou"][c] for r in runs if r["test"]["iou"][c] is not None]
        return sum(values) / len(values) if values else None

    def pixels(runs, k):  # (ground truth, predicted, correct), per run
        gt = pred = tp = 0
        for r in runs:
            cm = r["test"]["confusion"]
            gt += sum(cm[k])
            pred += sum(row[k] for row in cm)
            tp += cm[k][k]
        return gt // len(runs), pred // len(runs), tp // len(runs)

    counted = [c for c in names if mean_iou(a, c) is not None and mean_iou(b, c) is not None]
    print(f"{row_a} (seeds {[r['seed'] for r in a]}) against {row_b} (seeds {[r['seed'] for r in b]}), "
          f"{size}x{size}, test; {len(counted)} classes counted")
    print(f"{'class':<10} {'IoU a':>7} {'IoU b':>7} {'share':>8} {'gt px':>9} {'pred a':>9} {'ok a':>8} {'pred b':>9} {'ok b':>8}")
    total = 0.0
    for k, c in enumerate(names):
        if c not in counted:
            continue
        ia, ib = mean_iou(a, c), mean_iou(b, c)
        share = (ia - ib) / len(counted)
        total += share
        gt, pa, ta = pixels(a, k)
        _, pb, tb = pixels(b, k)
        print(f"{c:<10} {ia:7.3f} {ib:7.3f} {share:+8.4f} {gt:9d} {pa:9d} {ta:8d} {pb:9d} {tb:8d}")
    print(f"{'mIoU':<10} {'':7} {'':7} {total:+8.4f}   (pixels: per run, of the test views)")


if __name__ == "__main__":
    main(sys.argv)
