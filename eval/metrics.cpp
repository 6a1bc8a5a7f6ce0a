#include "eval/metrics.h"

#include <cmath>
#include <limits>

#include "data/classes.h"
#include "engine/error.h"

namespace ulr {

ConfusionMatrix::ConfusionMatrix(int num_classes, int ignore_index)
    : k_(num_classes), ignore_(ignore_index), cm_(size_t(num_classes) * size_t(num_classes), 0) {
  ULR_CHECK(num_classes > 0 && num_classes <= 256, "bad class count");
}

void ConfusionMatrix::add(const uint8_t* gt, const uint8_t* pred, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    int g = gt[i], p = pred[i];
    if (g == ignore_) continue;
    if (g >= k_) throw Error("metrics: ground-truth label " + std::to_string(g) + " is outside 0.." + std::to_string(k_ - 1));
    if (p >= k_) throw Error("metrics: predicted label " + std::to_string(p) + " is outside 0.." + std::to_string(k_ - 1));
    cm_[size_t(g) * size_t(k_) + size_t(p)]++;
  }
}

void ConfusionMatrix::add(const Labels& gt, const Labels& pred) {
  if (gt.numel() != pred.numel())
    throw Error("metrics: prediction " + pred.shape.str() + " and ground truth " + gt.shape.str() + " differ in size");
  add(gt.data.data(), pred.data.data(), gt.numel());
}

void ConfusionMatrix::add_counts(const double* counts) {
  for (size_t i = 0; i < cm_.size(); ++i) cm_[i] += uint64_t(counts[i]);
}

void ConfusionMatrix::merge(const ConfusionMatrix& o) {
  ULR_CHECK(o.k_ == k_, "merge of confusion matrices with different class counts");
  for (size_t i = 0; i < cm_.size(); ++i) cm_[i] += o.cm_[i];
}

uint64_t ConfusionMatrix::total() const {
  uint64_t t = 0;
  for (uint64_t v : cm_) t += v;
  return t;
}

static double nanmean(const std::vector<double>& v) {
  double s = 0;
  int n = 0;
  for (double x : v)
    if (!std::isnan(x)) s += x, ++n;
  return n ? s / n : std::numeric_limits<double>::quiet_NaN();
}

double ConfusionMatrix::pixel_accuracy() const {
  uint64_t diag = 0;
  for (int c = 0; c < k_; ++c) diag += at(c, c);
  uint64_t t = total();
  return t ? double(diag) / double(t) : std::numeric_limits<double>::quiet_NaN();
}

double ConfusionMatrix::class_accuracy() const {
  std::vector<double> acc(static_cast<size_t>(k_));
  for (int c = 0; c < k_; ++c) {
    uint64_t row = 0;
    for (int p = 0; p < k_; ++p) row += at(c, p);
    acc[size_t(c)] = row ? double(at(c, c)) / double(row) : std::numeric_limits<double>::quiet_NaN();
  }
  return nanmean(acc);
}

