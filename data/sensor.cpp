#include "data/sensor.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/error.h"
#include "ops/ops.h"

namespace ulr {

const char* sensor_mode_name(SensorMode mode) {
  return mode == SensorMode::Area ? "area" : "bicubic";
}

SensorMode parse_sensor_mode(const std::string& name) {
  if (name == "area") return SensorMode::Area;
  if (name == "bicubic") return SensorMode::Bicubic;
  throw Error("sensor mode: unknown '" + name + "' (area, bicubic)");
}

namespace {

// Checks that x is (N,C,H,W) or (C,H,W) and returns N*C planes of H x W.
void plane_shape(const Tensor& x, const char* what, int64_t& planes, int64_t& H, int64_t& W) {
  if (!x.defined() || (x.rank() != 3 && x.rank() != 4))
    throw Error(std::string(what) + ": expected an (N,C,H,W) or (C,H,W) tensor, got " +
                (x.defined() ? x.shape().str() : std::string("an undefined tensor")));
  H = x.size(-2);
  W = x.size(-1);
  planes = x.numel() / std::max<int64_t>(1, H * W);
}

Shape with_size(const Shape& s, int64_t h, int64_t w) {
  Shape out = s;
  out[-2] = h;
  out[-1] = w;
  return out;
}

}  // namespace

Tensor area_average(const Tensor& x, int out_h, int out_w) {
  int64_t planes, H, W;
  plane_shape(x, "area_average", planes, H, W);
  if (out_h < 1 || out_w < 1 || H % out_h != 0 || W % out_w != 0)
    throw Error("area_average: input " + x.shape().str() + " is not a whole multiple of " +
                std::to_string(out_h) + "x" + std::to_string(out_w));
  const int64_t fh = H / out_h, fw = W / out_w;
  Tensor out = Tensor::empty(with_size(x.shape(), out_h, out_w));
  const float* in = x.data();  // (planes, H, W)
  float* o = out.data();       // (planes, out_h, out_w)
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oy = 0; oy < out_h; ++oy)
      for (int64_t ox = 0; ox < out_w; ++ox) {
        // Sum in double so that the mean of a constant block is that constant exactly.
        double acc = 0;
        for (int64_t y = oy * fh; y < (oy + 1) * fh; ++y)
          for (int64_t xx = ox * fw; xx < (ox + 1) * fw; ++xx) acc += in[(p * H + y) * W + xx];
        o[(p * out_h + oy) * out_w + ox] = float(acc / double(fh * fw));
      }
  return out;
}

void add_read_noise(const Tensor& x, float sigma, Rng& rng) {
  if (sigma <= 0.0f) return;
  float* p = x.data();
  for (int64_t i = 0; i < x.numel(); ++i) p[i] += sigma * rng.normal();
}

void clamp_and_quantize(const Tensor& x, bool quantize) {
  float* p = x.data();
  for (int64_t i = 0; i < x.numel(); ++i) {
    float v = p[i];
    v = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;  // NaN becomes 0
    if (quantize) v = std::floor(v * 255.0f + 0.5f) / 255.0f;
    p[i] = v;
  }
}

Tensor sensor_capture(const Tensor& hr, const SensorOptions& opt, Rng* rng) {
  int64_t planes, H, W;
  plane_shape(hr, "sensor", planes, H, W);
  if (opt.out_h < 1 || opt.out_w < 1)
    throw Error("sensor: output size " + std::to_string(opt.out_h) + "x" +
                std::to_string(opt.out_w) + " must be positive");
  if (!(opt.noise_sigma >= 0.0f) || opt.noise_sigma > 1.0f)
    throw Error("sensor: noise sigma " + std::to_string(opt.noise_sigma) + " is outside [0, 1]");
  if (opt.noise_sigma > 0.0f && !rng) throw Error("sensor: read noise needs an Rng");
  NoGrad no_grad;
  Tensor out;
  if (opt.mode == SensorMode::Area) {
    if (H % opt.out_h != 0 || W % opt.out_w != 0)
      throw Error("sensor: area mode needs the HR size " + std::to_string(H) + "x" +
                  std::to_string(W) + " to be a multiple of " + std::to_string(opt.out_h) + "x" +
                  std::to_string(opt.out_w));
    out = area_average(hr, opt.out_h, opt.out_w);
  } else {
    const bool batched = hr.rank() == 4;
    Tensor x4 = batched ? hr : hr.view({1, hr.size(0), H, W});
    Tensor y4 = resize_bicubic(x4.detach(), opt.out_h, opt.out_w);  // (N,C,h,w)
    out = batched ? y4 : y4.view({y4.size(1), opt.out_h, opt.out_w});
  }
  if (opt.noise_sigma > 0.0f) add_read_noise(out, opt.noise_sigma, *rng);
  clamp_and_quantize(out, opt.quantize);
  return out;
}

