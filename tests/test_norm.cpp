// group_norm, layer_norm and batch_norm: forward against the double references, gradients
// against finite differences, the running-statistics update against PyTorch, and results that
// do not depend on the thread count.
#include <doctest/doctest.h>

#include "engine/error.h"
#include "engine/parallel.h"
#include "gradcheck.h"
#include "ops/reference.h"

using namespace ulr;

// Forward tolerances: float kernels against double references on O(1) outputs.
constexpr double kRtol = 1e-5, kAtol = 2e-5;

TEST_CASE("group_norm matches the reference") {
  Rng rng(21);
  struct Case {
    Shape s;
    int groups;
  };
  for (auto c : std::vector<Case>{{{2, 6, 5, 3}, 3}, {{3, 4, 7}, 2}, {{1, 8, 16, 16}, 8}, {{2, 4}, 1}, {{4, 16, 9, 9}, 4}}) {
    Tensor x = test::random_tensor(c.s, rng, -2.0f, 3.0f);
    Tensor gamma = test::random_tensor({c.s[1]}, rng, 0.5f, 1.5f), beta = test::random_tensor({c.s[1]}, rng);
    Tensor want = Tensor::empty(c.s);
    ref::group_norm(want, x, c.groups, gamma, beta, 1e-5f);
    test::check_close(group_norm(x, c.groups, gamma, beta), want, kRtol, kAtol, "group_norm " + c.s.str());
    ref::group_norm(want, x, c.groups, Tensor(), Tensor(), 1e-5f);
    test::check_close(group_norm(x, c.groups, Tensor(), Tensor()), want, kRtol, kAtol, "group_norm no affine");
  }
  // A large common offset: the two-pass statistics keep the normalised values accurate.
  Tensor x = add_scalar(test::random_tensor({2, 4, 8, 8}, rng), 1000.0f);
  Tensor want = Tensor::empty(x.shape());
  ref::group_norm(want, x, 2, Tensor(), Tensor(), 1e-5f);
  test::check_close(group_norm(x, 2, Tensor(), Tensor()), want, 1e-3, 1e-3, "group_norm offset 1000");
  CHECK_THROWS_WITH(group_norm(Tensor::zeros({2, 6, 3, 3}), 4, Tensor(), Tensor()),
                    "group_norm: 4 groups do not divide the 6 channels of [2,6,3,3]");
  CHECK_THROWS_AS(group_norm(Tensor::zeros({2, 6, 3, 3}), 3, Tensor::zeros({5}), Tensor()), Error);
}

TEST_CASE("layer_norm matches the reference") {
  Rng rng(22);
  for (Shape s : std::vector<Shape>{{4, 7, 10}, {3, 33}, {5}, {2, 64, 48}}) {
    Tensor x = test::random_tensor(s, rng, -2.0f, 3.0f);
    Tensor gamma = test::random_tensor({s[-1]}, rng, 0.5f, 1.5f), beta = test::random_tensor({s[-1]}, rng);
    Tensor want = Tensor::empty(s);
    ref::layer_norm(want, x, gamma, beta, 1e-5f);
    test::check_close(layer_norm(x, gamma, beta), want, kRtol, kAtol, "layer_norm " + s.str());
    ref::layer_norm(want, x, Tensor(), Tensor(), 1e-5f);
    test::check_close(layer_norm(x, Tensor(), Tensor()), want, kRtol, kAtol, "layer_norm no affine " + s.str());
  }
  CHECK_THROWS_WITH(layer_norm(Tensor::zeros({2, 5}), Tensor::zeros({4}), Tensor()),
                    "layer_norm: gamma has shape [4], expected [5] for input [2,5]");
}