std::vector<double> ConfusionMatrix::iou() const {
  std::vector<double> out(static_cast<size_t>(k_));
  for (int c = 0; c < k_; ++c) {
    uint64_t row = 0, col = 0;
    for (int j = 0; j < k_; ++j) row += at(c, j), col += at(j, c);
    uint64_t uni = row + col - at(c, c);
    out[size_t(c)] = uni ? double(at(c, c)) / double(uni) : std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

double ConfusionMatrix::miou() const { return nanmean(iou()); }

double ConfusionMatrix::fwiou() const {
  std::vector<double> ious = iou();
  double t = double(total()), s = 0;
  if (t == 0) return std::numeric_limits<double>::quiet_NaN();
  for (int c = 0; c < k_; ++c) {
    uint64_t row = 0;
    for (int j = 0; j < k_; ++j) row += at(c, j);
    if (row && !std::isnan(ious[size_t(c)])) s += double(row) / t * ious[size_t(c)];
  }
  return s;
}

double view_miou(const uint8_t* gt, const uint8_t* pred, int64_t n, int num_classes, int ignore_index) {
  ConfusionMatrix cm(num_classes, ignore_index);
  cm.add(gt, pred, n);
  return cm.miou();
}

static Json number_or_null(double v) { return std::isnan(v) ? Json() : Json(v); }

Json ConfusionMatrix::to_json() const {
  Json j = Json::object();
  j.set("miou", number_or_null(miou()));
  j.set("pixel_acc", number_or_null(pixel_accuracy()));
  j.set("class_acc", number_or_null(class_accuracy()));
  j.set("fwiou", number_or_null(fwiou()));
  Json per = Json::object();
  std::vector<double> ious = iou();
  for (int c = 0; c < k_; ++c)
    per.set(k_ == kNumClasses ? class_name(c) : std::to_string(c), number_or_null(ious[size_t(c)]));
  j.set("iou", per);
  j.set("pixels", int64_t(total()));
  Json rows = Json::array();  // confusion[gt][pred], pixel counts
  for (int g = 0; g < k_; ++g) {
    Json row = Json::array();
    for (int p = 0; p < k_; ++p) row.push(int64_t(at(g, p)));
    rows.push(row);
  }
  j.set("confusion", rows);
  return j;
}

Labels argmax_classes(const Tensor& logits) {
  if (logits.rank() != 4) throw Error("argmax_classes: logits " + logits.shape().str() + " are not (N,K,H,W)");
  const int64_t N = logits.size(0), K = logits.size(1), HW = logits.size(2) * logits.size(3);
  Labels out(Shape{N, logits.size(2), logits.size(3)});
  const float* p = logits.data();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < HW; ++i) {
      int best = 0;
      float bv = p[(n * K) * HW + i];
      for (int64_t k = 1; k < K; ++k) {
        float v = p[(n * K + k) * HW + i];
        if (v > bv) bv = v, best = int(k);
      }
      out.data[size_t(n * HW + i)] = uint8_t(best);
    }
  return out;
}

double psnr(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) throw Error("psnr: shapes " + a.shape().str() + " and " + b.shape().str() + " differ");
  double se = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    double d = double(a.data()[i]) - double(b.data()[i]);
    se += d * d;
  }
  double mse = se / double(a.numel());
  return mse == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(1.0 / mse);
}

double ssim(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.rank() != 4)
    throw Error("ssim: needs two (N,C,H,W) tensors of one shape, got " + a.shape().str() + " and " + b.shape().str());
  const int64_t N = a.size(0), C = a.size(1), H = a.size(2), W = a.size(3);
  const int win = int(std::min<int64_t>(11, std::min(H, W)));
  std::vector<double> g(static_cast<size_t>(win));
  double gs = 0;
  for (int i = 0; i < win; ++i) {
    double x = i - (win - 1) / 2.0;
    g[size_t(i)] = std::exp(-x * x / (2 * 1.5 * 1.5));
    gs += g[size_t(i)];
  }
  for (double& v : g) v /= gs;
  const double C1 = 0.01 * 0.01, C2 = 0.03 * 0.03;
  double total = 0;
  int64_t count = 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      const float* pa = a.data() + (n * C + c) * H * W;
      const float* pb = b.data() + (n * C + c) * H * W;
      for (int64_t y = 0; y + win <= H; ++y)
        for (int64_t x = 0; x + win <= W; ++x) {
          double ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
          for (int i = 0; i < win; ++i)
            for (int j = 0; j < win; ++j) {
              double w = g[size_t(i)] * g[size_t(j)];
              double va = pa[(y + i) * W + x + j], vb = pb[(y + i) * W + x + j];
              ma += w * va, mb += w * vb, saa += w * va * va, sbb += w * vb * vb, sab += w * va * vb;
            }
          double va = saa - ma * ma, vb = sbb - mb * mb, cov = sab - ma * mb;
          total += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
          ++count;
        }
    }
  return count ? total / double(count) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace ulr