CropBox centre_crop_box(int height, int width, int out_h, int out_w) {
  if (out_h < 1 || out_w < 1)
    throw Error("crop: target size " + std::to_string(out_h) + "x" + std::to_string(out_w) +
                " must be positive");
  const int f = std::min(height / out_h, width / out_w);
  if (f < 1)
    throw Error("crop: image " + std::to_string(height) + "x" + std::to_string(width) +
                " is smaller than the target " + std::to_string(out_h) + "x" +
                std::to_string(out_w));
  CropBox box;
  box.factor = f;
  box.height = f * out_h;
  box.width = f * out_w;
  box.y0 = (height - box.height) / 2;
  box.x0 = (width - box.width) / 2;
  return box;
}

namespace {

Tensor crop_chw(const Tensor& chw, const CropBox& box) {
  const int64_t C = chw.size(0), H = chw.size(1), W = chw.size(2);
  if (box.x0 == 0 && box.y0 == 0 && box.height == H && box.width == W) return chw;
  Tensor out = Tensor::empty({C, box.height, box.width});
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < box.height; ++y) {
      const float* src = chw.data() + (c * H + box.y0 + y) * W + box.x0;
      std::copy(src, src + box.width, out.data() + (c * box.height + y) * box.width);
    }
  return out;
}

// Most frequent value of each f x f block of a (1,H,W) map inside `box`.
template <class T>
IntTensor<T> majority(const IntTensor<T>& map, const CropBox& box, int out_h, int out_w,
                      bool use_ignore, T ignore) {
  const int64_t W = map.shape[-1];
  const int f = box.factor;
  IntTensor<T> out(Shape{1, out_h, out_w});
  std::vector<std::pair<T, int>> counts;
  for (int oy = 0; oy < out_h; ++oy)
    for (int ox = 0; ox < out_w; ++ox) {
      counts.clear();
      for (int y = box.y0 + oy * f; y < box.y0 + (oy + 1) * f; ++y)
        for (int x = box.x0 + ox * f; x < box.x0 + (ox + 1) * f; ++x) {
          const T v = map.data[size_t(int64_t(y) * W + x)];
          if (use_ignore && v == ignore) continue;
          auto it = std::find_if(counts.begin(), counts.end(),
                                 [v](const std::pair<T, int>& c) { return c.first == v; });
          if (it == counts.end()) counts.push_back({v, 1});
          else ++it->second;
        }
      T best = ignore;
      int best_count = 0;
      for (auto& [v, n] : counts)
        if (n > best_count || (n == best_count && v < best)) best = v, best_count = n;
      out.data[size_t(oy) * out_w + ox] = best;
    }
  return out;
}

template <class T>
void check_map(const IntTensor<T>& map, const char* what) {
  if (map.shape.rank != 3 || map.shape[0] != 1 || int64_t(map.data.size()) != map.numel())
    throw Error(std::string(what) + ": expected a (1,H,W) map, got " + map.shape.str());
}

}  // namespace

Tensor fit_image(const Tensor& chw, int out_h, int out_w) {
  if (!chw.defined() || chw.rank() != 3)
    throw Error("fit_image: expected a (C,H,W) tensor, got " +
                (chw.defined() ? chw.shape().str() : std::string("an undefined tensor")));
  if (chw.size(1) == out_h && chw.size(2) == out_w) return chw;
  const CropBox box = centre_crop_box(int(chw.size(1)), int(chw.size(2)), out_h, out_w);
  return area_average(crop_chw(chw, box), out_h, out_w);
}

Labels fit_labels(const Labels& map, int out_h, int out_w, uint8_t ignore) {
  check_map(map, "fit_labels");
  if (map.shape[1] == out_h && map.shape[2] == out_w) return map;
  const CropBox box = centre_crop_box(int(map.shape[1]), int(map.shape[2]), out_h, out_w);
  return majority<uint8_t>(map, box, out_h, out_w, true, ignore);
}

IntTensor<int16_t> fit_identity(const IntTensor<int16_t>& map, int out_h, int out_w) {
  check_map(map, "fit_identity");
  if (map.shape[1] == out_h && map.shape[2] == out_w) return map;
  const CropBox box = centre_crop_box(int(map.shape[1]), int(map.shape[2]), out_h, out_w);
  return majority<int16_t>(map, box, out_h, out_w, false, int16_t(-1));
}

Tensor sensor_from_photo(const Image& photo, const SensorOptions& opt, Rng* rng) {
  const CropBox box = centre_crop_box(photo.height, photo.width, opt.out_h, opt.out_w);
  return sensor_capture(crop_chw(image_to_tensor(photo), box), opt, rng);
}

}  // namespace ulr
