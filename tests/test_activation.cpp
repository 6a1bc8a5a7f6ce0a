// Activations, dropout, softmax and log_softmax: forward against the scalar references,
// backward against finite differences, and a few values worked out by hand or with PyTorch.
#include <doctest/doctest.h>

#include <cmath>

#include "engine/error.h"
#include "engine/parallel.h"
#include "gradcheck.h"
#include "ops/reference.h"

using namespace ulr;

// Odd sizes exercise the scalar tails; 40000 spans several thread chunks.
static const std::vector<Shape> kShapes = {{1}, {7}, {3, 5, 2}, {2, 3, 4, 5}, {40000}};

TEST_CASE("activations match the scalar reference") {
  Rng rng(11);
  for (const Shape& s : kShapes) {
    Tensor x = test::random_tensor(s, rng, -6.0f, 6.0f);
    // rtol 1e-5, atol 1e-6: float kernels (xsimd erf/exp/tanh) against double references.
    Tensor want = Tensor::empty(s);
    ref::relu(want, x);
    test::check_close(relu(x), want, 0, 0, "relu " + s.str());
    ref::leaky_relu(want, x, 0.2f);
    test::check_close(leaky_relu(x, 0.2f), want, 1e-6, 0, "leaky_relu");
    ref::gelu(want, x);
    test::check_close(gelu(x), want, 1e-5, 1e-6, "gelu " + s.str());
    ref::sigmoid(want, x);
    test::check_close(sigmoid(x), want, 1e-5, 1e-6, "sigmoid " + s.str());
    ref::tanh(want, x);
    test::check_close(ulr::tanh(x), want, 1e-5, 1e-6, "tanh " + s.str());
    ref::clamp(want, x, -1.5f, 0.5f);
    test::check_close(clamp(x, -1.5f, 0.5f), want, 0, 0, "clamp");
  }
}

TEST_CASE("activation values by hand and from PyTorch") {
  Tensor x = Tensor::from_vector({4}, {1.0f, -0.5f, 2.0f, 0.0f});
  std::vector<float> g = gelu(x).to_vector();
  CHECK(g[0] == doctest::Approx(0.8413447141647339).epsilon(1e-6));   // torch gelu(1)
  CHECK(g[1] == doctest::Approx(-0.1542687863111496).epsilon(1e-6));  // torch gelu(-0.5)
  CHECK(g[2] == doctest::Approx(1.9544999599456787).epsilon(1e-6));   // torch gelu(2)
  CHECK(g[3] == 0.0f);
  CHECK(sigmoid(x).to_vector()[3] == 0.5f);
  CHECK(ulr::tanh(x).to_vector()[0] == doctest::Approx(std::tanh(1.0)).epsilon(1e-6));
  CHECK(leaky_relu(x, 0.1f).to_vector()[1] == doctest::Approx(-0.05f));
  // Extremes saturate without NaN.
  Tensor big = Tensor::from_vector({2}, {-200.0f, 200.0f});
  CHECK(sigmoid(big).to_vector() == std::vector<float>{0.0f, 1.0f});
  CHECK(ulr::tanh(big).to_vector() == std::vector<float>{-1.0f, 1.0f});
}

TEST_CASE("activation gradients match finite differences") {
  Rng rng(12);
  Tensor x = test::random_tensor({3, 4, 5}, rng, -2.0f, 2.0f).set_requires_grad(true);
  test::GradCheckOptions kinked;
  kinked.kinks = true;
  test::check_gradients([](auto& in) { return relu(in[0]); }, {x}, rng, kinked, "relu");
  test::check_gradients([](auto& in) { return leaky_relu(in[0], 0.1f); }, {x}, rng, kinked, "leaky_relu");
  test::check_gradients([](auto& in) { return clamp(in[0], -0.7f, 0.9f); }, {x}, rng, kinked, "clamp");
  test::check_gradients([](auto& in) { return gelu(in[0]); }, {x}, rng, {}, "gelu");
  test::check_gradients([](auto& in) { return sigmoid(in[0]); }, {x}, rng, {}, "sigmoid");
  test::check_gradients([](auto& in) { return ulr::tanh(in[0]); }, {x}, rng, {}, "tanh");
  // SIMD body and scalar tail of the backward kernels on a larger input.
  Tensor y = test::random_tensor({1003}, rng, -3.0f, 3.0f).set_requires_grad(true);
  test::check_gradients([](auto& in) { return gelu(in[0]); }, {y}, rng, {}, "gelu 1003");
}

TEST_CASE("clamp gradient is 1 on the closed interval, 0 outside; relu gradient is 0 at 0") {
  Tensor x = Tensor::from_vector({5}, {-1.0f, 1.0f, 0.0f, -1.5f, 1.5f}).set_requires_grad(true);
  backward(sum(clamp(x, -1.0f, 1.0f)));
  CHECK(x.grad().to_vector() == std::vector<float>{1, 1, 1, 0, 0});
  x.zero_grad();
  backward(sum(relu(x)));
  CHECK(x.grad().to_vector() == std::vector<float>{0, 1, 0, 0, 1});
  CHECK_THROWS_AS(clamp(x, 1.0f, -1.0f), Error);
}

