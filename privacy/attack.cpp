#include "privacy/attack.h"

#include <algorithm>
#include <cmath>

#include "data/loader.h"
#include "engine/error.h"
#include "privacy/stats.h"
#include "train/optim.h"

namespace ulr {
namespace {

// The Cnn's working side for an input side (privacy/attack.h).
int working_side(int side) { return side <= 32 ? 32 : 64; }

constexpr int kGridCells = 4;  // the grid pooling's cells per side (privacy/attack.h)

void check_data(const AttackData& d, const char* what, int classes) {
  if (d.size() == 0) return;
  const Shape& s = d.x.shape();
  if (s.rank != 4 || s[0] != d.size() || s[1] != 3)
    throw Error(std::string("attack: ") + what + " inputs have shape " + s.str() + ", want (" +
                std::to_string(d.size()) + ",3,H,W)");
  for (int label : d.label)
    if (label < 0 || label >= classes)
      throw Error(std::string("attack: ") + what + " label " + std::to_string(label) + " is outside [0, " +
                  std::to_string(classes) + ")");
}

// One batch of training inputs: rows order[begin..end) of x, each augmented by its own Rng.
Tensor training_batch(const AttackData& d, const std::vector<int64_t>& order, int64_t begin, int64_t end,
                      const AttackOptions& opt, int64_t epoch, Labels& labels) {
  const int H = int(d.x.size(2)), W = int(d.x.size(3));
  const int64_t plane = 3 * int64_t(H) * W;
  Tensor x = Tensor::empty({end - begin, 3, H, W});
  labels = Labels(Shape{end - begin});
  for (int64_t r = begin; r < end; ++r) {
    const int64_t i = order[size_t(r)];
    const float* src = d.x.data() + i * plane;
    float* dst = x.data() + (r - begin) * plane;
    if (opt.augment) {
      Rng rng = sample_rng(opt.seed, epoch, i);
      augment_attack_image(dst, src, H, W, rng);
    } else {
      std::copy(src, src + plane, dst);
    }
    labels.data[size_t(r - begin)] = uint8_t(d.label[size_t(i)]);
  }
  return x;
}

Tensor mirrored(const Tensor& x) {  // (N,C,H,W) flipped left-right
  Tensor out = Tensor::empty(x.shape());
  const int64_t rows = x.numel() / x.size(3), W = x.size(3);
  const float* src = x.data();
  float* dst = out.data();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < W; ++c) dst[r * W + c] = src[r * W + (W - 1 - c)];
  return out;
}

// The largest value of each (N,C) plane of h (N,C,H,W) with H a multiple of W: the plane read
// as H/W squares of W x W, max-pooled each, then the squares' maxima folded pairwise
// (max(a, b) = b + relu(a - b), so the gradient reaches the larger one). -> (N,C).
Tensor global_max_pool(const Tensor& h) {
  const int64_t N = h.size(0), C = h.size(1), H = h.size(2), W = h.size(3), squares = H / W;
  ULR_CHECK(H % W == 0, "global_max_pool: H must be a multiple of W");
  Tensor m = reshape(max_pool2d(reshape(h, {N, C * squares, W, W}), int(W), int(W), 0), {N, C, squares});
  Tensor best = reshape(slice(m, 2, 0, 1), {N, C});
  for (int64_t k = 1; k < squares; ++k) {
    Tensor next = reshape(slice(m, 2, k, k + 1), {N, C});
    best = add(best, relu(sub(next, best)));
  }
  return best;
}

std::vector<std::vector<float>> snapshot(const ParamStore& store) {
  std::vector<std::vector<float>> values;
  for (const NamedTensor& t : store.all())
    values.emplace_back(t.tensor.data(), t.tensor.data() + t.tensor.numel());
  return values;
}

void restore(const ParamStore& store, const std::vector<std::vector<float>>& values) {
  for (size_t k = 0; k < values.size(); ++k)
    std::copy(values[k].begin(), values[k].end(), store.all()[k].tensor.data());
}

}  // namespace

