// The embedding API: load once, segment from many threads at once with the same results as
// one thread; wrong frame sizes and bad weights are errors, never crashes.
#include <doctest/doctest.h>

#include <cstdio>
#include <thread>
#include <vector>

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

TEST_CASE("Segmenter: larger images go through the sensor; bad sizes and files are errors") {
  std::string path = tiny_weights(ulr::Method::Mmt1);
  ulrseg::Segmenter seg(path);
  std::vector<uint8_t> big(64 * 48 * 3, 128);
  ulrseg::Segmentation s = seg.segment_image(big.data(), 64, 48);
  CHECK(s.width == 64);
  CHECK_THROWS_WITH_AS(seg.segment(big.data(), 64, 48), doctest::Contains("frame is 64x48"), ulrseg::Error);
  CHECK_THROWS_AS(seg.segment_image(big.data(), 8, 8), ulrseg::Error);
  CHECK_THROWS_WITH_AS(ulrseg::Segmenter("/tmp/ulrseg_absent.safetensors"),
                       doctest::Contains("/tmp/ulrseg_absent.safetensors"), ulrseg::Error);
  std::string hr = tiny_weights(ulr::Method::Hr);
  CHECK_THROWS_WITH_AS(ulrseg::Segmenter{hr}, doctest::Contains("needs HR images"), ulrseg::Error);
  std::remove(path.c_str());
  std::remove(hr.c_str());
}