TEST_CASE("batch_norm matches the reference in training and eval") {
  Rng rng(23);
  for (Shape s : std::vector<Shape>{{4, 3, 5, 5}, {8, 6}, {2, 5, 7}, {16, 8, 16, 16}}) {
    Tensor x = test::random_tensor(s, rng, -2.0f, 3.0f);
    Tensor gamma = test::random_tensor({s[1]}, rng, 0.5f, 1.5f), beta = test::random_tensor({s[1]}, rng);
    Tensor rm = test::random_tensor({s[1]}, rng), rv = test::random_tensor({s[1]}, rng, 0.5f, 2.0f);
    Tensor rm_ref = rm.clone(), rv_ref = rv.clone();
    Tensor want = Tensor::empty(s);
    ref::batch_norm(want, x, gamma, beta, rm_ref, rv_ref, true, 0.1f, 1e-5f);
    test::check_close(batch_norm(x, gamma, beta, rm, rv, true, 0.1f), want, kRtol, kAtol,
                      "batch_norm train " + s.str());
    test::check_close(rm, rm_ref, 1e-6, 1e-7, "running_mean");
    test::check_close(rv, rv_ref, 1e-6, 1e-7, "running_var");
    ref::batch_norm(want, x, gamma, beta, rm, rv, false, 0.1f, 1e-5f);
    test::check_close(batch_norm(x, gamma, beta, rm, rv, false), want, kRtol, kAtol, "batch_norm eval " + s.str());
  }
  Tensor x1 = Tensor::zeros({1, 3});
  CHECK_THROWS_WITH(batch_norm(x1, Tensor(), Tensor(), Tensor(), Tensor(), true),
                    "batch_norm: training needs more than one value per channel, input [1,3]");
  CHECK_THROWS_AS(batch_norm(x1, Tensor(), Tensor(), Tensor(), Tensor(), false), Error);
}

TEST_CASE("batch_norm running statistics and output match PyTorch") {
  // x = arange(12).reshape(2,3,2) ** 1.5 / 3; F.batch_norm(x, rm, rv, gamma, beta, training=True,
  // momentum=0.1) with torch 1.13.
  std::vector<float> xs(12);
  for (int i = 0; i < 12; ++i) xs[size_t(i)] = float(std::pow(double(i), 1.5) / 3.0);
  Tensor x = Tensor::from_vector({2, 3, 2}, xs);
  Tensor rm = Tensor::from_vector({3}, {0.5f, -1.0f, 2.0f}), rv = Tensor::from_vector({3}, {1.0f, 2.0f, 0.5f});
  Tensor gamma = Tensor::from_vector({3}, {1.0f, 2.0f, -1.0f}), beta = Tensor::from_vector({3}, {0.0f, 0.5f, 1.0f});
  Tensor y = batch_norm(x, gamma, beta, rm, rv, true, 0.1f);
  test::check_close(rm.to_vector(), {0.7351433038711548f, -0.41956666111946106f, 2.527383327484131f}, 1e-6, 1e-6,
                    "running_mean vs torch");
  test::check_close(rv.to_vector(), {1.8899847269058228f, 3.4483771324157715f, 2.7288479804992676f}, 1e-6, 1e-6,
                    "running_var vs torch (unbiased)");
  test::check_close(y.to_vector(),
                    {-1.0464489459991455f, -0.9241187572479248f, -1.6964921951293945f, -1.2475597858428955f,
                     2.1144111156463623f, 1.857983946800232f, 0.751430094242096f, 1.2191375494003296f,
                     2.0574941635131836f, 2.8865573406219482f, 0.2097344994544983f, -0.1821293830871582f},
                    1e-5, 1e-5, "batch_norm output vs torch");
}

TEST_CASE("normalisation gradients match finite differences") {
  Rng rng(24);
  test::GradCheckOptions opts;
  opts.h = 5e-3;
  Tensor x = test::random_tensor({2, 6, 3, 2}, rng, -2.0f, 2.0f).set_requires_grad(true);
  Tensor gamma = test::random_tensor({6}, rng, 0.5f, 1.5f).set_requires_grad(true);
  Tensor beta = test::random_tensor({6}, rng).set_requires_grad(true);
  test::check_gradients([](auto& in) { return group_norm(in[0], 3, in[1], in[2]); }, {x, gamma, beta}, rng, opts,
                        "group_norm");
  test::check_gradients([](auto& in) { return group_norm(in[0], 2, Tensor(), Tensor()); }, {x}, rng, opts,
                        "group_norm no affine");
  Tensor rm = Tensor::zeros({6}), rv = Tensor::full({6}, 1.0f);
  test::check_gradients([rm, rv](auto& in) { return batch_norm(in[0], in[1], in[2], rm, rv, true); },
                        {x, gamma, beta}, rng, opts, "batch_norm train");
  Tensor rv_eval = test::random_tensor({6}, rng, 0.5f, 2.0f);
  test::check_gradients([rm, rv_eval](auto& in) { return batch_norm(in[0], in[1], in[2], rm, rv_eval, false); },
                        {x, gamma, beta}, rng, opts, "batch_norm eval");
  Tensor t = test::random_tensor({3, 4, 9}, rng, -2.0f, 2.0f).set_requires_grad(true);
  Tensor g9 = test::random_tensor({9}, rng, 0.5f, 1.5f).set_requires_grad(true);
  Tensor b9 = test::random_tensor({9}, rng).set_requires_grad(true);
  test::check_gradients([](auto& in) { return layer_norm(in[0], in[1], in[2]); }, {t, g9, b9}, rng, opts,
                        "layer_norm");
}

