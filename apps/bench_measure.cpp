// The measurements behind `ulrseg bench`: see apps/bench_measure.h.
#include "apps/bench_measure.h"

#include <Eigen/Core>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <tuple>

#include "engine/parallel.h"
#include "engine/rng.h"
#include "engine/tensor.h"
#include "eval/metrics.h"
#include "ops/ops.h"
#include "train/trainer.h"

namespace ulr::cli {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Median (or, with fastest, the shortest) wall time of fn, after two untimed runs.
double median_seconds(const Timing& timing, const std::function<void()>& fn, bool fastest = false) {
  fn();
  fn();
  std::vector<double> t;
  double total = 0;
  for (int i = 0; i < timing.reps || (total < timing.min_seconds && i < 100 * timing.reps); ++i) {
    auto t0 = Clock::now();
    fn();
    t.push_back(seconds_since(t0));
    total += t.back();
  }
  std::sort(t.begin(), t.end());
  return fastest ? t.front() : t[t.size() / 2];
}

// ---- memory -------------------------------------------------------------------------------

// Returns cached blocks to the system and resets the kernel's peak-RSS mark (VmHWM), so that
// the next peak_rss_mib() is the peak of what follows.
void reset_peak_rss() {
  allocator_release_cache();
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
}

double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  return 0;
}

// ---- the model's layers -------------------------------------------------------------------

// A distinct convolution of the model, from its trace: input (C,H,W) -> output (OC,OH,OW).
struct ConvShape {
  int64_t C, H, W, OC, OH, OW;
  int kernel;
  Conv2dOptions opt;
  std::string layers;  // names of the layers with this shape
};

std::vector<ConvShape> conv_shapes(const Trace& trace) {
  auto key = [](const ConvShape& s) {
    return std::tie(s.C, s.H, s.W, s.OC, s.kernel, s.opt.stride, s.opt.pad, s.opt.dilation,
                    s.opt.groups);
  };
  std::vector<ConvShape> shapes;
  for (const LayerRecord& l : trace.layers) {
    if (l.kind != LayerKind::Conv2d) continue;
    ConvShape c{l.in[1], l.in[2], l.in[3], l.out[1], l.out[2], l.out[3], l.kernel, l.conv, l.name};
    auto same = std::find_if(shapes.begin(), shapes.end(),
                             [&](const ConvShape& o) { return key(o) == key(c); });
    if (same == shapes.end()) shapes.push_back(c);
    else same->layers += "," + l.name;
  }
  return shapes;
}

// "3x3 16->32 64x64 /2": kernel, channels, input size, then stride, groups, dilation if not 1.
std::string conv_name(const ConvShape& s) {
  char name[96];
  std::snprintf(name, sizeof name, "%dx%d %lld->%lld %lldx%lld", s.kernel, s.kernel,
                (long long)s.C, (long long)s.OC, (long long)s.H, (long long)s.W);
  std::string out = name;
  if (s.opt.stride != 1) out += " /" + std::to_string(s.opt.stride);
  if (s.opt.groups != 1) out += " g" + std::to_string(s.opt.groups);
  if (s.opt.dilation != 1) out += " d" + std::to_string(s.opt.dilation);
  return out;
}

std::vector<Rate> bench_conv(const ConvShape& s, int64_t N, const Timing& timing) {
  Rng rng(2);
  const int64_t K = s.kernel, per_group = s.C / s.opt.groups;
  Shape xs{N, s.C, s.H, s.W}, ws{s.OC, per_group, K, K};
  Tensor x = Tensor::uniform(xs, rng, -1, 1), w = Tensor::uniform(ws, rng, -0.1f, 0.1f);
  Tensor b = Tensor::uniform({s.OC}, rng, -1, 1);
  Tensor out = Tensor::empty({N, s.OC, s.OH, s.OW});
  Tensor dout = Tensor::uniform(out.shape(), rng, -1, 1);
  Tensor dx = Tensor::zeros(xs), dw = Tensor::zeros(ws);
  const double gflop = 2.0 * double(N * s.OC * s.OH * s.OW * per_group * K * K) * 1e-9;
  const std::string name = conv_name(s);
  const Conv2dOptions opt = s.opt;
  std::vector<Rate> r;
  r.push_back({"conv fwd   " + name, gflop, median_seconds(timing, [&] {
                 conv2d_forward(out.data(), x.data(), w.data(), b.data(), xs, ws, opt);
               }), false, true});
  r.push_back({"conv dinput " + name, gflop, median_seconds(timing, [&] {
                 conv2d_backward(dx.data(), nullptr, nullptr, dout.data(), x.data(), w.data(), xs, ws, opt);
               }), false, true});
  r.push_back({"conv dweight " + name, gflop, median_seconds(timing, [&] {
                 conv2d_backward(nullptr, dw.data(), nullptr, dout.data(), x.data(), w.data(), xs, ws, opt);
               }), false, true});
  return r;
}