IdentityClassifier::IdentityClassifier(const AttackOptions& opt, int height, int width, Rng& rng)
    : opt_(opt), height_(height), width_(width) {
  if (opt.classes < 2 || opt.classes > 255)
    throw Error("attack: classes must be in [2, 255], got " + std::to_string(opt.classes));
  if (height < 1 || width < 1 || opt.width < 1)
    throw Error("attack: input " + std::to_string(height) + "x" + std::to_string(width) + " and width " +
                std::to_string(opt.width) + " must be positive");
  if (opt.kind == AttackKind::Cnn && working_side(height) < working_side(width))
    throw Error("attack: input " + std::to_string(height) + "x" + std::to_string(width) +
                " is wider than high; the Cnn takes square or tall inputs");
  if (opt.kind == AttackKind::Linear) {
    head_ = LinearLayer(params_, "head", 3 * height * width, opt.classes, rng);
    return;
  }
  if (opt.pool == AttackPool::Grid && working_side(height) != working_side(width))
    throw Error("attack: input " + std::to_string(height) + "x" + std::to_string(width) +
                " is not square; the Cnn's grid pooling takes square inputs");
  const int c = opt.width;
  auto add_conv = [&](int in, int out, int stride) {
    const std::string name = "conv" + std::to_string(convs_.size() + 1);
    convs_.emplace_back(params_, name, in, out, 3, stride, 1, rng);
    BatchNorm bn;
    bn.weight = params_.add(name + ".bn.weight", Tensor::full({out}, 1.0f));
    bn.bias = params_.add(name + ".bn.bias", Tensor::zeros({out}));
    bn.running_mean = params_.add_buffer(name + ".bn.running_mean", Tensor::zeros({out}));
    bn.running_var = params_.add_buffer(name + ".bn.running_var", Tensor::full({out}, 1.0f));
    norms_.push_back(bn);
  };
  const bool large = working_side(height) == 64 && working_side(width) == 64;
  add_conv(3, c, large ? 2 : 1);
  add_conv(c, 2 * c, 2);
  add_conv(2 * c, 2 * c, 1);
  add_conv(2 * c, 2 * c, 1);
  const int cells = opt.pool == AttackPool::Grid ? kGridCells * kGridCells : 1;
  head_ = LinearLayer(params_, "head", 2 * c * cells, opt.classes, rng);
}

Tensor IdentityClassifier::forward(const Tensor& x, bool training, Rng* rng) const {
  if (x.shape().rank != 4 || x.size(1) != 3 || x.size(2) != height_ || x.size(3) != width_)
    throw Error("attack: input " + x.shape().str() + ", classifier expects (N,3," + std::to_string(height_) +
                "," + std::to_string(width_) + ")");
  Tensor h = add_scalar(x, -0.5f);
  if (opt_.kind == AttackKind::Linear) return head_(reshape(h, {x.size(0), -1}), nullptr);
  const int work_h = working_side(height_), work_w = working_side(width_);
  if (work_h != height_ || work_w != width_) h = resize_bilinear(h, work_h, work_w);
  for (size_t k = 0; k < convs_.size(); ++k) {
    const BatchNorm& bn = norms_[k];
    h = relu(batch_norm(convs_[k](h, nullptr), bn.weight, bn.bias, bn.running_mean, bn.running_var, training));
  }
  // (N,2*width) or, on the grid, (N,2*width*16): the 16x16 maps' 4x4 cells' maxima.
  Tensor pooled = opt_.pool == AttackPool::Grid
                      ? reshape(max_pool2d(h, int(h.size(3)) / kGridCells, int(h.size(3)) / kGridCells, 0),
                                {h.size(0), -1})
                      : global_max_pool(h);
  if (training && opt_.dropout > 0) {
    ULR_CHECK(rng != nullptr, "dropout in training needs an Rng");
    pooled = dropout(pooled, opt_.dropout, true, *rng);
  }
  return head_(pooled, nullptr);
}

