#include "eval/evaluate.h"

#include <chrono>

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
        psnr_sum += psnr(a, b);
        ssim_sum += ssim(a, b);
      }
    }
  }
  r.frames = N;
  r.psnr = N ? psnr_sum / double(N) : 0;
  r.ssim = N ? ssim_sum / double(N) : 0;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace ulr
