// Segmentation and image-quality metrics, computed as the paper's code does
// (pytorch-deeplab-xception's Evaluator): a confusion matrix CM[gt, pred] over the pixels whose
// ground truth is not the ignore label; PA = trace / sum; class accuracy = nanmean over classes
// of CM_cc / row_c; IoU_c = CM_cc / (row_c + col_c - CM_cc); mIoU = nanmean of IoU over classes
// with a non-empty union; FWIoU = sum_c (row_c / sum) * IoU_c.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/json.h"
#include "engine/tensor.h"

namespace ulr {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int num_classes, int ignore_index = 255);

  // Adds every pixel of a (N,H,W) or (H,W) prediction/ground-truth pair (same shape). Ground
  // truth equal to ignore_index is skipped; any other value >= K is an error, and so is a
  // prediction >= K.
  void add(const Labels& gt, const Labels& pred);
  void add(const uint8_t* gt, const uint8_t* pred, int64_t n);
  void merge(const ConfusionMatrix& other);
  // Adds K*K counts laid out as at(g, p) reads them (row by ground truth), as doubles (exact up
  // to 2^53 pixels): a matrix another rank computed.
  void add_counts(const double* counts);

  int num_classes() const { return k_; }
  uint64_t at(int gt, int pred) const { return cm_[size_t(gt) * size_t(k_) + size_t(pred)]; }
  uint64_t total() const;

  double pixel_accuracy() const;
  double class_accuracy() const;      // nanmean of per-class recall
  std::vector<double> iou() const;    // NaN where a class has an empty union
  double miou() const;                // nanmean of iou()
  double fwiou() const;

  // {"miou", "pixel_acc", "class_acc", "fwiou", "iou": {name: value|null}, "pixels",
  //  "confusion": [[count of gt g predicted p for p] for g]}
  Json to_json() const;

 private:
  int k_, ignore_;
  std::vector<uint64_t> cm_;
};

// mIoU of one view on its own: the mIoU of the confusion matrix of its n pixels (classes absent
// from both its ground truth and its prediction skipped; NaN when every pixel is ignored). The
// unit of a paired comparison of two models over the same views. Throws as add() does.
double view_miou(const uint8_t* gt, const uint8_t* pred, int64_t n, int num_classes, int ignore_index = 255);

// Argmax over the class dim of logits (N,K,H,W) -> (N,H,W).
Labels argmax_classes(const Tensor& logits);

// PSNR in dB of images in [0,1] (any equal shapes): 10 log10(1 / MSE), the MSE over every
// element (all channels and images pooled); +inf when identical. skimage's
// peak_signal_noise_ratio(a, b, data_range=1) on the same array.
double psnr(const Tensor& a, const Tensor& b);
// Mean SSIM of (N,C,H,W) tensors in [0,1], in double: each channel of each image on its own
// (no colour conversion), a Gaussian window of 11 taps and sigma 1.5 (normalised to sum 1),
// population (co)variances, C1 = 0.01^2, C2 = 0.03^2 (data range 1), averaged over every window
// wholly inside the image, then over channels and images. skimage's structural_similarity(a, b,
// channel_axis=0, data_range=1, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
// per image, to ~1e-14. Sides under 11 pixels: the window shrinks to the smaller side (still
// sigma 1.5), where skimage refuses the image.
double ssim(const Tensor& a, const Tensor& b);

}  // namespace ulr
