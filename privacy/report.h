// The privacy sweep's report (privacy/sweep.h) as JSON, text and markdown, and its figures as
// SVG files. Printers only format the report.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "engine/json.h"
#include "privacy/sweep.h"

namespace ulr {

// {"quick", "seed", "identities", "chance", "chance_top5", "hr_size", "distance_bins_m",
//  "views", "policy_margin", "settings": [{"outfits", "resolutions": [{"resolution", "name",
//  "identity_top1", "identity_top5", "chance", "chance_top5", "ci95", "ci95_top5",
//  "per_distance", "protected_beyond_m", "crop": {...the same...}, "sr": {"side", "frame",
//  "crop"} (where a model exists), "reconstruction_psnr", "reconstruction_ssim",
//  "reconstruction_psnr_person", "reconstruction_ssim_person", "reconstruction_identity_top1",
//  "reconstruction_identity_ci95", "reconstruction_identity_frame_top1" (ULR sides),
//  "miou" (where a model exists)}], "policy": [...]}], "utility": [...], "seconds": {...}}
// protected_beyond_m: the distance from which on the attack is no better than chance, null when
// it is better even in the farthest bin.
Json privacy_json(const PrivacyReport& report);
void print_privacy_text(const PrivacyReport& report, FILE* out);
void print_privacy_markdown(const PrivacyReport& report, FILE* out);

// Writes DIR/accuracy_vs_resolution.svg, DIR/accuracy_vs_distance_fixed.svg,
// DIR/accuracy_vs_distance_new.svg and DIR/utility_vs_leakage.svg (creating DIR); returns the
// paths written. Throws Error naming a file that cannot be written.
std::vector<std::string> write_privacy_plots(const PrivacyReport& report, const std::string& dir);

// The distance from which on an attack is no better than chance, as text: "1 m" (from the
// nearest bin), "5 m", or "> 6 m" when even the farthest bin leaks.
std::string protected_text(int first_protected_bin);

}  // namespace ulr
