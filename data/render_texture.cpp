// Procedural textures: surface coordinates of a hit, then one function per family (repeating
// patterns, wood, books, pictures, screens, the outdoors, heads).
#include "data/render_texture.h"

#include <algorithm>
#include <cmath>

namespace ulr {
namespace {

inline uint32_t hash3(int32_t a, int32_t b, uint32_t seed) {
  uint32_t h = seed * 0x9E3779B1u ^ uint32_t(a) * 0x85EBCA77u ^ uint32_t(b) * 0xC2B2AE3Du;
  h ^= h >> 15;
  h *= 0x2C1B3C6Du;
  h ^= h >> 12;
  h *= 0x297A2D39u;
  h ^= h >> 15;
  return h;
}
inline float hashf(int32_t a, int32_t b, uint32_t seed) { return float(hash3(a, b, seed) >> 8) * (1.0f / 16777216.0f); }

// Value noise in [0, 1): smooth interpolation of hashed lattice values.
float noise(float x, float y, uint32_t seed) {
  float fx = std::floor(x), fy = std::floor(y);
  int ix = int(fx), iy = int(fy);
  float tx = x - fx, ty = y - fy;
  tx = tx * tx * (3 - 2 * tx);
  ty = ty * ty * (3 - 2 * ty);
  float a = hashf(ix, iy, seed), b = hashf(ix + 1, iy, seed);
  float c = hashf(ix, iy + 1, seed), d = hashf(ix + 1, iy + 1, seed);
  return (a + (b - a) * tx) + ((c + (d - c) * tx) - (a + (b - a) * tx)) * ty;
}

inline void mix(const float a[3], const float b[3], float t, float out[3]) {
  for (int c = 0; c < 3; ++c) out[c] = a[c] + (b[c] - a[c]) * t;
}
inline void set(float out[3], float r, float g, float b) { out[0] = r, out[1] = g, out[2] = b; }
inline float fract(float v) { return v - std::floor(v); }

void hsv(float h, float s, float v, float out[3]) {
  h = fract(h) * 6.0f;
  int i = int(h);
  float f = h - float(i), p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  switch (i) {
    case 0: set(out, v, t, p); break;
    case 1: set(out, q, v, p); break;
    case 2: set(out, p, v, t); break;
    case 3: set(out, p, q, v); break;
    case 4: set(out, t, p, v); break;
    default: set(out, v, p, q); break;
  }
}

// Procedural art on a canvas, (s, t) in [0, 1] (t up).
void picture(uint32_t seed, float s, float t, float out[3]) {
  const int style = int(hash3(1, 2, seed) % 4);
  hsv(hashf(0, 0, seed), 0.2f + 0.5f * hashf(0, 1, seed), 0.4f + 0.5f * hashf(0, 2, seed), out);
  if (style == 0) {  // overlapping rectangles
    for (int k = 0; k < 6; ++k) {
      float x0 = hashf(k, 3, seed), y0 = hashf(k, 4, seed), w = 0.15f + 0.5f * hashf(k, 5, seed);
      float h = 0.15f + 0.5f * hashf(k, 6, seed);
      if (s >= x0 - w / 2 && s < x0 + w / 2 && t >= y0 - h / 2 && t < y0 + h / 2)
        hsv(hashf(k, 7, seed), 0.4f + 0.6f * hashf(k, 8, seed), 0.2f + 0.8f * hashf(k, 9, seed), out);
    }
  } else if (style == 1) {  // landscape: sky, sun, hills
    float horizon = 0.3f + 0.3f * hashf(1, 1, seed) + 0.08f * std::sin(s * 7 + hashf(2, 2, seed) * 6);
    float sky[3], ground[3];
    hsv(0.55f + 0.1f * hashf(3, 3, seed), 0.5f, 0.9f - 0.3f * t, sky);
    hsv(0.2f + 0.15f * hashf(4, 4, seed), 0.6f, 0.3f + 0.3f * noise(s * 8, t * 8, seed), ground);
    std::copy(t > horizon ? sky : ground, (t > horizon ? sky : ground) + 3, out);
    float sx = s - hashf(5, 5, seed), sy = t - (horizon + 0.2f);
    if (sx * sx + sy * sy < 0.01f) set(out, 1.0f, 0.9f, 0.5f);
  } else if (style == 2) {  // circles
    for (int k = 0; k < 5; ++k) {
      float dx = s - hashf(k, 3, seed), dy = t - hashf(k, 4, seed), r = 0.1f + 0.25f * hashf(k, 5, seed);
      if (dx * dx + dy * dy < r * r) hsv(hashf(k, 7, seed), 0.7f, 0.3f + 0.7f * hashf(k, 9, seed), out);
    }
  } else {  // a figure against a gradient (portrait)
    float bg[3], fg[3];
    hsv(hashf(6, 6, seed), 0.4f, 0.3f + 0.5f * t, bg);
    hsv(hashf(7, 7, seed), 0.5f, 0.3f + 0.4f * hashf(8, 8, seed), fg);
    float dx = s - 0.5f, dy = t - 0.6f;
    bool fig = dx * dx + dy * dy < 0.03f || (t < 0.42f && std::fabs(dx) < 0.3f - 0.3f * t);
    std::copy(fig ? fg : bg, (fig ? fg : bg) + 3, out);
  }
}

void screen(uint32_t seed, float s, float t, float out[3]) {
  const int style = int(hash3(3, 4, seed) % 3);
  if (style == 0) {  // a sports field
    set(out, 0.15f, 0.55f + 0.1f * (int(s * 10) % 2), 0.15f);
    if (std::fabs(s - 0.5f) < 0.01f || std::fabs(t - 0.1f) < 0.01f || std::fabs(t - 0.9f) < 0.01f) set(out, 0.9f, 0.9f, 0.9f);
  } else if (style == 1) {  // news: panels and tickers
    hsv(0.6f, 0.7f, 0.5f, out);
    if (t < 0.18f) set(out, 0.8f, 0.1f, 0.1f);
    if (s > 0.55f && t > 0.3f && t < 0.85f) hsv(hashf(int(s * 4), int(t * 3), seed), 0.5f, 0.7f, out);
  } else {  // a film: warm gradient and shapes
    hsv(hashf(1, 1, seed) + 0.2f * s, 0.6f, 0.2f + 0.6f * noise(s * 3, t * 3, seed), out);
  }
}

void outdoors(uint32_t seed, float s, float t, float out[3]) {
  float horizon = 0.25f + 0.3f * hashf(0, 0, seed);
  bool overcast = hashf(1, 0, seed) < 0.3f;
  if (t > horizon + 0.15f * noise(s * 3, 0, seed) * float(hash3(2, 0, seed) % 2)) {
    if (overcast) set(out, 0.8f, 0.82f, 0.85f);
    else set(out, 0.55f + 0.3f * t, 0.7f + 0.2f * t, 0.95f);
    return;
  }
  if (hash3(3, 0, seed) % 2) {  // trees
    float v = noise(s * 10, t * 10, seed);
    set(out, 0.15f + 0.2f * v, 0.35f + 0.3f * v, 0.12f + 0.1f * v);
  } else {  // buildings with windows
    float v = 0.45f + 0.3f * hashf(int(s * 4), 7, seed);
    set(out, v, v * 0.95f, v * 0.9f);
    if (fract(s * 12) < 0.4f && fract(t * 10) < 0.4f) set(out, 0.25f, 0.3f, 0.38f);
  }
}

// A head: hair on top and at the back, skin with a face pattern at the front.
void head(const Material& m, const TextureQuery& q, float out[3]) {
  float cx = 0.5f * (q.lo.x + q.hi.x), cy = 0.5f * (q.lo.y + q.hi.y), cz = 0.5f * (q.lo.z + q.hi.z);
  float r = 0.5f * (q.hi.x - q.lo.x);
  float dx = (q.p.x - cx) / r, dy = (q.p.y - cy) / r, dz = (q.p.z - cz) / r;
  float fx = std::cos(m.facing), fy = std::sin(m.facing);
  float front = dx * fx + dy * fy, side = -dx * fy + dy * fx;
  const int pattern = m.face_pattern;
  bool hair = dz > 0.45f || (front < -0.1f && dz > (pattern == 1 ? -0.8f : -0.3f));
  if (pattern == 1 && front < 0.3f && dz > -0.6f && std::fabs(side) > 0.6f) hair = true;  // long hair
  if (hair) {
    std::copy(m.hair, m.hair + 3, out);
    return;
  }
  std::copy(m.base, m.base + 3, out);
  if (front < 0.55f) return;
  float ex = std::fabs(side) - 0.35f, ey = dz - 0.15f;
  if (ex * ex + ey * ey < 0.012f) set(out, 0.08f, 0.06f, 0.05f);                        // eyes
  else if (pattern == 2 && std::fabs(ex * ex + ey * ey - 0.03f) < 0.012f) set(out, 0.05f, 0.05f, 0.05f);  // glasses
  else if (std::fabs(side) < 0.28f && std::fabs(dz + 0.42f) < 0.06f) set(out, 0.6f, 0.25f, 0.25f);     // mouth
  else if (pattern == 3 && dz < -0.3f) std::copy(m.hair, m.hair + 3, out);                  // beard
}

// Surface coordinates of a hit: (u, v) in metres, u horizontal and v the other axis (height
// on vertical faces), and (s, t) in [0, 1] across the face (t up), for images.
struct SurfacePoint {
  float u, v, s = 0.5f, t = 0.5f;
};

SurfacePoint surface_point(const TextureQuery& q) {
  SurfacePoint sp;
  switch (q.axis) {
    case 0: sp.u = q.p.y, sp.v = q.p.z, sp.s = (q.p.y - q.lo.y) / std::max(1e-4f, q.hi.y - q.lo.y); break;
    case 1: sp.u = q.p.x, sp.v = q.p.z, sp.s = (q.p.x - q.lo.x) / std::max(1e-4f, q.hi.x - q.lo.x); break;
    case 2: sp.u = q.p.x, sp.v = q.p.y, sp.s = (q.p.x - q.lo.x) / std::max(1e-4f, q.hi.x - q.lo.x); break;
    case 3: {
      float a = std::atan2(q.p.y - 0.5f * (q.lo.y + q.hi.y), q.p.x - 0.5f * (q.lo.x + q.hi.x));
      sp.u = a * 0.5f * (q.hi.x - q.lo.x), sp.v = q.p.z, sp.s = a / 6.2831853f + 0.5f;
      break;
    }
    default: sp.u = q.p.x + q.p.y, sp.v = q.p.z; break;
  }
  if (q.axis == 2) sp.t = (q.p.y - q.lo.y) / std::max(1e-4f, q.hi.y - q.lo.y);
  else sp.t = (q.p.z - q.lo.z) / std::max(1e-4f, q.hi.z - q.lo.z);
  return sp;
}

// Grain along the longer extent of the face; floors get planks with seams. k: 1 / period.
void wood_grain(const Material& m, const TextureQuery& q, float u, float v, float k, float rgb[3]) {
  float ext_u = q.axis == 0 ? q.hi.y - q.lo.y : q.hi.x - q.lo.x;
  float ext_v = q.axis == 2 ? q.hi.y - q.lo.y : q.hi.z - q.lo.z;
  bool along_u = q.plane ? (m.seed & 1) : ext_u >= ext_v;
  float along = along_u ? u : v, across = along_u ? v : u;
  float offset = 0;
  float seam = 1.0f;
  if (q.plane) {
    float plank = across / 0.14f;
    int idx = int(std::floor(plank));
    offset = hashf(idx, 0, m.seed) * 10.0f;
    if (fract(plank) < 0.05f || fract(along / 1.2f + hashf(idx, 1, m.seed)) < 0.01f) seam = 0.7f;
    across += offset;
  }
  float g = fract(across * k + 2.0f * noise(along * 0.8f + offset, across * k * 0.5f, m.seed));
  float ring = g * g;
  mix(m.base, m.alt, 0.8f * ring, rgb);
  for (int c = 0; c < 3; ++c) rgb[c] *= seam;
}

// Book spines: bands of varied colours with a label across, page edges on top.
void book_spines(const Material& m, const TextureQuery& q, float u, float t, float k, float rgb[3]) {
  if (q.axis == 2) {  // the page edges on top
    set(rgb, 0.85f, 0.82f, 0.72f);
    return;
  }
  int band = int(std::floor(u * k));
  hsv(hashf(band, 0, m.seed), 0.3f + 0.5f * hashf(band, 1, m.seed), 0.2f + 0.6f * hashf(band, 2, m.seed), rgb);
  if (fract(u * k) < 0.08f) for (int c = 0; c < 3; ++c) rgb[c] *= 0.5f;
  float lab = 0.6f + 0.2f * hashf(band, 3, m.seed);
  if (t > lab && t < lab + 0.08f) for (int c = 0; c < 3; ++c) rgb[c] = 0.5f + 0.5f * rgb[c];
}

// The patterns of base and alt that repeat every 1/k metres, and Solid's faint noise.
void repeating_pattern(const Material& m, float u, float v, float k, float rgb[3]) {
  switch (m.texture) {
    case Texture::Solid: {
      float n = noise(u * 3, v * 3, m.seed);
      for (int c = 0; c < 3; ++c) rgb[c] = m.base[c] * (0.94f + 0.12f * n);
      return;
    }
    case Texture::Noise: {
      float n = 0.65f * noise(u * k, v * k, m.seed) + 0.35f * noise(u * k * 3, v * k * 3, m.seed + 1);
      mix(m.base, m.alt, n, rgb);
      return;
    }
    case Texture::Fabric: {
      float w = (fract(u * k * 4) < 0.5f) != (fract(v * k * 4) < 0.5f) ? 1.0f : 0.0f;
      mix(m.base, m.alt, 0.25f * w + 0.3f * noise(u * k, v * k, m.seed), rgb);
      return;
    }
    case Texture::Tiles: {
      float a = u * k, b = v * k;
      if (fract(a) < 0.06f || fract(b) < 0.06f) {
        std::copy(m.alt, m.alt + 3, rgb);
        return;
      }
      float h = 0.9f + 0.2f * hashf(int(std::floor(a)), int(std::floor(b)), m.seed);
      for (int c = 0; c < 3; ++c) rgb[c] = std::min(1.0f, m.base[c] * h);
      return;
    }
    case Texture::Stripes: {
      float coord = (m.seed & 1) ? v : u;
      std::copy(fract(coord * k) < 0.5f ? m.base : m.alt, (fract(coord * k) < 0.5f ? m.base : m.alt) + 3, rgb);
      return;
    }
    case Texture::Checker: {
      bool odd = (int(std::floor(u * k)) + int(std::floor(v * k))) & 1;
      std::copy(odd ? m.alt : m.base, (odd ? m.alt : m.base) + 3, rgb);
      return;
    }
    case Texture::Dots: {
      float a = fract(u * k) - 0.5f, b = fract(v * k) - 0.5f;
      bool dot = a * a + b * b < 0.07f;
      std::copy(dot ? m.alt : m.base, (dot ? m.alt : m.base) + 3, rgb);
      return;
    }
    case Texture::Plaid: {
      std::copy(m.base, m.base + 3, rgb);
      if (fract(u * k) < 0.3f) mix(rgb, m.alt, 0.5f, rgb);
      if (fract(v * k) < 0.3f) mix(rgb, m.alt, 0.5f, rgb);
      return;
    }
    default: std::copy(m.base, m.base + 3, rgb);
  }
}

}  // namespace

void texture_color(const Material& m, const TextureQuery& q, float rgb[3]) {
  const SurfacePoint sp = surface_point(q);
  const float k = 1.0f / std::max(1e-3f, m.scale);
  switch (m.texture) {
    case Texture::Solid:
    case Texture::Noise:
    case Texture::Fabric:
    case Texture::Tiles:
    case Texture::Stripes:
    case Texture::Checker:
    case Texture::Dots:
    case Texture::Plaid: return repeating_pattern(m, sp.u, sp.v, k, rgb);
    case Texture::Wood: return wood_grain(m, q, sp.u, sp.v, k, rgb);
    case Texture::Books: return book_spines(m, q, sp.u, sp.t, k, rgb);
    case Texture::Picture: return picture(m.seed, sp.s, sp.t, rgb);
    case Texture::Screen:
      if (m.emissive <= 0) return set(rgb, 0.04f + 0.06f * sp.t, 0.04f + 0.06f * sp.t, 0.05f + 0.07f * sp.t);
      return screen(m.seed, sp.s, sp.t, rgb);
    case Texture::Window: return outdoors(m.seed, sp.s, sp.t, rgb);
    case Texture::Skin: return head(m, q, rgb);
    default: std::copy(m.base, m.base + 3, rgb);
  }
}

}  // namespace ulr
