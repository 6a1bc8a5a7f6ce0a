#include "privacy/person_views.h"

#include <algorithm>
#include <cmath>

#include "data/render.h"
#include "data/sensor.h"
#include "engine/error.h"
#include "engine/parallel.h"

namespace ulr {
namespace {

constexpr float kPi = 3.14159265f;
constexpr float kDeg = kPi / 180.0f;
constexpr float kHfovDeg = 79.0f;     // the synthetic views' camera (data/render.h)
constexpr int kViewsPerWorld = 4;     // views that share an apartment before the next one
constexpr int kWorldsPerView = 16;    // apartments tried for one view
constexpr int kSpotsPerWorld = 200;   // camera spots tried in one apartment
constexpr int kAnglesPerSpot = 16;    // directions tried from one camera spot
constexpr int kMinPersonPixels = 12;  // HR pixels of the person a view must show

struct Placement {
  CameraPose camera;
  PersonPlacement person;
};

// Whether the straight line from `eye` to `target` is clear of everything up to `margin`
// metres before the target.
bool clear_line(const World& w, Vec3 eye, Vec3 target, float margin) {
  Vec3 d = {target.x - eye.x, target.y - eye.y, target.z - eye.z};
  const float len = std::sqrt(d.x * d.x + d.y * d.y + d.z * d.z);
  RayHit h = cast_ray(w, eye, {d.x / len, d.y / len, d.z / len}, len);
  return h.t < 0 || h.t > len - margin;
}

// A camera spot and a person spot `distance` metres apart with a clear view between them, in
// an apartment without people; false when none was found. Each camera spot tries
// kAnglesPerSpot directions, since long sightlines are rare (about 1 % of random rays at chest
// height run 6 m).
bool find_placement(const World& w, float distance, const PersonLook& look, Rng& rng, Placement& out) {
  const float s = look.height / 1.7f;
  for (int t = 0; t < kSpotsPerWorld; ++t) {
    const float cx = rng.uniform(w.bounds.x0, w.bounds.x1), cy = rng.uniform(w.bounds.y0, w.bounds.y1);
    const float base = rng.uniform(-kPi, kPi), eye_z = rng.uniform(0.8f, 1.6f);
    const bool sitting = rng.uniform() < 0.35f;
    const float facing = rng.uniform(-kPi, kPi);
    if (w.room_at(cx, cy) < 0 || !w.is_free(cx, cy, 0.2f)) continue;
    const float chest = sitting ? 0.45f + 0.35f * s : 0.6f * look.height;
    const float head = sitting ? 0.45f + 0.82f * s : look.height - 0.1f;
    const Vec3 eye = {cx, cy, eye_z};
    for (int k = 0; k < kAnglesPerSpot; ++k) {
      const float angle = base + 2.0f * kPi * float(k) / float(kAnglesPerSpot);
      const float dx = std::cos(angle), dy = std::sin(angle);
      const RayHit floor_ray = cast_ray(w, {cx, cy, chest}, {dx, dy, 0}, distance + 0.6f);
      if (floor_ray.t >= 0 && floor_ray.t < distance + 0.6f) continue;
      const float px = cx + distance * dx, py = cy + distance * dy;
      if (w.room_at(px, py) < 0 || !w.is_free(px, py, sitting ? 0.55f : 0.4f)) continue;
      if (!clear_line(w, eye, {px, py, chest}, 0.45f) || !clear_line(w, eye, {px, py, head}, 0.45f)) continue;
      // Yaw: the person anywhere across the frame but inside it; pitch: towards the upper body.
      const float half_fov = 0.5f * kHfovDeg * kDeg;
      const float room_left = std::max(0.0f, half_fov - std::atan(0.35f / distance) - 2.0f * kDeg);
      const float aim = sitting ? 0.45f + 0.45f * s : 0.7f * look.height;
      out.camera.x = cx, out.camera.y = cy, out.camera.z = eye_z;
      out.camera.yaw = angle + rng.uniform(-room_left, room_left);
      out.camera.pitch = std::clamp(std::atan2(aim - eye_z, distance) + rng.uniform(-4.0f, 4.0f) * kDeg,
                                    -20.0f * kDeg, 20.0f * kDeg);
      out.person = {px, py, facing, sitting};
      return true;
    }
  }
  return false;
}

uint64_t view_stream(Split split, int64_t i) { return uint64_t(i) * 3 + uint64_t(split); }

struct RenderedView {
  RenderResult render;
  float distance = 0;
  bool sitting = false;
  uint64_t world_seed = 0;
};

// View i: apartments of the split tried in a fixed order until one holds the view.
RenderedView render_view(const SyntheticSource& source, Split split, int64_t i, int64_t views,
                         const PersonViewOptions& opt) {
  const int identity = int(i % kNumIdentities);
  const int bin = int((i / kNumIdentities) % kDistanceBins);
  Rng rng(opt.seed, 0x9e50000 + view_stream(split, i));
  const float distance = rng.uniform(distance_bin_lo(bin), distance_bin_hi(bin));
  const PersonLook look = person_view_look(identity, opt.outfits, rng);
  const float exposure = rng.uniform(0.75f, 1.25f);
  const int64_t worlds = (views + kViewsPerWorld - 1) / kViewsPerWorld;
  for (int a = 0; a < kWorldsPerView; ++a) {
    const int64_t world_index = i / kViewsPerWorld + a * worlds;
    World world = *source.world_for(world_index * source.views_per_world());
    remove_people(world);
    Placement place;
    if (!find_placement(world, distance, look, rng, place)) continue;
    add_person(world, identity, look, place.person);
    RenderOptions ro;
    ro.height = ro.width = kPersonViewSize;
    ro.hfov_deg = kHfovDeg;
    RenderedView v;
    v.render = render(world, place.camera, ro);
    const auto& ids = v.render.identity.data;
    if (std::count(ids.begin(), ids.end(), int16_t(identity)) < kMinPersonPixels) continue;
    // The exposure, then the HR camera's own 8 bits: what an HR frame of the scene would hold.
    float* px = v.render.rgb.data();
    for (int64_t k = 0; k < v.render.rgb.numel(); ++k) px[k] *= exposure;
    clamp_and_quantize(v.render.rgb, true);
    v.distance = distance;
    v.sitting = place.person.sitting;
    v.world_seed = world.seed;
    return v;
  }
  throw Error("person views: no apartment of the " + std::string(split_name(split)) +
              " split holds view " + std::to_string(i) + " (" + distance_bin_name(bin) + ") after " +
              std::to_string(kWorldsPerView) + " apartments");
}

PixelBox box_of(const int16_t* map, int side, int identity) {
  PixelBox b{side, side, 0, 0};
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x)
      if (map[y * side + x] == identity) {
        b.x0 = std::min(b.x0, x), b.y0 = std::min(b.y0, y);
        b.x1 = std::max(b.x1, x + 1), b.y1 = std::max(b.y1, y + 1);
      }
  return b;
}

}  // namespace

