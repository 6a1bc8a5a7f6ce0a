// The embedding API (include/ulrseg/ulrseg.h) over ULRNet.
#include "ulrseg/ulrseg.h"

#include <algorithm>
#include <cmath>

#include "data/classes.h"
#include "data/sensor.h"
#include "engine/error.h"
#include "engine/parallel.h"
#include "engine/tensor.h"
#include "eval/metrics.h"
#include "models/ulrnet.h"

namespace ulrseg {

struct Segmenter::Impl {
  std::unique_ptr<ulr::ULRNet> net;
};

Segmenter::Segmenter(const std::string& path) : impl_(std::make_unique<Impl>()) {
  try {
    impl_->net = ulr::ULRNet::load(path);
  } catch (const ulr::Error& e) {
    throw Error(e.what());
  }
  if (impl_->net->method() == ulr::Method::Hr)
    throw Error(path + ": an 'hr' model needs HR images; it cannot segment ULR frames");
}

Segmenter::~Segmenter() = default;
Segmenter::Segmenter(Segmenter&&) noexcept = default;
Segmenter& Segmenter::operator=(Segmenter&&) noexcept = default;

int Segmenter::input_width() const { return impl_->net->config().in_w; }
int Segmenter::input_height() const { return impl_->net->config().in_h; }
int Segmenter::output_width() const { return impl_->net->config().out_w(); }
int Segmenter::output_height() const { return impl_->net->config().out_h(); }
int Segmenter::num_classes() const { return impl_->net->config().num_classes; }
std::string Segmenter::method() const { return ulr::method_name(impl_->net->method()); }
const char* Segmenter::class_name(int id) { return ulr::class_name(id); }

static ulr::Tensor to_tensor(const uint8_t* rgb, int width, int height) {
  ulr::Tensor t = ulr::Tensor::empty({1, 3, height, width});
  const int64_t plane = int64_t(width) * height;
  for (int64_t i = 0; i < plane; ++i)
    for (int c = 0; c < 3; ++c) t.data()[c * plane + i] = float(rgb[i * 3 + c]) / 255.0f;
  return t;
}

Segmentation Segmenter::segment(const uint8_t* rgb, int width, int height) const {
  if (!rgb) throw Error("segment: no pixels");
  if (width != input_width() || height != input_height())
    throw Error("segment: frame is " + std::to_string(width) + "x" + std::to_string(height) +
                ", the model expects " + std::to_string(input_width()) + "x" + std::to_string(input_height()) +
                " (segment_image() simulates the sensor for larger images)");
  ulr::NoGrad no_grad;  // per thread: concurrent calls never touch shared state
  ulr::ULRNetOutput out = impl_->net->forward(to_tensor(rgb, width, height));
  Segmentation s;
  s.height = int(out.logits.size(2)), s.width = int(out.logits.size(3));
  s.classes = ulr::argmax_classes(out.logits).data;
  const int64_t plane = int64_t(s.width) * s.height;
  s.sr_rgb.resize(size_t(plane) * 3);
  for (int64_t i = 0; i < plane; ++i)
    for (int c = 0; c < 3; ++c) {
      float v = std::min(1.0f, std::max(0.0f, out.sr.data()[c * plane + i]));
      s.sr_rgb[size_t(i * 3 + c)] = uint8_t(std::lround(v * 255.0f));
    }
  return s;
}

Segmentation Segmenter::segment_image(const uint8_t* rgb, int width, int height) const {
  if (!rgb) throw Error("segment_image: no pixels");
  if (width <= 0 || height <= 0)
    throw Error("segment_image: image is " + std::to_string(width) + "x" + std::to_string(height) +
                "; width and height must be positive");
  if (width == input_width() && height == input_height()) return segment(rgb, width, height);
  try {
    ulr::Image img(width, height, 3);
    std::copy(rgb, rgb + size_t(width) * height * 3, img.px.begin());
    ulr::SensorOptions opt;
    opt.out_h = input_height(), opt.out_w = input_width();
    ulr::Tensor frame = ulr::sensor_from_photo(img, opt);  // (3,h,w)
    std::vector<uint8_t> bytes(size_t(opt.out_h) * opt.out_w * 3);
    const int64_t plane = int64_t(opt.out_h) * opt.out_w;
    for (int64_t i = 0; i < plane; ++i)
      for (int c = 0; c < 3; ++c)
        bytes[size_t(i * 3 + c)] = uint8_t(std::lround(frame.data()[c * plane + i] * 255.0f));
    return segment(bytes.data(), opt.out_w, opt.out_h);
  } catch (const ulr::Error& e) {
    throw Error(e.what());
  }
}

void set_threads(int n) { ulr::set_num_threads(n); }
int threads() { return ulr::num_threads(); }
void tune_system_allocator() { ulr::tune_system_allocator(); }

}  // namespace ulrseg
