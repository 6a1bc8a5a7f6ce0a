#include "eval/statistics.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/error.h"
#include "engine/rng.h"

namespace ulr {

Interval wilson_interval(int64_t k, int64_t n, double z) {
  if (n < 1 || k < 0 || k > n)
    throw Error("wilson interval: " + std::to_string(k) + " successes of " + std::to_string(n) +
                " trials (want 0 <= k <= n, n >= 1)");
  const double p = double(k) / double(n), z2 = z * z, nn = double(n);
  const double centre = p + z2 / (2 * nn);
  const double half = z * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  const double denom = 1 + z2 / nn;
  // Clamped: at k = 0 and k = n the bound is 0 or 1 up to rounding.
  return {std::max(0.0, (centre - half) / denom), std::min(1.0, (centre + half) / denom)};
}

double quantile_sorted(const std::vector<double>& sorted, double q) {
  ULR_CHECK(!sorted.empty() && q >= 0 && q <= 1, "quantile_sorted: needs values and 0 <= q <= 1");
  const double at = q * double(sorted.size() - 1);
  const size_t below = size_t(std::floor(at));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (at - double(below)) * (sorted[above] - sorted[below]);
}

BootstrapInterval bootstrap_mean(const std::vector<double>& values, int resamples, uint64_t seed, double level) {
  std::vector<double> x;
  for (double v : values)
    if (!std::isnan(v)) x.push_back(v);
  if (x.empty()) throw Error("bootstrap: no values (all NaN or none)");
  if (!(level > 0 && level < 1) || resamples < 1) throw Error("bootstrap: level must be in (0, 1) and resamples >= 1");
  BootstrapInterval r;
  r.count = int64_t(x.size());
  double sum = 0;
  for (double v : x) sum += v;
  r.mean = sum / double(x.size());
  Rng rng(seed, 0x626f6f74ULL);
  std::vector<double> means(static_cast<size_t>(resamples));
  const uint32_t n = uint32_t(x.size());
  for (double& m : means) {
    double s = 0;
    for (uint32_t i = 0; i < n; ++i) s += x[rng.below(n)];
    m = s / double(n);
  }
  std::sort(means.begin(), means.end());
  r.lo = quantile_sorted(means, (1 - level) / 2);
  r.hi = quantile_sorted(means, 1 - (1 - level) / 2);
  return r;
}

}  // namespace ulr