void augment_attack_image(float* out, const float* image, int H, int W, Rng& rng) {
  const bool flip = rng.uniform() < 0.5f;
  const int reach_x = std::max(1, W / 8), reach_y = std::max(1, H / 8);
  const int dx = int(rng.below(uint32_t(2 * reach_x + 1))) - reach_x;
  const int dy = int(rng.below(uint32_t(2 * reach_y + 1))) - reach_y;
  const float gain = rng.uniform(0.9f, 1.1f);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const int sx0 = std::clamp(x - dx, 0, W - 1), sy = std::clamp(y - dy, 0, H - 1);
        const int sx = flip ? W - 1 - sx0 : sx0;
        out[(c * H + y) * W + x] = std::min(1.0f, gain * image[(c * H + sy) * W + sx]);
      }
}

Tensor attack_logits(const IdentityClassifier& net, const Tensor& x, int batch) {
  NoGrad no_grad;
  std::vector<Tensor> parts;
  for (int64_t i = 0; i < x.size(0); i += batch) {
    Tensor xb = slice(x, 0, i, std::min<int64_t>(x.size(0), i + batch));
    parts.push_back(scale(add(net.forward(xb, false), net.forward(mirrored(xb), false)), 0.5f));
  }
  return concat(parts, 0);
}

TrainedAttack train_attack(const AttackData& train, const AttackData& val, const AttackOptions& opt) {
  if (train.size() == 0) throw Error("attack: no training data");
  if (opt.classes < 2 || opt.classes > 255)
    throw Error("attack: classes must be in [2, 255], got " + std::to_string(opt.classes));
  if (opt.epochs < 1 || opt.batch < 1)
    throw Error("attack: epochs " + std::to_string(opt.epochs) + " and batch " + std::to_string(opt.batch) +
                " must be >= 1");
  check_data(train, "training", opt.classes);
  check_data(val, "validation", opt.classes);
  if (val.size() > 0 && (val.x.size(2) != train.x.size(2) || val.x.size(3) != train.x.size(3)))
    throw Error("attack: validation inputs " + val.x.shape().str() + " differ from training inputs " +
                train.x.shape().str());
  Rng init(opt.seed, 1);
  TrainedAttack out;
  out.net = std::make_unique<IdentityClassifier>(opt, int(train.x.size(2)), int(train.x.size(3)), init);
  std::vector<NamedParameter> named;
  for (const NamedTensor& t : out.net->params().all())
    if (t.trainable) named.push_back({t.name, t.tensor});
  AdamOptions adam_opt;
  adam_opt.lr = opt.lr, adam_opt.weight_decay = opt.weight_decay;
  Adam adam = AdamW(named, adam_opt);
  const int64_t n = train.size(), steps_per_epoch = (n + opt.batch - 1) / opt.batch;
  const int64_t total = steps_per_epoch * opt.epochs;
  Rng drop(opt.seed, 2);
  std::vector<std::vector<float>> best;
  out.val_top1 = -1;
  int64_t step = 0;
  for (int epoch = 0; epoch < opt.epochs; ++epoch) {
    const std::vector<int64_t> order = epoch_order(n, opt.seed, epoch, true);
    for (int64_t b = 0; b < n; b += opt.batch, ++step) {
      Labels labels;
      Tensor x = training_batch(train, order, b, std::min(n, b + opt.batch), opt, epoch, labels);
      adam.set_lr(scheduled_lr(opt.lr, step, total, steps_per_epoch / 2, true));
      Tensor loss = cross_entropy(out.net->forward(x, true, &drop), labels, Tensor());
      adam.zero_grad();
      backward(loss);
      adam.step();
    }
    if (val.size() == 0) continue;
    const double acc = accuracy_of(top_k_hits(attack_logits(*out.net, val.x), val.label, 1)).rate();
    if (acc > out.val_top1) out.val_top1 = acc, out.best_epoch = epoch + 1, best = snapshot(out.net->params());
  }
  if (val.size() == 0) {
    out.val_top1 = 0, out.best_epoch = opt.epochs;
  } else {
    restore(out.net->params(), best);
  }
  return out;
}

}  // namespace ulr
