// The measurements behind `ulrseg bench` (apps/cmd_bench.cpp runs and prints them), on the
// default model with freshly initialised weights (speed does not depend on their values) and
// random inputs. Every time is a median of repeated runs after warm-up; training steps and
// batches are timed one by one and the median taken.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/ulrnet.h"
#include "train/config.h"

namespace ulr::cli {

// How long a micro figure is timed.
struct Timing {
  int reps = 5;              // at least this many timed runs
  double min_seconds = 0.2;  // short kernels repeat until this much is timed
};

// One micro figure.
struct Rate {
  std::string what;    // kernel and shape
  double work = 0;     // GFLOP or GB per call
  double seconds = 0;  // median per call
  bool bytes = false;  // work is GB (memory-bound op)
  bool conv = false;   // a convolution kernel (summed in "all convolutions")
  double per_s() const { return work / seconds; }
};

struct TrainFigures {
  double samples_per_s = 0, peak_rss_mib = 0;  // median step; VmHWM of the phase
};

struct InferFigures {
  double b1_median_ms = 0, b1_p99_ms = 0;  // latency of one frame
  double batch_frames_per_s = 0, peak_rss_mib = 0;
};

// FLOPs per sample of the joint step, counted as useful work: G and S forward, input and
// weight gradients (3x forward); the frozen AFE encoder on HR (forward) and on SR (forward and
// input gradient); the SAD on real and fake (forward and weight gradient) and on the generated
// pair (forward and input gradient).
struct StepCost {
  double gs_fwd = 0, afe_fwd = 0, sad_fwd = 0;
  double train() const { return 3 * gs_fwd + 3 * afe_fwd + 2 * 2 * sad_fwd + 2 * sad_fwd; }
};

// The practical peak: C (n,n) = A (n,n) B (n,n) with Eigen, column blocks of C split across the
// threads; GFLOP/s of the fastest run.
double gemm_gflops(int64_t n, const Timing& timing);

// The kernels at the model's layer shapes, batch `big` and batch 1 (batch -> rates): every
// distinct convolution of a traced G+S forward (forward, input gradient, weight gradient), its
// attention blocks, pixel shuffles and two group norms, as GFLOP/s (GB/s for memory-bound ops).
std::map<int64_t, std::vector<Rate>> bench_kernels(const ModelConfig& m, int64_t big,
                                                   const Timing& timing);

// The full training step of `cfg` (joint: G+S, the frozen AFE, the SAD, both optimizers) at
// batch B, and the peak resident memory of the phase (VmHWM, reset through
// /proc/self/clear_refs).
TrainFigures bench_train(const TrainConfig& cfg, int64_t B, int steps);

// G+S forward + argmax: latency over `frames` single frames, frames/s over `batches` batches,
// and the peak resident memory of the phase.
InferFigures bench_infer(const ULRNet& net, int frames, int64_t batch, int batches);

// The FLOPs of one frame through G+S, the AFE encoder and the SAD, from traced forwards.
StepCost step_cost(const ModelConfig& m);

}  // namespace ulr::cli
