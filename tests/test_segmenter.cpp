// The embedding API: load once, segment from many threads at once with the same results as
// one thread; wrong frame sizes and bad weights are errors, never crashes.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <thread>
#include <vector>

#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/safetensors.h"
#include "eval/metrics.h"
#include "models/ulrnet.h"
#include "ulrseg/ulrseg.h"

namespace {

std::string tiny_weights(ulr::Method method) {
  ulr::ModelConfig c;
  c.g_channels = 8, c.g_blocks = 1, c.g_heads = 2, c.g_up_channels = {8, 8, 8};
  c.s_channels = {8, 8, 8, 8}, c.s_heads = 2, c.s_groups = 4, c.d_channels = {8};
  ulr::ULRNet net(method, c, 11);
  std::string path = std::string("/tmp/ulrseg_test_segmenter_") + ulr::method_name(method) + ".safetensors";
  net.save(path, {{"command", "test"}});
  return path;
}

std::vector<uint8_t> frame(int seed) {
  std::vector<uint8_t> px(16 * 16 * 3);
  ulr::Rng rng{static_cast<uint64_t>(seed)};
  for (uint8_t& v : px) v = uint8_t(rng.below(256));
  return px;
}

// Overwrites element `index` of tensor `name` (F32) in a safetensors file with `value`.
void poke(const std::string& path, const std::string& name, size_t index, float value) {
  std::vector<unsigned char> bytes = ulr::read_file(path);
  const ulr::SafetensorsFile file = ulr::SafetensorsFile::parse(bytes, path);
  const ulr::SafetensorsEntry* e = file.find(name);
  REQUIRE(e != nullptr);
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  std::memcpy(&bytes[8 + header_len + e->begin + 4 * index], &value, 4);
  ulr::write_file_atomic(path, bytes.data(), bytes.size());
}

std::string load_error(const std::string& path) {
  try {
    ulrseg::Segmenter seg(path);
  } catch (const ulrseg::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("Segmenter: concurrent calls give the single-thread results") {
  std::string path = tiny_weights(ulr::Method::Joint);
  ulrseg::Segmenter seg(path);
  CHECK(seg.input_width() == 16);
  CHECK(seg.output_height() == 64);
  CHECK(seg.num_classes() == 14);
  CHECK(seg.method() == "joint");
  CHECK(std::string(ulrseg::Segmenter::class_name(5)) == "floor");
  const int kFrames = 8;
  std::vector<ulrseg::Segmentation> serial(kFrames), parallel(kFrames);
  for (int i = 0; i < kFrames; ++i) serial[size_t(i)] = seg.segment(frame(i).data(), 16, 16);
  std::vector<std::thread> threads;
  for (int i = 0; i < kFrames; ++i)
    threads.emplace_back([&, i] { parallel[size_t(i)] = seg.segment(frame(i).data(), 16, 16); });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kFrames; ++i) {
    CHECK(parallel[size_t(i)].classes == serial[size_t(i)].classes);
    CHECK(parallel[size_t(i)].sr_rgb == serial[size_t(i)].sr_rgb);
    CHECK(serial[size_t(i)].classes.size() == 64 * 64);
  }
  std::remove(path.c_str());
}

TEST_CASE("Segmenter: the thread count is the calling thread's, and results do not depend on it") {
  std::string path = tiny_weights(ulr::Method::Joint);
  ulrseg::Segmenter seg(path);
  const int before = ulrseg::threads();
  ulrseg::set_threads(1);
  CHECK(ulrseg::threads() == 1);
  ulrseg::Segmentation one = seg.segment(frame(3).data(), 16, 16);
  int other_thread = 0;
  ulrseg::Segmentation three;
  std::thread t([&] {
    other_thread = ulrseg::threads();  // not this thread's 1
    ulrseg::set_threads(3);
    three = seg.segment(frame(3).data(), 16, 16);
  });
  t.join();
  CHECK(other_thread == int(std::max(1u, std::thread::hardware_concurrency())));  // the default
  CHECK(ulrseg::threads() == 1);
  CHECK(three.classes == one.classes);
  CHECK(three.sr_rgb == one.sr_rgb);
  ulrseg::set_threads(0);
  CHECK(ulrseg::threads() == 1);
  ulrseg::set_threads(before);
  std::remove(path.c_str());
}

TEST_CASE("Segmenter: larger images go through the sensor; bad sizes and files are errors") {
  std::string path = tiny_weights(ulr::Method::Mmt1);
  ulrseg::Segmenter seg(path);
  std::vector<uint8_t> big(64 * 48 * 3, 128);
  ulrseg::Segmentation s = seg.segment_image(big.data(), 64, 48);
  CHECK(s.width == 64);
  CHECK_THROWS_WITH_AS(seg.segment(big.data(), 64, 48), doctest::Contains("frame is 64x48"), ulrseg::Error);
  CHECK_THROWS_AS(seg.segment_image(big.data(), 8, 8), ulrseg::Error);
  CHECK_THROWS_WITH_AS(seg.segment_image(big.data(), 0, 48),
                       "segment_image: image is 0x48; width and height must be positive", ulrseg::Error);
  CHECK_THROWS_WITH_AS(seg.segment_image(big.data(), -64, -48),
                       "segment_image: image is -64x-48; width and height must be positive", ulrseg::Error);
  CHECK_THROWS_WITH_AS(ulrseg::Segmenter("/tmp/ulrseg_absent.safetensors"),
                       doctest::Contains("/tmp/ulrseg_absent.safetensors"), ulrseg::Error);
  std::string hr = tiny_weights(ulr::Method::Hr);
  CHECK_THROWS_WITH_AS(ulrseg::Segmenter{hr}, doctest::Contains("needs HR images"), ulrseg::Error);
  std::remove(path.c_str());
  std::remove(hr.c_str());
}

TEST_CASE("Segmenter: weights holding NaN or infinity are refused, naming the file and tensor") {
  const std::string path = tiny_weights(ulr::Method::Joint);
  REQUIRE(load_error(path) == "");
  poke(path, "s.head.weight", 3, NAN);
  CHECK(load_error(path) == path + ": tensor \"s.head.weight\" holds NaN at element 3; a "
                                   "model's tensors must be finite");
  const std::string other = tiny_weights(ulr::Method::Joint);
  poke(other, "g.stem.weight", 0, -INFINITY);
  CHECK(load_error(other) == other + ": tensor \"g.stem.weight\" holds an infinity at element 0; "
                                     "a model's tensors must be finite");
  std::remove(path.c_str());
  std::remove(other.c_str());
}

TEST_CASE("ULRNet::load_tensors checks every float tensor of the file, as a checkpoint holds") {
  // A checkpoint is the weights plus optimizer moments; resuming loads it through
  // load_tensors, so a non-finite moment is refused like a non-finite weight.
  const std::string path = tiny_weights(ulr::Method::Mmt1);
  ulr::SafetensorsWriter w;
  w.add_file(ulr::SafetensorsFile::read(path));
  w.add("opt.net.exp_avg.s.head.bias", ulr::Tensor::from_vector({2}, {0.5f, INFINITY}));
  const std::string ckpt = "/tmp/ulrseg_test_segmenter_checkpoint.safetensors";
  w.write(ckpt);
  std::unique_ptr<ulr::ULRNet> net = ulr::ULRNet::load(path);
  CHECK_THROWS_WITH_AS(net->load_tensors(ulr::SafetensorsFile::read(ckpt)),
                       (ckpt + ": tensor \"opt.net.exp_avg.s.head.bias\" holds an infinity at "
                               "element 1; a model's tensors must be finite").c_str(),
                       ulr::Error);
  std::remove(path.c_str());
  std::remove(ckpt.c_str());
}

TEST_CASE("Segmenter: the PP-1, PP-2 and MMT-2 pipelines load and segment like the others") {
  for (ulr::Method m : {ulr::Method::Pp1, ulr::Method::Pp2, ulr::Method::Mmt2}) {
    CAPTURE(ulr::method_name(m));
    const std::string path = tiny_weights(m);
    ulrseg::Segmenter seg(path);
    const std::vector<uint8_t> px = frame(4);
    const ulrseg::Segmentation s = seg.segment(px.data(), 16, 16);
    CHECK(s.width == 64);
    CHECK(s.height == 64);
    // The same pipeline through the library's model: the same classes.
    const std::unique_ptr<ulr::ULRNet> net = ulr::ULRNet::load(path);
    ulr::Tensor x = ulr::Tensor::empty({1, 3, 16, 16});
    for (int c = 0; c < 3; ++c)
      for (int i = 0; i < 256; ++i) x.data()[c * 256 + i] = float(px[size_t(i * 3 + c)]) / 255.0f;
    ulr::NoGrad no_grad;
    const ulr::Labels classes = ulr::argmax_classes(net->forward(x).logits);
    CHECK(std::vector<uint8_t>(classes.data.begin(), classes.data.end()) == s.classes);
    std::remove(path.c_str());
  }
}
