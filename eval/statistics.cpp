#include "eval/statistics.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "engine/rng.h"

namespace ulr {

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
