// Engine micro-benchmark: the practical single-precision GEMM peak of this machine through
// Eigen, then conv2d forward and backward at the network's shapes as a fraction of that peak.
//
//   bench_engine [--threads N] [--reps R] [--best]
//
// Eigen is built without its own threading (EIGEN_DONT_PARALLELIZE), so the multi-threaded peak
// splits C = A B by column blocks across the OpenMP threads, one single-threaded GEMM each; the
// best rate over the sizes is the "practical peak". Every figure is the median of R timed runs
// after warm-up (--best: the fastest run, which on a shared machine shows what the kernels do
// when they get the cores). Benchmarks print figures; they assert nothing.
#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "engine/parallel.h"
#include "engine/rng.h"
#include "engine/tensor.h"
#include "ops/ops.h"

using namespace ulr;

namespace {

constexpr int kWarmup = 2;
bool g_best = false;  // report the fastest run instead of the median

constexpr double kMinSeconds = 0.25;  // short kernels repeat until this much time is timed

// Median (or with --best, fastest) wall time of at least `reps` calls of fn (more for short ones, up to kMinSeconds in
// all), in seconds, after kWarmup untimed calls.
double median_seconds(int reps, const std::function<void()>& fn) {
  for (int i = 0; i < kWarmup; ++i) fn();
  std::vector<double> t;
  double total = 0;
  for (int i = 0; i < reps || (total < kMinSeconds && i < 50 * reps); ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    total += t.back();
  }
  std::sort(t.begin(), t.end());
  return g_best ? t.front() : t[t.size() / 2];
}

// C (n,n) = A (n,n) B (n,n), column blocks of C split across the threads.
double gemm_gflops(int64_t n, int reps) {
  Rng rng(1);
  Tensor a = Tensor::uniform({n, n}, rng, -1, 1), b = Tensor::uniform({n, n}, rng, -1, 1);
  Tensor c = Tensor::zeros({n, n});
  using Map = Eigen::Map<Eigen::MatrixXf>;
  using ConstMap = Eigen::Map<const Eigen::MatrixXf>;
  const int threads = num_threads();
  double s = median_seconds(reps, [&] {
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t c0 = n * t / nt, c1 = n * (t + 1) / nt;
      ConstMap A(a.data(), n, n);
      ConstMap B(b.data() + c0 * n, n, c1 - c0);
      Map C(c.data() + c0 * n, n, c1 - c0);
      C.noalias() = A * B;
    }
  });
  return 2.0 * double(n) * double(n) * double(n) / s * 1e-9;
}

struct ConvShape {
  int64_t N, C, OC, H, W;
};

struct ConvResult {
  double gflop, forward_s, backward_s;
};

// 3x3, stride 1, pad 1. Backward computes the input and weight gradients (2x the forward flops).
ConvResult bench_conv(const ConvShape& s, int reps) {
  Rng rng(2);
  Conv2dOptions opt{1, 1, 1, 1};
  Shape xs{s.N, s.C, s.H, s.W}, ws{s.OC, s.C, 3, 3};
  Tensor x = Tensor::uniform(xs, rng, -1, 1), w = Tensor::uniform(ws, rng, -0.1f, 0.1f);
  Tensor b = Tensor::uniform({s.OC}, rng, -1, 1);
  Tensor out = Tensor::empty({s.N, s.OC, s.H, s.W});
  Tensor dout = Tensor::uniform(out.shape(), rng, -1, 1);
  Tensor dx = Tensor::zeros(xs), dw = Tensor::zeros(ws);
  ConvResult r;
  r.gflop = 2.0 * double(s.N * s.OC * s.C * 9 * s.H * s.W) * 1e-9;
  r.forward_s = median_seconds(reps, [&] {
    conv2d_forward(out.data(), x.data(), w.data(), b.data(), xs, ws, opt);
  });
  r.backward_s = median_seconds(reps, [&] {
    conv2d_backward(dx.data(), dw.data(), nullptr, dout.data(), x.data(), w.data(), xs, ws, opt);
  });
  return r;
}

int parse_int(const char* flag, const char* value) {
  char* end = nullptr;
  long v = value ? std::strtol(value, &end, 10) : 0;
  if (!value || *end || v < 1) {
    std::fprintf(stderr, "bench_engine: %s needs a positive integer\n", flag);
    std::exit(2);
  }
  return int(v);
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 9;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads")
      set_num_threads(parse_int("--threads", i + 1 < argc ? argv[++i] : nullptr));
    else if (a == "--reps")
      reps = parse_int("--reps", i + 1 < argc ? argv[++i] : nullptr);
    else if (a == "--best")
      g_best = true;
    else {
      std::fprintf(stderr, "usage: bench_engine [--threads N] [--reps R] [--best]\n");
      return 2;
    }
  }
  std::printf("bench_engine: %d threads, %s of >= %d runs (>= %.2f s) after %d warm-up\n\n",
              num_threads(), g_best ? "fastest" : "median", reps, kMinSeconds, kWarmup);

  std::printf("Eigen sgemm, C = A B (n x n), column blocks across threads\n");
  std::printf("  %6s  %9s\n", "n", "GFLOP/s");
  double peak = 0;
  int64_t peak_n = 0;
  for (int64_t n : {256, 512, 768, 1024}) {
    double g = gemm_gflops(n, reps);
    std::printf("  %6lld  %9.1f\n", (long long)n, g);
    if (g > peak) peak = g, peak_n = n;
  }
  std::printf("  practical peak: %.1f GFLOP/s (n = %lld)\n\n", peak, (long long)peak_n);

  std::printf("conv2d 3x3, stride 1, pad 1 (backward = input + weight gradients)\n");
  std::printf("  %-26s  %7s  %9s  %9s  %7s  %9s  %9s  %7s\n", "shape (N, C->OC, HxW)", "GFLOP",
              "fwd ms", "GFLOP/s", "% peak", "bwd ms", "GFLOP/s", "% peak");
  for (ConvShape s : {ConvShape{32, 48, 48, 16, 16}, ConvShape{32, 24, 96, 32, 32}}) {
    ConvResult r = bench_conv(s, reps);
    double fwd = r.gflop / r.forward_s, bwd = 2 * r.gflop / r.backward_s;
    char name[64];
    std::snprintf(name, sizeof name, "%lld, %lld->%lld, %lldx%lld", (long long)s.N,
                  (long long)s.C, (long long)s.OC, (long long)s.H, (long long)s.W);
    std::printf("  %-26s  %7.3f  %9.2f  %9.1f  %6.0f%%  %9.2f  %9.1f  %6.0f%%\n", name, r.gflop,
                r.forward_s * 1e3, fwd, 100 * fwd / peak, r.backward_s * 1e3, bwd,
                100 * bwd / peak);
  }
  return 0;
}
