// The reconstruction attack: a G trained with pixel loss only (MSE against the HR view), from
// the ULR frame of side r to the 96x96 HR view, and how close its output comes to the view (on
// the whole view and on the person's pixels).
//
// The network: the frame resized (bilinear) to 32x32, a 3x3 stem and three 3x3 convs of
// `width` channels with ReLU (residual from the second on), a 3x3 conv to 27 channels and
// pixel_shuffle(3) to 96x96 (zero at initialisation), added to the bilinear upsample of the
// frame. It works at 32x32
// whatever r is, where the engine's 3x3 kernels run vectorised (privacy/attack.h).
#pragma once
#include <cstdint>
#include <memory>

#include "models/layers.h"
#include "privacy/person_views.h"

namespace ulr {

struct ReconstructionOptions {
  int width = 24;
  int epochs = 3;
  int batch = 16;
  float lr = 1e-3f;
  uint64_t seed = 1;
};

class ReconstructionNet {
 public:
  // res: the frames' side (1..32); throws Error otherwise or for width < 1.
  ReconstructionNet(int res, int width, Rng& rng);
  // ulr (N,3,r,r) in [0,1] -> (N,3,96,96), not clamped.
  Tensor forward(const Tensor& ulr) const;
  ParamStore& params() { return params_; }
  int res() const { return res_; }

 private:
  int res_;
  ParamStore params_;
  Conv2dLayer stem_, head_;
  std::vector<Conv2dLayer> body_;
};

// Trains on frames ulr (N,3,r,r) against hr (N,3,96,96): AdamW, cosine learning rate, batches
// in an epoch order drawn from the seed, each batch flipped left-right as a whole with
// probability 1/2. Deterministic for a seed and any thread count.
std::unique_ptr<ReconstructionNet> train_reconstruction(const Tensor& ulr, const Tensor& hr,
                                                        const ReconstructionOptions& options);

// The reconstructions of frames (N,3,r,r), clamped to [0,1], batch by batch under NoGrad.
Tensor reconstruct(const ReconstructionNet& net, const Tensor& ulr, int batch = 32);

struct ReconstructionQuality {
  double psnr = 0, ssim = 0;                // whole view, mean over views
  double psnr_person = 0, ssim_person = 0;  // the person's pixels (PSNR) and box (SSIM), mean
};
// Quality of reconstructions pred (N,3,96,96) of `views`. PSNR per view is 10 log10(1 / MSE),
// capped at 99 dB for an exact view.
ReconstructionQuality reconstruction_quality(const Tensor& pred, const PersonViewSet& views);

}  // namespace ulr
