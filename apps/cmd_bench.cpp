// `ulrseg bench [--threads N] [--json | --markdown] [--quick] [--reps R] [--only PART]`: how
// fast the engine is on this machine, in one process:
//   1. the practical peak: Eigen sgemm at n = 512 and 1024 (fastest run), C split by column
//      blocks across the threads (Eigen itself is built single-threaded);
//   2. micro: every distinct convolution of the default G+S (forward, input gradient, weight
//      gradient), the two attention blocks, pixel_shuffle and group_norm at their real shapes,
//      batch 32 and batch 1, as GFLOP/s (GB/s for memory-bound ops) and share of the peak;
//   3. end to end: the full joint training step (G+S forward/backward, the frozen AFE on HR and
//      SR, the SAD step and the adversarial term, both optimizers) at batch 16 and 32; inference
//      (G+S forward + argmax) latency at batch 1 and frames/s at batch 32; peak resident memory
//      of each phase.
// The measurements live in apps/bench_measure.*; this file reads the flags, gathers a
// BenchReport and prints it as text, markdown or JSON. Benchmarks print figures; they assert
// nothing.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "apps/args.h"
#include "apps/bench_measure.h"
#include "apps/commands.h"
#include "engine/error.h"
#include "engine/json.h"
#include "engine/parallel.h"
#include "engine/version.h"

