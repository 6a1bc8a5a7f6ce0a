// Optimizers against torch 1.13: three steps on a fixed quadratic, with the parameter values
// torch.optim printed (script in the comment below), plus gradient clipping, thread
// independence, per-parameter learning-rate scales and Adam's saved state.
//
//   p0 = [0.5, -1.25, 2.0, 0.0, -0.3]; a = [1, 2, 0.5, 3, 1.5]; b = [0.1, -0.2, 0.3, 0.05, 0]
//   p = torch.tensor(p0, requires_grad=True); opt = torch.optim.<...>([p], ...)
//   for _ in range(3):
//       opt.zero_grad(); (0.5 * a * p * p + b * p).sum().backward(); opt.step()
//   print(p.tolist())
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include "engine/parallel.h"
#include "train/optim.h"

using namespace ulr;

namespace {

const std::vector<float> kStart = {0.5f, -1.25f, 2.0f, 0.0f, -0.3f};
const std::vector<float> kA = {1.0f, 2.0f, 0.5f, 3.0f, 1.5f};
const std::vector<float> kB = {0.1f, -0.2f, 0.3f, 0.05f, 0.0f};

// Gradient of sum(0.5 a p^2 + b p), rounded as torch's autograd does: x = (0.5 a) p reaches
// p twice, then b is added: (x + x) + b, which is 2x + b rounded once.
void set_quadratic_grad(const Tensor& p) {
  float* g = p.grad_data();
  for (size_t i = 0; i < kA.size(); ++i) {
    float x = (0.5f * kA[i]) * p.data()[i];
    g[i] = std::fma(x, 2.0f, kB[i]);
  }
}

std::vector<float> run(const std::function<void(const Tensor&)>& make_and_step_3) {
  Tensor p = Tensor::from_vector({5}, kStart).set_requires_grad(true);
  make_and_step_3(p);
  return p.to_vector();
}

template <class Opt>
void three_steps(Opt& opt, const Tensor& p) {
  for (int s = 0; s < 3; ++s) {
    opt.zero_grad();
    set_quadratic_grad(p);
    opt.step();
  }
}

void check_relative(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << " want " << want[i]);
    CHECK(std::fabs(double(got[i]) - double(want[i])) <= 1e-6 * std::fabs(double(want[i])) + 1e-9);
  }
}

}  // namespace

TEST_CASE("Adam matches torch.optim.Adam") {
  check_relative(run([](const Tensor& p) {
                   AdamOptions o;
                   o.lr = 0.1f;
                   Adam opt({{"p", p}}, o);
                   three_steps(opt, p);
                   CHECK(opt.steps() == 3);
                 }),
                 {0.203541607f, -0.95103991f, 1.70045209f, 0.0214465633f, -0.0132889822f});
  // Adam(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1): L2 added to the gradient.
  check_relative(run([](const Tensor& p) {
                   AdamOptions o;
                   o.lr = 0.05f, o.beta1 = 0.8f, o.beta2 = 0.99f, o.eps = 1e-6f;
                   o.weight_decay = 0.1f;
                   Adam opt({{"p", p}}, o);
                   three_steps(opt, p);
                 }),
                 {0.351071715f, -1.10040569f, 1.85020685f, -0.002175387f, -0.152712554f});
}

TEST_CASE("AdamW matches torch.optim.AdamW") {
  check_relative(run([](const Tensor& p) {
                   AdamOptions o;
                   o.lr = 0.1f, o.weight_decay = 0.01f;
                   Adam opt = AdamW({{"p", p}}, o);
                   three_steps(opt, p);
                 }),
                 {0.202370137f, -0.947610497f, 1.69476867f, 0.0215327293f, -0.0127623603f});
  check_relative(run([](const Tensor& p) {
                   AdamOptions o;
                   o.lr = 0.05f, o.beta1 = 0.8f, o.beta2 = 0.99f, o.eps = 1e-6f;
                   o.weight_decay = 0.5f;
                   Adam opt = AdamW({{"p", p}}, o);
                   three_steps(opt, p);
                 }),
                 {0.318524659f, -1.01298726f, 1.70785213f, -0.00230824202f, -0.13507247f});
}

TEST_CASE("SGD matches torch.optim.SGD") {
  auto sgd = [](SgdOptions o) {
    return run([o](const Tensor& p) {
      Sgd opt({{"p", p}}, o);
      three_steps(opt, p);
    });
  };
  SgdOptions plain;
  plain.lr = 0.1f;
  check_relative(sgd(plain), {0.337400019f, -0.591199994f, 1.62917507f, -0.010950001f,
                              -0.184237495f});
  SgdOptions momentum;
  momentum.lr = 0.1f, momentum.momentum = 0.9f;
  check_relative(sgd(momentum), {0.191600025f, 0.0163000543f, 1.30157506f, -0.0212999992f,
                                 -0.0789374933f});
  SgdOptions damped;
  damped.lr = 0.05f, damped.momentum = 0.8f, damped.dampening = 0.3f, damped.weight_decay = 0.2f;
  check_relative(sgd(damped), {0.352259248f, -0.648962677f, 1.63490367f, -0.00982736051f,
                               -0.194233909f});
  SgdOptions nesterov;
  nesterov.lr = 0.1f, nesterov.momentum = 0.9f, nesterov.nesterov = true;
  nesterov.weight_decay = 0.01f;
  check_relative(sgd(nesterov), {0.0937872306f, 0.250175983f, 1.02880573f, -0.0224206205f,
                                 -0.023430638f});
}

