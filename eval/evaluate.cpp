#include "eval/evaluate.h"

#include <chrono>

#include "engine/distributed.h"
#include "ops/ops.h"

namespace ulr {

Json EvalResult::to_json() const {
  Json j = cm.to_json();
  j.set("psnr", psnr).set("ssim", ssim).set("frames", frames);
  return j;
}

EvalResult evaluate_model(const ULRNet& net, const ViewSet& views, const SensorOptions& sensor, int batch) {
  NoGrad no_grad;
  auto start = std::chrono::steady_clock::now();
  EvalResult r;
  r.cm = ConfusionMatrix(net.config().num_classes);
  const int64_t N = views.size(), H = views.hr.size(2), W = views.hr.size(3);
  double psnr_sum = 0, ssim_sum = 0;
  for (int64_t begin = 0; begin < N; begin += batch) {
    int64_t n = std::min<int64_t>(batch, N - begin);
    Tensor hr = slice(views.hr, 0, begin, begin + n);
    Tensor input = net.method() == Method::Hr ? hr : sensor_capture(hr, sensor);
    ULRNetOutput out = net.forward(input);
    Labels pred = argmax_classes(out.logits);
    r.cm.add(views.labels.data.data() + begin * H * W, pred.data.data(), n * H * W);
    for (int64_t i = 0; i < n; ++i)
      r.view_miou.push_back(view_miou(views.labels.data.data() + (begin + i) * H * W, pred.data.data() + i * H * W,
                                      H * W, net.config().num_classes));
    if (net.method() != Method::Hr) {
      Tensor sr = clamp(out.sr, 0.0f, 1.0f);
      for (int64_t i = 0; i < n; ++i) {  // per-image scores, averaged over images
        Tensor a = slice(sr, 0, i, i + 1), b = slice(hr, 0, i, i + 1);
        r.view_psnr.push_back(psnr(a, b));
        r.view_ssim.push_back(ssim(a, b));
        psnr_sum += r.view_psnr.back();
        ssim_sum += r.view_ssim.back();
      }
    }
  }
  r.frames = N;
  r.psnr = N ? psnr_sum / double(N) : 0;
  r.ssim = N ? ssim_sum / double(N) : 0;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

EvalResult evaluate_across_ranks(const ULRNet& net, const ViewSet& views, const SensorOptions& sensor, int batch) {
  const int N = collectives().size(), r = collectives().rank();
  if (N == 1) return evaluate_model(net, views, sensor, batch);
  // This rank's whole batches: [r nb / N, (r+1) nb / N) of the nb batches.
  const int64_t V = views.size(), nb = (V + batch - 1) / batch;
  const int64_t begin = std::min(V, (r * nb / N) * batch), end = std::min(V, ((r + 1) * nb / N) * batch);
  ViewSet mine;
  if (end > begin) {
    mine.hr = slice(views.hr, 0, begin, end);
    mine.labels = views.labels.slice0(begin, end);
  }
  EvalResult local = end > begin ? evaluate_model(net, mine, sensor, batch) : EvalResult{};
  const int K = net.config().num_classes;
  // What each rank sends: its view count, confusion counts, then per view miou, psnr, ssim; the
  // ranks' parts differ in length, so every part is padded to the longest.
  const int64_t longest = (nb + N - 1) / N * batch;
  std::vector<double> part(size_t(1 + K * K + 3 * longest), 0.0);
  part[0] = double(end - begin);
  for (int g = 0; g < K; ++g)
    for (int p = 0; p < K; ++p) part[size_t(1 + g * K + p)] = end > begin ? double(local.cm.at(g, p)) : 0.0;
  const bool images = net.method() != Method::Hr;
  for (int64_t i = 0; i < end - begin; ++i) {
    part[size_t(1 + K * K + i)] = local.view_miou[size_t(i)];
    part[size_t(1 + K * K + longest + i)] = images ? local.view_psnr[size_t(i)] : 0.0;
    part[size_t(1 + K * K + 2 * longest + i)] = images ? local.view_ssim[size_t(i)] : 0.0;
  }
  const std::vector<double> all = gather_all(part);
  EvalResult out;
  out.cm = ConfusionMatrix(K);
  double psnr_sum = 0, ssim_sum = 0;
  for (int q = 0; q < N; ++q) {
    const double* p = all.data() + size_t(q) * part.size();
    const int64_t n = int64_t(p[0]);
    out.cm.add_counts(p + 1);
    for (int64_t i = 0; i < n; ++i) {
      out.view_miou.push_back(p[1 + K * K + i]);
      if (!images) continue;
      out.view_psnr.push_back(p[1 + K * K + longest + i]);
      out.view_ssim.push_back(p[1 + K * K + 2 * longest + i]);
      psnr_sum += out.view_psnr.back();
      ssim_sum += out.view_ssim.back();
    }
    out.frames += n;
  }
  out.psnr = images && out.frames ? psnr_sum / double(out.frames) : 0;
  out.ssim = images && out.frames ? ssim_sum / double(out.frames) : 0;
  out.seconds = local.seconds;
  return out;
}

}  // namespace ulr
