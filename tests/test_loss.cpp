// Losses and the vector ops of the feature loss: forward against the double references and
// hand-computed values, gradients against finite differences, PyTorch's conventions at the
// edges (ignored pixels, l1 at 0, clamped norms), and thread-count independence.
#include <doctest/doctest.h>

#include <cmath>

#include "engine/error.h"
#include "engine/parallel.h"
#include "gradcheck.h"
#include "ops/reference.h"

using namespace ulr;

static Labels random_labels(const Shape& s, int classes, double ignore_fraction, Rng& rng) {
  Labels t(s);
  for (auto& y : t.data) y = rng.uniform() < ignore_fraction ? 255 : uint8_t(rng.below(uint32_t(classes)));
  return t;
}

TEST_CASE("cross_entropy matches the reference") {
  Rng rng(31);
  struct Case {
    Shape logits;
    Shape target;
  };
  for (auto c : std::vector<Case>{{{2, 5, 7, 9}, {2, 7, 9}}, {{6, 4}, {6}}, {{3, 19, 16, 16}, {3, 16, 16}},
                                  {{1, 2, 1, 300}, {1, 1, 300}}}) {
    const int k = int(c.logits[1]);
    Tensor x = test::random_tensor(c.logits, rng, -5.0f, 5.0f);
    Labels t = random_labels(c.target, k, 0.2, rng);
    Tensor w = test::random_tensor({k}, rng, 0.2f, 2.0f);
    // rtol 1e-5: float logsumexp per pixel, sums in double.
    Tensor want = Tensor::empty({1});
    ref::cross_entropy(want, x, t, Tensor(), 255);
    test::check_close(cross_entropy(x, t, Tensor()), want, 1e-5, 1e-6, "cross_entropy " + c.logits.str());
    ref::cross_entropy(want, x, t, w, 255);
    test::check_close(cross_entropy(x, t, w), want, 1e-5, 1e-6, "cross_entropy weighted " + c.logits.str());
  }
}

TEST_CASE("cross_entropy by hand: class weights and an ignored pixel") {
  // (1,3,2,2) logits; pixel (0,1) is ignored.
  Tensor x = Tensor::from_vector({1, 3, 2, 2}, {1, 2, 0.5f, -1, /**/ 0, 1, 2, 0, /**/ -1, 0.5f, 1, 3});
  Labels t({1, 2, 2});
  t.data = {0, 255, 2, 1};
  Tensor w = Tensor::from_vector({3}, {1.0f, 2.0f, 0.5f});
  auto lse = [](double a, double b, double c) { return std::log(std::exp(a) + std::exp(b) + std::exp(c)); };
  const double nll00 = lse(1, 0, -1) - 1, nll10 = lse(0.5, 2, 1) - 1, nll11 = lse(-1, 0, 3) - 0;
  const double weighted = (1.0 * nll00 + 0.5 * nll10 + 2.0 * nll11) / (1.0 + 0.5 + 2.0);
  const double plain = (nll00 + nll10 + nll11) / 3.0;
  CHECK(cross_entropy(x, t, w).item() == doctest::Approx(weighted).epsilon(1e-6));
  CHECK(cross_entropy(x, t, w).item() == doctest::Approx(2.0775880813598633).epsilon(1e-6));  // torch 1.13
  CHECK(cross_entropy(x, t, Tensor()).item() == doctest::Approx(plain).epsilon(1e-6));
  // Gradient at the ignored pixel is 0; at a kept pixel w[y]/sum_w * (softmax - onehot).
  Tensor xg = x.clone().set_requires_grad(true);
  backward(cross_entropy(xg, t, w));
  std::vector<float> g = xg.grad().to_vector();
  for (int k = 0; k < 3; ++k) CHECK(g[size_t(k * 4 + 1)] == 0.0f);
  const double z = std::exp(1.0) + 1 + std::exp(-1.0);
  CHECK(g[0] == doctest::Approx(1.0 / 3.5 * (std::exp(1.0) / z - 1)).epsilon(1e-5));
  CHECK(g[4] == doctest::Approx(1.0 / 3.5 * (1.0 / z)).epsilon(1e-5));
}

