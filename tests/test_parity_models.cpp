// PyTorch parity of the networks: G, S and the SAD forward and backward, and one whole joint
// training step (D step, then G+S on the paper's loss with the AFE teacher), against
// fixtures/models.safetensors written by tools/reference/make_fixtures.py from
// tools/reference/ulrnet_torch.py. Fixture folder: $ULRSEG_FIXTURES (default tests/fixtures).
//
// Tolerances (float32, error relative to the reference's largest magnitude): outputs and loss
// terms 1e-4; gradients 1e-3; parameters after one Adam step 1e-3 (an Adam step divides by
// sqrt(v), which amplifies the last bits of tiny gradients).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>

#include "engine/json.h"
#include "engine/safetensors.h"
#include "models/ulrnet.h"
#include "train/trainer.h"

using namespace ulr;

namespace {

std::string fixture_path() {
  const char* env = std::getenv("ULRSEG_FIXTURES");
  return std::string(env && *env ? env : ULRSEG_SOURCE_DIR "/tests/fixtures") + "/models.safetensors";
}

void check_tensor(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  INFO(what << ": got " << got.shape().str() << ", want " << want.shape().str());
  REQUIRE(got.numel() == want.numel());
  double diff = 0, scale = 1e-3;
  for (int64_t i = 0; i < want.numel(); ++i) {
    double d = std::fabs(double(got.data()[i]) - double(want.data()[i]));
    if (!(d <= diff)) diff = d;
    scale = std::max(scale, std::fabs(double(want.data()[i])));
  }
  INFO(what << ": relative error " << diff / scale << " (tolerance " << tol << ")");
  CHECK(diff / scale <= tol);
}

void check_grads(const ParamStore& store, const SafetensorsFile& f, const std::string& tag) {
  int n = 0;
  for (const NamedTensor& p : store.all()) {
    if (!p.trainable) continue;
    REQUIRE_MESSAGE(p.tensor.has_grad(), tag << ": no gradient for " << p.name);
    check_tensor(p.tensor.grad(), f.tensor(tag + "/grad/" + p.name), 1e-3, tag + " grad " + p.name);
    ++n;
  }
  CHECK(n > 0);
}

struct Fixture {
  SafetensorsFile file = SafetensorsFile::read(fixture_path());
  ModelConfig cfg = ModelConfig::from_json(Json::parse(file.metadata().at("model"), "model"), "fixture");
};

}  // namespace

TEST_CASE("parity: G (SRNet) forward and backward") {
  Fixture fx;
  ULRNet net(Method::Joint, fx.cfg, 0);
  net.load_tensors(fx.file);
  Tensor sr = net.g().forward(fx.file.tensor("g/input"));
  check_tensor(sr, fx.file.tensor("g/out"), 1e-4, "G forward");
  backward(sr, fx.file.tensor("g/r"));
  check_grads(net.g().params(), fx.file, "g");
}

TEST_CASE("parity: S (SegNet) forward and backward") {
  Fixture fx;
  ULRNet net(Method::Hr, fx.cfg, 0);
  net.load_tensors(fx.file);
  Tensor logits = net.s().forward(fx.file.tensor("s/input")).logits;
  check_tensor(logits, fx.file.tensor("s/out"), 1e-4, "S forward");
  backward(logits, fx.file.tensor("s/r"));
  check_grads(net.s().params(), fx.file, "s");
}

TEST_CASE("parity: SAD forward (training: one power iteration) and backward") {
  Fixture fx;
  Rng rng(0);
  SegAwareDiscriminator d(fx.cfg, rng, "d");
  d.params().load_from(fx.file);
  Tensor out = d.forward(fx.file.tensor("d/image"), fx.file.tensor("d/probs"), true);
  check_tensor(out, fx.file.tensor("d/out"), 1e-4, "SAD forward");
  backward(out, fx.file.tensor("d/r"));
  check_grads(d.params(), fx.file, "d");
  for (const NamedTensor& p : d.params().all())
    if (!p.trainable) check_tensor(p.tensor, fx.file.tensor("d/after/" + p.name), 1e-4, "buffer " + p.name);
}

TEST_CASE("parity: one joint training step (SAD step, then G+S with MSE, AFE, adversarial and CE)") {
  Fixture fx;
  Json hp = Json::parse(fx.file.metadata().at("joint_step"), "joint_step");
  TrainConfig cfg;
  cfg.method = Method::Joint;
  cfg.model = fx.cfg;
  cfg.lr = float(hp.at("lr").as_number()), cfg.lr_d = float(hp.at("lr_d").as_number());
  cfg.lambda_mse = float(hp.at("lambda_mse").as_number()), cfg.lambda_fea = float(hp.at("lambda_fea").as_number());
  cfg.lambda_adv = float(hp.at("lambda_adv").as_number()), cfg.alpha = float(hp.at("alpha").as_number());
  cfg.clip_norm = float(hp.at("clip_norm").as_number());
  cfg.weight_decay = 0;
  auto teacher = std::make_unique<ULRNet>(Method::Hr, fx.cfg, 0);
  teacher->load_tensors(fx.file, "teacher/");
  TrainState state(cfg, std::move(teacher));
  state.net().load_tensors(fx.file);
  REQUIRE(state.discriminator() != nullptr);
  state.discriminator()->params().load_from(fx.file);
  state.set_learning_rates(cfg.lr, cfg.lr_d);
  Json terms = state.step(2, fx.file.tensor("joint/hr"), fx.file.tensor("joint/ulr"), fx.file.u8("joint/labels"), 0);
  for (const char* k : {"loss", "ce", "mse", "fea", "d", "adv"}) {
    INFO("term " << k);
    REQUIRE(terms.has(k));
    check_tensor(Tensor::full({1}, float(terms.at(k).as_number())), fx.file.tensor(std::string("joint/terms/") + k),
                 1e-4, std::string("loss term ") + k);
  }
  check_grads(state.net().g().params(), fx.file, "joint");
  check_grads(state.net().s().params(), fx.file, "joint");
  for (const ParamStore* store : {&state.net().g().params(), &state.net().s().params(),
                                  &state.discriminator()->params()})
    for (const NamedTensor& p : store->all())
      check_tensor(p.tensor, fx.file.tensor("joint/after/" + p.name), 1e-3, "after step: " + p.name);
}
