#include "models/ulrnet.h"

#include <cmath>

#include "data/classes.h"
#include "engine/error.h"
#include "engine/printable.h"
#include "engine/safetensors.h"

namespace ulr {

ULRNet::ULRNet(Method method, const ModelConfig& cfg, uint64_t seed) : method_(method), cfg_(cfg) {
  Rng rng(seed, 0x6d6f64656cULL);
  if (method_has_g(method)) g_ = std::make_unique<SRNet>(cfg, rng, "g");
  s_ = std::make_unique<SegNet>(cfg, rng, "s");
}

Tensor ULRNet::to_hr(const Tensor& input, Trace* trace) const {
  if (method_ == Method::Hr) return input;
  if (input.rank() != 4 || input.size(1) != 3 || input.size(2) != cfg_.in_h || input.size(3) != cfg_.in_w)
    throw Error("ULRNet: input has shape " + input.shape().str() + ", model expects [N,3," +
                std::to_string(cfg_.in_h) + "," + std::to_string(cfg_.in_w) + "]");
  if (g_) return g_->forward(input, trace);
  return resize_bicubic(input, cfg_.out_h(), cfg_.out_w());
}

ULRNetOutput ULRNet::forward(const Tensor& input, Trace* trace) const {
  Tensor hr = to_hr(input, trace);
  return {hr, s_->forward(hr, trace).logits};
}

std::vector<Tensor> ULRNet::parameters() const {
  std::vector<Tensor> out;
  if (g_) out = g_->params().parameters();
  for (const Tensor& t : s_->params().parameters()) out.push_back(t);
  return out;
}

int64_t ULRNet::num_parameters() const {
  return (g_ ? g_->params().num_parameters() : 0) + s_->params().num_parameters();
}

static std::string class_names_json() {
  Json names = Json::array();
  for (int c = 0; c < kNumClasses; ++c) names.push(class_name(c));
  return names.dump();
}

void ULRNet::add_to(SafetensorsWriter& w) const {
  if (g_) g_->params().save_to(w);
  s_->params().save_to(w);
}

void ULRNet::save(const std::string& path, const std::map<std::string, std::string>& extra) const {
  SafetensorsWriter w;
  add_to(w);
  for (auto& [k, v] : extra) w.set_metadata(k, v);
  w.set_metadata("format", kWeightsFormat);
  w.set_metadata("version", std::to_string(kWeightsVersion));
  w.set_metadata("method", method_name(method_));
  w.set_metadata("model", cfg_.to_json().dump());
  w.set_metadata("classes", class_names_json());
  w.set_metadata("input_size", std::to_string(cfg_.in_h) + "x" + std::to_string(cfg_.in_w));
  w.set_metadata("scale", std::to_string(cfg_.scale));
  w.write(path);
}

// A NaN or infinite weight would give a model that outputs garbage without a word (mIoU 0,
// PNGs written): every floating-point tensor of the file is checked, so a checkpoint's
// optimizer moments and discriminator are covered too.
static void require_finite(const SafetensorsFile& file) {
  for (const SafetensorsEntry& e : file.entries()) {
    if (e.dtype != Dtype::F32 && e.dtype != Dtype::F64 && e.dtype != Dtype::F16 &&
        e.dtype != Dtype::BF16 && e.dtype != Dtype::F8_E4M3 && e.dtype != Dtype::F8_E5M2)
      continue;
    const std::vector<double> values = file.as_double(e);
    for (size_t i = 0; i < values.size(); ++i)
      if (!std::isfinite(values[i]))
        throw Error(file.label() + ": tensor \"" + printable(e.name) + "\" holds " +
                    (std::isnan(values[i]) ? "NaN" : "an infinity") + " at element " +
                    std::to_string(i) + "; a model's tensors must be finite");
  }
}

void ULRNet::load_tensors(const SafetensorsFile& file, const std::string& prefix) {
  require_finite(file);
  if (g_) g_->params().load_from(file, prefix);
  s_->params().load_from(file, prefix);
}

std::unique_ptr<ULRNet> ULRNet::load(const std::string& path) {
  SafetensorsFile file = SafetensorsFile::read(path);
  const auto& md = file.metadata();
  auto need = [&](const char* key) -> const std::string& {
    auto it = md.find(key);
    if (it == md.end()) throw Error(path + ": not a ulrseg weights file (metadata has no '" + key + "')");
    return it->second;
  };
  if (need("format") != kWeightsFormat)
    throw Error(path + ": format is '" + printable(need("format")) + "', expected '" + kWeightsFormat + "'");
  if (need("version") != std::to_string(kWeightsVersion))
    throw Error(path + ": weights version " + printable(need("version")) + " is not supported (expected " +
                std::to_string(kWeightsVersion) + ")");
  Method method = parse_method(need("method"), path);
  ModelConfig cfg = ModelConfig::from_json(Json::parse(need("model"), path + ": metadata model"), path);
  if (cfg.num_classes != kNumClasses)
    throw Error(path + ": model has " + std::to_string(cfg.num_classes) + " classes, this build knows " +
                std::to_string(kNumClasses));
  auto net = std::make_unique<ULRNet>(method, cfg, 0);
  net->load_tensors(file);
  net->metadata_ = md;
  return net;
}

}  // namespace ulr
