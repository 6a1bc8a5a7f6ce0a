#include "data/views.h"

#include <algorithm>
#include <exception>
#include <vector>

#include "data/folder.h"
#include "data/synthetic.h"
#include "engine/error.h"
#include "engine/parallel.h"

namespace ulr {

ViewSet read_view_set(const Dataset& dataset, int64_t count, int height, int width) {
  count = std::min(count, dataset.size());
  if (count < 1) throw Error("read_view_set: the dataset has no samples");
  ViewSet set{Tensor::empty({count, 3, height, width}), Labels(Shape{count, height, width})};
  const int64_t plane = int64_t(height) * width;
  std::vector<std::string> errors(static_cast<size_t>(count));
  parallel_for(count, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      try {
        Sample s = dataset.get(i);
        if (s.rgb.size(1) != height || s.rgb.size(2) != width)
          throw Error(s.name + ": sample is " + std::to_string(s.rgb.size(2)) + "x" +
                      std::to_string(s.rgb.size(1)) + ", expected " + std::to_string(width) + "x" +
                      std::to_string(height));
        std::copy(s.rgb.data(), s.rgb.data() + 3 * plane, set.hr.data() + i * 3 * plane);
        std::copy(s.labels.data.begin(), s.labels.data.end(), set.labels.data.begin() + i * plane);
      } catch (const std::exception& e) {
        errors[size_t(i)] = e.what();
      }
    }
  });
  for (const std::string& e : errors)
    if (!e.empty()) throw Error(e);
  return set;
}

ViewSet load_view_set(const std::string& data, uint64_t seed, const std::string& split,
                      int64_t count, int height, int width, int64_t max_pixels) {
  if (data == "synthetic") {
    SyntheticDataset source(seed, parse_split(split), count, height, width);
    return read_view_set(source, count, height, width);
  }
  FolderOptions fo;
  fo.height = height, fo.width = width, fo.max_pixels = max_pixels;
  std::shared_ptr<FolderDataset> folder = FolderDataset::open(data, split, fo);
  require_project_classes(folder->manifest(), data + "/dataset.json");
  return read_view_set(*folder, count, height, width);
}

Sample ViewSetDataset::get(int64_t i) const {
  if (i < 0 || i >= size()) throw Error("view " + std::to_string(i) + " is out of range");
  const int64_t H = views_.hr.size(2), W = views_.hr.size(3), plane = H * W;
  Sample s;
  s.rgb = Tensor::empty({3, H, W});
  std::copy(views_.hr.data() + i * 3 * plane, views_.hr.data() + (i + 1) * 3 * plane, s.rgb.data());
  s.labels = Labels(Shape{1, H, W});
  std::copy(views_.labels.data.begin() + i * plane, views_.labels.data.begin() + (i + 1) * plane,
            s.labels.data.begin());
  s.name = "view " + std::to_string(i);
  return s;
}

}  // namespace ulr