TEST_CASE("cross_entropy: every pixel ignored gives 0 and gradient 0; bad labels and shapes throw") {
  Rng rng(32);
  Tensor x = test::random_tensor({2, 3, 4, 4}, rng).set_requires_grad(true);
  Labels all_ignored({2, 4, 4}, 255);
  Tensor loss = cross_entropy(x, all_ignored, Tensor());
  CHECK(loss.item() == 0.0f);
  backward(loss);
  for (float v : x.grad().to_vector()) CHECK(v == 0.0f);
  Labels bad({2, 4, 4}, 1);
  bad.data[5] = 3;
  CHECK_THROWS_WITH(cross_entropy(x, bad, Tensor()),
                    "cross_entropy: label 3 at index 5 is not a class of 3 and not ignore_index 255");
  CHECK_THROWS_WITH(cross_entropy(x, Labels({2, 4, 5}), Tensor()),
                    doctest::Contains("cross_entropy: logits [2,3,4,4] and target [2,4,5] do not match"));
  CHECK_THROWS_WITH(cross_entropy(x, Labels({2, 4, 4}), Tensor::zeros({4})),
                    doctest::Contains("cross_entropy: class_weights [4]"));
  // A different ignore_index: label 255 is then out of range.
  CHECK_THROWS_AS(cross_entropy(x, all_ignored, Tensor(), 0), Error);
}

TEST_CASE("cross_entropy gradients match finite differences") {
  Rng rng(33);
  Tensor x = test::random_tensor({2, 4, 3, 5}, rng, -2.0f, 2.0f).set_requires_grad(true);
  Labels t = random_labels({2, 3, 5}, 4, 0.25, rng);
  Tensor w = test::random_tensor({4}, rng, 0.2f, 2.0f);
  test::check_gradients([&](auto& in) { return cross_entropy(in[0], t, w); }, {x}, rng, {}, "cross_entropy 4d");
  Tensor x2 = test::random_tensor({7, 5}, rng, -2.0f, 2.0f).set_requires_grad(true);
  Labels t2 = random_labels({7}, 5, 0.2, rng);
  test::check_gradients([&](auto& in) { return cross_entropy(in[0], t2, Tensor()); }, {x2}, rng, {},
                        "cross_entropy 2d");
}

TEST_CASE("cross_entropy is bit-identical for 1 and 2 threads") {
  Rng rng(34);
  Tensor x = test::random_tensor({4, 19, 64, 64}, rng, -4.0f, 4.0f).set_requires_grad(true);
  Labels t = random_labels({4, 64, 64}, 19, 0.1, rng);
  Tensor w = test::random_tensor({19}, rng, 0.2f, 2.0f);
  float l1, l2;
  std::vector<float> g1, g2;
  {
    ThreadScope s(1);
    x.zero_grad();
    Tensor l = cross_entropy(x, t, w);
    l1 = l.item();
    backward(l);
    g1 = x.grad().to_vector();
  }
  {
    ThreadScope s(2);
    x.zero_grad();
    Tensor l = cross_entropy(x, t, w);
    l2 = l.item();
    backward(l);
    g2 = x.grad().to_vector();
  }
  CHECK(l1 == l2);
  CHECK(g1 == g2);
}

