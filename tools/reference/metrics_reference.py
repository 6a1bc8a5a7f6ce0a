#!/usr/bin/python3
"""NumPy and scikit-image reference for ulrseg's metrics (eval/metrics.cpp).

Writes metrics.json, which tests/test_metrics.cpp must match:
  segmentation  random ground truth (with ignore pixels, 255) and predictions from a fixed seed;
                for each case the confusion matrix, pixel accuracy, class accuracy, IoU per class,
                mIoU, FWIoU and the mIoU of each view on its own. The formulas are those of the
                Evaluator of pytorch-deeplab-xception (utils/metrics.py), which the paper's
                results come from, written here again with NumPy.
  images        random image pairs as 8-bit codes (a value is code / 255 in float32, as the C++
                test builds it) and their PSNR and SSIM from scikit-image, called with ulrseg's
                definition: data range 1, an 11-tap Gaussian window of sigma 1.5, population
                covariance, K1 0.01 and K2 0.03, the mean over the windows that lie wholly inside
                the image, then over channels and images.

  /usr/bin/python3 tools/reference/metrics_reference.py --seed 1 --out tests/fixtures

Needs Debian's python3-numpy and python3-skimage (scikit-image 0.19 or newer: channel_axis).
"""
import argparse
import json
import math
import os
import warnings

import numpy as np
import skimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

IGNORE = 255


# ---- Segmentation: the Evaluator's formulas ----------------------------------------------------

def confusion_matrix(gt, pred, num_classes):
    """(K,K) counts, [g, p] = pixels of ground truth g predicted p. As the Evaluator's
    _generate_matrix: only pixels whose ground truth lies in 0..K-1 count (255 does not)."""
    counted = (gt >= 0) & (gt < num_classes)
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (gt[counted].astype(np.int64), pred[counted].astype(np.int64)), 1)
    return cm