// Forward output and all three gradients of a normalisation op, for comparing thread counts.
template <class Op>
static std::vector<std::vector<float>> run_norm(Op op, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                                const Tensor& seed) {
  x.zero_grad(), gamma.zero_grad(), beta.zero_grad();
  Tensor y = op(x, gamma, beta);
  backward(y, seed);
  return {y.to_vector(), x.grad().to_vector(), gamma.grad().to_vector(), beta.grad().to_vector()};
}

TEST_CASE("normalisation results are bit-identical for 1 and 2 threads") {
  Rng rng(25);
  Tensor x = test::random_tensor({8, 32, 32, 32}, rng, -2.0f, 2.0f).set_requires_grad(true);
  Tensor gamma = test::random_tensor({32}, rng).set_requires_grad(true);
  Tensor beta = test::random_tensor({32}, rng).set_requires_grad(true);
  Tensor seed = test::random_tensor(x.shape(), rng);
  auto gn = [](const Tensor& x, const Tensor& g, const Tensor& b) { return group_norm(x, 8, g, b); };
  auto bn = [](const Tensor& x, const Tensor& g, const Tensor& b) {
    return batch_norm(x, g, b, Tensor(), Tensor(), true);
  };
  std::vector<std::vector<float>> gn1, gn2, bn1, bn2;
  {
    ThreadScope t(1);
    gn1 = run_norm(gn, x, gamma, beta, seed);
    bn1 = run_norm(bn, x, gamma, beta, seed);
  }
  {
    ThreadScope t(2);
    gn2 = run_norm(gn, x, gamma, beta, seed);
    bn2 = run_norm(bn, x, gamma, beta, seed);
  }
  for (size_t i = 0; i < gn1.size(); ++i) {
    CHECK(gn1[i] == gn2[i]);
    CHECK(bn1[i] == bn2[i]);
  }
  // layer_norm over 4096 rows: the dgamma/dbeta partials cross many chunks.
  Tensor xl = test::random_tensor({4096, 32}, rng).set_requires_grad(true);
  Tensor seed_l = test::random_tensor(xl.shape(), rng);
  auto ln2 = [](const Tensor& x, const Tensor& g, const Tensor& b) { return layer_norm(x, g, b); };
  std::vector<std::vector<float>> ln1, ln_2;
  {
    ThreadScope t(1);
    ln1 = run_norm(ln2, xl, gamma, beta, seed_l);
  }
  {
    ThreadScope t(2);
    ln_2 = run_norm(ln2, xl, gamma, beta, seed_l);
  }
  for (size_t i = 0; i < ln1.size(); ++i) CHECK(ln1[i] == ln_2[i]);
}

TEST_CASE("group_norm_relu is relu(group_norm) bit for bit, forward and backward") {
  struct Case {
    Shape shape;
    int groups;
    bool affine;
  };
  const Case cases[] = {{{2, 16, 9, 7}, 4, true}, {{3, 6, 5, 5}, 6, false}, {{4, 32, 16, 16}, 8, true}};
  for (const Case& c : cases)
    for (int threads : {1, 2}) {
      ThreadScope t(threads);
      Rng rng(31);
      Tensor x = test::random_tensor(c.shape, rng, -2.0f, 2.0f).set_requires_grad(true);
      Tensor gamma, beta;
      if (c.affine) {
        gamma = test::random_tensor({c.shape[1]}, rng).set_requires_grad(true);
        beta = test::random_tensor({c.shape[1]}, rng).set_requires_grad(true);
      }
      Tensor seed = test::random_tensor(x.shape(), rng);
      auto run = [&](bool fused) {
        x.zero_grad();
        if (c.affine) gamma.zero_grad(), beta.zero_grad();
        Tensor y = fused ? group_norm_relu(x, c.groups, gamma, beta) : relu(group_norm(x, c.groups, gamma, beta));
        backward(y, seed);
        std::vector<std::vector<float>> r{y.to_vector(), x.grad().to_vector()};
        if (c.affine) r.push_back(gamma.grad().to_vector()), r.push_back(beta.grad().to_vector());
        return r;
      };
      const auto fused = run(true), plain = run(false);
      REQUIRE(fused.size() == plain.size());
      for (size_t i = 0; i < fused.size(); ++i) CHECK(fused[i] == plain[i]);
      int zeros = 0;  // the mask is exercised: some outputs are clipped
      for (float v : fused[0]) zeros += v == 0.0f;
      CHECK(zeros > 0);
    }
}