// The attention block of a network (LayerNorm, MHA, residual): forward, and forward+backward
// less forward.
std::vector<Rate> bench_attention(const SpatialAttention& layer, int64_t C, int64_t H, int64_t W,
                                  int64_t N, const Timing& timing) {
  Rng rng(3);
  Tensor x = Tensor::uniform({N, C, H, W}, rng, -1, 1);
  Trace trace;
  {
    NoGrad no_grad;
    layer(x, &trace);
  }
  const double gflop = double(trace.total_flops()) * 1e-9;
  double fwd = median_seconds(timing, [&] {
    NoGrad no_grad;
    layer(x, nullptr);
  });
  Tensor xg = x.detach();
  xg.set_requires_grad(true);
  Tensor r = Tensor::uniform({N, C, H, W}, rng, -1, 1);
  double both = median_seconds(timing, [&] {
    Tensor y = layer(xg, nullptr);
    backward(sum(mul(y, r)));
    xg.zero_grad();
  });
  std::string name = "attention " + std::to_string(H * W) + " tokens, " + std::to_string(C) + " ch";
  return {{name + " fwd", gflop, fwd}, {name + " bwd", 2 * gflop, std::max(both - fwd, 1e-9)}};
}

Rate bench_pixel_shuffle(int64_t N, int64_t C, int64_t H, int64_t W, const Timing& timing) {
  Rng rng(4);
  Tensor x = Tensor::uniform({N, C, H, W}, rng, -1, 1);
  NoGrad no_grad;
  double s = median_seconds(timing, [&] { pixel_shuffle(x, 2); });
  char name[64];
  std::snprintf(name, sizeof name, "pixel_shuffle %lld ch %lldx%lld", (long long)C, (long long)H, (long long)W);
  return {name, 2.0 * double(x.numel()) * 4 * 1e-9, s, true};
}

Rate bench_group_norm(int64_t N, int64_t C, int64_t H, int64_t W, int groups, const Timing& timing) {
  Rng rng(5);
  Tensor x = Tensor::uniform({N, C, H, W}, rng, -1, 1);
  Tensor gamma = Tensor::full({C}, 1.0f), beta = Tensor::zeros({C});
  NoGrad no_grad;
  double s = median_seconds(timing, [&] { group_norm(x, groups, gamma, beta); });
  char name[64];
  std::snprintf(name, sizeof name, "group_norm %lld ch %lldx%lld", (long long)C, (long long)H, (long long)W);
  return {name, 2.0 * double(x.numel()) * 4 * 1e-9, s, true};  // read x, write y
}

// The micro figures at batch N: every distinct convolution of the traced forward, then its
// attention blocks, pixel shuffles and the group norms of the first two distinct shapes (the
// largest maps), each at the traced shape with batch N.
std::vector<Rate> bench_layers(const Trace& trace, int64_t N, const Timing& timing, Rng& rng) {
  std::vector<Rate> rates;
  for (const ConvShape& s : conv_shapes(trace))
    for (Rate& r : bench_conv(s, N, timing)) rates.push_back(r);
  ParamStore store;
  for (const LayerRecord& l : trace.layers)
    if (l.kind == LayerKind::Attention) {
      SpatialAttention layer(store, l.name, int(l.in[1]), l.heads, rng);
      for (Rate& r : bench_attention(layer, l.in[1], l.in[2], l.in[3], N, timing)) rates.push_back(r);
    }
  for (const LayerRecord& l : trace.layers)
    if (l.kind == LayerKind::PixelShuffle)
      rates.push_back(bench_pixel_shuffle(N, l.in[1], l.in[2], l.in[3], timing));
  std::vector<Shape> norms;
  for (const LayerRecord& l : trace.layers)
    if (l.kind == LayerKind::GroupNorm && norms.size() < 2 &&
        std::find(norms.begin(), norms.end(), l.in) == norms.end()) {
      norms.push_back(l.in);
      rates.push_back(bench_group_norm(N, l.in[1], l.in[2], l.in[3], l.norm_groups, timing));
    }
  return rates;
}

// ---- end to end ---------------------------------------------------------------------------

struct Batch {
  Tensor hr, ulr;
  Labels labels;
};

Batch random_batch(const ModelConfig& m, int64_t B, uint64_t seed) {
  Rng rng(seed);
  Batch b;
  b.hr = Tensor::uniform({B, 3, m.out_h(), m.out_w()}, rng, 0, 1);
  b.ulr = Tensor::uniform({B, 3, m.in_h, m.in_w}, rng, 0, 1);
  b.labels = Labels(Shape{B, m.out_h(), m.out_w()});
  for (auto& c : b.labels.data) c = uint8_t(rng.next_u32() % uint32_t(m.num_classes));
  return b;
}

}  // namespace

// ---- what the header declares -------------------------------------------------------------

