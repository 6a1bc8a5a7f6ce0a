// Model configuration: sizes of G (SRNet), S (SegNet) and the SAD. Stored as JSON in every
// weights file's metadata, so a file says which network it holds.
#pragma once
#include <string>
#include <vector>

#include "engine/json.h"

namespace ulr {

// What is trained and how a frame reaches S (DESIGN §1, §5):
//   joint  ours: G + S + AFE feature loss + SAD, stage 1 (G) then stage 2 (joint)
//   fjl1   joint G + S with MSE + CE only (no AFE, no SAD)
//   mmt1   bicubic-upsampled ULR -> S only
//   hr     S on the HR views (the upper bound, and the AFE teacher)
enum class Method { Joint, Fjl1, Mmt1, Hr };
const char* method_name(Method m);
// Parses a method name; throws Error("<where>: method 'X' is not one of ...").
Method parse_method(const std::string& name, const std::string& where);

struct ModelConfig {
  int in_h = 16, in_w = 16;  // ULR input size (multiples of 4)
  int scale = 4;             // 2, 4 or 8: HR = in * scale
  int num_classes = 14;
  // G: stem and residual blocks at ULR size, attention, one conv -> pixel_shuffle(2) stage per
  // factor of 2 (up_channels[i] = channels after stage i).
  int g_channels = 48, g_blocks = 2, g_heads = 4;
  std::vector<int> g_up_channels = {24, 16, 16};
  // S: encoder widths at HR, HR/2, HR/4, HR/8; attention at HR/8.
  std::vector<int> s_channels = {16, 32, 64, 96};
  int s_heads = 4, s_groups = 4;
  // SAD: one block (conv, conv/2) per width.
  std::vector<int> d_channels = {16, 32, 64};

  int out_h() const { return in_h * scale; }
  int out_w() const { return in_w * scale; }
  int up_stages() const;  // log2(scale)

  Json to_json() const;
  // Reads a config; keys absent keep their defaults. Throws Error naming `label` and the key
  // for an unknown key or a bad value.
  static ModelConfig from_json(const Json& j, const std::string& label);
  void validate(const std::string& label) const;
};

}  // namespace ulr
