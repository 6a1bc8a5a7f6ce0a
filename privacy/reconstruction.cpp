#include "privacy/reconstruction.h"

#include <algorithm>
#include <cmath>

#include "data/loader.h"
#include "engine/error.h"
#include "eval/metrics.h"
#include "ops/ops.h"
#include "train/optim.h"

namespace ulr {
namespace {

constexpr int kWorkSide = 32;  // 96 / 3: the net's maps, then pixel_shuffle(3)
constexpr int kBodyConvs = 3;

// Rows order[begin..end) of t (N,C,H,W) as one batch, flipped left-right when `flip`.
Tensor gather_rows(const Tensor& t, const std::vector<int64_t>& order, int64_t begin, int64_t end, bool flip) {
  const int64_t C = t.size(1), H = t.size(2), W = t.size(3), row = C * H * W;
  Tensor out = Tensor::empty({end - begin, C, H, W});
  for (int64_t r = begin; r < end; ++r) {
    const float* src = t.data() + order[size_t(r)] * row;
    float* dst = out.data() + (r - begin) * row;
    for (int64_t line = 0; line < C * H; ++line)
      for (int64_t x = 0; x < W; ++x) dst[line * W + x] = src[line * W + (flip ? W - 1 - x : x)];
  }
  return out;
}

double capped_psnr(double mse) { return mse <= 0 ? 99.0 : std::min(99.0, 10.0 * std::log10(1.0 / mse)); }

}  // namespace

ReconstructionNet::ReconstructionNet(int res, int width, Rng& rng) : res_(res) {
  if (res < 1 || res > kWorkSide || width < 1)
    throw Error("reconstruction: frame side " + std::to_string(res) + " (want 1..32) and width " +
                std::to_string(width) + " (want >= 1)");
  stem_ = Conv2dLayer(params_, "stem", 3, width, 3, 1, 1, rng);
  for (int k = 0; k < kBodyConvs; ++k)
    body_.emplace_back(params_, "body" + std::to_string(k + 1), width, width, 3, 1, 1, rng);
  head_ = Conv2dLayer(params_, "head", width, 27, 3, 1, 1, rng);
  // Zero detail at the start: the untrained G is the bilinear upsample, and training only adds.
  std::fill(head_.weight.data(), head_.weight.data() + head_.weight.numel(), 0.0f);
  std::fill(head_.bias.data(), head_.bias.data() + head_.bias.numel(), 0.0f);
}

Tensor ReconstructionNet::forward(const Tensor& ulr) const {
  if (ulr.shape().rank != 4 || ulr.size(1) != 3 || ulr.size(2) != res_ || ulr.size(3) != res_)
    throw Error("reconstruction: input " + ulr.shape().str() + ", the net takes (N,3," + std::to_string(res_) +
                "," + std::to_string(res_) + ")");
  Tensor h = add_scalar(ulr, -0.5f);
  if (res_ != kWorkSide) h = resize_bilinear(h, kWorkSide, kWorkSide);
  h = relu(stem_(h, nullptr));                                  // (N,W,32,32)
  h = relu(body_[0](h, nullptr));
  for (size_t k = 1; k < body_.size(); ++k) h = add(h, relu(body_[k](h, nullptr)));
  Tensor detail = pixel_shuffle(head_(h, nullptr), 3);          // (N,3,96,96)
  return add(resize_bilinear(ulr, kPersonViewSize, kPersonViewSize), detail);
}

std::unique_ptr<ReconstructionNet> train_reconstruction(const Tensor& ulr, const Tensor& hr,
                                                        const ReconstructionOptions& opt) {
  if (ulr.shape().rank != 4 || hr.shape().rank != 4 || ulr.size(0) != hr.size(0) || ulr.size(0) == 0 ||
      hr.size(2) != kPersonViewSize || hr.size(3) != kPersonViewSize)
    throw Error("reconstruction: frames " + ulr.shape().str() + " and views " + hr.shape().str() +
                " do not pair up as (N,3,r,r) and (N,3,96,96)");
  Rng init(opt.seed, 1);
  auto net = std::make_unique<ReconstructionNet>(int(ulr.size(2)), opt.width, init);
  std::vector<NamedParameter> named;
  for (const NamedTensor& t : net->params().all()) named.push_back({t.name, t.tensor});
  AdamOptions adam_opt;
  adam_opt.lr = opt.lr;
  Adam adam = AdamW(named, adam_opt);
  const int64_t n = ulr.size(0), steps_per_epoch = (n + opt.batch - 1) / opt.batch;
  const int64_t total = steps_per_epoch * opt.epochs;
  int64_t step = 0;
  for (int epoch = 0; epoch < opt.epochs; ++epoch) {
    const std::vector<int64_t> order = epoch_order(n, opt.seed, epoch, true);
    Rng flips(opt.seed, 100 + uint64_t(epoch));
    for (int64_t b = 0; b < n; b += opt.batch, ++step) {
      const int64_t e = std::min(n, b + opt.batch);
      const bool flip = flips.uniform() < 0.5f;
      adam.set_lr(scheduled_lr(opt.lr, step, total, steps_per_epoch / 2, true));
      Tensor loss = mse_loss(net->forward(gather_rows(ulr, order, b, e, flip)), gather_rows(hr, order, b, e, flip));
      adam.zero_grad();
      backward(loss);
      adam.step();
    }
  }
  return net;
}

Tensor reconstruct(const ReconstructionNet& net, const Tensor& ulr, int batch) {
  NoGrad no_grad;
  std::vector<Tensor> parts;
  for (int64_t i = 0; i < ulr.size(0); i += batch)
    parts.push_back(clamp(net.forward(slice(ulr, 0, i, std::min<int64_t>(ulr.size(0), i + batch))), 0, 1));
  return concat(parts, 0);
}

ReconstructionQuality reconstruction_quality(const Tensor& pred, const PersonViewSet& views) {
  const int S = kPersonViewSize;
  if (pred.shape() != views.hr.shape())
    throw Error("reconstruction quality: " + pred.shape().str() + " against views " + views.hr.shape().str());
  ReconstructionQuality q;
  const int64_t N = views.size();
  for (int64_t i = 0; i < N; ++i) {
    Tensor a = slice(pred, 0, i, i + 1), b = slice(views.hr, 0, i, i + 1);
    double whole = 0, person = 0;
    int64_t person_pixels = 0;
    const int16_t* map = views.person_map.data.data() + i * S * S;
    for (int c = 0; c < 3; ++c)
      for (int p = 0; p < S * S; ++p) {
        const double d = double(a.data()[c * S * S + p]) - double(b.data()[c * S * S + p]);
        whole += d * d;
        if (map[p] >= 0) person += d * d, ++person_pixels;
      }
    q.psnr += capped_psnr(whole / (3.0 * S * S));
    q.psnr_person += capped_psnr(person / double(std::max<int64_t>(1, person_pixels)));
    q.ssim += ssim(a, b);
    const PixelBox& box = views.box[size_t(i)];
    auto window = [&](const Tensor& t) { return slice(slice(t, 2, box.y0, box.y1), 3, box.x0, box.x1); };
    q.ssim_person += ssim(window(a), window(b));
  }
  q.psnr /= double(N), q.ssim /= double(N), q.psnr_person /= double(N), q.ssim_person /= double(N);
  return q;
}

}  // namespace ulr
