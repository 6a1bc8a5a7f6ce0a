// How the classes of a real dataset's labels become ulrseg's 14 (data/classes.h): one table per
// release, from the published mappings (docs/DATASETS.md names the sources), and the class-map
// JSON of the generic import.
//
//   SUN RGB-D 37 classes and NYU-40 -> 13: SceneNet's mapping (Handa et al.; the same table as
//     class13Mapping.mat of the NYUv2 meta-data). SUN RGB-D's 37 classes are NYU-40's first 37.
//   NYUv2's 894 object labels -> NYU-40: Gupta et al.'s classMapping40.mat, then -> 13.
//   Label 0 is "unlabelled" in all three: it becomes class 0 (unknown) or the ignore label.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ulr {

// What a release's label 0 (no annotation) becomes: class 0 "unknown", counted as a class by
// losses and metrics (the paper's 14-class counting), or 255, skipped by both.
enum class Unlabelled : uint8_t { Unknown, Ignore };
const char* unlabelled_name(Unlabelled u);  // "unknown", "ignore"
// Parses "unknown" | "ignore"; throws Error("expected unknown or ignore, got 'X'") (the caller
// names the flag or key).
Unlabelled parse_unlabelled(const std::string& name);

// Source label value -> ulrseg class id (0..13) or kIgnoreLabel (255); kUnmapped where the
// table says nothing (such a value in a label file is an error naming it).
struct ClassMap {
  static constexpr int16_t kUnmapped = -1;
  std::string source;           // what the values are, for messages: "SUN RGB-D 37-class"
  std::vector<int16_t> target;  // index = source value
  // The class of source value v, or kUnmapped (also for v beyond the table).
  int16_t operator()(int v) const {
    return v >= 0 && v < int(target.size()) ? target[size_t(v)] : kUnmapped;
  }
};

ClassMap sunrgbd37_class_map(Unlabelled unlabelled);  // values 0..37
ClassMap nyu13_class_map(Unlabelled unlabelled);      // values 0..13 (ids already ulrseg's)
ClassMap nyu894_class_map(Unlabelled unlabelled);     // values 0..894

// The published tables on their own. nyu40_to_13: 1 <= k <= 40 -> 1..13 (ulrseg's ids);
// nyu894_to_40: 1 <= k <= 894 -> 1..40. Both throw Error for k out of range.
int nyu40_to_13(int k);
int nyu894_to_40(int k);

// NYUv2's official split (splits.mat of the toolbox: testNdxs, 654 of the 1449 labelled
// images; the other 795 are trainNdxs). index is 1-based, 1..1449; throws Error beyond.
constexpr int kNyuLabelledImages = 1449;
bool nyu_official_test(int index);

// Reads a class-map JSON (docs/DATASETS.md): {"map": {"VALUE": TARGET, ...}, "unmapped":
// TARGET | "error"} where VALUE is a label value 0..255 and TARGET a class name of
// data/classes.h ("wall"), a class id (0..13) or "ignore". "unmapped" (default "error") says
// what the values not listed become. Throws Error("PATH: ...") naming the key.
ClassMap read_class_map(const std::string& path);

}  // namespace ulr