float distance_bin_lo(int bin) { return kNearestDistance + kDistanceBinWidth * float(bin); }
float distance_bin_hi(int bin) { return distance_bin_lo(bin + 1); }

std::string distance_bin_name(int bin) {
  return std::to_string(int(distance_bin_lo(bin))) + "-" + std::to_string(int(distance_bin_hi(bin))) + " m";
}

int distance_bin(float metres) {
  const int bin = int(std::floor((metres - kNearestDistance) / kDistanceBinWidth));
  return std::clamp(bin, 0, kDistanceBins - 1);
}

const char* outfits_name(Outfits outfits) { return outfits == Outfits::Fixed ? "fixed" : "new"; }

Outfits parse_outfits(const std::string& name) {
  if (name == "fixed") return Outfits::Fixed;
  if (name == "new") return Outfits::PerView;
  throw Error("outfits: unknown '" + name + "' (fixed, new)");
}

PersonLook person_view_look(int identity, Outfits outfits, Rng& rng) {
  const PersonLook& look = distinct_person_look(identity);
  return outfits == Outfits::Fixed ? look : redressed(look, rng);
}

PersonViewSet render_person_views(Split split, const PersonViewOptions& opt) {
  if (opt.per_identity < 1)
    throw Error("person views: per_identity must be >= 1, got " + std::to_string(opt.per_identity));
  const int64_t n = int64_t(opt.per_identity) * kNumIdentities;
  const SyntheticSource source(opt.seed, split, kViewsPerWorld);
  std::vector<RenderedView> rendered(static_cast<size_t>(n));
  parallel_for(n, 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) rendered[size_t(i)] = render_view(source, split, i, n, opt);
  });
  const int S = kPersonViewSize;
  PersonViewSet set;
  set.hr = Tensor::empty({n, 3, S, S});
  set.person_map = IntTensor<int16_t>(Shape{n, S, S}, int16_t(-1));
  for (int64_t i = 0; i < n; ++i) {
    const RenderedView& v = rendered[size_t(i)];
    std::copy(v.render.rgb.data(), v.render.rgb.data() + 3 * S * S, set.hr.data() + i * 3 * S * S);
    std::copy(v.render.identity.data.begin(), v.render.identity.data.end(),
              set.person_map.data.begin() + i * S * S);
    const int identity = int(i % kNumIdentities);
    set.identity.push_back(identity);
    set.distance.push_back(v.distance);
    set.box.push_back(box_of(v.render.identity.data.data(), S, identity));
    set.sitting.push_back(v.sitting ? 1 : 0);
    set.world_seed.push_back(v.world_seed);
  }
  return set;
}