TEST_CASE("dropout: inverted scaling, deterministic mask, same mask in backward") {
  Rng rng(13);
  Tensor x = test::random_tensor({20000}, rng, 0.5f, 1.5f).set_requires_grad(true);
  Rng r1(7), r2(7);
  Tensor y1 = dropout(x, 0.3f, true, r1), y2 = dropout(x, 0.3f, true, r2);
  CHECK(y1.to_vector() == y2.to_vector());
  int64_t kept = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    float y = y1.data()[i];
    if (y != 0.0f) {
      ++kept;
      CHECK(y == doctest::Approx(x.data()[i] / 0.7f));
    }
  }
  CHECK(double(kept) / double(x.numel()) == doctest::Approx(0.7).epsilon(0.03));
  backward(sum(y1));
  std::vector<float> dx = x.grad().to_vector();
  for (int64_t i = 0; i < x.numel(); ++i)
    CHECK((y1.data()[i] == 0.0f ? dx[size_t(i)] == 0.0f : dx[size_t(i)] == doctest::Approx(1 / 0.7f)));
  // The mask does not depend on the thread count.
  Tensor y3;
  {
    ThreadScope t(1);
    Rng r3(7);
    y3 = dropout(x, 0.3f, true, r3);
  }
  CHECK(y3.to_vector() == y1.to_vector());
  // Eval and p = 0 are the identity; p = 1 drops everything.
  CHECK(dropout(x, 0.3f, false, rng).to_vector() == x.to_vector());
  CHECK(dropout(x, 0.0f, true, rng).to_vector() == x.to_vector());
  CHECK(sum(dropout(x, 1.0f, true, rng)).item() == 0.0f);
  CHECK_THROWS_AS(dropout(x, 1.5f, true, rng), Error);
}

TEST_CASE("softmax and log_softmax match the reference along every dim") {
  Rng rng(14);
  struct Case {
    Shape s;
    int dim;
  };
  std::vector<Case> cases = {{{7}, 0},           {{4, 9}, -1},       {{4, 9}, 0},  {{2, 5, 6, 7}, 1},
                             {{2, 19, 16, 17}, 1}, {{3, 4, 5}, -1},  {{3, 4, 5}, 1}, {{2, 3, 300}, 1},
                             {{1, 3, 2000}, -1}, {{2, 2, 600}, -2}};
  for (auto& c : cases) {
    Tensor x = test::random_tensor(c.s, rng, -8.0f, 8.0f);
    std::string what = c.s.str() + " dim " + std::to_string(c.dim);
    // rtol 1e-5 atol 1e-7 on probabilities; atol 2e-6 on log-probabilities of size ~10.
    Tensor want = Tensor::empty(c.s);
    ref::softmax(want, x, c.dim);
    test::check_close(softmax(x, c.dim), want, 1e-5, 1e-7, "softmax " + what);
    ref::log_softmax(want, x, c.dim);
    test::check_close(log_softmax(x, c.dim), want, 1e-6, 2e-6, "log_softmax " + what);
  }
}

TEST_CASE("softmax values by hand, and stability for large inputs") {
  Tensor x = Tensor::from_vector({2}, {0.0f, std::log(2.0f)});
  std::vector<float> p = softmax(x, 0).to_vector(), lp = log_softmax(x, -1).to_vector();
  CHECK(p[0] == doctest::Approx(1.0 / 3).epsilon(1e-6));
  CHECK(p[1] == doctest::Approx(2.0 / 3).epsilon(1e-6));
  CHECK(lp[0] == doctest::Approx(std::log(1.0 / 3)).epsilon(1e-6));
  CHECK(lp[1] == doctest::Approx(std::log(2.0 / 3)).epsilon(1e-6));
  Tensor big = Tensor::from_vector({1, 2, 1, 1}, {1000.0f, 1000.0f});
  CHECK(softmax(big, 1).to_vector() == std::vector<float>{0.5f, 0.5f});
  CHECK(log_softmax(Tensor::from_vector({2}, {-1000.0f, 0.0f}), 0).to_vector()[0] == doctest::Approx(-1000.0f));
  CHECK_THROWS_WITH(softmax(x, 1), "softmax: dim 1 is out of range for shape [2]");
}

TEST_CASE("softmax and log_softmax gradients match finite differences") {
  Rng rng(15);
  test::GradCheckOptions opts;
  opts.h = 1e-2;
  for (auto [shape, dim] : std::vector<std::pair<Shape, int>>{{{3, 11}, -1}, {{2, 4, 3, 5}, 1}, {{2, 3, 20}, 1}, {{5, 3}, 0}}) {
    Tensor x = test::random_tensor(shape, rng, -2.0f, 2.0f).set_requires_grad(true);
    int d = dim;
    test::check_gradients([d](auto& in) { return softmax(in[0], d); }, {x}, rng, opts, "softmax " + shape.str());
    test::check_gradients([d](auto& in) { return log_softmax(in[0], d); }, {x}, rng, opts,
                          "log_softmax " + shape.str());
  }
}
