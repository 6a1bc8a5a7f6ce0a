// Identity attacks, trained in the engine: a classifier from an image (a ULR frame, a crop of
// it, an HR view, an SR output) to one of K known identities, the closed-set attacker of
// docs/PRIVACY.md. Two kinds:
//   Cnn     the input (N,3,H,W) resized (bilinear) to a working size, each side 32 when it is
//           at most 32 and 64 above; a 3x3 stem of `width` channels (stride 2 when the working
//           size is 64x64), a stride-2 3x3 conv to 2 x width and two more 3x3 convs at that
//           size, each with batch norm and ReLU; global max pool (a small person anywhere in
//           the frame is found by its strongest response, which an average over the frame would
//           drown), or with `pool` Grid a max pool over a 4x4 grid of cells, flattened (for
//           aligned inputs such as cropped faces, whose layout is identity too; square inputs
//           only); dropout, linear to K. The maps are 16 or 32 wide: the engine's 3x3 kernels
//           run vectorised on widths that are multiples of 16 and many times slower on others.
//   Linear  softmax regression on the pixels (flattened, centred on 0.5).
// Training: AdamW, warmup then cosine learning rate, cross-entropy; augmentation per sample
// (horizontal flip, shift by up to an eighth of each side with the border repeated, brightness
// x[0.9, 1.1]) from an Rng of (seed, epoch, index); after every epoch the validation top-1 is
// measured and the best epoch's weights are kept. Predictions average the logits of the image
// and its mirror image. Deterministic for a seed, and identical for any thread count.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "models/layers.h"

namespace ulr {

// Inputs and labels of an attack: x (N,3,H,W) in [0,1], label[i] in [0, K).
struct AttackData {
  Tensor x;
  std::vector<int> label;
  int64_t size() const { return int64_t(label.size()); }
};

enum class AttackKind : uint8_t { Cnn, Linear };
enum class AttackPool : uint8_t { GlobalMax, Grid };  // the Cnn's pooling (above)

struct AttackOptions {
  AttackKind kind = AttackKind::Cnn;
  int classes = 2;
  int width = 32;          // Cnn: channels of the stem
  AttackPool pool = AttackPool::GlobalMax;
  int epochs = 12;
  int batch = 32;
  float lr = 2e-3f;
  float weight_decay = 1e-4f;
  float dropout = 0.2f;
  bool augment = true;
  uint64_t seed = 1;
};

class IdentityClassifier {
 public:
  // height x width: the input's size; throws Error for classes outside [2, 255] or a
  // non-positive size or width.
  IdentityClassifier(const AttackOptions& options, int height, int width, Rng& rng);
  // x (N,3,H,W) -> logits (N,K). training: batch statistics (the running ones are updated in
  // place) and dropout, drawn from rng (required then); otherwise the running statistics.
  Tensor forward(const Tensor& x, bool training, Rng* rng = nullptr) const;
  ParamStore& params() { return params_; }
  const ParamStore& params() const { return params_; }

 private:
  AttackOptions opt_;
  int height_, width_;
  ParamStore params_;
  struct BatchNorm {
    Tensor weight, bias, running_mean, running_var;  // (C) each
  };
  std::vector<Conv2dLayer> convs_;
  std::vector<BatchNorm> norms_;
  LinearLayer head_;
};

struct TrainedAttack {
  std::unique_ptr<IdentityClassifier> net;
  double val_top1 = 0;  // of the kept epoch (0 without validation data)
  int best_epoch = 0;   // 1-based; the last epoch without validation data
};

// Trains a classifier on `train`; `val` (may be empty) picks the epoch whose weights are kept.
// Throws Error when train is empty, epochs < 1, labels are out of range or the inputs are not
// (N,3,H,W) alike.
TrainedAttack train_attack(const AttackData& train, const AttackData& val, const AttackOptions& options);

// Logits (N,K) of the classifier on x, batch by batch under NoGrad, averaged with the logits of
// the mirror images.
Tensor attack_logits(const IdentityClassifier& net, const Tensor& x, int batch = 64);

// The augmented copy of one (3,H,W) image, as training draws it: flip, shift, brightness.
void augment_attack_image(float* out, const float* image, int height, int width, Rng& rng);

}  // namespace ulr
