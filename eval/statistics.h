// Statistics for comparing runs: the paired bootstrap interval of a mean difference.
#pragma once
#include <cstdint>
#include <vector>

namespace ulr {

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
