// matmul, linear and spectral_norm: against the double-precision references, finite
// differences, thread-count independence, and values computed with torch 1.13.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "engine/error.h"
#include "engine/parallel.h"
#include "gradcheck.h"
#include "ops/reference.h"

using namespace ulr;

// k * sin(a*i + b) for the flat index i: the same formula generated the torch values below.
static Tensor sine_tensor(const Shape& s, double a, double b) {
  std::vector<float> v(size_t(s.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(std::sin(a * double(i) + b));
  return Tensor::from_vector(s, v);
}

static bool bit_identical(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST_CASE("matmul forward and backward match reference") {
  Rng rng(1);
  std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 4}, {4, 5}},         {{2, 3, 4}, {2, 4, 5}},   {{2, 2, 5, 3}, {2, 2, 3, 6}},
      {{4, 7, 6}, {6, 3}},      {{300, 70}, {70, 90}},    {{6, 100, 20}, {20, 30}},
      {{3, 90, 40}, {3, 40, 50}}, {{1, 600, 16}, {1, 16, 8}}, {{2, 3, 0}, {2, 0, 4}}};
  for (auto& [sa, sb] : cases) {
    std::string what = sa.str() + " @ " + sb.str();
    Tensor a = test::random_tensor(sa, rng).set_requires_grad(true);
    Tensor b = test::random_tensor(sb, rng).set_requires_grad(true);
    Tensor out = matmul(a, b);
    Tensor want = Tensor::empty(out.shape());
    ref::matmul(want, a, b);
    test::check_close(out, want, 1e-4, 1e-4, "matmul " + what);
    Tensor dout = test::random_tensor(out.shape(), rng);
    backward(out, dout);
    Tensor da = Tensor::zeros(sa), db = Tensor::zeros(sb);
    ref::matmul_backward(da, db, dout, a, b);
    test::check_close(a.grad(), da, 1e-4, 1e-4, "matmul da " + what);
    test::check_close(b.grad(), db, 1e-4, 1e-4, "matmul db " + what);
  }
}

TEST_CASE("matmul and linear reject bad shapes") {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4, 5});
  CHECK_THROWS_WITH_AS(matmul(a, b), "matmul: a [2,3] and b [4,5]: inner dimensions differ", Error);
  CHECK_THROWS_WITH_AS(matmul(Tensor::zeros({2, 3, 4}), Tensor::zeros({3, 4, 5})),
                       "matmul: a [2,3,4] and b [3,4,5]: batch dimensions must match, or b must be rank 2",
                       Error);
  CHECK_THROWS_AS(matmul(Tensor::zeros({3, 4}), Tensor::zeros({2, 4, 5})), Error);
  CHECK_THROWS_AS(matmul(Tensor::zeros({4}), Tensor::zeros({4, 5})), Error);
  CHECK_THROWS_WITH_AS(linear(Tensor::zeros({2, 3}), Tensor::zeros({5, 4}), Tensor()),
                       "linear: x [2,3], weight [5,4], bias none: need x (..., IN), weight (OUT, IN), bias (OUT)",
                       Error);
  CHECK_THROWS_AS(linear(Tensor::zeros({2, 4}), Tensor::zeros({5, 4}), Tensor::zeros({4})), Error);
}

TEST_CASE("matmul gradients match finite differences") {
  Rng rng(2);
  Tensor a = test::random_tensor({2, 3, 4}, rng).set_requires_grad(true);
  Tensor b = test::random_tensor({2, 4, 5}, rng).set_requires_grad(true);
  Tensor s = test::random_tensor({4, 2}, rng).set_requires_grad(true);
  test::check_gradients([](auto& in) { return matmul(in[0], in[1]); }, {a, b}, rng, {}, "batched");
  test::check_gradients([](auto& in) { return matmul(in[0], in[1]); }, {a, s}, rng, {}, "shared b");
  Tensor m = test::random_tensor({5, 3}, rng).set_requires_grad(true);
  Tensor n = test::random_tensor({3, 6}, rng);  // constant operand
  test::check_gradients([](auto& in) { return matmul(in[0], in[1]); }, {m, n}, rng, {}, "rank 2");
}

