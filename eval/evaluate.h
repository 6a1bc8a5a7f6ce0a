// Evaluating a trained pipeline on a view set: the segmentation metrics of its prediction at
// the HR size, and PSNR/SSIM of the image S saw (SR output or bicubic upsample) against HR.
#pragma once
#include <algorithm>
#include <vector>

#include "data/sensor.h"
#include "data/views.h"
#include "eval/metrics.h"
#include "models/ulrnet.h"

namespace ulr {

struct EvalResult {
  ConfusionMatrix cm{1};
  double psnr = 0, ssim = 0;  // of the image S saw vs HR; 0 for method hr
  int64_t frames = 0;
  double seconds = 0;
  std::vector<double> view_miou;  // per view: the mIoU of its own confusion matrix, in view order
  std::vector<double> view_psnr, view_ssim;  // per view (empty for method hr)
  Json to_json() const;       // cm.to_json() plus psnr, ssim, frames
  double frames_per_second() const { return double(frames) / std::max(seconds, 1e-9); }
};

// Runs `net` over every view: ULR frames come from `sensor` (no noise), or the HR image itself
// for method hr. Batches of `batch` under NoGrad.
EvalResult evaluate_model(const ULRNet& net, const ViewSet& views, const SensorOptions& sensor,
                          int batch = 32);

// evaluate_model over the ranks of a data-parallel run: each rank takes whole batches of
// `batch` views, consecutive, and every rank gets the merged result (confusion matrix, and
// PSNR/SSIM summed over views in view order), bit-identical to evaluate_model in one process.
// seconds is this rank's. One process: evaluate_model itself.
EvalResult evaluate_across_ranks(const ULRNet& net, const ViewSet& views, const SensorOptions& sensor,
                                 int batch = 32);

}  // namespace ulr
