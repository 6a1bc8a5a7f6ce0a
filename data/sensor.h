// The ultra-low-resolution sensor: what the privacy-preserving camera hands over.
// An HR image becomes h x w by area averaging (a real low-resolution sensor integrates the light
// that falls on each of its pixels) or by bicubic resampling (the paper's choice, torch's
// interpolate(mode="bicubic", antialias=False)), then gets optional Gaussian read noise and is
// quantised to 8 bits. The HR image exists only for supervision and visualisation.
//
// Also here: fitting a full-size image of any size to a target aspect (centre crop, then area;
// label maps by majority vote), used for real photos and folder datasets.
#pragma once
#include <cstdint>
#include <string>

#include "engine/image.h"
#include "engine/rng.h"
#include "engine/tensor.h"

namespace ulr {

enum class SensorMode : uint8_t { Area, Bicubic };
const char* sensor_mode_name(SensorMode mode);  // "area", "bicubic"
// Parses "area" | "bicubic"; throws Error("sensor mode: unknown 'X' (area, bicubic)").
SensorMode parse_sensor_mode(const std::string& name);

struct SensorOptions {
  SensorMode mode = SensorMode::Area;
  int out_h = 16, out_w = 16;  // the sensor's resolution
  float noise_sigma = 0.0f;    // read-noise standard deviation, in [0, 1] intensity units
  bool quantize = true;        // round to k/255 as an 8-bit sensor does
};

// Captures `hr`, (N,3,H,W) or (3,H,W) float in [0, 1], as the sensor would: -> (N,3,h,w) or
// (3,h,w) with h, w = opt.out_h, opt.out_w. Steps, in order: resample (area requires H and W to
// be multiples of h and w; bicubic takes any size), add N(0, sigma^2) noise per value drawn from
// `rng` in NCHW order (rng is required when noise_sigma > 0 and untouched otherwise), clamp to
// [0, 1] (the sensor saturates; bicubic may overshoot), quantise when asked. Never records
// autograd. Throws Error naming the problem for bad shapes or options.
Tensor sensor_capture(const Tensor& hr, const SensorOptions& opt, Rng* rng = nullptr);

// The steps on their own. area_average: (N,C,H,W) or (C,H,W) -> same rank at out_h x out_w; each
// output value is the mean of its (H/out_h) x (W/out_w) block.
Tensor area_average(const Tensor& x, int out_h, int out_w);
void add_read_noise(const Tensor& x, float sigma, Rng& rng);  // in place, NCHW order
void clamp_and_quantize(const Tensor& x, bool quantize);      // in place: clamp [0,1], k/255

// The largest centred window with aspect out_h : out_w whose sides are integer multiples
// (f*out_h, f*out_w), f >= 1, of the target. Throws Error when the image is smaller than the
// target.
struct CropBox {
  int x0 = 0, y0 = 0, height = 0, width = 0;
  int factor = 0;  // f
};
CropBox centre_crop_box(int height, int width, int out_h, int out_w);

// Fits a (3,H,W) image to (3,out_h,out_w): centre crop (centre_crop_box), then area average.
// Returns the input itself when it already has that size.
Tensor fit_image(const Tensor& chw, int out_h, int out_w);
// Fits a (1,H,W) label or identity map the same way: each output pixel takes the most frequent
// value of its block, not counting `ignore` unless the whole block is `ignore`; ties go to the
// smaller value.
Labels fit_labels(const Labels& map, int out_h, int out_w, uint8_t ignore = 255);
IntTensor<int16_t> fit_identity(const IntTensor<int16_t>& map, int out_h, int out_w);

// The ULR frame a sensor of opt.out_h x opt.out_w would see of a full-size photo of any size:
// centre crop to the sensor's aspect (centre_crop_box), then sensor_capture. -> (3,h,w).
Tensor sensor_from_photo(const Image& photo, const SensorOptions& opt, Rng* rng = nullptr);

}  // namespace ulr