TEST_CASE("linear forward and backward match reference") {
  Rng rng(3);
  struct Case {
    Shape x;
    int64_t out;
    bool bias;
  };
  for (Case c : std::vector<Case>{{{5, 3}, 4, true}, {{2, 7, 6}, 5, false}, {{1000, 48}, 40, true},
                                  {{2, 3, 4, 8}, 3, true}}) {
    std::string what = c.x.str() + " -> " + std::to_string(c.out);
    Tensor x = test::random_tensor(c.x, rng).set_requires_grad(true);
    Tensor w = test::random_tensor({c.out, c.x[-1]}, rng).set_requires_grad(true);
    Tensor b = c.bias ? test::random_tensor({c.out}, rng).set_requires_grad(true) : Tensor();
    Tensor y = linear(x, w, b);
    Tensor want = Tensor::empty(y.shape());
    ref::linear(want, x, w, b);
    test::check_close(y, want, 1e-4, 1e-4, "linear " + what);
    Tensor dy = test::random_tensor(y.shape(), rng);
    backward(y, dy);
    Tensor dx = Tensor::zeros(x.shape()), dw = Tensor::zeros(w.shape());
    Tensor db = c.bias ? Tensor::zeros({c.out}) : Tensor();
    ref::linear_backward(dx, dw, db, dy, x, w);
    test::check_close(x.grad(), dx, 1e-4, 1e-4, "linear dx " + what);
    test::check_close(w.grad(), dw, 1e-4, 1e-4, "linear dweight " + what);
    if (c.bias) test::check_close(b.grad(), db, 1e-4, 1e-4, "linear dbias " + what);
  }
}

TEST_CASE("linear gradients match finite differences") {
  Rng rng(4);
  Tensor x = test::random_tensor({2, 3, 4}, rng).set_requires_grad(true);
  Tensor w = test::random_tensor({5, 4}, rng).set_requires_grad(true);
  Tensor b = test::random_tensor({5}, rng).set_requires_grad(true);
  test::check_gradients([](auto& in) { return linear(in[0], in[1], in[2]); }, {x, w, b}, rng, {},
                        "linear");
  test::check_gradients([](auto& in) { return linear(in[0], in[1], Tensor()); }, {x, w}, rng, {},
                        "linear without bias");
}

TEST_CASE("matmul and linear are bit-identical for 1 and 2 threads") {
  Rng rng(5);
  Tensor x = test::random_tensor({4, 500, 64}, rng).set_requires_grad(true);
  Tensor w = test::random_tensor({48, 64}, rng).set_requires_grad(true);
  Tensor b = test::random_tensor({48}, rng).set_requires_grad(true);
  Tensor m = test::random_tensor({64, 40}, rng).set_requires_grad(true);
  Tensor dy = test::random_tensor({4, 500, 48}, rng), dz = test::random_tensor({4, 500, 40}, rng);
  std::vector<float> results[2][6];
  for (int threads : {1, 2}) {
    ThreadScope scope(threads);
    for (const Tensor& t : {x, w, b, m}) t.zero_grad();
    Tensor y = linear(x, w, b);
    backward(y, dy);
    Tensor z = matmul(x, m);  // b shared across the batch: db sums over 2000 rows
    backward(z, dz);
    auto& r = results[threads - 1];
    r[0] = y.to_vector(), r[1] = z.to_vector(), r[2] = x.grad().to_vector();
    r[3] = w.grad().to_vector(), r[4] = b.grad().to_vector(), r[5] = m.grad().to_vector();
  }
  const char* names[6] = {"linear out", "matmul out", "dx", "dweight", "dbias", "dm"};
  for (int i = 0; i < 6; ++i) {
    INFO(names[i]);
    CHECK(bit_identical(results[0][i], results[1][i]));
  }
}

// ---- spectral_norm --------------------------------------------------------------------------

static Tensor normalized(Tensor t) {
  double s = 0;
  for (int64_t i = 0; i < t.numel(); ++i) s += double(t.data()[i]) * t.data()[i];
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = float(t.data()[i] / std::sqrt(s));
  return t;
}

TEST_CASE("spectral_norm matches torch: two training calls, backward, then eval") {
  // torch.nn.utils.spectral_norm(nn.Conv2d(2,3,2)) with weight_orig = sin(0.61 i + 0.7),
  // weight_u = normalize(sin(1.7 i + 0.3)), weight_v = normalize(sin(2.3 i + 0.9)).
  Tensor w = sine_tensor({3, 2, 2, 2}, 0.61, 0.7).set_requires_grad(true);
  Tensor u = normalized(sine_tensor({3}, 1.7, 0.3)), v = normalized(sine_tensor({8}, 2.3, 0.9));
  spectral_norm(w, u, v, true);
  Tensor out = spectral_norm(w, u, v, true);
  const double rtol = 1e-5, atol = 1e-6;
  Tensor want_out = Tensor::from_vector(
      {3, 2, 2, 2},
      {0.21769466, 0.32649416, 0.31752589, 0.1940248, 0.00053819077, -0.19314255, -0.31715599,
       -0.32677004, -0.21851681, -0.031443715, 0.16697127, 0.30515903, 0.33327475, 0.24117693,
       0.062085636, -0.13940018, -0.29060382, -0.33698547, -0.26181516, -0.092207074, 0.11066048,
       0.27361235, 0.33787116, 0.28025851});
  test::check_close(out, want_out, rtol, atol, "spectral_norm out");
  test::check_close(u, Tensor::from_vector({3}, {0.72326183, 0.14253615, -0.67570394}), rtol, atol, "u");
  test::check_close(v,
                    Tensor::from_vector({8}, {0.23060891, 0.42563048, 0.46712539, 0.3401264,
                                              0.090442404, -0.19186451, -0.4049651, -0.47199321}),
                    rtol, atol, "v");
  backward(out, sine_tensor({3, 2, 2, 2}, 0.29, 0.8));
  test::check_close(
      w.grad(),
      Tensor::from_vector({3, 2, 2, 2},
                          {0.1914131, 0.20548642, 0.22848938, 0.26104438, 0.29264808, 0.30535591,
                           0.28080195, 0.20797411, -0.0027540568, -0.10816462, -0.19940038,
                           -0.26834086, -0.3107627, -0.32613954, -0.31659749, -0.28550774,
                           -0.20470437, -0.08960937, 0.0085944161, 0.079329528, 0.12396155,
                           0.1530619, 0.18036725, 0.21580093}),
      rtol, atol, "spectral_norm dweight");
  Tensor u_before = u.clone();
  test::check_close(spectral_norm(w, u, v, false), want_out, rtol, atol, "eval out");
  test::check_close(u, u_before, 0, 0, "eval leaves u unchanged");
}

