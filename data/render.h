// The ray caster: renders a World (data/world.h) from a pinhole camera into an RGB image, a
// label map and an identity map.
//
// Sampling: rays go through every pixel centre and every pixel corner; a pixel's colour is the
// mean of its centre (weight 1/2) and its four corners (1/8 each), so the image is
// supersampled at a cost of about two rays per pixel. The label and identity of a pixel are
// those of its centre ray. Lighting: Lambert from each room's ceiling lamp and from the
// windows, plus ambient; emissive surfaces (windows, screens) show their own colour.
#pragma once
#include <cstdint>

#include "data/world.h"
#include "engine/tensor.h"

namespace ulr {

// Camera pose: position in metres, yaw in radians from +x towards +y, pitch in radians
// (positive looks up). The camera has no roll.
struct CameraPose {
  float x = 0, y = 0, z = 1.2f;
  float yaw = 0, pitch = 0;
};

struct RenderOptions {
  int height = 64, width = 64;  // any size >= 1; the pixel aspect is square
  float hfov_deg = 79.0f;       // horizontal field of view
  bool supersample = true;      // false: one ray per pixel centre (faster, aliased)
  bool shadows = false;         // shadow rays towards the lamp of the camera's room
};

struct RenderResult {
  Tensor rgb;                    // (3,H,W) float in [0, 1]
  Labels labels;                 // (1,H,W) class ids 0..13 (0 where a ray hits nothing)
  IntTensor<int16_t> identity;   // (1,H,W) person identity, -1 where no person is hit
};

// Renders `world` from `pose`. Rows are split across threads (engine/parallel.h); the result
// is bit-identical for any thread count. Throws Error when the size is not positive.
RenderResult render(const World& world, const CameraPose& pose, const RenderOptions& options);

// The first surface along a ray.
struct RayHit {
  float t = 0;          // distance along the (unit) direction; < 0 when nothing was hit
  int primitive = -1;   // index into World::primitives; -1 for floor/ceiling or no hit
  uint8_t class_id = 0;
  int16_t identity = -1;
  Vec3 normal;
};
// Casts one ray from `origin` along the unit vector `dir`, up to `max_t` metres.
RayHit cast_ray(const World& world, Vec3 origin, Vec3 dir, float max_t = 100.0f);

}  // namespace ulr
