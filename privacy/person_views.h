// Person views: what the identity and reconstruction attacks see. Each view shows one known
// person (identity 0..kNumIdentities-1) in a synthetic apartment at a controlled distance from
// the camera, standing or sitting, facing any way, under the apartment's lamps and windows and
// a per-view exposure; the HR render, the person's identity map and the person's box come with
// it. The ULR frames are the sensor's captures of the HR render (ulr_frames).
//
// The HR side is 96 px: every resolution the attacks compare (8, 12, 16, 24, 32) divides it,
// so each ULR frame is the area-averaging sensor's exact capture (data/sensor.h).
//
// Splits: train, val and test views come from disjoint apartments (those of the synthetic
// splits, data/synthetic.h) and so from disjoint camera and person poses; every split shows the
// same identities. View i shows identity i % kNumIdentities in distance bin
// (i / kNumIdentities) % kDistanceBins, so each split is balanced over identities and bins.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/synthetic.h"
#include "data/world.h"
#include "engine/tensor.h"

namespace ulr {

constexpr int kPersonViewSize = 96;
constexpr int kDistanceBins = 5;               // [1,2), [2,3), [3,4), [4,5), [5,6] metres
constexpr float kNearestDistance = 1.0f;       // metres
constexpr float kDistanceBinWidth = 1.0f;      // metres
float distance_bin_lo(int bin);                // 1, 2, ... 5
float distance_bin_hi(int bin);                // 2, 3, ... 6
std::string distance_bin_name(int bin);        // "1-2 m"
int distance_bin(float metres);                // clamped to [0, kDistanceBins)

// How a person's clothes relate to their identity: Fixed, each identity always wears its own
// outfit (re-identification within one day's logs); PerView, top and trousers are drawn anew
// for every view and only build, height, skin, hair and face stay (identity across days).
enum class Outfits : uint8_t { Fixed, PerView };
const char* outfits_name(Outfits outfits);  // "fixed", "new"
// Parses "fixed" | "new"; throws Error("outfits: unknown 'X' (fixed, new)").
Outfits parse_outfits(const std::string& name);

// The look of `identity` in the person views: distinct_person_look (data/world.h) with the
// outfit drawn from `rng` when outfits is PerView (rng untouched for Fixed).
PersonLook person_view_look(int identity, Outfits outfits, Rng& rng);

struct PixelBox {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // [x0, x1) x [y0, y1), in HR pixels
};

struct PersonViewSet {
  Tensor hr;                        // (N,3,96,96) in [0,1]
  IntTensor<int16_t> person_map;    // (N,96,96) the person's identity where visible, -1 elsewhere
  std::vector<int> identity;        // (N)
  std::vector<float> distance;      // (N) metres from the camera to the person, on the floor
  std::vector<PixelBox> box;        // (N) the person's visible pixels
  std::vector<uint8_t> sitting;     // (N) 1 when the person sits
  std::vector<uint64_t> world_seed; // (N) the apartment of each view
  int64_t size() const { return int64_t(identity.size()); }
  int bin(int64_t i) const { return distance_bin(distance[size_t(i)]); }
};

struct PersonViewOptions {
  Outfits outfits = Outfits::Fixed;
  int per_identity = 10;  // views of each identity (views = per_identity * kNumIdentities)
  uint64_t seed = 1;      // the apartments: those of the synthetic split with this seed
};

// Renders the person views of `split`, in parallel, one view per task into its own slot:
// bit-identical for any thread count. Throws Error for per_identity < 1, or when no apartment
// holds a view (the search tries several apartments per view).
PersonViewSet render_person_views(Split split, const PersonViewOptions& options);

// The frames a sensor of side `res` hands over: area average of the HR views, 8-bit, no noise.
// res must divide 96. -> (N,3,res,res); res = 96 returns the HR views themselves.
Tensor ulr_frames(const PersonViewSet& views, int res);

// Person-centred crops of frames of the views (the attacker knows where the person is): for
// view i, a window of frames[i] with the crop's aspect, centred on the person's box and 1.15
// times as large as needed to hold it (at least 2 frame pixels high), resampled to
// height x width: each output pixel averages k x k bilinear taps (k = ceil(window pixels per
// output pixel)), the border repeated outside the frame. A standing person is about 3.5 times
// as tall as wide, so a crop twice as high as wide gives the person most of its pixels.
// frames (N,3,r,r), any r (an SR output too) -> (N,3,height,width).
constexpr int kCropHeight = 64, kCropWidth = 32;
Tensor person_crops(const Tensor& frames, const PersonViewSet& views, int height = kCropHeight,
                    int width = kCropWidth);

}  // namespace ulr