TEST_CASE("mse, l1 and bce_with_logits match the reference and hand values") {
  Rng rng(35);
  for (Shape s : std::vector<Shape>{{5}, {2, 3, 4, 5}, {70001}}) {
    Tensor p = test::random_tensor(s, rng, -3.0f, 3.0f), t = test::random_tensor(s, rng, -3.0f, 3.0f);
    Tensor prob = test::random_tensor(s, rng, 0.0f, 1.0f);
    Tensor want = Tensor::empty({1});
    ref::mse_loss(want, p, t);
    test::check_close(mse_loss(p, t), want, 1e-6, 0, "mse " + s.str());
    ref::l1_loss(want, p, t);
    test::check_close(l1_loss(p, t), want, 1e-6, 0, "l1 " + s.str());
    ref::bce_with_logits(want, p, prob);
    test::check_close(bce_with_logits(p, prob), want, 1e-6, 0, "bce " + s.str());
  }
  Tensor p = Tensor::from_vector({3}, {1, -2, 0.5f}), t = Tensor::from_vector({3}, {0, 1, 0.5f});
  CHECK(mse_loss(p, t).item() == doctest::Approx((1 + 9 + 0) / 3.0));
  CHECK(l1_loss(p, t).item() == doctest::Approx((1 + 3 + 0) / 3.0));
  // Stable at large logits: bce(100, 1) ~ 0, bce(-100, 1) = 100, bce(100, 0) = 100.
  Tensor big = Tensor::from_vector({3}, {100, -100, 100}), tb = Tensor::from_vector({3}, {1, 1, 0});
  CHECK(bce_with_logits(big, tb).item() == doctest::Approx(200.0 / 3));
  CHECK(bce_with_logits(Tensor::zeros({1}), Tensor::zeros({1})).item() == doctest::Approx(std::log(2.0)));
  CHECK_THROWS_WITH(mse_loss(Tensor::zeros({2}), Tensor::zeros({3})), "mse_loss: shapes [2] and [3] differ");
}

TEST_CASE("pointwise loss gradients, including l1 at 0") {
  Rng rng(36);
  Tensor p = test::random_tensor({3, 7}, rng, -2.0f, 2.0f).set_requires_grad(true);
  Tensor t = test::random_tensor({3, 7}, rng, -2.0f, 2.0f).set_requires_grad(true);
  Tensor prob = test::random_tensor({3, 7}, rng, 0.0f, 1.0f).set_requires_grad(true);
  test::GradCheckOptions kinked;
  kinked.kinks = true;
  test::check_gradients([](auto& in) { return mse_loss(in[0], in[1]); }, {p, t}, rng, {}, "mse");
  // l1: |p - t| kept >= 0.05 so that no difference quotient straddles the kink (the loss is
  // scaled by 1/n, which makes the generic second-difference rule too lax here).
  Tensor q = p.clone().set_requires_grad(true);
  for (int64_t i = 0; i < q.numel(); ++i)
    q.data()[i] = t.data()[i] + (rng.uniform() < 0.5f ? -1.0f : 1.0f) * rng.uniform(0.05f, 1.0f);
  test::check_gradients([](auto& in) { return l1_loss(in[0], in[1]); }, {q, t}, rng, kinked, "l1");
  test::check_gradients([](auto& in) { return bce_with_logits(in[0], in[1]); }, {p, prob}, rng, {}, "bce");
  Tensor a = Tensor::from_vector({2}, {1.0f, 2.0f}).set_requires_grad(true);
  backward(l1_loss(a, Tensor::from_vector({2}, {1.0f, 3.0f})));
  CHECK(a.grad().to_vector() == std::vector<float>{0.0f, -0.5f});
}

TEST_CASE("l2_normalize and cosine_similarity match the reference") {
  Rng rng(37);
  for (auto [s, dim] : std::vector<std::pair<Shape, int>>{{{4, 9}, 1}, {{2, 5, 3, 3}, 1}, {{3, 4, 5}, -1}, {{6}, 0}}) {
    Tensor a = test::random_tensor(s, rng), b = test::random_tensor(s, rng);
    Tensor normalized = Tensor::empty(s);
    ref::l2_normalize(normalized, a, dim, 1e-12f);
    test::check_close(l2_normalize(a, dim), normalized, 1e-6, 1e-7, "l2_normalize " + s.str());
    Tensor cos = cosine_similarity(a, b, dim), want = Tensor::empty(cos.shape());
    ref::cosine_similarity(want, a, b, dim, 1e-8f);
    test::check_close(cos, want, 1e-5, 1e-6, "cosine_similarity " + s.str());
  }
  CHECK(cosine_similarity(Tensor::zeros({2, 3, 4}), Tensor::zeros({2, 3, 4}), 1).shape() == Shape({2, 4}));
  Tensor v = Tensor::from_vector({2}, {3, 4});
  CHECK(l2_normalize(v, 0).to_vector() == std::vector<float>{0.6f, 0.8f});
  CHECK_THROWS_AS(cosine_similarity(Tensor::zeros({2, 3}), Tensor::zeros({3, 2}), 1), Error);
}

