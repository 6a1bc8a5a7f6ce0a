// NYUv2's official labelled file, nyu_depth_v2_labeled.mat: a MATLAB v7.3 file, which is HDF5
// behind a 512-byte MATLAB header. MATLAB writes its column-major arrays with the dimensions
// reversed, so the H x W x 3 x N uint8 `images` are the HDF5 dataset (N,3,W,H) and the
// H x W x N uint16 `labels` (N,W,H): element (n, c, x, y) is pixel (x, y) of image n. Read
// through HDF5's C library when the build has it (CMake finds libhdf5-dev).
#include "data/import.h"

#include "engine/error.h"
#include "engine/fileio.h"

#ifdef ULRSEG_HAVE_HDF5
#include <hdf5.h>

#include <cstdio>
#include <mutex>
#endif

namespace ulr {

#ifndef ULRSEG_HAVE_HDF5

bool import_has_hdf5() { return false; }

std::unique_ptr<ImportSource> open_nyu_mat(const std::string& path, Unlabelled) {
  throw Error(path + ": reading the NYUv2 .mat needs a build with HDF5 (install libhdf5-dev, "
              "e.g. with scripts/deps.sh, and configure the build again)");
}

#else

bool import_has_hdf5() { return true; }

namespace {

// The library is built serial (not thread-safe): every call into it holds this lock.
std::mutex& hdf5_lock() {
  static std::mutex m;
  return m;
}

// An HDF5 identifier, closed by its close function when it goes out of scope.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// The dimensions of dataset `name`; throws naming the file when it is absent or not integers.
std::vector<hsize_t> integer_dataset_dims(hid_t file, const std::string& path, const char* name) {
  if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
    throw Error(path + ": no dataset \"" + name + "\" (nyu_depth_v2_labeled.mat has images and labels)");
  Handle set(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
  if (!set.ok()) throw Error(path + ": \"" + name + "\" is not a dataset");
  Handle type(H5Dget_type(set.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_INTEGER)
    throw Error(path + ": dataset \"" + name + "\" does not hold integers");
  Handle space(H5Dget_space(set.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 1 || rank > 8) throw Error(path + ": dataset \"" + name + "\" has rank " + std::to_string(rank));
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

std::string dims_text(const std::vector<hsize_t>& dims) {
  std::string s = "(";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + ")";
}

class NyuMatSource : public ImportSource {
 public:
  NyuMatSource(const std::string& path, Unlabelled unlabelled) : path_(path) {
    map_ = nyu894_class_map(unlabelled);
    unlabelled_ = unlabelled_name(unlabelled);
    regular_file_size(path, "an HDF5 file");  // missing, a folder or a FIFO: one clear line
    std::lock_guard<std::mutex> lock(hdf5_lock());
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become our messages, not a stack dump
    if (H5Fis_hdf5(path.c_str()) <= 0)
      throw Error(path + ": not an HDF5 file (nyu_depth_v2_labeled.mat is MATLAB v7.3, which is HDF5)");
    file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file_ < 0) throw Error(path + ": cannot open as HDF5");
    try {
      check_shapes();
    } catch (...) {
      H5Fclose(file_);
      throw;
    }
    for (int k = 1; k <= int(count_); ++k) {
      char name[16];
      std::snprintf(name, sizeof name, "nyu-%04d", k);
      ImportItem item;
      item.name = name;
      item.split = nyu_official_test(k) ? "test" : "train";
      item.image = path + ": image " + std::to_string(k);
      item.label = path + ": labels of image " + std::to_string(k);
      item.index = k - 1;
      items_.push_back(item);
    }
  }
  ~NyuMatSource() override {
    std::lock_guard<std::mutex> lock(hdf5_lock());
    H5Fclose(file_);
  }

  SourceSample read(const ImportItem& item, int64_t max_pixels) const override {
    if (width_ * height_ > max_pixels)
      throw Error(item.image + ": " + std::to_string(width_) + "x" + std::to_string(height_) +
                  " is more pixels than allowed (" + std::to_string(max_pixels) + ")");
    const size_t W = size_t(width_), H = size_t(height_), plane = W * H;
    std::vector<uint8_t> rgb(3 * plane);    // (3,W,H) as stored
    std::vector<uint16_t> ids(plane);       // (W,H) as stored
    {
      std::lock_guard<std::mutex> lock(hdf5_lock());
      read_slab("images", item, {1, 3, hsize_t(W), hsize_t(H)}, H5T_NATIVE_UINT8, rgb.data());
      read_slab("labels", item, {1, hsize_t(W), hsize_t(H)}, H5T_NATIVE_UINT16, ids.data());
    }
    SourceSample s;
    s.image = Image(int(W), int(H), 3);
    s.labels.resize(plane);
    for (size_t y = 0; y < H; ++y)
      for (size_t x = 0; x < W; ++x) {
        for (size_t c = 0; c < 3; ++c) s.image.px[(y * W + x) * 3 + c] = rgb[(c * W + x) * H + y];
        s.labels[y * W + x] = ids[x * H + y];
      }
    return s;
  }

 private:
  // images (N,3,W,H) and labels (N,W,H) with one N, W and H.
  void check_shapes() {
    const std::vector<hsize_t> im = integer_dataset_dims(file_, path_, "images");
    const std::vector<hsize_t> lab = integer_dataset_dims(file_, path_, "labels");
    if (im.size() != 4 || im[1] != 3)
      throw Error(path_ + ": dataset \"images\" has shape " + dims_text(im) +
                  ", expected (N, 3, W, H) (MATLAB's H x W x 3 x N)");
    if (lab.size() != 3 || lab[0] != im[0] || lab[1] != im[2] || lab[2] != im[3])
      throw Error(path_ + ": dataset \"labels\" has shape " + dims_text(lab) + ", expected (" +
                  std::to_string(im[0]) + ", " + std::to_string(im[2]) + ", " +
                  std::to_string(im[3]) + ") to match \"images\" " + dims_text(im));
    if (im[0] < 1 || im[0] > hsize_t(kNyuLabelledImages))
      throw Error(path_ + ": holds " + std::to_string(im[0]) + " images; NYUv2 has " +
                  std::to_string(kNyuLabelledImages) + " labelled images");
    if (im[2] < 1 || im[3] < 1 || im[2] > 65536 || im[3] > 65536)
      throw Error(path_ + ": images of " + std::to_string(im[2]) + "x" + std::to_string(im[3]) + " (WxH)");
    count_ = int64_t(im[0]);
    width_ = int64_t(im[2]);
    height_ = int64_t(im[3]);
  }

  // Reads item's slice of dataset `name` ([index, 0, ...] of shape `count`) as `type`.
  void read_slab(const char* name, const ImportItem& item, std::vector<hsize_t> count, hid_t type,
                 void* out) const {
    Handle set(H5Dopen2(file_, name, H5P_DEFAULT), H5Dclose);
    Handle space(set.ok() ? H5Dget_space(set.get()) : -1, H5Sclose);
    std::vector<hsize_t> start(count.size(), 0);
    start[0] = hsize_t(item.index);
    Handle memory(H5Screate_simple(int(count.size()), count.data(), nullptr), H5Sclose);
    if (!space.ok() || !memory.ok() ||
        H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) < 0 ||
        H5Dread(set.get(), type, memory.get(), space.get(), H5P_DEFAULT, out) < 0)
      throw Error((name[0] == 'i' ? item.image : item.label) + ": cannot read (damaged file?)");
  }

  std::string path_;
  hid_t file_ = -1;
  int64_t count_ = 0, width_ = 0, height_ = 0;
};

}  // namespace

std::unique_ptr<ImportSource> open_nyu_mat(const std::string& path, Unlabelled unlabelled) {
  return std::make_unique<NyuMatSource>(path, unlabelled);
}

#endif

}  // namespace ulr
