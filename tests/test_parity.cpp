// PyTorch parity: every op, and 5 Adam / AdamW steps of a small conv net, against fixtures
// written by tools/reference/make_fixtures.py (torch). The fixture folder is
// $ULRSEG_FIXTURES, by default the committed tests/fixtures.
//
// Tolerances (float32): forward max|got - want| <= 1e-4 * max(max|want|, 1e-3) (the error
// relative to the output's scale), gradients the same with 1e-3; optimizer parameters 1e-4.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "engine/json.h"
#include "engine/safetensors.h"
#include "ops/ops.h"
#include "train/optim.h"

using namespace ulr;

namespace {

std::string fixture_dir() {
  const char* env = std::getenv("ULRSEG_FIXTURES");
  return env && *env ? env : ULRSEG_SOURCE_DIR "/tests/fixtures";
}

// max|a-b| / max(max|b|, floor): the error relative to the reference's scale.
double relative_error(const Tensor& got, const Tensor& want, double floor = 1e-3) {
  double diff = 0, scale = floor;
  for (int64_t i = 0; i < want.numel(); ++i) {
    double d = std::fabs(double(got.data()[i]) - double(want.data()[i]));
    if (!(d <= diff)) diff = d;  // NaN propagates as failure
    scale = std::max(scale, std::fabs(double(want.data()[i])));
  }
  return diff / scale;
}

void check_tensor(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  INFO(what << ": got " << got.shape().str() << ", want " << want.shape().str());
  REQUIRE(got.numel() == want.numel());
  double err = relative_error(got, want);
  INFO(what << ": relative error " << err << " (tolerance " << tol << ")");
  CHECK(err <= tol);
}

using Inputs = std::map<std::string, Tensor>;
using OpFn = std::function<Tensor(Inputs&, const Labels*, const Json&)>;

int geti(const Json& p, const char* k) { return int(p.at(k).as_int()); }
float getf(const Json& p, const char* k) { return float(p.at(k).as_number()); }
Tensor opt(Inputs& in, const char* k) { return in.count(k) ? in[k] : Tensor(); }

const std::map<std::string, OpFn>& op_table() {
  static const std::map<std::string, OpFn> table = {
      {"add", [](Inputs& in, const Labels*, const Json&) { return add(in["a"], in["b"]); }},
      {"sub", [](Inputs& in, const Labels*, const Json&) { return sub(in["a"], in["b"]); }},
      {"mul", [](Inputs& in, const Labels*, const Json&) { return mul(in["a"], in["b"]); }},
      {"scale", [](Inputs& in, const Labels*, const Json& p) { return scale(in["x"], getf(p, "s")); }},
      {"add_scalar", [](Inputs& in, const Labels*, const Json& p) { return add_scalar(in["x"], getf(p, "s")); }},
      {"sum", [](Inputs& in, const Labels*, const Json&) { return sum(in["x"]); }},
      {"mean", [](Inputs& in, const Labels*, const Json&) { return mean(in["x"]); }},
      {"relu", [](Inputs& in, const Labels*, const Json&) { return relu(in["x"]); }},
      {"leaky_relu", [](Inputs& in, const Labels*, const Json& p) { return leaky_relu(in["x"], getf(p, "slope")); }},
      {"gelu", [](Inputs& in, const Labels*, const Json&) { return gelu(in["x"]); }},
      {"sigmoid", [](Inputs& in, const Labels*, const Json&) { return sigmoid(in["x"]); }},
      {"tanh", [](Inputs& in, const Labels*, const Json&) { return ulr::tanh(in["x"]); }},
      {"clamp", [](Inputs& in, const Labels*, const Json& p) { return clamp(in["x"], getf(p, "lo"), getf(p, "hi")); }},
      {"softmax", [](Inputs& in, const Labels*, const Json& p) { return softmax(in["x"], geti(p, "dim")); }},
      {"log_softmax", [](Inputs& in, const Labels*, const Json& p) { return log_softmax(in["x"], geti(p, "dim")); }},
      {"matmul", [](Inputs& in, const Labels*, const Json&) { return matmul(in["a"], in["b"]); }},
      {"linear", [](Inputs& in, const Labels*, const Json&) { return linear(in["x"], in["w"], opt(in, "b")); }},
      {"conv2d", [](Inputs& in, const Labels*, const Json& p) {
         Conv2dOptions o;
         o.stride = geti(p, "stride"), o.pad = geti(p, "pad"), o.dilation = geti(p, "dilation"),
         o.groups = geti(p, "groups");
         return conv2d(in["x"], in["w"], opt(in, "b"), o);
       }},
      {"pixel_shuffle", [](Inputs& in, const Labels*, const Json& p) { return pixel_shuffle(in["x"], geti(p, "r")); }},
      {"pixel_unshuffle", [](Inputs& in, const Labels*, const Json& p) { return pixel_unshuffle(in["x"], geti(p, "r")); }},
      {"resize_bilinear", [](Inputs& in, const Labels*, const Json& p) {
         return resize_bilinear(in["x"], geti(p, "out_h"), geti(p, "out_w"));
       }},
      {"resize_bicubic", [](Inputs& in, const Labels*, const Json& p) {
         return resize_bicubic(in["x"], geti(p, "out_h"), geti(p, "out_w"));
       }},
      {"area_downsample", [](Inputs& in, const Labels*, const Json& p) { return area_downsample(in["x"], geti(p, "factor")); }},
      {"avg_pool2d", [](Inputs& in, const Labels*, const Json& p) {
         return avg_pool2d(in["x"], geti(p, "kernel"), geti(p, "stride"), geti(p, "pad"));
       }},
      {"max_pool2d", [](Inputs& in, const Labels*, const Json& p) {
         return max_pool2d(in["x"], geti(p, "kernel"), geti(p, "stride"), geti(p, "pad"));
       }},
      {"global_avg_pool", [](Inputs& in, const Labels*, const Json&) { return global_avg_pool(in["x"]); }},
      {"reshape", [](Inputs& in, const Labels*, const Json& p) {
         std::vector<int64_t> dims;
         for (const Json& d : p.at("shape").items()) dims.push_back(d.as_int());
         return reshape(in["x"], Shape(dims));
       }},
      {"permute", [](Inputs& in, const Labels*, const Json& p) {
         std::vector<int> dims;
         for (const Json& d : p.at("dims").items()) dims.push_back(int(d.as_int()));
         return permute(in["x"], dims);
       }},
      {"concat", [](Inputs& in, const Labels*, const Json& p) { return concat({in["a"], in["b"]}, geti(p, "dim")); }},
      {"slice", [](Inputs& in, const Labels*, const Json& p) {
         return slice(in["x"], geti(p, "dim"), geti(p, "start"), geti(p, "end"));
       }},
      {"group_norm", [](Inputs& in, const Labels*, const Json& p) {
         return group_norm(in["x"], geti(p, "groups"), in["gamma"], in["beta"], getf(p, "eps"));
       }},
      {"layer_norm", [](Inputs& in, const Labels*, const Json& p) {
         return layer_norm(in["x"], in["gamma"], in["beta"], getf(p, "eps"));
       }},
      {"batch_norm", [](Inputs& in, const Labels*, const Json& p) {
         return batch_norm(in["x"], in["gamma"], in["beta"], in["running_mean"], in["running_var"],
                           p.at("training").as_bool(), getf(p, "momentum"), getf(p, "eps"));
       }},
      {"scaled_dot_product_attention", [](Inputs& in, const Labels*, const Json&) {
         return scaled_dot_product_attention(in["q"], in["k"], in["v"]);
       }},
      {"multi_head_attention", [](Inputs& in, const Labels*, const Json& p) {
         return multi_head_attention(in["x"], in["in_w"], in["in_b"], in["out_w"], in["out_b"], geti(p, "heads"));
       }},
      {"spectral_norm", [](Inputs& in, const Labels*, const Json& p) {
         return spectral_norm(in["w"], in["u"], in["v"], p.at("training").as_bool());
       }},
      {"cross_entropy", [](Inputs& in, const Labels* t, const Json&) {
         return cross_entropy(in["logits"], *t, opt(in, "weights"), 255);
       }},
      {"mse_loss", [](Inputs& in, const Labels*, const Json&) { return mse_loss(in["pred"], in["target"]); }},
      {"l1_loss", [](Inputs& in, const Labels*, const Json&) { return l1_loss(in["pred"], in["target"]); }},
      {"bce_with_logits", [](Inputs& in, const Labels*, const Json&) { return bce_with_logits(in["logits"], in["target"]); }},
      {"l2_normalize", [](Inputs& in, const Labels*, const Json& p) { return l2_normalize(in["x"], geti(p, "dim")); }},
      {"cosine_similarity", [](Inputs& in, const Labels*, const Json& p) {
         return cosine_similarity(in["a"], in["b"], geti(p, "dim"));
       }},
      {"feature_loss", [](Inputs& in, const Labels*, const Json&) { return feature_loss(in["f_target"], in["f_pred"]); }},
  };
  return table;
}

}  // namespace