TEST_CASE("cosine_similarity and l2_normalize follow PyTorch at tiny norms") {
  // F.cosine_similarity(a, b, dim=1) in torch 1.13: each squared norm is clamped at eps^2 and
  // the clamped value enters the gradient formula; constants from torch (float32).
  Tensor a = Tensor::from_vector({2, 3}, {1e-9f, 2e-9f, 0, 1, 2, 3}).set_requires_grad(true);
  Tensor b = Tensor::from_vector({2, 3}, {3, 1, 1, 1e-9f, -3e-9f, 0}).set_requires_grad(true);
  Tensor c = cosine_similarity(a, b, 1);
  test::check_close(c.to_vector(), {0.15075567364692688f, -0.13363061845302582f}, 1e-5, 0, "cos vs torch");
  backward(sum(c));
  test::check_close(a.grad().to_vector(),
                    {88945840.0f, 27136020.0f, 30151134.0f, 0.03627116605639458f, -0.061088286340236664f,
                     0.02863512933254242f},
                    1e-4, 0, "dcos/da vs torch");
  test::check_close(b.grad().to_vector(),
                    {-0.01096404530107975f, 0.046597208827733994f, -0.013705059885978699f, 28062430.0f,
                     49443328.0f, 80178368.0f},
                    1e-4, 0, "dcos/db vs torch");
  // F.normalize: below eps the norm is the constant eps, so dx = dy / eps.
  Tensor x = Tensor::from_vector({2}, {1e-13f, 2e-13f}).set_requires_grad(true);
  Tensor y = l2_normalize(x, 0);
  test::check_close(y.to_vector(), {0.1f, 0.2f}, 1e-6, 0, "normalize tiny");
  backward(y, Tensor::from_vector({2}, {1, 3}));
  test::check_close(x.grad().to_vector(), {1e12f, 3e12f}, 1e-6, 0, "normalize tiny grad");
}

TEST_CASE("vector op and feature loss gradients match finite differences") {
  Rng rng(38);
  Tensor a = test::random_tensor({3, 6}, rng).set_requires_grad(true);
  Tensor b = test::random_tensor({3, 6}, rng).set_requires_grad(true);
  test::GradCheckOptions opts;
  opts.h = 5e-3;
  test::check_gradients([](auto& in) { return l2_normalize(in[0], 1); }, {a}, rng, opts, "l2_normalize");
  test::check_gradients([](auto& in) { return cosine_similarity(in[0], in[1], 1); }, {a, b}, rng, opts, "cosine");
  Tensor x = test::random_tensor({2, 4, 3}, rng).set_requires_grad(true), y = test::random_tensor({2, 4, 3}, rng);
  test::check_gradients([y](auto& in) { return cosine_similarity(in[0], y, 1); }, {x}, rng, opts, "cosine dim 1 of 3");
  test::GradCheckOptions kinked = opts;
  kinked.kinks = true;
  test::check_gradients([](auto& in) { return feature_loss(in[0], in[1]); }, {a, b}, rng, kinked, "feature_loss");
}

TEST_CASE("feature_loss by its definition") {
  Rng rng(39);
  Tensor t = test::random_tensor({4, 8}, rng), p = test::random_tensor({4, 8}, rng);
  Tensor a = Tensor::empty({4, 8}), b = Tensor::empty({4, 8}), cos = Tensor::empty({4});
  ref::l2_normalize(a, t, 1, 1e-12f);
  ref::l2_normalize(b, p, 1, 1e-12f);
  ref::cosine_similarity(cos, a, b, 1, 1e-8f);
  double l1 = 0, one_minus_cos = 0;
  for (int64_t i = 0; i < a.numel(); ++i) l1 += std::fabs(double(a.data()[i]) - b.data()[i]);
  for (int64_t n = 0; n < 4; ++n) one_minus_cos += 1.0 - cos.data()[n];
  CHECK(feature_loss(t, p).item() == doctest::Approx(l1 / 32 + one_minus_cos / 4).epsilon(1e-5));
  CHECK(std::fabs(feature_loss(t, t).item()) < 1e-6);
  CHECK_THROWS_AS(feature_loss(t, Tensor::zeros({4, 7})), Error);
}
