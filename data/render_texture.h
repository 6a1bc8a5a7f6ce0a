// Internal to the renderer: procedural textures (wood, fabric, tiles, patterns, books,
// pictures, TV content, the outdoors, faces), evaluated at a hit point.
#pragma once
#include "data/world.h"

namespace ulr {

struct TextureQuery {
  Vec3 p;             // hit point
  Vec3 n;             // unit normal facing the viewer
  int axis = 2;       // box face axis (0 x, 1 y, 2 z), 3 cylinder side, 4 sphere
  Vec3 lo, hi;        // the primitive's bounds (for a floor or ceiling: the room)
  bool plane = false; // floor or ceiling
};

// Albedo (or emitted colour) of `m` at the query point, each channel in [0, 1].
void texture_color(const Material& m, const TextureQuery& q, float rgb[3]);

}  // namespace ulr