def nanmean(values):
    """Mean of the entries that are not NaN; NaN (without numpy's warning) when all are."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(values))


def scores(cm):
    """The Evaluator's Pixel_Accuracy, Pixel_Accuracy_Class, per-class IoU,
    Mean_Intersection_over_Union and Frequency_Weighted_Intersection_over_Union of one matrix."""
    cm = cm.astype(np.float64)
    hits = np.diag(cm)             # (K,) pixels of class c predicted c
    gt_pixels = cm.sum(axis=1)     # (K,) row sums: pixels whose ground truth is c
    pred_pixels = cm.sum(axis=0)   # (K,) column sums: pixels predicted c
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = hits / (gt_pixels + pred_pixels - hits)  # NaN where the union is empty
        recall = hits / gt_pixels                      # NaN where the class has no ground truth
        frequency = gt_pixels / cm.sum()
        pixel_acc = hits.sum() / cm.sum()
    seen = frequency > 0
    return {
        "pixel_acc": float(pixel_acc),
        "class_acc": nanmean(recall),
        "iou": [float(v) for v in iou],
        "miou": nanmean(iou),
        "fwiou": float((frequency[seen] * iou[seen]).sum()),
    }


def segmentation_case(name, rng, num_classes, views, height, width, gt_classes, gt_weights,
                      pred_classes, keep, ignore_share):
    """Ground truth drawn from gt_classes with gt_weights, ignore_share of it 255; a prediction
    that keeps the ground truth with probability `keep`, else a uniform class of pred_classes
    (also at ignored pixels)."""
    shape = (views, height, width)
    weights = np.asarray(gt_weights, dtype=np.float64)
    gt = rng.choice(gt_classes, size=shape, p=weights / weights.sum()).astype(np.uint8)
    gt[rng.random(shape) < ignore_share] = IGNORE
    pred = rng.choice(pred_classes, size=shape).astype(np.uint8)
    kept = (rng.random(shape) < keep) & (gt != IGNORE)
    pred[kept] = gt[kept]
    cm = confusion_matrix(gt, pred, num_classes)
    case = {"name": name, "num_classes": num_classes, "ignore": IGNORE, "shape": list(shape),
            "gt": gt.ravel().tolist(), "pred": pred.ravel().tolist(), "confusion": cm.tolist()}
    case.update(scores(cm))
    case["view_miou"] = [scores(confusion_matrix(gt[v], pred[v], num_classes))["miou"]
                         for v in range(views)]
    return case


# ---- Images: scikit-image's PSNR and SSIM ------------------------------------------------------

def as_float(codes):
    """8-bit codes -> the float32 values the C++ test makes (code / 255), widened to float64 so
    that scikit-image computes in double as eval/metrics.cpp does."""
    return (codes.astype(np.float32) / np.float32(255)).astype(np.float64)


def ssim_skimage(a, b):
    """Mean SSIM of (N,C,H,W) images: skimage per image (channels averaged), then over images."""
    per_image = [structural_similarity(a[n], b[n], channel_axis=0, data_range=1.0,
                                       gaussian_weights=True, sigma=1.5,
                                       use_sample_covariance=False, K1=0.01, K2=0.03)
                 for n in range(a.shape[0])]
    return float(np.mean(per_image))


def image_case(name, rng, shape, noise, flip_share):
    """A smooth random image (sum of random waves) and a copy with Gaussian noise of sd `noise`,
    a share of its pixels inverted (1 - v), clipped to [0, 1]; both as 8-bit codes."""
    n, c, h, w = shape
    y, x = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    clean = np.zeros(shape)
    for _ in range(4):
        fy, fx, phase = rng.uniform(0.05, 0.6), rng.uniform(0.05, 0.6), rng.uniform(0, 2 * math.pi)
        clean += rng.uniform(0.05, 0.2, size=(n, c, 1, 1)) * np.sin(fy * y + fx * x + phase)
    clean = np.clip(0.5 + clean, 0, 1)
    test = clean + rng.normal(0, noise, size=shape)
    flipped = rng.random(shape) < flip_share
    test[flipped] = 1 - test[flipped]
    test = np.clip(test, 0, 1)
    codes_a = np.rint(clean * 255).astype(np.uint8)
    codes_b = np.rint(test * 255).astype(np.uint8)
    a, b = as_float(codes_a), as_float(codes_b)
    return {"name": name, "shape": list(shape), "a": codes_a.ravel().tolist(),
            "b": codes_b.ravel().tolist(), "psnr": float(peak_signal_noise_ratio(a, b, data_range=1.0)),
            "ssim": ssim_skimage(a, b)}


def null_for_nan(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return [null_for_nan(v) for v in value]
    if isinstance(value, dict):
        return {k: null_for_nan(v) for k, v in value.items()}
    return value


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="tests/fixtures")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    segmentation = [
        # Class 4 is only predicted (class accuracy NaN, IoU 0), class 5 appears nowhere (NaN).
        segmentation_case("six classes: one only predicted, one absent", rng, 6, 3, 10, 12,
                          [0, 1, 2, 3], [4, 3, 2, 1], [0, 1, 2, 3, 4], 0.55, 0.1),
        # The model's 14 classes, skewed like a scene; 12 and 13 never in the ground truth, 13
        # never predicted either. Each view on its own misses more classes.
        segmentation_case("fourteen classes, two views", rng, 14, 2, 32, 32, list(range(12)),
                          [30, 20, 12, 9, 7, 6, 5, 4, 3, 2, 1, 1], list(range(13)), 0.6, 0.05),
    ]
    images = [
        image_case("rgb 32x32", rng, (1, 3, 32, 32), 0.05, 0.0),
        image_case("two rgb 20x24", rng, (2, 3, 20, 24), 0.12, 0.02),
        image_case("grey 14x40, a fifth inverted", rng, (1, 1, 14, 40), 0.03, 0.2),
    ]
    fixture = {"format": "ulrseg-metrics-fixtures", "version": 1, "seed": args.seed,
               "numpy": np.__version__, "skimage": skimage.__version__,
               "segmentation": segmentation, "images": images}
    path = os.path.join(args.out, "metrics.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(null_for_nan(fixture), f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    os.replace(tmp, path)
    print(f"wrote {path} (seed {args.seed})")


if __name__ == "__main__":
    main()
