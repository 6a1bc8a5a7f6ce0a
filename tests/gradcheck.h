// Test helpers: finite-difference gradient checks and tensor comparisons.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/tensor.h"
#include "ops/ops.h"

namespace ulr::test {

// The message of the ulr::Error that fn throws, or "(no error)".
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

inline Tensor random_tensor(const Shape& s, Rng& rng, float lo = -1.0f, float hi = 1.0f) {
  return Tensor::uniform(s, rng, lo, hi);
}

// Max of |a-b| / (atol + rtol*|b|) over elements; <= 1 means "close".
inline double closeness(const float* a, const float* b, int64_t n, double rtol, double atol) {
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    double diff = std::fabs(double(a[i]) - double(b[i]));
    double d = diff == 0 ? 0 : diff / (atol + rtol * std::fabs(double(b[i])));
    if (!(d <= worst)) worst = d;  // also catches NaN
  }
  return worst;
}

inline void check_close(const Tensor& got, const Tensor& want, double rtol, double atol,
                        const std::string& what) {
  INFO(what << ": got shape " << got.shape().str() << " want " << want.shape().str());
  REQUIRE(got.shape() == want.shape());
  double worst = closeness(got.data(), want.data(), got.numel(), rtol, atol);
  INFO(what << ": worst |got-want|/(atol+rtol*|want|) = " << worst);
  CHECK(worst <= 1.0);
}

inline void check_close(const std::vector<float>& got, const std::vector<float>& want,
                        double rtol, double atol, const std::string& what) {
  REQUIRE(got.size() == want.size());
  double worst = closeness(got.data(), want.data(), int64_t(got.size()), rtol, atol);
  INFO(what << ": worst |got-want|/(atol+rtol*|want|) = " << worst);
  CHECK(worst <= 1.0);
}

struct GradCheckOptions {
  double h = 1e-2;       // central-difference step
  double rtol = 2e-2;    // tolerance on |analytic - numeric|
  double atol = 2e-3;
  bool kinks = false;    // skip points where a kink lies within +-h (second difference test)
  int max_points = 48;   // elements checked per input (a random subset when larger)
};

// Checks the gradients of L = <f(inputs), r> (r random, fixed) with respect to every input
// that requires grad, against central finite differences computed in double from float outputs.
// Kink rule: when opts.kinks, a point whose second difference |L(x+h) - 2L(x) + L(x-h)| exceeds
// 0.1 * h * (1 + |dL/dx|) is skipped (the difference quotient straddles a kink there).
inline void check_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                            std::vector<Tensor> inputs, Rng& rng, GradCheckOptions opts = {},
                            const std::string& what = "") {
  Tensor out = f(inputs);
  Tensor r = Tensor::uniform(out.shape(), rng, -1.0f, 1.0f);
  auto loss_of = [&](const Tensor& o) {
    double s = 0;
    for (int64_t i = 0; i < o.numel(); ++i) s += double(o.data()[i]) * double(r.data()[i]);
    return s;
  };
  for (auto& t : inputs)
    if (t.requires_grad()) t.zero_grad();
  backward(out, r);
  int checked = 0, skipped = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor x = inputs[k];
    if (!x.requires_grad()) continue;
    Tensor g = x.grad();
    REQUIRE_MESSAGE(g.defined(), what << ": input " << k << " got no gradient");
    std::vector<float> analytic = g.to_vector();
    int64_t n = x.numel();
    std::vector<int64_t> points;
    if (n <= opts.max_points) {
      for (int64_t i = 0; i < n; ++i) points.push_back(i);
    } else {
      for (int i = 0; i < opts.max_points; ++i) points.push_back(int64_t(rng.below(uint32_t(n))));
    }
    NoGrad no_grad;
    double l0 = loss_of(f(inputs));
    for (int64_t i : points) {
      float saved = x.data()[i];
      x.data()[i] = float(saved + opts.h);
      double lp = loss_of(f(inputs));
      x.data()[i] = float(saved - opts.h);
      double lm = loss_of(f(inputs));
      x.data()[i] = saved;
      double numeric = (lp - lm) / (2 * opts.h);
      if (opts.kinks && std::fabs(lp - 2 * l0 + lm) > 0.1 * opts.h * (1 + std::fabs(numeric))) {
        ++skipped;
        continue;
      }
      double err = std::fabs(double(analytic[size_t(i)]) - numeric);
      INFO(what << ": input " << k << " element " << i << " analytic " << analytic[size_t(i)]
                << " numeric " << numeric);
      CHECK(err <= opts.atol + opts.rtol * std::fabs(numeric));
      ++checked;
    }
  }
  INFO(what << ": checked " << checked << " points, skipped " << skipped << " at kinks");
  CHECK(checked > 0);
  CHECK(skipped <= checked);  // the skip rule must not hide the whole check
}

}  // namespace ulr::test
