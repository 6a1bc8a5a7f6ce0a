// `ulrseg bench [--threads N] [--json] [--quick] [--reps R]`: how fast the engine is on this
// machine, in one process:
//   1. the practical peak: Eigen sgemm at n = 512 and 1024 (fastest run), C split by column
//      blocks across the threads (Eigen itself is built single-threaded);
//   2. micro: every distinct convolution of the default G+S (forward, input gradient, weight
//      gradient), the two attention blocks, pixel_shuffle and group_norm at their real shapes,
//      batch 32 and batch 1, as GFLOP/s (GB/s for memory-bound ops) and share of the peak;
//   3. end to end: the full joint training step (G+S forward/backward, the frozen AFE on HR and
//      SR, the SAD step and the adversarial term, both optimizers) at batch 16 and 32; inference
//      (G+S forward + argmax) latency at batch 1 and frames/s at batch 32; peak resident memory
//      of each phase (VmHWM, reset through /proc/self/clear_refs).
// Weights are freshly initialised (speed does not depend on their values); inputs are random.
// Every time is a median of repeated runs after warm-up (training steps and batches are timed
// one by one and the median taken). Benchmarks print figures; they assert
// nothing.
#include <Eigen/Core>
#include <malloc.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "apps/args.h"
#include "apps/commands.h"
#include "engine/error.h"
#include "engine/json.h"
#include "engine/parallel.h"
#include "engine/rng.h"
#include "engine/tensor.h"
#include "engine/version.h"
#include "eval/metrics.h"
#include "models/ulrnet.h"
#include "ops/ops.h"
#include "train/trainer.h"