TEST_CASE("parity: every op matches PyTorch forward and backward") {
  const std::string path = fixture_dir() + "/ops.safetensors";
  SafetensorsFile file = SafetensorsFile::read(path);
  std::set<std::string> ops_seen;
  int cases = 0;
  // Named references, not a structured binding: doctest's INFO captures them in a lambda,
  // which C++17 does not allow for structured bindings.
  for (const auto& entry : file.metadata()) {
    const std::string& name = entry.first;
    const std::string& value = entry.second;
    if (name == "format" || name == "version" || name == "seed" || name == "torch") continue;
    Json p = Json::parse(value, path + ": metadata " + name);
    const std::string op = p.at("op").as_string();
    auto it = op_table().find(op);
    INFO("case " << name << " (op " << op << ")");
    REQUIRE_MESSAGE(it != op_table().end(), "fixture case names an op the test does not know");
    ops_seen.insert(op);
    ++cases;

    Inputs in;
    Labels target;
    bool has_target = false;
    std::set<std::string> grads;
    for (const Json& g : p.at("grads").items()) grads.insert(g.as_string());
    for (const Json& k : p.at("inputs").items()) {
      const std::string key = name + "/" + k.as_string();
      const SafetensorsEntry* e = file.find(key);
      REQUIRE(e != nullptr);
      if (e->dtype == Dtype::U8) {
        target = file.u8(key);
        has_target = true;
        continue;
      }
      Tensor t = file.tensor(key);
      if (grads.count(k.as_string())) t.set_requires_grad(true);
      in[k.as_string()] = t;
    }
    Tensor out = it->second(in, has_target ? &target : nullptr, p);
    check_tensor(out, file.tensor(name + "/out"), 1e-4, name + " forward");
    if (file.contains(name + "/running_mean_after")) {
      check_tensor(in["running_mean"], file.tensor(name + "/running_mean_after"), 1e-4, name + " running_mean");
      check_tensor(in["running_var"], file.tensor(name + "/running_var_after"), 1e-4, name + " running_var");
    }
    if (file.contains(name + "/u_after")) {
      check_tensor(in["u"], file.tensor(name + "/u_after"), 1e-4, name + " u");
      check_tensor(in["v"], file.tensor(name + "/v_after"), 1e-4, name + " v");
    }
    Tensor r = file.tensor(name + "/r");
    backward(out, r);
    for (const std::string& g : grads) {
      REQUIRE_MESSAGE(in[g].has_grad(), name << ": no gradient for " << g);
      check_tensor(in[g].grad(), file.tensor(name + "/grad/" + g), 1e-3, name + " grad " + g);
    }
  }
  // Every op the engine has is covered by at least one case.
  for (const auto& entry : op_table()) {
    const std::string& op = entry.first;
    INFO("op " << op << " has no fixture case");
    CHECK(ops_seen.count(op) == 1);
  }
  CHECK(cases >= 50);
}

