// The privacy sweep behind `ulrseg privacy`: identity attacks (privacy/attack.h) on the person
// views (privacy/person_views.h) at every resolution, on the whole frame and on a
// person-centred crop, in both outfit settings; the same on the SR output of each of our models
// given; reconstruction attacks (privacy/reconstruction.h) and the HR attacks run on their
// outputs; segmentation mIoU of our models (the utility); and the policy: from which distance
// on identity accuracy is no longer above chance.
#pragma once
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "privacy/person_views.h"
#include "privacy/reconstruction.h"
#include "privacy/stats.h"

namespace ulr {

// The resolutions compared: the ULR sides, then HR (the 96x96 view itself, the ceiling).
const std::vector<int>& privacy_resolutions();  // {8, 12, 16, 24, 32, 96}
std::string resolution_name(int res);           // "16x16", "HR 96x96"

// How much the sweep renders and trains; quick is for a first look and for the tests.
struct SweepSizes {
  int train_per_identity, val_per_identity, test_per_identity;
  int epochs;          // identity attacks on ULR frames and SR outputs
  int hr_epochs;       // the HR attacks (the ceiling)
  int width;           // identity attacks' Cnn width
  int recon_epochs;    // reconstruction G, over both settings' training views
  int recon_width;
  int miou_views;      // synthetic test views for the utility
};
SweepSizes sweep_sizes(bool quick);

struct SweepOptions {
  bool quick = false;
  uint64_t seed = 1;                   // person views, attacks, and the utility's test views
  std::map<int, std::string> models;   // ULR side -> weights file of ours taking that side
  FILE* log = nullptr;                 // progress lines with elapsed seconds; null: silent
};

// One identity attack evaluated on the test views.
struct AttackResult {
  Accuracy top1, top5;
  std::vector<Accuracy> per_bin;  // top-1 per distance bin
  double val_top1 = 0;
  int best_epoch = 0;
  double seconds = 0;             // training and testing
  // The first distance bin from which on the attack is no better than chance (policy rule of
  // privacy/stats.h); kDistanceBins when even the farthest bin leaks.
  int protected_bin(double chance) const { return first_protected_bin(per_bin, chance); }
};

struct ReconstructionResult {
  ReconstructionQuality quality;
  AttackResult identity_frame, identity_crop;  // the HR attacks run on the reconstructions
  double seconds = 0;                          // training G (shared by the settings) and testing
};

struct ResolutionResult {
  int res = 0;
  AttackResult frame, crop;
  bool has_sr = false;             // a model of ours takes this side
  int sr_side = 0;                 // its SR output's side
  AttackResult sr_frame, sr_crop;  // attacks trained on G's output
  AttackResult sr_by_hr_crop;      // the HR crop attack run on crops of G's output
  bool has_reconstruction = false; // every ULR side (not HR)
  ReconstructionResult reconstruction;
};

// The policy over every attack on a side (frame, crop, those on G's output, the HR attacks on
// the reconstructions): the farthest of their first protected bins.
int policy_bin(const ResolutionResult& r, double chance);

struct SettingResult {
  Outfits outfits = Outfits::Fixed;
  std::vector<ResolutionResult> resolutions;  // in privacy_resolutions() order
};

struct UtilityResult {
  int res = 0;
  std::string weights;
  double miou = 0, pixel_accuracy = 0;
  int64_t views = 0;
};

struct PrivacyReport {
  bool quick = false;
  uint64_t seed = 0;
  SweepSizes sizes{};
  int64_t train_views = 0, val_views = 0, test_views = 0;  // per setting
  std::vector<SettingResult> settings;                      // fixed, then new outfits
  std::vector<UtilityResult> utility;                       // by resolution
  double render_seconds = 0, total_seconds = 0;
  double chance() const { return chance_accuracy(kNumIdentities, 1); }
  double chance_top5() const { return chance_accuracy(kNumIdentities, 5); }
  const UtilityResult* utility_at(int res) const;
};

// Runs the sweep. Throws Error naming the file for a weights file that cannot be loaded or
// does not take frames of its resolution.
PrivacyReport run_privacy_sweep(const SweepOptions& options);

// The headline of `ulrseg demo`: the crop attack at 16x16, fixed outfits, on a small training
// set, top-1 at the nearest and the farthest distance bin.
struct PrivacyHeadline {
  Accuracy near, far;
  double chance = 0, seconds = 0;
};
PrivacyHeadline run_privacy_headline(uint64_t seed);

}  // namespace ulr
