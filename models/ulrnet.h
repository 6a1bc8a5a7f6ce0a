// ULRNet: the deployable pipeline, a ULR frame in and a segmentation out, for every method:
//   joint / fjl1 / pp2 / mmt2  S(G(ulr))
//   mmt1 / pp1                 S(bicubic_upsample(ulr))
//   hr            S(hr image)          (the upper bound: it sees the HR view, not the ULR frame)
// Weights files (safetensors) hold "g.*" (when there is a G) and "s.*" tensors and metadata:
// format "ulrseg-weights", version, method, model (config JSON), classes (JSON list of names),
// input_size "HxW", scale, and provenance (command, commit, data, seed, metrics).
#pragma once
#include <map>
#include <memory>
#include <string>

#include "models/networks.h"

namespace ulr {

constexpr const char* kWeightsFormat = "ulrseg-weights";
constexpr int kWeightsVersion = 1;

struct ULRNetOutput {
  Tensor sr;      // (N,3,H,W) the image S saw (SR output, bicubic upsample or the HR input)
  Tensor logits;  // (N,K,H,W)
};

class ULRNet {
 public:
  ULRNet(Method method, const ModelConfig& cfg, uint64_t seed);

  // ulr (N,3,h,w) in [0,1]; for method hr, the HR image (N,3,H,W) instead.
  ULRNetOutput forward(const Tensor& input, Trace* trace = nullptr) const;
  // The image S sees for this method (G's output, bicubic upsample or the input itself).
  Tensor to_hr(const Tensor& input, Trace* trace = nullptr) const;

  Method method() const { return method_; }
  const ModelConfig& config() const { return cfg_; }
  bool has_g() const { return g_ != nullptr; }
  SRNet& g() { return *g_; }
  const SRNet& g() const { return *g_; }
  SegNet& s() { return *s_; }
  const SegNet& s() const { return *s_; }
  std::vector<Tensor> parameters() const;  // G's then S's
  int64_t num_parameters() const;

  // Writes g.* and s.* plus the metadata above; `extra` adds provenance keys.
  void save(const std::string& path, const std::map<std::string, std::string>& extra) const;
  void add_to(class SafetensorsWriter& writer) const;
  void load_tensors(const SafetensorsFile& file, const std::string& prefix = "");
  // Reads a weights file: validates format, method, model config and class count, then every
  // tensor's presence and shape, and that every floating-point tensor of the file is finite
  // (load_tensors checks that too). Throws Error("PATH: problem").
  static std::unique_ptr<ULRNet> load(const std::string& path);
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  Method method_;
  ModelConfig cfg_;
  std::unique_ptr<SRNet> g_;
  std::unique_ptr<SegNet> s_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace ulr