namespace ulr::cli {

namespace {

const char* kUsage =
    "usage: ulrseg bench [--threads N] [--json | --markdown] [--quick] [--reps R] [--only PART]\n\n"
    "Measures this machine's sgemm peak, the engine's kernels at the default model's layer\n"
    "shapes (batch 32 and 1), the full joint training step (batch 16 and 32), inference latency\n"
    "(batch 1) and throughput (batch 32), and peak resident memory.\n\n"
    "  --threads N   threads (default: all cores)\n"
    "  --json        one JSON object (one line) instead of tables\n"
    "  --markdown    the tables as markdown\n"
    "  --quick       batch 4 instead of 32 (2 instead of 16), few repetitions: a smoke test\n"
    "  --reps R      timed repetitions per micro figure (default 5)\n"
    "  --only PART   kernels, infer or train: the sgemm peak and that part only\n";

// ---- the report ---------------------------------------------------------------------------

struct BenchOptions {
  Timing timing;
  bool quick = false;
  std::string only;  // "", "kernels", "infer" or "train"
  Format format = Format::Text;
  bool part(const char* name) const { return only.empty() || only == name; }
};

struct BenchReport {
  int threads = 0;
  bool quick = false, kernels = false, infer = false, train = false;  // which parts ran
  double gemm_512 = 0, gemm_1024 = 0, peak = 0;                        // GFLOP/s
  int64_t big = 0;          // the batch of kernels, inference and the large training step
  int64_t small_train = 0;  // the small training step's batch
  int frames = 0;           // timed batch-1 inference frames
  int in_h = 0, in_w = 0, out_h = 0, out_w = 0;  // the default model's input and output
  std::map<int64_t, std::vector<Rate>> micro;    // batch -> rates
  double infer_gflop = 0, train_gflop = 0;       // per frame, per training sample
  InferFigures inference;
  TrainFigures train_small, train_big;
  double share(double gflops) const { return 100 * gflops / peak; }  // % of the peak
};

BenchOptions read_bench_options(Args& args) {
  BenchOptions o;
  o.quick = args.has("--quick");
  o.format = read_format(args);
  o.timing.reps = int(args.integer("--reps", o.quick ? 1 : 5, 1, 1000));
  if (o.quick) o.timing.min_seconds = 0;
  o.only = args.str("--only", "");
  if (!o.part("kernels") && !o.part("infer") && !o.part("train"))
    throw UsageError("--only: expected kernels, infer or train, got '" + o.only + "'");
  apply_threads(args);
  args.finish();
  if (!args.positional().empty())
    throw UsageError("unexpected argument '" + args.positional()[0] + "'");
  return o;
}

BenchReport run_bench(const BenchOptions& o) {
  auto say = [&](const char* what) {
    if (o.format != Format::Json) std::fprintf(stderr, "bench: %s...\n", what);
  };
  TrainConfig cfg;  // the default joint configuration (configs/joint.json's model and losses)
  cfg.method = Method::Joint;
  cfg.teacher = "(fresh hr model)";
  const ModelConfig& m = cfg.model;
  BenchReport r;
  r.threads = num_threads(), r.quick = o.quick;
  r.kernels = o.part("kernels"), r.infer = o.part("infer"), r.train = o.part("train");
  // --quick: small batches and few steps, so that the whole run takes seconds.
  const int train_steps = o.quick ? 1 : 15, batches = o.quick ? 1 : 15;
  r.frames = o.quick ? 5 : 300;
  r.big = o.quick ? 4 : 32, r.small_train = o.quick ? 2 : 16;
  r.in_h = m.in_h, r.in_w = m.in_w, r.out_h = m.out_h(), r.out_w = m.out_w();
  say("sgemm peak");
  r.gemm_512 = gemm_gflops(512, o.timing), r.gemm_1024 = gemm_gflops(1024, o.timing);
  r.peak = std::max(r.gemm_512, r.gemm_1024);
  if (r.kernels) say("kernels at the model's layer shapes");
  if (r.kernels) r.micro = bench_kernels(m, r.big, o.timing);
  const StepCost cost = step_cost(m);
  r.infer_gflop = cost.gs_fwd * 1e-9, r.train_gflop = cost.train() * 1e-9;
  if (r.infer) say("inference");
  if (r.infer) r.inference = bench_infer(ULRNet(Method::Joint, m, 1), r.frames, r.big, batches);
  if (r.train) say("training step");
  if (r.train) {
    r.train_small = bench_train(cfg, r.small_train, train_steps);
    r.train_big = bench_train(cfg, r.big, train_steps);
  }
  return r;
}

// ---- printers: JSON, text, markdown --------------------------------------------------------

void print_bench_json(const BenchReport& r) {
  Json j = Json::object();
  j.set("engine", std::string("ulrseg ") + version()).set("threads", r.threads);
  j.set("gemm_512_gflops", r.gemm_512).set("gemm_1024_gflops", r.gemm_1024);
  j.set("gemm_peak_gflops", r.peak);
  if (r.train) {
    j.set("train_batch", r.big).set("train_samples_per_s", r.train_big.samples_per_s);
    j.set("train_samples_per_s_b16", r.train_small.samples_per_s);
    j.set("train_gflop_per_sample", r.train_gflop);
    j.set("train_peak_rss_mib", r.train_big.peak_rss_mib);
    j.set("train_b16_peak_rss_mib", r.train_small.peak_rss_mib);
  }
  if (r.infer) {
    const InferFigures& f = r.inference;
    j.set("infer_b1_ms_median", f.b1_median_ms).set("infer_b1_ms_p99", f.b1_p99_ms);
    j.set("infer_batch", r.big).set("infer_batch_frames_per_s", f.batch_frames_per_s);
    j.set("infer_gflop_per_frame", r.infer_gflop).set("infer_peak_rss_mib", f.peak_rss_mib);
  }
  if (r.kernels) {
    Json kernels = Json::array();
    for (auto& [N, rates] : r.micro)
      for (const Rate& k : rates) {
        Json e = Json::object();
        e.set("kernel", k.what).set("batch", N).set("ms", k.seconds * 1e3);
        e.set(k.bytes ? "gb_per_s" : "gflops", k.per_s());
        kernels.push(e);
      }
    j.set("kernels", kernels);
  }
  std::printf("%s\n", j.dump().c_str());
}

// What the convolutions of a list take together: {GFLOP, seconds}.
std::pair<double, double> all_convolutions(const std::vector<Rate>& rates) {
  double work = 0, time = 0;
  for (const Rate& r : rates)
    if (r.conv) work += r.work, time += r.seconds;
  return {work, time};
}

// The training figures at the small and the large batch, in that order.
std::vector<std::pair<int64_t, TrainFigures>> train_rows(const BenchReport& r) {
  return {{r.small_train, r.train_small}, {r.big, r.train_big}};
}

void print_rates_text(int64_t batch, const std::vector<Rate>& rates, double peak) {
  std::printf("kernels, batch %lld\n  %-44s %9s %10s %8s\n", (long long)batch, "kernel, shape", "ms",
              "rate", "% peak");
  for (const Rate& r : rates) {
    if (r.bytes)
      std::printf("  %-44s %9.3f %6.1f GB/s %8s\n", r.what.c_str(), r.seconds * 1e3, r.per_s(), "");
    else
      std::printf("  %-44s %9.3f %5.1f GFLOP/s %5.0f%%\n", r.what.c_str(), r.seconds * 1e3,
                  r.per_s(), 100 * r.per_s() / peak);
  }
  auto [work, time] = all_convolutions(rates);
  if (time > 0)
    std::printf("  %-44s %9.3f %5.1f GFLOP/s %5.0f%%\n", "all convolutions (one of each)",
                time * 1e3, work / time, 100 * work / time / peak);
  std::printf("\n");
}

void print_end_to_end_text(const BenchReport& r) {
  if (r.train) {
    std::printf("  training step (joint: G+S, AFE, SAD, optimizers): %.2f GFLOP/sample\n",
                r.train_gflop);
    for (auto [batch, t] : train_rows(r)) {
      const double gflops = t.samples_per_s * r.train_gflop;
      std::printf("    batch %2lld: %7.1f samples/s  %6.1f GFLOP/s  %3.0f%% of peak  peak RSS %.0f MiB\n",
                  (long long)batch, t.samples_per_s, gflops, r.share(gflops), t.peak_rss_mib);
    }
  }
  if (r.infer) {
    const InferFigures& f = r.inference;
    const double b1_gflops = r.infer_gflop / (f.b1_median_ms * 1e-3);
    const double batch_gflops = f.batch_frames_per_s * r.infer_gflop;
    std::printf("  inference (G+S forward + argmax): %.3f GFLOP/frame, peak RSS %.0f MiB\n",
                r.infer_gflop, f.peak_rss_mib);
    std::printf("    batch 1:  median %.2f ms, p99 %.2f ms over %d frames  %6.1f GFLOP/s  %3.0f%% of peak\n",
                f.b1_median_ms, f.b1_p99_ms, r.frames, b1_gflops, r.share(b1_gflops));
    std::printf("    batch %2lld: %7.1f frames/s  %6.1f GFLOP/s  %3.0f%% of peak\n", (long long)r.big,
                f.batch_frames_per_s, batch_gflops, r.share(batch_gflops));
  }
}

void print_bench_text(const BenchReport& r) {
  std::printf("ulrseg %s bench: %d threads%s\n\n", version(), r.threads,
              r.quick ? " (quick: rough figures)" : "");
  std::printf("sgemm (Eigen, column blocks across threads): n=512 %.1f GFLOP/s, n=1024 %.1f GFLOP/s; "
              "peak %.1f\n\n", r.gemm_512, r.gemm_1024, r.peak);
  if (r.kernels)
    for (int64_t batch : {r.big, int64_t(1)}) print_rates_text(batch, r.micro.at(batch), r.peak);
  if (r.train || r.infer)
    std::printf("end to end (default model %dx%d -> %dx%d)\n", r.in_h, r.in_w, r.out_h, r.out_w);
  print_end_to_end_text(r);
}

void print_rates_markdown(int64_t batch, const std::vector<Rate>& rates, double peak) {
  std::printf("| kernel, shape (batch %lld) | ms | rate | %% peak |\n|---|---|---|---|\n",
              (long long)batch);
  for (const Rate& r : rates) {
    if (r.bytes)
      std::printf("| %s | %.3f | %.1f GB/s | |\n", r.what.c_str(), r.seconds * 1e3, r.per_s());
    else
      std::printf("| %s | %.3f | %.1f GFLOP/s | %.0f%% |\n", r.what.c_str(), r.seconds * 1e3,
                  r.per_s(), 100 * r.per_s() / peak);
  }
  auto [work, time] = all_convolutions(rates);
  if (time > 0)
    std::printf("| all convolutions (one of each) | %.3f | %.1f GFLOP/s | %.0f%% |\n", time * 1e3,
                work / time, 100 * work / time / peak);
  std::printf("\n");
}

void print_end_to_end_markdown(const BenchReport& r) {
  std::printf("End to end, default model %dx%d -> %dx%d:\n\n", r.in_h, r.in_w, r.out_h, r.out_w);
  std::printf("| phase | batch | rate | GFLOP/s | %% peak | peak RSS (MiB) |\n"
              "|---|---|---|---|---|---|\n");
  if (r.train)
    for (auto [batch, t] : train_rows(r)) {
      const double gflops = t.samples_per_s * r.train_gflop;
      std::printf("| training step (%.2f GFLOP/sample) | %lld | %.1f samples/s | %.1f | %.0f%% | %.0f |\n",
                  r.train_gflop, (long long)batch, t.samples_per_s, gflops, r.share(gflops),
                  t.peak_rss_mib);
    }
  if (r.infer) {
    const InferFigures& f = r.inference;
    const double b1_gflops = r.infer_gflop / (f.b1_median_ms * 1e-3);
    const double batch_gflops = f.batch_frames_per_s * r.infer_gflop;
    std::printf("| inference (%.3f GFLOP/frame) | 1 | median %.2f ms, p99 %.2f ms | %.1f | %.0f%% | %.0f |\n",
                r.infer_gflop, f.b1_median_ms, f.b1_p99_ms, b1_gflops, r.share(b1_gflops),
                f.peak_rss_mib);
    std::printf("| inference (%.3f GFLOP/frame) | %lld | %.1f frames/s | %.1f | %.0f%% | %.0f |\n",
                r.infer_gflop, (long long)r.big, f.batch_frames_per_s, batch_gflops,
                r.share(batch_gflops), f.peak_rss_mib);
  }
}

void print_bench_markdown(const BenchReport& r) {
  std::printf("ulrseg %s bench, %d threads%s; sgemm peak %.1f GFLOP/s (n=512 %.1f, n=1024 %.1f)\n\n",
              version(), r.threads, r.quick ? " (quick: rough figures)" : "", r.peak, r.gemm_512,
              r.gemm_1024);
  if (r.kernels)
    for (int64_t batch : {r.big, int64_t(1)}) print_rates_markdown(batch, r.micro.at(batch), r.peak);
  if (r.train || r.infer) print_end_to_end_markdown(r);
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  Args args(argc, argv, {"--json", "--markdown", "--quick"});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const BenchOptions options = read_bench_options(args);
  const BenchReport report = run_bench(options);
  if (options.format == Format::Json) print_bench_json(report);
  else if (options.format == Format::Markdown) print_bench_markdown(report);
  else print_bench_text(report);
  return 0;
}

}  // namespace ulr::cli