TEST_CASE("spectral_norm matches reference and its sigma converges to the top singular value") {
  // W = H1 D H2 with Householder reflections H1 (4x4), H2 (6x6): singular values 4, 2.5, 1, 0.5.
  auto householder = [](int n, double seed) {
    std::vector<double> h(static_cast<size_t>(n * n)), r(static_cast<size_t>(n));
    double nn = 0;
    for (int i = 0; i < n; ++i) r[size_t(i)] = std::sin(seed * (i + 1)), nn += r[size_t(i)] * r[size_t(i)];
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) h[size_t(i * n + j)] = (i == j) - 2 * r[size_t(i)] * r[size_t(j)] / nn;
    return h;
  };
  std::vector<double> h1 = householder(4, 1.3), h2 = householder(6, 0.7), d = {4, 2.5, 1, 0.5};
  std::vector<float> wv(24);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 6; ++j) {
      double s = 0;
      for (int k = 0; k < 4; ++k) s += h1[size_t(i * 4 + k)] * d[size_t(k)] * h2[size_t(k * 6 + j)];
      wv[size_t(i * 6 + j)] = float(s);
    }
  Tensor w = Tensor::from_vector({4, 2, 3}, wv);
  Rng rng(6);
  Tensor u = normalized(test::random_tensor({4}, rng)), v = normalized(test::random_tensor({6}, rng));
  Tensor ur = u.clone(), vr = v.clone();
  Tensor want = Tensor::empty(w.shape());
  ref::spectral_norm(want, w, ur, vr, true, 1e-12f);
  test::check_close(spectral_norm(w, u, v, true), want, 1e-5, 1e-6, "spectral_norm vs reference");
  test::check_close(u, ur, 1e-5, 1e-6, "u vs reference");
  test::check_close(v, vr, 1e-5, 1e-6, "v vs reference");
  Tensor out;
  for (int i = 0; i < 60; ++i) out = spectral_norm(w, u, v, true);
  double sigma = double(w.data()[0]) / out.data()[0];
  CHECK(sigma == doctest::Approx(4.0).epsilon(1e-5));
  CHECK_THROWS_WITH_AS(spectral_norm(w, Tensor::zeros({3}), v, true),
                       "spectral_norm: weight [4,2,3], u [3], v [6]: need u with size(0) = OUT "
                       "elements and v with numel/OUT elements",
                       Error);
}

TEST_CASE("spectral_norm gradient: finite differences in eval, same rule in training") {
  Rng rng(7);
  Tensor w = test::random_tensor({3, 5}, rng).set_requires_grad(true);
  Tensor u = normalized(test::random_tensor({3}, rng)), v = normalized(test::random_tensor({5}, rng));
  // Eval mode keeps u, v fixed, so sigma = u.Wv is a function of W alone and differences apply.
  test::check_gradients([u, v](auto& in) { return spectral_norm(in[0], u, v, false); }, {w}, rng,
                        {1e-2, 2e-2, 2e-3, false, 48}, "spectral_norm");
  // In training the gradient uses the updated u, v as constants: equal to eval with those.
  Tensor seed = test::random_tensor({3, 5}, rng);
  w.zero_grad();
  backward(spectral_norm(w, u, v, true), seed);
  std::vector<float> g_train = w.grad().to_vector();
  w.zero_grad();
  backward(spectral_norm(w, u, v, false), seed);
  test::check_close(g_train, w.grad().to_vector(), 1e-6, 1e-7, "training vs eval gradient");
}