TEST_CASE("optimizers skip parameters without a gradient") {
  Tensor with = Tensor::from_vector({2}, {1.0f, 2.0f}).set_requires_grad(true);
  Tensor without = Tensor::from_vector({2}, {3.0f, 4.0f}).set_requires_grad(true);
  with.grad_data()[0] = 1.0f;
  Adam adam({{"with", with}, {"without", without}}, AdamOptions{});
  adam.step();
  CHECK(without.to_vector() == std::vector<float>{3.0f, 4.0f});
  CHECK_FALSE(without.has_grad());
  // First Adam step moves each coordinate with a nonzero gradient by about lr.
  CHECK(with.to_vector()[0] == doctest::Approx(1.0f - 1e-3f).epsilon(1e-5));
  CHECK(with.to_vector()[1] == 2.0f);
  SgdOptions o;
  o.momentum = 0.9f;
  Sgd sgd({{"with", with}, {"without", without}}, o);
  sgd.step();
  CHECK(sgd.momentum_buffers()[0].defined());
  CHECK_FALSE(sgd.momentum_buffers()[1].defined());
}

TEST_CASE("clip_grad_norm matches torch.nn.utils.clip_grad_norm_") {
  // torch: grads [3,4] and [[1,-2],[2,0.5]], max_norm 2 -> total norm 5.85234976, and the
  // gradients scaled by 2 / (5.85234976 + 1e-6).
  Tensor a = Tensor::zeros({2}).set_requires_grad(true);
  Tensor b = Tensor::zeros({2, 2}).set_requires_grad(true);
  Tensor none = Tensor::zeros({3}).set_requires_grad(true);
  const float ga[] = {3.0f, 4.0f}, gb[] = {1.0f, -2.0f, 2.0f, 0.5f};
  std::memcpy(a.grad_data(), ga, sizeof ga);
  std::memcpy(b.grad_data(), gb, sizeof gb);
  float norm = clip_grad_norm({{"a", a}, {"none", none}, {"b", b}}, 2.0f);
  CHECK(norm == doctest::Approx(5.85234976).epsilon(1e-7));
  check_relative(a.grad().to_vector(), {1.0252290964126587f, 1.3669720888137817f});
  check_relative(b.grad().to_vector(), {0.34174302220344543f, -0.6834860444068909f,
                                        0.6834860444068909f, 0.17087151110172272f});
  CHECK_FALSE(none.has_grad());
  // Below the limit nothing changes.
  std::vector<float> before = b.grad().to_vector();
  float small = clip_grad_norm({{"a", a}, {"b", b}}, 100.0f);
  CHECK(small == doctest::Approx(2.0).epsilon(1e-6));
  CHECK(b.grad().to_vector() == before);
}

TEST_CASE("optimizer steps are bit-identical for 1 and 2 threads") {
  // Large enough to span many parallel chunks, with a ragged tail.
  const int64_t n = 300007;
  auto simulate = [&](int threads) {
    ThreadScope scope(threads);
    Rng rng(42);
    Tensor p = Tensor::randn({n}, rng).set_requires_grad(true);
    Tensor q = Tensor::randn({7, 13}, rng).set_requires_grad(true);
    AdamOptions ao;
    ao.weight_decay = 0.05f;
    Adam adam = AdamW({{"p", p}, {"q", q}}, ao);
    SgdOptions so;
    so.momentum = 0.9f, so.nesterov = true, so.weight_decay = 1e-4f;
    Sgd sgd({{"p", p}, {"q", q}}, so);
    std::vector<float> norms;
    for (int s = 0; s < 3; ++s) {
      for (const Tensor& t : {p, q}) {
        float* g = t.grad_data();
        for (int64_t i = 0; i < t.numel(); ++i) g[i] = std::sin(float(i) * 0.37f + float(s)) * 3.0f;
      }
      norms.push_back(clip_grad_norm({{"p", p}, {"q", q}}, 10.0f));
      adam.step();
      sgd.step();
    }
    std::vector<float> out = p.to_vector();
    std::vector<float> qv = q.to_vector();
    out.insert(out.end(), qv.begin(), qv.end());
    out.insert(out.end(), norms.begin(), norms.end());
    return out;
  };
  std::vector<float> one = simulate(1), two = simulate(2);
  REQUIRE(one.size() == two.size());
  CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
}

