// scaled_dot_product_attention and multi_head_attention: against the double-precision
// references, finite differences, and torch.nn.MultiheadAttention (torch 1.13).
#include <doctest/doctest.h>

#include <cmath>

#include "engine/error.h"
#include "gradcheck.h"
#include "ops/reference.h"

using namespace ulr;

// sin(a*i + b) * k for the flat index i, in float as torch computes it.
static Tensor sine_tensor(const Shape& s, double a, double b, float k = 1.0f) {
  std::vector<float> v(size_t(s.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(std::sin(a * double(i) + b)) * k;
  return Tensor::from_vector(s, v);
}

TEST_CASE("scaled_dot_product_attention matches reference") {
  Rng rng(1);
  struct Case {
    Shape q, k, v;
  };
  for (Case c : std::vector<Case>{{{2, 3, 5, 4}, {2, 3, 5, 4}, {2, 3, 5, 4}},
                                  {{1, 2, 3, 8}, {1, 2, 6, 8}, {1, 2, 6, 5}},
                                  {{2, 4, 64, 16}, {2, 4, 64, 16}, {2, 4, 64, 16}}}) {
    Tensor q = test::random_tensor(c.q, rng, -2, 2), k = test::random_tensor(c.k, rng, -2, 2),
           v = test::random_tensor(c.v, rng);
    Tensor got = scaled_dot_product_attention(q, k, v), want = Tensor::empty(got.shape());
    ref::scaled_dot_product_attention(want, q, k, v);
    test::check_close(got, want, 1e-5, 1e-5, "attention " + c.q.str() + c.k.str() + c.v.str());
  }
  Tensor a = Tensor::zeros({1, 2, 3, 4});
  CHECK_THROWS_WITH_AS(scaled_dot_product_attention(a, Tensor::zeros({1, 2, 3, 5}), a),
                       "scaled_dot_product_attention: q [1,2,3,4], k [1,2,3,5], v [1,2,3,4]: need "
                       "q (B,H,Tq,D), k (B,H,Tk,D), v (B,H,Tk,Dv)",
                       Error);
  CHECK_THROWS_AS(scaled_dot_product_attention(a, a, Tensor::zeros({1, 2, 4, 4})), Error);
  CHECK_THROWS_AS(scaled_dot_product_attention(Tensor::zeros({2, 3, 4}), a, a), Error);
}

TEST_CASE("scaled_dot_product_attention gradients match finite differences") {
  Rng rng(2);
  Tensor q = test::random_tensor({2, 2, 4, 3}, rng, -2, 2).set_requires_grad(true);
  Tensor k = test::random_tensor({2, 2, 5, 3}, rng, -2, 2).set_requires_grad(true);
  Tensor v = test::random_tensor({2, 2, 5, 2}, rng).set_requires_grad(true);
  test::GradCheckOptions opts;
  opts.h = 5e-3;
  test::check_gradients([](auto& in) { return scaled_dot_product_attention(in[0], in[1], in[2]); },
                        {q, k, v}, rng, opts, "attention");
}

TEST_CASE("multi_head_attention matches reference") {
  Rng rng(3);
  const int64_t B = 2, T = 9, C = 12;
  for (int heads : {1, 3, 4}) {
    Tensor x = test::random_tensor({B, T, C}, rng);
    Tensor wi = test::random_tensor({3 * C, C}, rng, -0.5f, 0.5f), bi = test::random_tensor({3 * C}, rng);
    Tensor wo = test::random_tensor({C, C}, rng, -0.5f, 0.5f), bo = test::random_tensor({C}, rng);
    Tensor want = Tensor::empty(x.shape());
    ref::multi_head_attention(want, x, wi, bi, wo, bo, heads);
    test::check_close(multi_head_attention(x, wi, bi, wo, bo, heads), want, 1e-4, 1e-5,
                      "mha heads=" + std::to_string(heads));
  }
  Tensor x = Tensor::zeros({1, 2, 6});
  CHECK_THROWS_AS(multi_head_attention(x, Tensor::zeros({18, 6}), Tensor::zeros({18}),
                                       Tensor::zeros({6, 6}), Tensor::zeros({6}), 4),
                  Error);
  CHECK_THROWS_AS(multi_head_attention(x, Tensor::zeros({12, 6}), Tensor::zeros({18}),
                                       Tensor::zeros({6, 6}), Tensor::zeros({6}), 2),
                  Error);
}

TEST_CASE("multi_head_attention matches torch.nn.MultiheadAttention") {
  // nn.MultiheadAttention(4, 2, batch_first=True) with in_proj_weight = 0.5 sin(0.7 i + 0.1),
  // in_proj_bias = 0.1 sin(1.3 i + 0.2), out_proj.weight = 0.5 sin(0.9 i + 0.3),
  // out_proj.bias = 0.1 sin(1.1 i + 0.4), x = sin(0.37 i + 0.5) (2,3,4); y = m(x,x,x)[0];
  // gradients of sum(y * sin(0.53 i + 0.6)).
  const int64_t B = 2, T = 3, C = 4;
  Tensor wi = sine_tensor({3 * C, C}, 0.7, 0.1, 0.5f).set_requires_grad(true);
  Tensor bi = sine_tensor({3 * C}, 1.3, 0.2, 0.1f).set_requires_grad(true);
  Tensor wo = sine_tensor({C, C}, 0.9, 0.3, 0.5f).set_requires_grad(true);
  Tensor bo = sine_tensor({C}, 1.1, 0.4, 0.1f).set_requires_grad(true);
  Tensor x = sine_tensor({B, T, C}, 0.37, 0.5).set_requires_grad(true);
  Tensor y = multi_head_attention(x, wi, bi, wo, bo, 2);
  const double rtol = 1e-4, atol = 1e-6;
  test::check_close(
      y,
      Tensor::from_vector({B, T, C},
                          {0.17832676, -0.0053272396, 0.10062213, -0.035918295, -0.02118253,
                           0.23643616, -0.13347535, 0.14217606, -0.029253203, 0.2985746,
                           -0.23685105, 0.26544365, 0.13893025, 0.18186425, -0.19571249,
                           0.30837128, 0.081535183, 0.10115292, 0.0064397417, 0.026519224,
                           -0.060051385, 0.24901411, -0.11716527, 0.10034567}),
      rtol, atol, "mha out");
  backward(y, sine_tensor({B, T, C}, 0.53, 0.6));
  test::check_close(
      x.grad(),
      Tensor::from_vector({B, T, C},
                          {-0.058994822, -0.03446196, 0.0062789116, 0.044066709, -0.062254153,
                           -0.024672111, 0.024513613, 0.062170196, 0.10033487, 0.055671751,
                           -0.015174668, -0.078884199, -0.097196333, -0.12535009, -0.094549738,
                           -0.019281162, 0.0055783596, 0.046833958, 0.066062815, 0.054221299,
                           0.092883259, 0.085845336, 0.038433, -0.027054975}),
      rtol, atol, "mha dx");
  test::check_close(
      wi.grad(),
      Tensor::from_vector(
          {3 * C, C},
          {0.057433784,  0.055329107,  0.045735896,   0.029952545,  -0.078066349, -0.053800993,
           -0.022253934, 0.012305096,  -0.035306461,  -0.0067527294, 0.022714965, 0.049108282,
           0.021253742,  -0.013132848, -0.045741968,  -0.072160125, -0.034978215, 0.018804628,
           0.070042357,  0.11180019,   0.00872037,    -0.038316511, -0.080167443, -0.11116806,
           -0.02456376,  -0.044544015, -0.058495443,  -0.064529799, 0.037035313,  0.041369502,
           0.040104523,  0.033411589,  -0.14998727,   -0.1306777,   -0.093681544, -0.044006016,
           -0.067656815, -0.067149684, -0.05755417,   -0.040168956, -0.1172242,   -0.15522246,
           -0.17221208,  -0.16589361,  0.030063365,   -0.0042372271, -0.037964322, -0.066553116}),
      rtol, atol, "mha d in_proj_weight");
}

TEST_CASE("multi_head_attention gradients reach x and all four parameters") {
  Rng rng(4);
  const int64_t B = 2, T = 3, C = 4;
  Tensor x = test::random_tensor({B, T, C}, rng).set_requires_grad(true);
  Tensor wi = test::random_tensor({3 * C, C}, rng).set_requires_grad(true);
  Tensor bi = test::random_tensor({3 * C}, rng).set_requires_grad(true);
  Tensor wo = test::random_tensor({C, C}, rng).set_requires_grad(true);
  Tensor bo = test::random_tensor({C}, rng).set_requires_grad(true);
  test::GradCheckOptions opts;
  opts.h = 5e-3;
  test::check_gradients(
      [](auto& in) { return multi_head_attention(in[0], in[1], in[2], in[3], in[4], 2); },
      {x, wi, bi, wo, bo}, rng, opts, "mha");
}
