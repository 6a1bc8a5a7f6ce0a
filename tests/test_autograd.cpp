// Tape, allocator and tensor basics.
#include <doctest/doctest.h>

#include "engine/parallel.h"
#include "gradcheck.h"
#include "ops/reference.h"

using namespace ulr;

TEST_CASE("shared subexpressions accumulate gradients") {
  // y = (a*b + a) * a  => dy/da = 2ab + 2a... evaluated elementwise: y = a^2 b + a^2
  Tensor a = Tensor::from_vector({3}, {1, 2, 3}).set_requires_grad(true);
  Tensor b = Tensor::from_vector({3}, {4, 5, 6}).set_requires_grad(true);
  Tensor y = sum(mul(add(mul(a, b), a), a));
  CHECK(y.item() == doctest::Approx(1 * 4 + 1 + 4 * 5 + 4 + 9 * 6 + 9));
  backward(y);
  std::vector<float> da = a.grad().to_vector(), db = b.grad().to_vector();
  for (int i = 0; i < 3; ++i) {
    float av = float(i + 1), bv = float(i + 4);
    CHECK(da[size_t(i)] == doctest::Approx(2 * av * bv + 2 * av));
    CHECK(db[size_t(i)] == doctest::Approx(av * av));
  }
  // Gradients accumulate across backward calls until zeroed.
  backward(sum(a));
  CHECK(a.grad().to_vector()[0] == doctest::Approx(2 * 1 * 4 + 2 + 1));
  a.zero_grad();
  CHECK(a.grad().to_vector()[0] == 0.0f);
}

TEST_CASE("NoGrad and detach record nothing") {
  Tensor a = Tensor::full({2}, 1.0f).set_requires_grad(true);
  {
    NoGrad ng;
    Tensor y = mul(a, a);
    CHECK_FALSE(y.requires_grad());
    CHECK(y.node() == nullptr);
  }
  Tensor d = a.detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.data() == a.data());
  Tensor y = mul(a, d);
  backward(sum(y));
  CHECK(a.grad().to_vector()[0] == doctest::Approx(1.0f));  // d is a constant
}

TEST_CASE("view shares the data under another shape, without history") {
  Tensor a = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6}).set_requires_grad(true);
  Tensor h = scale(a, 2.0f);
  Tensor v = h.view({3, 2});
  CHECK(v.shape() == Shape({3, 2}));
  CHECK(v.data() == h.data());
  v.data()[5] = 7.0f;  // writes are seen through both
  CHECK(h.data()[5] == 7.0f);
  CHECK_FALSE(v.requires_grad());
  CHECK(v.node() == nullptr);
  CHECK_FALSE(v.has_grad());
  CHECK(h.node() != nullptr);  // the viewed tensor keeps its own history
  CHECK(test::error_of([&] { h.view({4, 2}); }) ==
        "view: shape [4,2] has 8 elements, the tensor [2,3] has 6");
  CHECK(test::error_of([&] { h.view({-2, -3}); }) == "tensor shape [-2,-3] has a negative dimension");
  // reshape is the view that gradients cross.
  Tensor r = reshape(h, {3, 2});
  CHECK(r.data() == h.data());
  backward(sum(r));
  CHECK(a.grad().to_vector() == std::vector<float>(6, 2.0f));
}

TEST_CASE("graph is released after backward") {
  Tensor a = Tensor::full({4}, 2.0f).set_requires_grad(true);
  Tensor h = scale(a, 3.0f);
  Tensor y = sum(h);
  backward(y);
  CHECK(y.node() == nullptr);
  CHECK(h.node() == nullptr);
  CHECK_FALSE(h.has_grad());  // intermediate gradients are not kept
  CHECK(a.has_grad());
}

TEST_CASE("deep chains do not overflow the stack") {
  Tensor a = Tensor::full({1}, 1.0f).set_requires_grad(true);
  Tensor x = a;
  for (int i = 0; i < 100000; ++i) x = add_scalar(x, 0.0f);
  backward(x);
  CHECK(a.grad().item() == 1.0f);
}