// C (n,n) = A (n,n) B (n,n), column blocks of C split across the threads.
double gemm_gflops(int64_t n, const Timing& timing) {
  Rng rng(1);
  Tensor a = Tensor::uniform({n, n}, rng, -1, 1), b = Tensor::uniform({n, n}, rng, -1, 1);
  Tensor c = Tensor::zeros({n, n});
  using Map = Eigen::Map<Eigen::MatrixXf>;
  using ConstMap = Eigen::Map<const Eigen::MatrixXf>;
  const int threads = num_threads();
  double s = median_seconds(timing, [&] {
    parallel_for(threads, 1, [&](int64_t t, int64_t) {  // one column block per thread
      const int64_t c0 = n * t / threads, c1 = n * (t + 1) / threads;
      ConstMap A(a.data(), n, n);
      ConstMap B(b.data() + c0 * n, n, c1 - c0);
      Map C(c.data() + c0 * n, n, c1 - c0);
      C.noalias() = A * B;
    });
  }, /*fastest=*/true);  // the peak: what the machine does when it gets the cores
  return 2.0 * double(n) * double(n) * double(n) / s * 1e-9;
}

TrainFigures bench_train(const TrainConfig& cfg, int64_t B, int steps) {
  reset_peak_rss();
  TrainConfig c = cfg;
  c.batch = int(B);
  auto teacher = std::make_unique<ULRNet>(Method::Hr, c.model, 7);
  TrainState state(c, std::move(teacher));
  Batch batch = random_batch(c.model, B, 11);
  state.set_learning_rates(c.lr, c.lr_d);
  for (int i = 0; i < 2; ++i) state.step(2, batch.hr, batch.ulr, batch.labels, i + 1);
  std::vector<double> t;  // each step on its own: the median ignores steps another process hit
  for (int i = 0; i < steps; ++i) {
    auto t0 = Clock::now();
    state.step(2, batch.hr, batch.ulr, batch.labels, i + 3);
    t.push_back(seconds_since(t0));
  }
  std::sort(t.begin(), t.end());
  return {double(B) / t[t.size() / 2], peak_rss_mib()};
}

InferFigures bench_infer(const ULRNet& net, int frames, int64_t batch, int batches) {
  reset_peak_rss();
  NoGrad no_grad;
  const ModelConfig& m = net.config();
  auto run = [&](const Tensor& x) { return argmax_classes(net.forward(x).logits); };
  InferFigures f;
  Rng rng(9);
  std::vector<Tensor> inputs;
  for (int i = 0; i < 16; ++i) inputs.push_back(Tensor::uniform({1, 3, m.in_h, m.in_w}, rng, 0, 1));
  for (int i = 0; i < 20; ++i) run(inputs[size_t(i) % inputs.size()]);
  std::vector<double> ms;
  for (int i = 0; i < frames; ++i) {
    auto t0 = Clock::now();
    run(inputs[size_t(i) % inputs.size()]);
    ms.push_back(seconds_since(t0) * 1e3);
  }
  std::sort(ms.begin(), ms.end());
  f.b1_median_ms = ms[ms.size() / 2];
  f.b1_p99_ms = ms[std::min(ms.size() - 1, size_t(double(ms.size()) * 0.99))];
  Tensor xb = Tensor::uniform({batch, 3, m.in_h, m.in_w}, rng, 0, 1);
  run(xb);
  std::vector<double> t;
  for (int i = 0; i < batches; ++i) {
    auto t0 = Clock::now();
    run(xb);
    t.push_back(seconds_since(t0));
  }
  std::sort(t.begin(), t.end());
  f.batch_frames_per_s = double(batch) / t[t.size() / 2];
  f.peak_rss_mib = peak_rss_mib();
  return f;
}

StepCost step_cost(const ModelConfig& m) {
  NoGrad no_grad;
  StepCost c;
  Rng rng(1);
  ULRNet net(Method::Joint, m, 1);
  Tensor ulr = Tensor::uniform({1, 3, m.in_h, m.in_w}, rng, 0, 1);
  Tensor hr = Tensor::uniform({1, 3, m.out_h(), m.out_w()}, rng, 0, 1);
  Trace t1, t2, t3;
  net.forward(ulr, &t1);
  net.s().encode(hr, &t2);
  SegAwareDiscriminator d(m, rng, "d");
  d.forward(hr, Tensor::zeros({1, m.num_classes, m.out_h(), m.out_w()}), false, &t3);
  c.gs_fwd = double(t1.total_flops()), c.afe_fwd = double(t2.total_flops()), c.sad_fwd = double(t3.total_flops());
  return c;
}

// The micro figures at the large batch and at batch 1, from a traced forward of the model.
std::map<int64_t, std::vector<Rate>> bench_kernels(const ModelConfig& m, int64_t big,
                                                   const Timing& timing) {
  Rng rng(1);
  ULRNet net(Method::Joint, m, 1);
  Trace trace;
  {
    NoGrad no_grad;
    net.forward(Tensor::uniform({1, 3, m.in_h, m.in_w}, rng, 0, 1), &trace);
  }
  std::map<int64_t, std::vector<Rate>> micro;
  for (int64_t N : {big, int64_t(1)}) micro[N] = bench_layers(trace, N, timing, rng);
  return micro;
}

}  // namespace ulr::cli