TEST_CASE("Adam: a parameter that joins later gets its own bias correction, as in torch") {
  // p2 has no gradient at the first step; at the second its update must be a first step:
  // m_hat = g, v_hat = g^2, so delta = -lr * g / (|g| + eps).
  Tensor p1 = Tensor::from_vector({1}, {1.0f}).set_requires_grad(true);
  Tensor p2 = Tensor::from_vector({1}, {2.0f}).set_requires_grad(true);
  AdamOptions o;
  o.lr = 0.1f;
  Adam adam({{"p1", p1}, {"p2", p2}}, o);
  p1.grad_data()[0] = 0.5f;
  adam.step();
  CHECK(p2.data()[0] == 2.0f);
  p1.grad_data()[0] = 0.5f;
  p2.grad_data()[0] = 0.25f;
  adam.step();
  CHECK(p2.data()[0] == doctest::Approx(2.0 - 0.1 * 0.25 / (0.25 + 1e-8)).epsilon(1e-6));
  CHECK(adam.param_steps(0) == 2);
  CHECK(adam.param_steps(1) == 1);
}

TEST_CASE("Adam saves and loads its own state by parameter name, and continues bit-exactly") {
  auto make = [](uint64_t seed) {
    Rng rng(seed);
    return std::vector<NamedParameter>{{"w", Tensor::randn({3, 4}, rng).set_requires_grad(true)},
                                       {"b", Tensor::randn({4}, rng).set_requires_grad(true), 0.5f}};
  };
  auto gradients = [](const std::vector<NamedParameter>& params, int step) {
    for (const NamedParameter& p : params) {
      float* g = p.tensor.grad_data();
      for (int64_t i = 0; i < p.tensor.numel(); ++i) g[i] = std::cos(float(i) + 0.7f * float(step));
    }
  };
  AdamOptions o;
  o.lr = 0.05f, o.weight_decay = 0.1f;
  std::vector<NamedParameter> a = make(3);
  Adam first = AdamW(a, o);
  for (int s = 0; s < 2; ++s) {
    gradients(a, s);
    first.step();
  }
  SafetensorsWriter w;
  first.save_state(w, "opt.x");
  const SafetensorsFile file = SafetensorsFile::parse(w.serialize(), "state.safetensors");
  CHECK(file.contains("opt.x.exp_avg.w"));
  CHECK(file.contains("opt.x.exp_avg_sq.b"));
  CHECK(file.metadata().at("opt.x.steps") == "2");

  // Another optimizer over copies of the parameters, given the state, takes the same third step.
  std::vector<NamedParameter> b = make(3);
  for (size_t i = 0; i < a.size(); ++i) b[i].tensor.copy_from(a[i].tensor);
  Adam second = AdamW(b, o);
  second.load_state(file, "opt.x");
  CHECK(second.steps() == 2);
  CHECK(second.param_steps(1) == 2);
  gradients(a, 2);
  gradients(b, 2);
  first.step();
  second.step();
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i].tensor.to_vector() == b[i].tensor.to_vector());

  // State that does not fit is refused by name, and the state stays as it was.
  std::vector<NamedParameter> renamed = make(3);
  renamed[1].name = "bias";
  Adam other = AdamW(renamed, o);
  CHECK_THROWS_WITH(other.load_state(file, "opt.x"),
                    doctest::Contains("state.safetensors: tensor \"opt.x.exp_avg.bias\""));
  CHECK(other.steps() == 0);
  CHECK(other.param_steps(0) == 0);
  Adam fewer = AdamW({make(3)[0]}, o);
  CHECK_THROWS_WITH(fewer.load_state(file, "opt.x"),
                    doctest::Contains("opt.x.param_steps holds 2 step counts, the optimizer has 1"));
  CHECK_THROWS_WITH(fewer.load_state(file, "opt.y"),
                    doctest::Contains("state.safetensors: lacks the optimizer step count opt.y.steps"));
}

TEST_CASE("a parameter's lr_scale scales its learning rate; set_lr_scale reaches it by name prefix") {
  // Adam's first step moves a coordinate by about lr * lr_scale; SGD's by exactly lr * lr_scale * g.
  Tensor g = Tensor::from_vector({1}, {1.0f}).set_requires_grad(true);
  Tensor s = Tensor::from_vector({1}, {1.0f}).set_requires_grad(true);
  AdamOptions o;
  o.lr = 0.1f;
  Adam adam({{"g.weight", g}, {"s.weight", s}}, o);
  CHECK(adam.set_lr_scale("g.", 0.25f) == 1);
  g.grad_data()[0] = s.grad_data()[0] = 1.0f;
  adam.step();
  CHECK(1.0f - g.data()[0] == doctest::Approx(0.025).epsilon(1e-6));
  CHECK(1.0f - s.data()[0] == doctest::Approx(0.1).epsilon(1e-6));
  SgdOptions so;
  so.lr = 0.5f;
  Tensor p = Tensor::from_vector({1}, {1.0f}).set_requires_grad(true);
  Sgd sgd({{"p", p, 0.5f}}, so);
  p.grad_data()[0] = 1.0f;
  sgd.step();
  CHECK(p.data()[0] == 0.75f);
}