TEST_CASE("parity: 5 Adam and 5 AdamW steps on a two-layer conv net") {
  const std::string path = fixture_dir() + "/optim.safetensors";
  SafetensorsFile file = SafetensorsFile::read(path);
  Tensor x = file.tensor("x"), target = file.tensor("target");
  for (const char* name : {"adam", "adamw"}) {
    INFO("optimizer " << name);
    Json p = Json::parse(file.metadata().at(name), path);
    std::vector<std::string> keys = {"w1", "b1", "w2", "b2"};
    std::vector<Tensor> params;
    std::vector<NamedParameter> named;
    for (auto& k : keys) {
      params.push_back(file.tensor("init/" + k).set_requires_grad(true));
      named.push_back({k, params.back()});
    }
    AdamOptions o;
    o.lr = getf(p, "lr"), o.beta1 = getf(p, "beta1"), o.beta2 = getf(p, "beta2"), o.eps = getf(p, "eps");
    o.weight_decay = getf(p, "weight_decay");
    o.decoupled_weight_decay = std::string(name) == "adamw";
    Adam optimizer(named, o);
    Conv2dOptions pad1;
    pad1.pad = 1;
    std::vector<float> losses;
    for (int step = 0; step < geti(p, "steps"); ++step) {
      optimizer.zero_grad();
      Tensor h = relu(conv2d(x, params[0], params[1], pad1));
      Tensor y = conv2d(h, params[2], params[3], pad1);
      Tensor loss = mse_loss(y, target);
      losses.push_back(loss.item());
      backward(loss);
      optimizer.step();
    }
    Tensor want_losses = file.tensor(std::string(name) + "/losses");
    check_tensor(Tensor::from_vector({int64_t(losses.size())}, losses), want_losses, 1e-4, "losses");
    for (size_t i = 0; i < keys.size(); ++i)
      check_tensor(params[i], file.tensor(std::string(name) + "/final/" + keys[i]), 1e-4,
                   "final " + keys[i]);
  }
}