TEST_CASE("allocator reuses freed blocks") {
  allocator_release_cache();
  { Tensor t = Tensor::empty({1000}); }
  AllocatorStats s0 = allocator_stats();
  for (int i = 0; i < 10; ++i) {
    Tensor t = Tensor::empty({1000});
    CHECK(reinterpret_cast<uintptr_t>(t.data()) % 64 == 0);
  }
  AllocatorStats s1 = allocator_stats();
  CHECK(s1.system_allocs == s0.system_allocs);
  CHECK(s1.allocs == s0.allocs + 10);
}

TEST_CASE("rng is deterministic and restorable") {
  Rng r1(42), r2(42);
  for (int i = 0; i < 10; ++i) CHECK(r1.next_u32() == r2.next_u32());
  Rng::State st = r1.state();
  float a = r1.normal();
  r1.set_state(st);
  CHECK(r1.normal() == a);
  Rng r3(43);
  CHECK(r3.next_u32() != r2.next_u32());
  // Mean and variance of normals are about right.
  double s = 0, s2 = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    double v = r2.normal();
    s += v, s2 += v * v;
  }
  CHECK(std::fabs(s / n) < 0.03);
  CHECK(std::fabs(s2 / n - 1.0) < 0.05);
}

TEST_CASE("elementwise forward matches reference, with broadcasting") {
  Rng rng(1);
  std::vector<std::pair<Shape, Shape>> cases = {
      {{2, 3, 4, 5}, {2, 3, 4, 5}}, {{2, 3, 4, 5}, {3, 1, 1}}, {{4, 1}, {1, 5}}, {{7}, {1}},
      {{100003}, {100003}}};
  for (auto& [sa, sb] : cases) {
    Tensor a = test::random_tensor(sa, rng), b = test::random_tensor(sb, rng);
    Tensor got = add(a, b), want = Tensor::empty(got.shape());
    ref::arith(want, a, b, Arith::Add);
    test::check_close(got, want, 0, 0, "add " + sa.str() + sb.str());
    ref::arith(want, a, b, Arith::Sub);
    test::check_close(sub(a, b), want, 0, 0, "sub");
    ref::arith(want, a, b, Arith::Mul);
    test::check_close(mul(a, b), want, 0, 0, "mul");
  }
  Tensor x23 = Tensor::zeros({2, 3}), x4 = Tensor::zeros({4});
  CHECK_THROWS_WITH(add(x23, x4), "add: shapes [2,3] and [4] do not broadcast");
}

TEST_CASE("elementwise gradients match finite differences") {
  Rng rng(2);
  Tensor a = test::random_tensor({2, 3, 4}, rng).set_requires_grad(true);
  Tensor b = test::random_tensor({3, 1}, rng).set_requires_grad(true);
  test::check_gradients([](auto& in) { return add(in[0], in[1]); }, {a, b}, rng, {}, "add");
  test::check_gradients([](auto& in) { return sub(in[0], in[1]); }, {a, b}, rng, {}, "sub");
  test::check_gradients([](auto& in) { return mul(in[0], in[1]); }, {a, b}, rng, {}, "mul");
  test::check_gradients([](auto& in) { return scale(in[0], -1.5f); }, {a}, rng, {}, "scale");
  test::check_gradients([](auto& in) { return add_scalar(in[0], 2.0f); }, {a}, rng, {}, "add_scalar");
  test::check_gradients([](auto& in) { return mean(mul(in[0], in[0])); }, {a}, rng, {}, "mean");
}

TEST_CASE("sum is identical for 1 and 2 threads") {
  Rng rng(3);
  Tensor a = test::random_tensor({300001}, rng);
  float s1, s2;
  {
    ThreadScope t(1);
    s1 = sum(a).item();
  }
  {
    ThreadScope t(2);
    s2 = sum(a).item();
  }
  CHECK(s1 == s2);
}
