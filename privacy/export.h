// `ulrseg privacy export`: the frames an attacker of the sweep saw, written for outside tools:
// DIR/train/IDENTITY/*.png (the sweep's training and validation views), DIR/test/IDENTITY/*.png
// and DIR/views.csv (split,identity,file,distance_m,distance_bin,sitting,world_seed), one row
// per image, with IDENTITY = person00 .. person23. The views are those of the sweep for the
// same seed and size (privacy/sweep.h), so another tool attacks exactly the same data.
#pragma once
#include <cstdint>
#include <string>

#include "privacy/person_views.h"

namespace ulr {

struct ExportOptions {
  int res = 16;                      // 8, 12, 16, 24, 32 or 96 (HR)
  Outfits outfits = Outfits::Fixed;
  bool quick = false;                // the quick sweep's views
  uint64_t seed = 1;
  std::string out;
};

struct ExportReport {
  int64_t train_images = 0, test_images = 0;
  std::string csv;
};

// Throws Error for a resolution not compared by the sweep, when `out` exists and is not an
// empty folder (nothing is overwritten), or naming a file that cannot be written.
ExportReport export_attack_frames(const ExportOptions& options);

// "person07".
std::string identity_folder(int identity);

}  // namespace ulr
