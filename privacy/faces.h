// Identity attacks on the user's own face images: DIR/IDENTITY/*.png|jpg|jpeg (the usual
// ImageFolder layout: one folder per person). Each image becomes the frame a sensor of each
// resolution would see of it (centre crop to a square, area average, 8 bits: data/sensor.h),
// and a linear attacker and a small CNN (privacy/attack.h) are scored by stratified k-fold
// cross-validation within the set: every image is predicted once, by attackers that never saw
// it. Closed set, chance = 1 / identities.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/image.h"
#include "privacy/stats.h"

namespace ulr {

struct FaceSet {
  std::string dir;
  std::vector<std::string> identities;  // folder names, sorted
  std::vector<std::string> files;       // every image, identity by identity, sorted
  std::vector<int> label;               // index into identities
  std::vector<Image> images;
  int smallest_side = 0;                // the shortest side of any image
};

// Reads DIR. Folders and files whose names start with '.' are skipped, and so are files of other
// types and anything nested deeper. Throws Error, one line naming the folder or file, when DIR
// is not a folder, has fewer than 2 identity folders, an identity has fewer than 2 images, or an
// image cannot be read (read_image's message, which names the file).
FaceSet read_face_folder(const std::string& dir, int64_t max_pixels = kDefaultMaxPixels);

struct FacesOptions {
  std::vector<int> resolutions = {4, 8, 12, 16, 24, 32, 64};  // those above smallest_side are skipped
  int folds = 5;        // at most; fewer when an identity has fewer images
  int steps = 300;      // training steps (batches of 16) of each attacker in each fold
  uint64_t seed = 1;
};

struct FacesRow {
  int res = 0;
  Accuracy linear, cnn;       // top-1 over every image
  Accuracy linear5, cnn5;     // top-5
};

struct FacesReport {
  std::string dir;
  int identities = 0, images = 0, folds = 0;
  double chance = 0, chance_top5 = 0;
  std::vector<FacesRow> rows;
  std::vector<int> skipped;   // resolutions larger than the smallest image
  int smallest_side = 0;
  double seconds = 0;
};

FacesReport run_faces(const FaceSet& faces, const FacesOptions& options);

}  // namespace ulr