namespace ulr::cli {

namespace {

const char* kUsage =
    "usage: ulrseg bench [--threads N] [--json] [--quick] [--reps R] [--only PART]\n\n"
    "Measures this machine's sgemm peak, the engine's kernels at the default model's layer\n"
    "shapes (batch 32 and 1), the full joint training step (batch 16 and 32), inference latency\n"
    "(batch 1) and throughput (batch 32), and peak resident memory.\n\n"
    "  --threads N   threads (default: all cores)\n"
    "  --json        one JSON object instead of tables\n"
    "  --quick       batch 4 instead of 32 (2 instead of 16), few repetitions: a smoke test\n"
    "  --reps R      timed repetitions per micro figure (default 5)\n"
    "  --only PART   kernels, infer or train: the sgemm peak and that part only\n";

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Timing {
  int reps = 5;              // at least this many timed runs
  double min_seconds = 0.2;  // short kernels repeat until this much is timed
};

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

// ---- peak ---------------------------------------------------------------------------------

// C (n,n) = A (n,n) B (n,n), column blocks of C split across the threads.
double gemm_gflops(int64_t n, const Timing& timing) {
  Rng rng(1);
  Tensor a = Tensor::uniform({n, n}, rng, -1, 1), b = Tensor::uniform({n, n}, rng, -1, 1);
  Tensor c = Tensor::zeros({n, n});
  using Map = Eigen::Map<Eigen::MatrixXf>;
  using ConstMap = Eigen::Map<const Eigen::MatrixXf>;
  const int threads = num_threads();
  double s = median_seconds(timing, [&] {
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t c0 = n * t / nt, c1 = n * (t + 1) / nt;
      ConstMap A(a.data(), n, n);
      ConstMap B(b.data() + c0 * n, n, c1 - c0);
      Map C(c.data() + c0 * n, n, c1 - c0);
      C.noalias() = A * B;
    }
  }, /*fastest=*/true);  // the peak: what the machine does when it gets the cores
  return 2.0 * double(n) * double(n) * double(n) / s * 1e-9;
}

// ---- the model's layers -------------------------------------------------------------------

struct ConvShape {
  int64_t C, OC, K, stride, H, W;  // input channels and size
  std::string layers;              // names of the layers with this shape
};

// Distinct convolutions of a traced forward: the trace has each conv's name, label
// ("conv 3x3" or "conv 3x3/2") and output shape; the weight comes from the parameter store.
std::vector<ConvShape> conv_shapes(const Trace& trace, const std::vector<const ParamStore*>& stores) {
  std::vector<ConvShape> shapes;
  for (const LayerRecord& l : trace.layers) {
    if (l.op.rfind("conv ", 0) != 0 || l.op.find(" g") != std::string::npos) continue;
    const NamedTensor* w = nullptr;
    for (const ParamStore* s : stores)
      if (!w) w = s->find(l.name + ".weight");
    if (!w) continue;
    size_t slash = l.op.find('/');
    int64_t stride = slash == std::string::npos ? 1 : std::stoll(l.op.substr(slash + 1));
    ConvShape c{w->tensor.size(1), w->tensor.size(0), w->tensor.size(2), stride,
                l.out[2] * stride, l.out[3] * stride, l.name};
    auto same = std::find_if(shapes.begin(), shapes.end(), [&](const ConvShape& o) {
      return std::tie(o.C, o.OC, o.K, o.stride, o.H, o.W) == std::tie(c.C, c.OC, c.K, c.stride, c.H, c.W);
    });
    if (same == shapes.end()) shapes.push_back(c);
    else same->layers += "," + l.name;
  }
  return shapes;
}

struct Rate {
  std::string what;    // kernel and shape
  double work = 0;     // GFLOP or GB per call
  double seconds = 0;  // median per call
  bool bytes = false;  // work is GB (memory-bound op)
  double per_s() const { return work / seconds; }
};

std::vector<Rate> bench_conv(const ConvShape& s, int64_t N, const Timing& timing) {
  Rng rng(2);
  Conv2dOptions opt{int(s.stride), int(s.K / 2), 1, 1};
  Shape xs{N, s.C, s.H, s.W}, ws{s.OC, s.C, s.K, s.K};
  const int64_t OH = (s.H + 2 * opt.pad - s.K) / s.stride + 1, OW = (s.W + 2 * opt.pad - s.K) / s.stride + 1;
  Tensor x = Tensor::uniform(xs, rng, -1, 1), w = Tensor::uniform(ws, rng, -0.1f, 0.1f);
  Tensor b = Tensor::uniform({s.OC}, rng, -1, 1);
  Tensor out = Tensor::empty({N, s.OC, OH, OW});
  Tensor dout = Tensor::uniform(out.shape(), rng, -1, 1);
  Tensor dx = Tensor::zeros(xs), dw = Tensor::zeros(ws);
  const double gflop = 2.0 * double(N * s.OC * OH * OW * s.C * s.K * s.K) * 1e-9;
  char name[96];
  std::snprintf(name, sizeof name, "%lldx%lld %lld->%lld %lldx%lld%s", (long long)s.K, (long long)s.K,
                (long long)s.C, (long long)s.OC, (long long)s.H, (long long)s.W, s.stride > 1 ? " /2" : "");
  std::vector<Rate> r;
  r.push_back({std::string("conv fwd   ") + name, gflop, median_seconds(timing, [&] {
                 conv2d_forward(out.data(), x.data(), w.data(), b.data(), xs, ws, opt);
               })});
  r.push_back({std::string("conv dinput ") + name, gflop, median_seconds(timing, [&] {
                 conv2d_backward(dx.data(), nullptr, nullptr, dout.data(), x.data(), w.data(), xs, ws, opt);
               })});
  r.push_back({std::string("conv dweight ") + name, gflop, median_seconds(timing, [&] {
                 conv2d_backward(nullptr, dw.data(), nullptr, dout.data(), x.data(), w.data(), xs, ws, opt);
               })});
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

struct TrainFigures {
  double samples_per_s = 0, peak_rss_mib = 0;
};

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

struct InferFigures {
  double b1_median_ms = 0, b1_p99_ms = 0, batch_frames_per_s = 0, peak_rss_mib = 0;
};

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

// FLOPs per sample of the joint step, counted as useful work: G and S forward, input and
// weight gradients (3x forward); the frozen AFE encoder on HR (forward) and on SR (forward and
// input gradient); the SAD on real and fake (forward and weight gradient) and on the generated
// pair (forward and input gradient).
struct StepCost {
  double gs_fwd = 0, afe_fwd = 0, sad_fwd = 0;
  double train() const { return 3 * gs_fwd + 3 * afe_fwd + 2 * 2 * sad_fwd + 2 * sad_fwd; }
};

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

void print_rates(const char* title, const std::vector<Rate>& rates, double peak) {
  std::printf("%s\n  %-44s %9s %10s %8s\n", title, "kernel, shape", "ms", "rate", "% peak");
  for (const Rate& r : rates) {
    if (r.bytes)
      std::printf("  %-44s %9.3f %6.1f GB/s %8s\n", r.what.c_str(), r.seconds * 1e3, r.per_s(), "");
    else
      std::printf("  %-44s %9.3f %5.1f GFLOP/s %5.0f%%\n", r.what.c_str(), r.seconds * 1e3, r.per_s(),
                  100 * r.per_s() / peak);
  }
  double work = 0, time = 0;
  for (const Rate& r : rates)
    if (!r.bytes && r.what.rfind("conv", 0) == 0) work += r.work, time += r.seconds;
  if (time > 0)
    std::printf("  %-44s %9.3f %5.1f GFLOP/s %5.0f%%\n", "all convolutions (one of each)", time * 1e3,
                work / time, 100 * work / time / peak);
  std::printf("\n");
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  Args args(argc, argv, {"--json", "--quick"});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const bool json = args.has("--json"), quick = args.has("--quick");
  Timing timing;
  timing.reps = int(args.integer("--reps", quick ? 1 : 5, 1, 1000));
  if (quick) timing.min_seconds = 0;
  const std::string only = args.str("--only", "");
  if (!only.empty() && only != "kernels" && only != "infer" && only != "train")
    throw UsageError("--only: expected kernels, infer or train, got '" + only + "'");
  auto part = [&](const char* name) { return only.empty() || only == name; };
  apply_threads(args);
  args.finish();
  if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional()[0] + "'");

  const int threads = num_threads();
  TrainConfig cfg;  // the default joint configuration (configs/joint.json's model and losses)
  cfg.method = Method::Joint;
  cfg.teacher = "(fresh hr model)";
  const ModelConfig& m = cfg.model;
  // --quick: small batches and few steps, so that the whole run takes seconds.
  const int train_steps = quick ? 1 : 15, frames = quick ? 5 : 300, batches = quick ? 1 : 15;
  const int64_t big = quick ? 4 : 32, small_train = quick ? 2 : 16;
  auto say = [&](const char* what) {
    if (!json) std::fprintf(stderr, "bench: %s...\n", what);
  };

  say("sgemm peak");
  double g512 = gemm_gflops(512, timing), g1024 = gemm_gflops(1024, timing);
  const double peak = std::max(g512, g1024);

  if (part("kernels")) say("kernels at the model's layer shapes");
  std::map<int64_t, std::vector<Rate>> micro;  // batch -> rates
  if (part("kernels")) {
    Rng rng(1);
    ULRNet net(Method::Joint, m, 1);
    Trace trace;
    {
      NoGrad no_grad;
      net.forward(Tensor::uniform({1, 3, m.in_h, m.in_w}, rng, 0, 1), &trace);
    }
    std::vector<ConvShape> shapes = conv_shapes(trace, {&net.g().params(), &net.s().params()});
    for (int64_t N : {big, int64_t(1)}) {
      std::vector<Rate>& rates = micro[N];
      for (const ConvShape& s : shapes)
        for (Rate& r : bench_conv(s, N, timing)) rates.push_back(r);
      ParamStore store;
      SpatialAttention ga(store, "ga", m.g_channels, m.g_heads, rng);
      SpatialAttention sa(store, "sa", m.s_channels.back(), m.s_heads, rng);
      for (Rate& r : bench_attention(ga, m.g_channels, m.in_h, m.in_w, N, timing)) rates.push_back(r);
      for (Rate& r : bench_attention(sa, m.s_channels.back(), m.out_h() / 8, m.out_w() / 8, N, timing))
        rates.push_back(r);
      rates.push_back(bench_pixel_shuffle(N, 4 * m.g_up_channels[0], m.in_h, m.in_w, timing));
      rates.push_back(bench_pixel_shuffle(N, 4 * m.g_up_channels[1], 2 * m.in_h, 2 * m.in_w, timing));
      rates.push_back(bench_group_norm(N, m.s_channels[0], m.out_h(), m.out_w(), m.s_groups, timing));
      rates.push_back(bench_group_norm(N, m.s_channels[1], m.out_h() / 2, m.out_w() / 2, m.s_groups, timing));
    }
  }

  const StepCost cost = step_cost(m);
  const double infer_gflop = cost.gs_fwd * 1e-9, train_gflop = cost.train() * 1e-9;

  if (part("infer")) say("inference");
  InferFigures inf;
  if (part("infer")) {
    ULRNet net(Method::Joint, m, 1);
    inf = bench_infer(net, frames, big, batches);
  }
  if (part("train")) say("training step");
  TrainFigures t16, t32;
  if (part("train")) {
    t16 = bench_train(cfg, small_train, train_steps);
    t32 = bench_train(cfg, big, train_steps);
  }

  if (json) {
    Json j = Json::object();
    j.set("engine", std::string("ulrseg ") + version()).set("threads", threads);
    j.set("gemm_512_gflops", g512).set("gemm_1024_gflops", g1024).set("gemm_peak_gflops", peak);
    if (part("train")) {
      j.set("train_batch", big).set("train_samples_per_s", t32.samples_per_s);
      j.set("train_samples_per_s_b16", t16.samples_per_s).set("train_gflop_per_sample", train_gflop);
      j.set("train_peak_rss_mib", t32.peak_rss_mib).set("train_b16_peak_rss_mib", t16.peak_rss_mib);
    }
    if (part("infer")) {
      j.set("infer_b1_ms_median", inf.b1_median_ms).set("infer_b1_ms_p99", inf.b1_p99_ms);
      j.set("infer_batch", big).set("infer_batch_frames_per_s", inf.batch_frames_per_s);
      j.set("infer_gflop_per_frame", infer_gflop).set("infer_peak_rss_mib", inf.peak_rss_mib);
    }
    Json kernels = Json::array();
    for (auto& [N, rates] : micro)
      for (const Rate& r : rates) {
        Json k = Json::object();
        k.set("kernel", r.what).set("batch", N).set("ms", r.seconds * 1e3);
        k.set(r.bytes ? "gb_per_s" : "gflops", r.per_s());
        kernels.push(k);
      }
    if (part("kernels")) j.set("kernels", kernels);
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }

  std::printf("ulrseg %s bench: %d threads%s\n\n", version(), threads, quick ? " (quick: rough figures)" : "");
  std::printf("sgemm (Eigen, column blocks across threads): n=512 %.1f GFLOP/s, n=1024 %.1f GFLOP/s; "
              "peak %.1f\n\n", g512, g1024, peak);
  if (part("kernels")) {
    print_rates(quick ? "kernels, batch 4" : "kernels, batch 32", micro[big], peak);
    print_rates("kernels, batch 1", micro[1], peak);
  }
  auto share = [&](double gflops) { return 100 * gflops / peak; };
  if (part("train") || part("infer"))
    std::printf("end to end (default model %dx%d -> %dx%d)\n", m.in_h, m.in_w, m.out_h(), m.out_w());
  if (part("train")) {
    std::printf("  training step (joint: G+S, AFE, SAD, optimizers): %.2f GFLOP/sample\n", train_gflop);
    std::printf("    batch %2lld: %7.1f samples/s  %6.1f GFLOP/s  %3.0f%% of peak  peak RSS %.0f MiB\n",
                (long long)small_train, t16.samples_per_s, t16.samples_per_s * train_gflop, share(t16.samples_per_s * train_gflop),
                t16.peak_rss_mib);
    std::printf("    batch %2lld: %7.1f samples/s  %6.1f GFLOP/s  %3.0f%% of peak  peak RSS %.0f MiB\n",
                (long long)big, t32.samples_per_s, t32.samples_per_s * train_gflop, share(t32.samples_per_s * train_gflop),
                t32.peak_rss_mib);
  }
  if (part("infer")) {
    std::printf("  inference (G+S forward + argmax): %.3f GFLOP/frame, peak RSS %.0f MiB\n", infer_gflop,
                inf.peak_rss_mib);
    std::printf("    batch 1:  median %.2f ms, p99 %.2f ms over %d frames  %6.1f GFLOP/s  %3.0f%% of peak\n",
                inf.b1_median_ms, inf.b1_p99_ms, frames, infer_gflop / (inf.b1_median_ms * 1e-3),
                share(infer_gflop / (inf.b1_median_ms * 1e-3)));
    std::printf("    batch %2lld: %7.1f frames/s  %6.1f GFLOP/s  %3.0f%% of peak\n", (long long)big,
                inf.batch_frames_per_s, inf.batch_frames_per_s * infer_gflop, share(inf.batch_frames_per_s * infer_gflop));
  }
  return 0;
}

}  // namespace ulr::cli
