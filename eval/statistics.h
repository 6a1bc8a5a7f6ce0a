// Statistics for comparing runs and rates: the paired bootstrap interval of a mean difference, and
// the Wilson score interval of a proportion (navigation success, attack accuracy).
#pragma once
#include <cstdint>
#include <vector>

namespace ulr {

// z of a two-sided 95 % normal interval.
constexpr double kZ95 = 1.959963984540054;

// The Wilson score interval of k successes in n trials (0 <= k <= n, n >= 1):
// (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n), p = k/n, clamped to [0, 1]. Throws
// Error otherwise.
struct Interval {
  double lo = 0, hi = 1;
};
Interval wilson_interval(int64_t k, int64_t n, double z = kZ95);

struct BootstrapInterval {
  double mean = 0;        // of the values themselves
  double lo = 0, hi = 0;  // the percentile interval of the resampled means
  int64_t count = 0;      // values used (NaN ones are left out)
};

// The mean of `values` and its percentile bootstrap interval at `level` (0.95: the 2.5th and
// 97.5th percentiles of `resamples` means of resamples with replacement). NaN values are left
// out first. Deterministic for a given seed. Paired use: values[i] = a_i - b_i over the same
// views. Throws Error when no value is left or level is not in (0, 1).
BootstrapInterval bootstrap_mean(const std::vector<double>& values, int resamples = 10000, uint64_t seed = 1,
                                 double level = 0.95);

// The q-quantile (0 <= q <= 1) of sorted values by linear interpolation between closest ranks
// (NumPy's default): position q (n - 1).
double quantile_sorted(const std::vector<double>& sorted, double q);

}  // namespace ulr