Tensor ulr_frames(const PersonViewSet& views, int res) {
  if (res < 1 || kPersonViewSize % res != 0)
    throw Error("person views: resolution " + std::to_string(res) + " does not divide " +
                std::to_string(kPersonViewSize));
  if (res == kPersonViewSize) return views.hr;
  SensorOptions sensor;
  sensor.out_h = sensor.out_w = res;
  return sensor_capture(views.hr, sensor);
}

namespace {

// Bilinear sample of one (r,r) plane at (x, y) in pixel units (pixel centres at k + 0.5),
// the border repeated.
float bilinear_at(const float* plane, int r, float x, float y) {
  const float fx = std::clamp(x - 0.5f, 0.0f, float(r - 1)), fy = std::clamp(y - 0.5f, 0.0f, float(r - 1));
  const int x0 = int(fx), y0 = int(fy), x1 = std::min(x0 + 1, r - 1), y1 = std::min(y0 + 1, r - 1);
  const float ax = fx - float(x0), ay = fy - float(y0);
  const float top = plane[y0 * r + x0] * (1 - ax) + plane[y0 * r + x1] * ax;
  const float bottom = plane[y1 * r + x0] * (1 - ax) + plane[y1 * r + x1] * ax;
  return top * (1 - ay) + bottom * ay;
}

}  // namespace

Tensor person_crops(const Tensor& frames, const PersonViewSet& views, int height, int width) {
  const Shape& s = frames.shape();
  if (s.rank != 4 || s[0] != views.size() || s[1] != 3 || s[2] != s[3])
    throw Error("person crops: frames " + s.str() + " do not fit " + std::to_string(views.size()) + " views");
  if (height < 1 || width < 1)
    throw Error("person crops: size " + std::to_string(height) + "x" + std::to_string(width) + " must be positive");
  const int r = int(s[2]);
  const float f = float(r) / float(kPersonViewSize), aspect = float(height) / float(width);
  Tensor out = Tensor::empty({s[0], 3, height, width});
  parallel_for(s[0], 16, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const PixelBox& b = views.box[size_t(i)];
      const float cx = 0.5f * float(b.x0 + b.x1) * f, cy = 0.5f * float(b.y0 + b.y1) * f;
      const float window_h =
          std::max(2.0f, 1.15f * f * std::max(float(b.y1 - b.y0), aspect * float(b.x1 - b.x0)));
      const float step = window_h / float(height);  // frame pixels per output pixel, both ways
      const int taps = std::max(1, int(std::ceil(step)));
      const float tap = step / float(taps);
      const float left = cx - 0.5f * step * float(width), top = cy - 0.5f * window_h;
      for (int c = 0; c < 3; ++c) {
        const float* plane = frames.data() + (i * 3 + c) * r * r;
        float* dst = out.data() + (i * 3 + c) * height * width;
        for (int v = 0; v < height; ++v)
          for (int u = 0; u < width; ++u) {
            float acc = 0;
            for (int ty = 0; ty < taps; ++ty)
              for (int tx = 0; tx < taps; ++tx)
                acc += bilinear_at(plane, r, left + u * step + (tx + 0.5f) * tap, top + v * step + (ty + 0.5f) * tap);
            dst[v * width + u] = acc / float(taps * taps);
          }
      }
    }
  });
  return out;
}

}  // namespace ulr
