// The ray caster: primitive intersection, a 2D DDA walk over the world's primitive grid,
// analytic floor and ceiling planes, procedural textures and Lambert lighting.
#include "data/render.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "data/classes.h"
#include "data/render_texture.h"
#include "engine/error.h"
#include "engine/parallel.h"

namespace ulr {
namespace {

constexpr float kEps = 1e-4f;
constexpr float kInf = std::numeric_limits<float>::infinity();

struct Ray {
  Vec3 o, d, inv;
};

Ray make_ray(Vec3 o, Vec3 d) {
  auto inv = [](float v) { return std::fabs(v) > 1e-12f ? 1.0f / v : (v < 0 ? -1e12f : 1e12f); };
  return {o, d, {inv(d.x), inv(d.y), inv(d.z)}};
}

// The hit of the nearest primitive; prim == -1 for the floor, -2 for the ceiling, -3 for none.
struct Hit {
  float t = kInf;
  int prim = -3;
  int axis = 2;  // box face axis (0 x, 1 y, 2 z); cylinder side = 3; sphere = 4
  Vec3 n;
};

inline bool hit_box(const Primitive& p, const Ray& r, float tmax, Hit& h, int index) {
  float tx0 = (p.lo.x - r.o.x) * r.inv.x, tx1 = (p.hi.x - r.o.x) * r.inv.x;
  float ty0 = (p.lo.y - r.o.y) * r.inv.y, ty1 = (p.hi.y - r.o.y) * r.inv.y;
  float tz0 = (p.lo.z - r.o.z) * r.inv.z, tz1 = (p.hi.z - r.o.z) * r.inv.z;
  float nx = std::min(tx0, tx1), fx = std::max(tx0, tx1);
  float ny = std::min(ty0, ty1), fy = std::max(ty0, ty1);
  float nz = std::min(tz0, tz1), fz = std::max(tz0, tz1);
  float tn = std::max(nx, std::max(ny, nz)), tf = std::min(fx, std::min(fy, fz));
  if (tn > tf || tn < kEps || tn >= tmax) return false;
  h.t = tn;
  h.prim = index;
  if (tn == nx) h.axis = 0, h.n = {r.d.x > 0 ? -1.f : 1.f, 0, 0};
  else if (tn == ny) h.axis = 1, h.n = {0, r.d.y > 0 ? -1.f : 1.f, 0};
  else h.axis = 2, h.n = {0, 0, r.d.z > 0 ? -1.f : 1.f};
  return true;
}

inline bool hit_cylinder(const Primitive& p, const Ray& r, float tmax, Hit& h, int index) {
  float cx = 0.5f * (p.lo.x + p.hi.x), cy = 0.5f * (p.lo.y + p.hi.y), R = 0.5f * (p.hi.x - p.lo.x);
  float fx = r.o.x - cx, fy = r.o.y - cy;
  float best = tmax;
  bool found = false;
  float a = r.d.x * r.d.x + r.d.y * r.d.y;
  if (a > 1e-12f) {
    float b = fx * r.d.x + fy * r.d.y, c = fx * fx + fy * fy - R * R, disc = b * b - a * c;
    if (disc >= 0) {
      float t = (-b - std::sqrt(disc)) / a;
      if (t > kEps && t < best) {
        float z = r.o.z + t * r.d.z;
        if (z >= p.lo.z && z <= p.hi.z) {
          best = t, found = true;
          h.n = {(fx + t * r.d.x) / R, (fy + t * r.d.y) / R, 0};
          h.axis = 3;
        }
      }
    }
  }
  if (std::fabs(r.d.z) > 1e-12f) {
    float zc = r.d.z < 0 ? p.hi.z : p.lo.z, t = (zc - r.o.z) * r.inv.z;
    if (t > kEps && t < best) {
      float x = fx + t * r.d.x, y = fy + t * r.d.y;
      if (x * x + y * y <= R * R) {
        best = t, found = true;
        h.n = {0, 0, r.d.z < 0 ? 1.f : -1.f};
        h.axis = 2;
      }
    }
  }
  if (found) h.t = best, h.prim = index;
  return found;
}

inline bool hit_sphere(const Primitive& p, const Ray& r, float tmax, Hit& h, int index) {
  float cx = 0.5f * (p.lo.x + p.hi.x), cy = 0.5f * (p.lo.y + p.hi.y), cz = 0.5f * (p.lo.z + p.hi.z);
  float R = 0.5f * (p.hi.x - p.lo.x);
  float fx = r.o.x - cx, fy = r.o.y - cy, fz = r.o.z - cz;
  float b = fx * r.d.x + fy * r.d.y + fz * r.d.z, c = fx * fx + fy * fy + fz * fz - R * R;
  float disc = b * b - c;
  if (disc < 0) return false;
  float t = -b - std::sqrt(disc);
  if (t < kEps || t >= tmax) return false;
  h.t = t;
  h.prim = index;
  h.axis = 4;
  h.n = {(fx + t * r.d.x) / R, (fy + t * r.d.y) / R, (fz + t * r.d.z) / R};
  return true;
}

// Remembers which instances the current ray has tested, so an instance that spans several
// grid cells is tested once per ray.
struct Mailbox {
  std::vector<uint32_t> stamp;
  uint32_t ray = 0;
  explicit Mailbox(const World& w) : stamp(w.instances.size(), 0) {}
  bool first_visit(int inst) {
    if (stamp[size_t(inst)] == ray) return false;
    stamp[size_t(inst)] = ray;
    return true;
  }
};

inline bool hit_bounds(const Vec3& lo, const Vec3& hi, const Ray& r, float tmax) {
  float tx0 = (lo.x - r.o.x) * r.inv.x, tx1 = (hi.x - r.o.x) * r.inv.x;
  float ty0 = (lo.y - r.o.y) * r.inv.y, ty1 = (hi.y - r.o.y) * r.inv.y;
  float tz0 = (lo.z - r.o.z) * r.inv.z, tz1 = (hi.z - r.o.z) * r.inv.z;
  float tn = std::max(std::min(tx0, tx1), std::max(std::min(ty0, ty1), std::min(tz0, tz1)));
  float tf = std::min(std::max(tx0, tx1), std::min(std::max(ty0, ty1), std::max(tz0, tz1)));
  return tn <= tf && tf > 0 && tn < tmax;
}

// The floor (prim -1) or ceiling (prim -2) plane along the ray; prim -3 when the ray is level.
Hit plane_hit(const World& w, const Ray& r) {
  Hit h;
  if (r.d.z < -1e-9f) h.t = -r.o.z * r.inv.z, h.prim = -1;
  else if (r.d.z > 1e-9f) h.t = (w.ceiling_height - r.o.z) * r.inv.z, h.prim = -2;
  h.axis = 2;
  h.n = {0, 0, h.prim == -1 ? 1.f : -1.f};
  return h;
}

// Tests the instances listed in grid cell `cell` that this ray has not tested yet, their bounds
// first, and keeps in `best` the nearest hit before `limit`.
void hit_cell(const World& w, const Ray& r, int cell, float limit, Mailbox& mb, Hit& best) {
  const PrimitiveGrid& g = w.grid;
  float tmax = std::min(best.t, limit);
  for (int k = g.start[size_t(cell)]; k < g.start[size_t(cell) + 1]; ++k) {
    const int inst = g.items[size_t(k)];
    if (!mb.first_visit(inst)) continue;
    const int p0 = g.instance_first[size_t(inst)], p1 = g.instance_first[size_t(inst) + 1];
    if (p1 - p0 > 1) {
      const Instance& in = w.instances[size_t(inst)];
      if (!hit_bounds(in.lo, in.hi, r, tmax)) continue;
    }
    for (int pi = p0; pi < p1; ++pi) {
      const Primitive& p = w.primitives[size_t(pi)];
      Hit h;
      bool hit = p.kind == PrimitiveKind::Box        ? hit_box(p, r, tmax, h, pi)
                 : p.kind == PrimitiveKind::Cylinder ? hit_cylinder(p, r, tmax, h, pi)
                                                     : hit_sphere(p, r, tmax, h, pi);
      if (hit) best = h, tmax = h.t;
    }
  }
}

// Nearest hit along the ray up to max_t: the DDA visits the grid cells the ray's floor-plan
// projection crosses, in order, and stops once the best hit lies before the next cell. (A hit
// found beyond the current cell is kept: every primitive it could hide lies in a later cell.)
Hit trace(const World& w, const Ray& r, float max_t, Mailbox& mb) {
  Hit best;
  const Hit plane = plane_hit(w, r);
  float limit = std::min(plane.t, max_t);
  if (++mb.ray == 0) std::fill(mb.stamp.begin(), mb.stamp.end(), 0), mb.ray = 1;

  const PrimitiveGrid& g = w.grid;
  float gx = (r.o.x - g.x0) / g.cell, gy = (r.o.y - g.y0) / g.cell;
  int ix = int(std::floor(gx)), iy = int(std::floor(gy));
  int step_x = r.d.x > 0 ? 1 : -1, step_y = r.d.y > 0 ? 1 : -1;
  float dtx = std::fabs(g.cell * r.inv.x), dty = std::fabs(g.cell * r.inv.y);
  float tx = (r.d.x > 0 ? (ix + 1 - gx) : (gx - ix)) * dtx;
  float ty = (r.d.y > 0 ? (iy + 1 - gy) : (gy - iy)) * dty;
  if (ix < 0 || iy < 0 || ix >= g.width || iy >= g.height) ix = -1;  // outside: planes only
  float t_enter = 0;
  while (ix >= 0 && t_enter < limit) {
    hit_cell(w, r, iy * g.width + ix, limit, mb, best);
    float t_exit = std::min(tx, ty);
    if (best.t <= t_exit) break;
    t_enter = t_exit;
    if (tx < ty) {
      tx += dtx, ix += step_x;
      if (ix < 0 || ix >= g.width) break;
    } else {
      ty += dty, iy += step_y;
      if (iy < 0 || iy >= g.height) break;
    }
  }
  if (best.t < limit) return best;
  if (plane.t <= max_t && plane.prim != -3) return plane;
  return Hit();
}

struct Lights {
  std::vector<std::vector<Vec3>> windows;  // per room
};

Lights collect_lights(const World& w) {
  Lights l;
  l.windows.resize(w.rooms.size());
  for (const Vec3& p : w.window_lights) {
    int r = w.room_at(p.x, p.y);
    if (r >= 0) l.windows[size_t(r)].push_back(p);
  }
  return l;
}

struct Sample {
  float rgb[3] = {0, 0, 0};
  uint8_t label = kUnknown;
  int16_t identity = -1;
};

// The room a surface point belongs to: the one on the viewer's side of the surface, else the
// one behind it, else room 0.
int room_of(const World& w, Vec3 p, Vec3 n) {
  int room = w.room_at(p.x + 0.06f * n.x, p.y + 0.06f * n.y);
  if (room < 0) room = w.room_at(p.x - 0.06f * n.x, p.y - 0.06f * n.y);
  if (room < 0) room = 0;
  return room;
}

// Light at a point with normal n in `room`: ambient, a little stronger from above and on faces
// across x than across y (so that corners and box edges stay readable even where a lamp lights
// both faces alike), Lambert from the room's lamp (less when something lies between) and its
// windows; at most 1.5.
float light_at(const World& w, const Lights& lights, int room, Vec3 p, Vec3 n, bool shadows, Mailbox& mb) {
  const Room& rm = w.rooms[size_t(room)];
  float light = 0.34f + 0.06f * n.z + 0.05f * std::fabs(n.x);
  auto add = [&](const Vec3& L, float power, float falloff) {
    float lx = L.x - p.x, ly = L.y - p.y, lz = L.z - p.z;
    float d2 = lx * lx + ly * ly + lz * lz, d = std::sqrt(d2) + 1e-6f;
    float cosine = (n.x * lx + n.y * ly + n.z * lz) / d;
    if (cosine <= 0) return 0.0f;
    float c = power * cosine / (1.0f + falloff * d2);
    light += c;
    return c;
  };
  float lamp = add(rm.lamp, 1.0f, 0.12f);
  if (shadows && lamp > 0) {
    Vec3 o = {p.x + 1e-3f * n.x, p.y + 1e-3f * n.y, p.z + 1e-3f * n.z};
    Vec3 d = {rm.lamp.x - o.x, rm.lamp.y - o.y, rm.lamp.z - o.z};
    float len = std::sqrt(d.x * d.x + d.y * d.y + d.z * d.z);
    Hit occ = trace(w, make_ray(o, {d.x / len, d.y / len, d.z / len}), len - 0.45f, mb);
    if (occ.prim >= 0) light -= 0.8f * lamp;
  }
  for (const Vec3& L : lights.windows[size_t(room)]) add(L, 0.7f, 0.3f);
  return std::min(light, 1.5f);
}

// Colour, label and identity of the surface the hit found, lit.
Sample shade(const World& w, const Lights& lights, const Ray& ray, const Hit& h, bool shadows, Mailbox& mb) {
  Sample s;
  if (h.prim == -3) return s;
  Vec3 p = {ray.o.x + h.t * ray.d.x, ray.o.y + h.t * ray.d.y, ray.o.z + h.t * ray.d.z};
  Vec3 n = h.n;
  if (n.x * ray.d.x + n.y * ray.d.y + n.z * ray.d.z > 0) n = {-n.x, -n.y, -n.z};
  const int room = room_of(w, p, n);
  const Room& rm = w.rooms[size_t(room)];

  TextureQuery q;
  q.p = p;
  q.n = n;
  q.axis = h.axis;
  float albedo[3];
  const Material* mat;
  if (h.prim < 0) {
    mat = &w.materials[size_t(h.prim == -1 ? rm.floor_material : rm.ceiling_material)];
    q.lo = {rm.rect.x0, rm.rect.y0, 0};
    q.hi = {rm.rect.x1, rm.rect.y1, w.ceiling_height};
    q.plane = true;
    s.label = h.prim == -1 ? kFloor : kCeiling;
  } else {
    const Primitive& prim = w.primitives[size_t(h.prim)];
    const Instance& inst = w.instances[size_t(prim.instance)];
    mat = &w.materials[size_t(prim.material)];
    q.lo = prim.lo;
    q.hi = prim.hi;
    s.label = inst.class_id;
    s.identity = inst.identity;
  }
  texture_color(*mat, q, albedo);
  const float light = light_at(w, lights, room, p, n, shadows, mb);
  const float e = mat->emissive;
  for (int c = 0; c < 3; ++c) s.rgb[c] = std::min(1.0f, albedo[c] * ((1 - e) * light + e));
  return s;
}

struct Camera {
  Vec3 o, f, r, u;
  float focal, half_w, half_h;
  Ray ray(float px, float py) const {  // px, py in pixel units from the top-left corner
    float a = px - half_w, b = half_h - py;
    Vec3 d = {f.x * focal + r.x * a + u.x * b, f.y * focal + r.y * a + u.y * b, f.z * focal + r.z * a + u.z * b};
    float len = std::sqrt(d.x * d.x + d.y * d.y + d.z * d.z);
    return make_ray(o, {d.x / len, d.y / len, d.z / len});
  }
};

Camera make_camera(const CameraPose& pose, const RenderOptions& opt) {
  Camera c;
  c.o = {pose.x, pose.y, pose.z};
  float cy = std::cos(pose.yaw), sy = std::sin(pose.yaw), cp = std::cos(pose.pitch), sp = std::sin(pose.pitch);
  c.f = {cy * cp, sy * cp, sp};
  c.r = {sy, -cy, 0};
  c.u = {c.r.y * c.f.z - c.r.z * c.f.y, c.r.z * c.f.x - c.r.x * c.f.z, c.r.x * c.f.y - c.r.y * c.f.x};
  c.half_w = 0.5f * float(opt.width);
  c.half_h = 0.5f * float(opt.height);
  c.focal = c.half_w / std::tan(0.5f * opt.hfov_deg * 3.14159265f / 180.0f);
  return c;
}

// The colours of the corner rays of rows y0..y1, (y1 - y0 + 1, W + 1, 3).
std::vector<float> corner_colours(const World& world, const Camera& cam, const Lights& lights,
                                  const RenderOptions& opt, int64_t y0, int64_t y1, Mailbox& mb) {
  const int W = opt.width;
  std::vector<float> corners(size_t(y1 - y0 + 1) * (W + 1) * 3);
  for (int64_t y = y0; y <= y1; ++y)
    for (int x = 0; x <= W; ++x) {
      Ray r = cam.ray(float(x), float(y));
      Sample s = shade(world, lights, r, trace(world, r, 100.0f, mb), opt.shadows, mb);
      float* c = &corners[(size_t(y - y0) * (W + 1) + x) * 3];
      c[0] = s.rgb[0], c[1] = s.rgb[1], c[2] = s.rgb[2];
    }
  return corners;
}

// Rows [y0, y1) of `out`: each pixel's centre ray gives its label and identity, and its colour,
// blended with its four corners' when supersampling.
void render_rows(const World& world, const Camera& cam, const Lights& lights, const RenderOptions& opt,
                 int64_t y0, int64_t y1, RenderResult& out) {
  const int W = opt.width;
  const size_t plane = size_t(opt.height) * W;
  float* rgb = out.rgb.data();  // (3,H,W)
  Mailbox mb(world);
  std::vector<float> corners;
  if (opt.supersample) corners = corner_colours(world, cam, lights, opt, y0, y1, mb);
  for (int64_t y = y0; y < y1; ++y)
    for (int x = 0; x < W; ++x) {
      Ray r = cam.ray(x + 0.5f, y + 0.5f);
      Sample s = shade(world, lights, r, trace(world, r, 100.0f, mb), opt.shadows, mb);
      const size_t i = size_t(y) * W + x;
      out.labels.data[i] = s.label;
      out.identity.data[i] = s.identity;
      for (int c = 0; c < 3; ++c) {
        float v = s.rgb[c];
        if (opt.supersample) {
          const float* c00 = &corners[(size_t(y - y0) * (W + 1) + x) * 3];
          const float* c10 = c00 + size_t(W + 1) * 3;
          v = 0.5f * v + 0.125f * (c00[c] + c00[3 + c] + c10[c] + c10[3 + c]);
        }
        rgb[c * plane + i] = v;
      }
    }
}

}  // namespace

RayHit cast_ray(const World& world, Vec3 origin, Vec3 dir, float max_t) {
  Mailbox mb(world);
  Hit h = trace(world, make_ray(origin, dir), max_t, mb);
  RayHit out;
  if (h.prim == -3) {
    out.t = -1;
    return out;
  }
  out.t = h.t;
  out.primitive = h.prim >= 0 ? h.prim : -1;
  out.normal = h.n;
  if (h.prim >= 0) {
    const Instance& inst = world.instances[size_t(world.primitives[size_t(h.prim)].instance)];
    out.class_id = inst.class_id;
    out.identity = inst.identity;
  } else {
    out.class_id = h.prim == -1 ? kFloor : kCeiling;
  }
  return out;
}

RenderResult render(const World& world, const CameraPose& pose, const RenderOptions& opt) {
  if (opt.height < 1 || opt.width < 1)
    throw Error("render: size " + std::to_string(opt.height) + "x" + std::to_string(opt.width) +
                " must be positive");
  const int H = opt.height, W = opt.width;
  const Camera cam = make_camera(pose, opt);
  const Lights lights = collect_lights(world);
  RenderResult out;
  out.rgb = Tensor::empty({3, H, W});
  out.labels = Labels(Shape{1, H, W}, kUnknown);
  out.identity = IntTensor<int16_t>(Shape{1, H, W}, int16_t(-1));

  // One parallel pass over bands of rows. Each band casts its own corner rows (a band of rows
  // [y0, y1) needs corner rows y0..y1), so bands share nothing and a pixel's value never depends
  // on how rows were split; the boundary corner rows are cast twice, a few percent extra.
  parallel_for(H, 8, [&](int64_t y0, int64_t y1) { render_rows(world, cam, lights, opt, y0, y1, out); });
  return out;
}

}  // namespace ulr
