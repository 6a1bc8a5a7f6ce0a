// Material palettes: colour and pattern draws for wood, paint, fabric, plastic, tiles and stone.
// Classes draw from overlapping palettes, so colour alone never tells the class.
#include <algorithm>
#include <cmath>

#include "data/world_builder.h"

namespace ulr::worldgen {

void hsv_to_rgb(float h, float s, float v, float rgb[3]) {
  h = std::fmod(std::fmod(h, 360.0f) + 360.0f, 360.0f) / 60.0f;
  int i = int(h);
  float f = h - float(i), p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  float r, g, b;
  switch (i) {
    case 0: r = v, g = t, b = p; break;
    case 1: r = q, g = v, b = p; break;
    case 2: r = p, g = v, b = t; break;
    case 3: r = p, g = q, b = v; break;
    case 4: r = t, g = p, b = v; break;
    default: r = v, g = p, b = q; break;
  }
  rgb[0] = r, rgb[1] = g, rgb[2] = b;
}

namespace {
void set_hsv(float out[3], float h, float s, float v) { hsv_to_rgb(h, std::clamp(s, 0.f, 1.f), std::clamp(v, 0.f, 1.f), out); }
}  // namespace

Material wood(Rng& rng) {
  Material m;
  float h = rng.uniform(18, 42), s = rng.uniform(0.3f, 0.7f), v = rng.uniform(0.25f, 0.9f);
  set_hsv(m.base, h, s, v);
  set_hsv(m.alt, h - 4, s + 0.1f, v * rng.uniform(0.6f, 0.8f));
  m.texture = Texture::Wood;
  m.scale = rng.uniform(0.02f, 0.07f);
  m.seed = rng.next_u32();
  return m;
}

Material paint(Rng& rng) {
  Material m;
  float h = rng.uniform(0, 360), s = rng.uniform() < 0.6f ? rng.uniform(0, 0.15f) : rng.uniform(0.15f, 0.5f);
  float v = rng.uniform(0.5f, 0.95f);
  set_hsv(m.base, h, s, v);
  set_hsv(m.alt, h, s, v * 0.9f);
  m.texture = rng.uniform() < 0.5f ? Texture::Solid : Texture::Noise;
  m.scale = rng.uniform(0.3f, 0.8f);
  m.seed = rng.next_u32();
  return m;
}

Material fabric(Rng& rng) {
  Material m;
  float h = rng.uniform(0, 360), s = rng.uniform(0.1f, 0.8f), v = rng.uniform(0.2f, 0.85f);
  set_hsv(m.base, h, s, v);
  float u = rng.uniform();
  if (u < 0.5f) set_hsv(m.alt, h, s, v * 0.75f);
  else set_hsv(m.alt, h + rng.uniform(60, 300), rng.uniform(0.1f, 0.7f), rng.uniform(0.3f, 0.95f));
  static const Texture kTex[6] = {Texture::Fabric, Texture::Fabric, Texture::Solid,
                                  Texture::Stripes, Texture::Checker, Texture::Plaid};
  m.texture = kTex[rng.below(6)];
  if (rng.uniform() < 0.1f) m.texture = Texture::Dots;
  m.scale = rng.uniform(0.04f, 0.2f);
  m.seed = rng.next_u32();
  return m;
}

Material plastic(Rng& rng) {
  Material m;
  float h = rng.uniform(0, 360), s = rng.uniform() < 0.4f ? rng.uniform(0, 0.1f) : rng.uniform(0.3f, 0.9f);
  float v = rng.uniform(0.1f, 0.95f);
  set_hsv(m.base, h, s, v);
  set_hsv(m.alt, h, s, v * 0.8f);
  m.texture = Texture::Solid;
  m.scale = 0.3f;
  m.seed = rng.next_u32();
  return m;
}

Material tiles(Rng& rng) {
  Material m;
  float h = rng.uniform(0, 360), s = rng.uniform(0, 0.4f), v = rng.uniform(0.45f, 0.95f);
  set_hsv(m.base, h, s, v);
  set_hsv(m.alt, h, s * 0.3f, rng.uniform() < 0.5f ? v * 0.7f : std::min(1.0f, v * 1.2f));
  m.texture = Texture::Tiles;
  m.scale = rng.uniform(0.1f, 0.45f);
  m.seed = rng.next_u32();
  return m;
}

Material stone(Rng& rng) {
  Material m;
  float h = rng.uniform(20, 60), s = rng.uniform(0, 0.25f), v = rng.uniform(0.35f, 0.85f);
  set_hsv(m.base, h, s, v);
  set_hsv(m.alt, h + rng.uniform(-20, 20), s, v * rng.uniform(0.6f, 0.9f));
  m.texture = Texture::Noise;
  m.scale = rng.uniform(0.1f, 0.3f);
  m.seed = rng.next_u32();
  return m;
}

Material any_surface(Rng& rng) {
  switch (rng.below(6)) {
    case 0: return wood(rng);
    case 1: return paint(rng);
    case 2: return fabric(rng);
    case 3: return plastic(rng);
    case 4: return tiles(rng);
    default: return stone(rng);
  }
}

}  // namespace ulr::worldgen
