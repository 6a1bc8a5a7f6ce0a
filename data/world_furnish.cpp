// Furniture, clutter, pictures and people. Every item is placed by a bounded number of random
// tries against the room plan (inside the room, clear of other footprints and doorways, not
// blocking any path between doorways); an item that finds no place is left out.
#include <algorithm>
#include <cmath>

#include "data/world_builder.h"

namespace ulr::worldgen {
namespace {

constexpr float kPi = 3.14159265f;

// An item's local frame: u runs along its width, v from its back (the wall) to its front.
struct Frame {
  Rect r;
  int side = 0;
  float width() const { return side % 2 == 0 ? r.width() : r.depth(); }
  float depth() const { return side % 2 == 0 ? r.depth() : r.width(); }
  void point(float u, float v, float& x, float& y) const {
    switch (side) {
      case 0: x = r.x0 + u, y = r.y0 + v; break;
      case 2: x = r.x1 - u, y = r.y1 - v; break;
      case 1: x = r.x1 - v, y = r.y0 + u; break;
      default: x = r.x0 + v, y = r.y1 - u; break;
    }
  }
  void box(Builder& b, int inst, float u0, float v0, float z0, float u1, float v1, float z1, int mat) const {
    float xa, ya, xb, yb;
    point(u0, v0, xa, ya);
    point(u1, v1, xb, yb);
    b.box(inst, {std::min(xa, xb), std::min(ya, yb), z0}, {std::max(xa, xb), std::max(ya, yb), z1}, mat);
  }
  void cylinder(Builder& b, int inst, float u, float v, float radius, float z0, float z1, int mat) const {
    float x, y;
    point(u, v, x, y);
    b.cylinder(inst, x, y, radius, z0, z1, mat);
  }
  // The footprint of the sub-rectangle [u0,u1] x [v0,v1].
  Rect sub(float u0, float v0, float u1, float v1) const {
    float xa, ya, xb, yb;
    point(u0, v0, xa, ya);
    point(u1, v1, xb, yb);
    return {std::min(xa, xb), std::min(ya, yb), std::max(xa, xb), std::max(ya, yb)};
  }
};

Rect centred(float cx, float cy, float w, float d, int side) {
  float hx = (side % 2 == 0 ? w : d) / 2, hy = (side % 2 == 0 ? d : w) / 2;
  return {cx - hx, cy - hy, cx + hx, cy + hy};
}

bool try_take(RoomPlan& plan, const Rect& r) {
  if (!plan.fits(r) || !plan.keeps_paths(r)) return false;
  plan.take(r);
  return true;
}

// Against a wall (a random one unless `side` >= 0); tall items avoid windows.
bool place_wall(RoomPlan& plan, Rng& rng, float w, float d, float h, Frame& out, int side = -1) {
  for (int t = 0; t < 24; ++t) {
    int s = side >= 0 ? side : int(rng.below(4));
    float a0 = side_start(plan.inner, s), a1 = side_end(plan.inner, s) - w;
    if (a1 < a0) continue;
    float a = rng.uniform(a0, a1);
    if (h > plan.sill - 0.05f && plan.covers_window(s, a, a + w)) continue;
    Rect r = against_wall(plan.inner, s, a, w, d);
    if (try_take(plan, r)) {
      out = {r, s};
      return true;
    }
  }
  return false;
}

// Free-standing, at least `gap` from the walls, facing `side` (random when < 0).
bool place_free(RoomPlan& plan, Rng& rng, float w, float d, float gap, Frame& out, int side = -1) {
  for (int t = 0; t < 24; ++t) {
    int s = side >= 0 ? side : int(rng.below(4));
    Rect probe = centred(0, 0, w, d, s);
    float x0 = plan.inner.x0 + gap - probe.x0, x1 = plan.inner.x1 - gap - probe.x1;
    float y0 = plan.inner.y0 + gap - probe.y0, y1 = plan.inner.y1 - gap - probe.y1;
    if (x1 < x0 || y1 < y0) continue;
    Rect r = centred(rng.uniform(x0, x1), rng.uniform(y0, y1), w, d, s);
    if (try_take(plan, r)) {
      out = {r, s};
      return true;
    }
  }
  return false;
}

int darker(Builder& b, int mat, float k) {
  Material m = b.w.materials[size_t(mat)];
  for (int c = 0; c < 3; ++c) m.base[c] *= k, m.alt[c] *= k;
  return b.material(m);
}

Material books_material(Rng& rng) {
  Material m;
  m.texture = Texture::Books;
  m.scale = rng.uniform(0.025f, 0.05f);
  m.seed = rng.next_u32();
  hsv_to_rgb(rng.uniform(0, 360), 0.5f, 0.6f, m.base);
  return m;
}

// Small objects (and the odd stack of books) on a surface at height z.
void clutter(Builder& b, int room, const Rect& top, float z, int count) {
  Rng& rng = b.rng;
  std::vector<Rect> used;
  for (int k = 0, tries = 0; k < count && tries < 4 * count + 4; ++tries) {
    float s = rng.uniform(0.06f, 0.3f);
    if (top.width() < s + 0.1f || top.depth() < s + 0.1f) continue;
    float cx = rng.uniform(top.x0 + 0.05f + s / 2, top.x1 - 0.05f - s / 2);
    float cy = rng.uniform(top.y0 + 0.05f + s / 2, top.y1 - 0.05f - s / 2);
    Rect r = {cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2};
    bool clash = false;
    for (const Rect& u : used) clash = clash || r.overlaps(u, 0.02f);
    if (clash) continue;
    used.push_back(r);
    ++k;
    float kind = rng.uniform();
    if (kind < 0.15f) {  // a stack of books, lying flat
      int inst = b.instance(kBooks, "books", room, false);
      float zz = z;
      for (int n = 1 + int(rng.below(4)); n > 0; --n) {
        float th = rng.uniform(0.02f, 0.05f);
        b.box(inst, {r.x0, r.y0, zz}, {r.x1, r.y1 - rng.uniform(0, 0.05f), zz + th}, b.material(books_material(rng)));
        zz += th;
      }
      continue;
    }
    int inst = b.instance(kObjects, "object", room, false);
    int mat = b.material(rng.uniform() < 0.7f ? plastic(rng) : any_surface(rng));
    if (kind < 0.45f) {  // cup, bottle, vase
      float rad = std::min(s / 2, rng.uniform(0.03f, 0.08f));
      float h = rng.uniform(0.08f, 0.35f);
      b.cylinder(inst, cx, cy, rad, z, z + h, mat);
      if (h > 0.2f && rng.uniform() < 0.5f) {  // flowers
        Material leaf = fabric(rng);
        b.sphere(inst, {cx, cy, z + h + 0.06f}, rng.uniform(0.06f, 0.12f), b.material(leaf));
      }
    } else if (kind < 0.75f) {  // box, appliance
      b.box(inst, {r.x0, r.y0, z}, {r.x1, r.y1, z + rng.uniform(0.05f, 0.3f)}, mat);
    } else {  // bowl, fruit, ball
      b.sphere(inst, {cx, cy, z + 0.01f}, std::min(s / 2, 0.1f), mat);
    }
  }
}

// ---- items --------------------------------------------------------------------------------

void table_legs(Builder& b, const Frame& f, int inst, float w, float d, float h, float leg, int mat) {
  f.box(b, inst, 0, 0, 0, leg, leg, h, mat);
  f.box(b, inst, w - leg, 0, 0, w, leg, h, mat);
  f.box(b, inst, 0, d - leg, 0, leg, d, h, mat);
  f.box(b, inst, w - leg, d - leg, 0, w, d, h, mat);
}

// A chair in frame f (its back at v = 0, facing +v); records a seat.
void chair(Builder& b, RoomPlan& plan, const Frame& f, bool office) {
  Rng& rng = b.rng;
  int inst = b.instance(kChair, office ? "office chair" : "chair", plan.room, true);
  float w = f.width(), d = f.depth(), seat = rng.uniform(0.42f, 0.48f);
  int mat = b.material(rng.uniform() < 0.5f ? wood(rng) : rng.uniform() < 0.5f ? plastic(rng) : fabric(rng));
  int frame = rng.uniform() < 0.5f ? mat : b.material(rng.uniform() < 0.5f ? wood(rng) : plastic(rng));
  if (office) {
    f.cylinder(b, inst, w / 2, d / 2, w * 0.45f, 0.02f, 0.08f, frame);
    f.cylinder(b, inst, w / 2, d / 2, 0.03f, 0.08f, seat - 0.06f, frame);
  } else {
    table_legs(b, f, inst, w, d, seat - 0.05f, 0.035f, frame);
  }
  f.box(b, inst, 0, 0, seat - 0.05f, w, d, seat, mat);
  f.box(b, inst, 0.02f, 0, seat, w - 0.02f, 0.06f, seat + rng.uniform(0.38f, 0.55f), mat);
  Seat s;
  f.point(w / 2, d * 0.55f, s.x, s.y);
  s.z = seat;
  s.side = f.side;
  s.yaw = facing_yaw(f.side);
  plan.seats.push_back(s);
}

// Chairs pulled up to a table's side `edge` (0 back, 1 front, 2 left, 3 right in table frame).
void chairs_around(Builder& b, RoomPlan& plan, const Frame& t, int count) {
  Rng& rng = b.rng;
  float w = t.width(), d = t.depth();
  float cw = rng.uniform(0.42f, 0.5f);
  // Candidate chair frames: (centre u, centre v in the table frame, side facing the table).
  struct Spot { float u, v; int side_off; };
  std::vector<Spot> spots;
  int per_long = w > 1.3f ? 2 : 1;
  for (int k = 0; k < per_long; ++k) {
    float u = w * (k + 0.5f) / per_long;
    spots.push_back({u, d + 0.12f + cw / 2, 2});  // in front, facing the table
    spots.push_back({u, -0.12f - cw / 2, 0});     // behind
  }
  spots.push_back({-0.12f - cw / 2, d / 2, 3});
  spots.push_back({w + 0.12f + cw / 2, d / 2, 1});
  for (size_t k = spots.size(); k > 1; --k) std::swap(spots[k - 1], spots[rng.below(uint32_t(k))]);
  int placed = 0;
  for (const Spot& sp : spots) {
    if (placed >= count) break;
    float x, y;
    t.point(sp.u, sp.v, x, y);
    // The chair faces the table: its side is the table's side turned by side_off.
    int side = (t.side + sp.side_off) % 4;
    Rect r = centred(x, y, cw, cw, side);
    if (!try_take(plan, r)) continue;
    chair(b, plan, {r, side}, false);
    ++placed;
  }
}

void table(Builder& b, RoomPlan& plan, const Frame& f, float h, const char* name) {
  Rng& rng = b.rng;
  int inst = b.instance(kTable, name, plan.room, true);
  int mat = b.material(rng.uniform() < 0.55f ? wood(rng) : rng.uniform() < 0.5f ? stone(rng) : plastic(rng));
  float w = f.width(), d = f.depth();
  if (rng.uniform() < 0.25f && std::fabs(w - d) < 0.35f) {  // round
    float rad = std::min(w, d) / 2;
    f.cylinder(b, inst, w / 2, d / 2, rad, h - 0.04f, h, mat);
    f.cylinder(b, inst, w / 2, d / 2, 0.05f, 0, h - 0.04f, mat);
    f.cylinder(b, inst, w / 2, d / 2, rad * 0.5f, 0, 0.03f, mat);
  } else {
    f.box(b, inst, 0, 0, h - 0.04f, w, d, h, mat);
    table_legs(b, f, inst, w, d, h - 0.04f, 0.05f, rng.uniform() < 0.6f ? mat : b.material(plastic(rng)));
  }
  clutter(b, plan.room, f.sub(0.05f, 0.05f, w - 0.05f, d - 0.05f), h, 1 + int(rng.below(4)));
}

void cabinet(Builder& b, RoomPlan& plan, const Frame& f, float h, const char* name, bool top_clutter) {
  Rng& rng = b.rng;
  int inst = b.instance(kFurniture, name, plan.room, true);
  int mat = b.material(rng.uniform() < 0.5f ? wood(rng) : rng.uniform() < 0.7f ? paint(rng) : plastic(rng));
  float w = f.width(), d = f.depth();
  f.box(b, inst, 0, 0, 0.04f, w, d, h, mat);
  f.box(b, inst, 0.02f, 0, 0, w - 0.02f, d - 0.03f, 0.04f, darker(b, mat, 0.5f));
  int line = darker(b, mat, 0.6f);
  int drawers = h < 1.2f ? 2 + int(rng.below(3)) : 0;
  for (int k = 1; k < drawers; ++k) {
    float z = 0.04f + (h - 0.04f) * k / drawers;
    f.box(b, inst, 0.02f, d, z - 0.008f, w - 0.02f, d + 0.01f, z + 0.008f, line);
  }
  if (!drawers) {  // doors
    int n = std::max(1, int(w / 0.5f));
    for (int k = 1; k < n; ++k) f.box(b, inst, w * k / n - 0.006f, d, 0.06f, w * k / n + 0.006f, d + 0.01f, h - 0.02f, line);
    for (int k = 0; k < n; ++k) {
      float u = w * (k + 0.5f) / n + (k % 2 ? -0.12f : 0.12f) * (n > 1);
      f.box(b, inst, u - 0.01f, d, h * 0.5f - 0.08f, u + 0.01f, d + 0.03f, h * 0.5f + 0.08f, line);
    }
  }
  if (top_clutter) clutter(b, plan.room, f.sub(0.03f, 0.03f, w - 0.03f, d - 0.03f), h, 1 + int(rng.below(3)));
}

void bookshelf(Builder& b, RoomPlan& plan, const Frame& f, float h) {
  Rng& rng = b.rng;
  int inst = b.instance(kFurniture, "bookshelf", plan.room, true);
  int mat = b.material(rng.uniform() < 0.6f ? wood(rng) : paint(rng));
  float w = f.width(), d = f.depth(), t = 0.02f;
  f.box(b, inst, 0, 0, 0, w, t, h, darker(b, mat, 0.8f));
  f.box(b, inst, 0, 0, 0, t, d, h, mat);
  f.box(b, inst, w - t, 0, 0, w, d, h, mat);
  int levels = std::max(2, int((h - 0.1f) / rng.uniform(0.3f, 0.4f)));
  float gap = (h - 0.08f) / levels;
  int books = b.instance(kBooks, "books", plan.room, false);
  for (int k = 0; k <= levels; ++k) {
    float z = 0.06f + k * gap;
    f.box(b, inst, t, t, z - t, w - t, d, z, mat);
    if (k == levels) break;
    if (rng.uniform() < 0.12f) {
      clutter(b, plan.room, f.sub(t, t, w - t, d), z, 1 + int(rng.below(2)));
      continue;
    }
    float u = t + rng.uniform(0, 0.08f);
    while (u < w - t - 0.08f) {
      float bw = std::min(rng.uniform(0.08f, 0.4f), w - t - u);
      float bh = std::min(gap - 0.03f, rng.uniform(0.16f, 0.32f));
      float bd = std::min(d - t - 0.01f, rng.uniform(0.14f, 0.24f));
      f.box(b, books, u, d - bd - 0.01f, z, u + bw, d - 0.01f, z + bh, b.material(books_material(rng)));
      u += bw + (rng.uniform() < 0.3f ? rng.uniform(0.02f, 0.12f) : 0.0f);
    }
  }
}

void wardrobe(Builder& b, RoomPlan& plan) {
  Frame f;
  Rng& rng = b.rng;
  float h = rng.uniform(1.8f, 2.2f);
  if (place_wall(plan, rng, rng.uniform(0.9f, 2.0f), rng.uniform(0.55f, 0.62f), h, f))
    cabinet(b, plan, f, h, "wardrobe", false);
}

void plant(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  float s = rng.uniform(0.3f, 0.5f);
  Frame f;
  if (!place_wall(plan, rng, s, s, 0.5f, f)) return;
  int inst = b.instance(kObjects, "plant", plan.room, true);
  float cx = (f.r.x0 + f.r.x1) / 2, cy = (f.r.y0 + f.r.y1) / 2, ph = rng.uniform(0.25f, 0.4f);
  b.cylinder(inst, cx, cy, s * 0.35f, 0, ph, b.material(rng.uniform() < 0.5f ? plastic(rng) : stone(rng)));
  Material leaf;
  hsv_to_rgb(rng.uniform(80, 150), rng.uniform(0.4f, 0.8f), rng.uniform(0.2f, 0.6f), leaf.base);
  hsv_to_rgb(rng.uniform(60, 160), 0.6f, 0.3f, leaf.alt);
  leaf.texture = Texture::Noise;
  leaf.scale = 0.05f;
  int lm = b.material(leaf);
  float top = ph + rng.uniform(0.2f, 1.0f);
  b.cylinder(inst, cx, cy, 0.015f, ph, top, lm);
  b.sphere(inst, {cx, cy, top}, s * 0.5f, lm);
  if (top > 0.8f) b.sphere(inst, {cx, cy, top - 0.3f}, s * 0.4f, lm);
}

void floor_lamp(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  Frame f;
  if (!place_wall(plan, rng, 0.35f, 0.35f, 1.6f, f)) return;
  int inst = b.instance(kObjects, "floor lamp", plan.room, true);
  float cx = (f.r.x0 + f.r.x1) / 2, cy = (f.r.y0 + f.r.y1) / 2, h = rng.uniform(1.3f, 1.7f);
  int mat = b.material(plastic(rng));
  b.cylinder(inst, cx, cy, 0.15f, 0, 0.03f, mat);
  b.cylinder(inst, cx, cy, 0.015f, 0.03f, h, mat);
  Material shade = fabric(rng);
  shade.emissive = 0.4f;
  b.cylinder(inst, cx, cy, 0.17f, h, h + 0.28f, b.material(shade));
}

void floor_box(Builder& b, RoomPlan& plan) {  // boxes, bags, baskets
  Rng& rng = b.rng;
  Frame f;
  float w = rng.uniform(0.25f, 0.6f), d = rng.uniform(0.25f, 0.5f), h = rng.uniform(0.2f, 0.6f);
  if (!place_wall(plan, rng, w, d, h, f)) return;
  int inst = b.instance(kObjects, "box", plan.room, true);
  b.box(inst, {f.r.x0, f.r.y0, 0}, {f.r.x1, f.r.y1, h}, b.material(any_surface(rng)));
}

void rug(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  float w = std::min(plan.inner.width() - 0.8f, rng.uniform(1.2f, 2.6f));
  float d = std::min(plan.inner.depth() - 0.8f, rng.uniform(0.9f, 2.0f));
  if (w < 0.8f || d < 0.6f) return;
  float cx = rng.uniform(plan.inner.x0 + 0.4f + w / 2, plan.inner.x1 - 0.4f - w / 2);
  float cy = rng.uniform(plan.inner.y0 + 0.4f + d / 2, plan.inner.y1 - 0.4f - d / 2);
  int inst = b.instance(kFloor, "rug", plan.room, false);
  b.box(inst, {cx - w / 2, cy - d / 2, 0}, {cx + w / 2, cy + d / 2, 0.012f}, b.material(fabric(rng)));
}

void bed(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  bool dbl = rng.uniform() < 0.65f && plan.inner.width() > 2.6f && plan.inner.depth() > 2.6f;
  float w = dbl ? rng.uniform(1.4f, 1.8f) : rng.uniform(0.9f, 1.05f), d = rng.uniform(1.95f, 2.1f);
  Frame f;
  if (!place_wall(plan, rng, w, d, 0.6f, f) && !place_wall(plan, rng, 0.9f, 1.95f, 0.6f, f)) return;
  w = f.width(), d = f.depth();
  int inst = b.instance(kBed, "bed", plan.room, true);
  int frame = b.material(rng.uniform() < 0.6f ? wood(rng) : fabric(rng));
  Material sheet = fabric(rng);
  if (rng.uniform() < 0.5f) for (float& c : sheet.base) c = 0.75f + 0.2f * c;
  f.box(b, inst, 0, 0, 0, w, d, 0.3f, frame);
  f.box(b, inst, 0, 0, 0, w, 0.06f, rng.uniform(0.8f, 1.2f), frame);
  f.box(b, inst, 0.02f, 0.06f, 0.3f, w - 0.02f, d - 0.02f, 0.5f, b.material(sheet));
  f.box(b, inst, 0.0f, d * rng.uniform(0.3f, 0.5f), 0.5f, w, d, 0.56f, b.material(fabric(rng)));
  int pillows = b.instance(kObjects, "pillow", plan.room, false);
  int pm = b.material(fabric(rng));
  int n = w > 1.2f ? 2 : 1;
  for (int k = 0; k < n; ++k) {
    float u0 = 0.08f + k * (w - 0.16f) / n, u1 = u0 + (w - 0.16f) / n - 0.06f;
    f.box(b, pillows, u0, 0.1f, 0.5f, u1, 0.45f, 0.64f, pm);
  }
  // Nightstands beside the head.
  for (int k = 0; k < 2; ++k) {
    if (rng.uniform() < 0.3f) continue;
    float nw = rng.uniform(0.4f, 0.5f);
    Frame ns = {f.sub(k == 0 ? -nw - 0.03f : w + 0.03f, 0, k == 0 ? -0.03f : w + nw + 0.03f, 0.42f), f.side};
    if (!try_take(plan, ns.r)) continue;
    cabinet(b, plan, ns, rng.uniform(0.45f, 0.6f), "nightstand", true);
  }
}

void sofa_group(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  float w = rng.uniform(1.6f, 2.4f), d = rng.uniform(0.82f, 0.95f);
  Frame f;
  if (!place_wall(plan, rng, w, d, 0.85f, f) && !place_wall(plan, rng, 1.4f, 0.82f, 0.85f, f)) return;
  w = f.width(), d = f.depth();
  int inst = b.instance(kSofa, "sofa", plan.room, true);
  int mat = b.material(rng.uniform() < 0.8f ? fabric(rng) : plastic(rng));
  int cushion = rng.uniform() < 0.5f ? mat : darker(b, mat, 0.85f);
  float arm = rng.uniform(0.12f, 0.22f), seat = 0.42f;
  f.box(b, inst, 0, 0, 0.06f, w, d, seat - 0.1f, mat);
  f.box(b, inst, arm, 0.2f, seat - 0.1f, w - arm, d, seat, cushion);
  f.box(b, inst, 0, 0, 0.06f, w, 0.22f, rng.uniform(0.75f, 0.9f), mat);
  f.box(b, inst, 0, 0, 0.06f, arm, d, rng.uniform(0.55f, 0.65f), mat);
  f.box(b, inst, w - arm, 0, 0.06f, w, d, rng.uniform(0.55f, 0.65f), mat);
  f.box(b, inst, 0.05f, 0.05f, 0, 0.1f, 0.1f, 0.06f, darker(b, mat, 0.3f));
  f.box(b, inst, w - 0.1f, d - 0.1f, 0, w - 0.05f, d - 0.05f, 0.06f, darker(b, mat, 0.3f));
  int seats = std::max(1, int((w - 2 * arm) / 0.6f));
  for (int k = 0; k < seats; ++k) {
    Seat s;
    f.point(arm + (w - 2 * arm) * (k + 0.5f) / seats, 0.5f, s.x, s.y);
    s.z = seat;
    s.side = f.side;
    s.yaw = facing_yaw(f.side);
    plan.seats.push_back(s);
  }
  if (rng.uniform() < 0.6f) {  // throw pillows (objects)
    int p = b.instance(kObjects, "pillow", plan.room, false);
    f.box(b, p, arm + 0.05f, 0.2f, seat, arm + 0.45f, 0.32f, seat + 0.35f, b.material(fabric(rng)));
  }
  // Coffee table in front.
  float tw = std::min(w - 0.3f, rng.uniform(0.8f, 1.2f)), td = rng.uniform(0.45f, 0.6f), gap = rng.uniform(0.35f, 0.5f);
  Frame ct = {f.sub((w - tw) / 2, d + gap, (w + tw) / 2, d + gap + td), f.side};
  if (try_take(plan, ct.r)) table(b, plan, ct, rng.uniform(0.38f, 0.46f), "coffee table");
  // TV on a stand facing the sofa, on the opposite wall when there is room.
  int opposite = (f.side + 2) % 4;
  float sw = rng.uniform(1.1f, 1.8f), sh = rng.uniform(0.42f, 0.55f);
  Frame st;
  if (!place_wall(plan, rng, sw, 0.42f, sh, st, opposite) && !place_wall(plan, rng, sw, 0.42f, sh, st)) return;
  cabinet(b, plan, st, sh, "tv stand", false);
  float tvw = std::min(st.width() - 0.1f, rng.uniform(0.9f, 1.45f)), tvh = tvw * 0.58f;
  int tv = b.instance(kTv, "tv", plan.room, false);
  float u0 = (st.width() - tvw) / 2, z0 = sh + 0.08f;
  int bezel = b.material(plastic(rng));
  Material screen;
  screen.texture = Texture::Screen;
  screen.emissive = rng.uniform() < 0.8f ? 1.0f : 0.0f;  // some TVs are off
  screen.seed = rng.next_u32();
  for (int c = 0; c < 3; ++c) screen.base[c] = 0.05f;
  f = st;
  f.box(b, tv, u0 + tvw / 2 - 0.15f, 0.1f, sh, u0 + tvw / 2 + 0.15f, 0.3f, sh + 0.02f, bezel);
  f.box(b, tv, u0 + tvw / 2 - 0.03f, 0.17f, sh, u0 + tvw / 2 + 0.03f, 0.2f, z0, bezel);
  f.box(b, tv, u0, 0.12f, z0, u0 + tvw, 0.17f, z0 + tvh, bezel);
  f.box(b, tv, u0 + 0.02f, 0.17f, z0 + 0.02f, u0 + tvw - 0.02f, 0.175f, z0 + tvh - 0.02f, b.material(screen));
  clutter(b, plan.room, st.sub(0.03f, 0.03f, u0 - 0.02f, 0.4f), sh, 1);
}

void desk_with_chair(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  float w = rng.uniform(1.0f, 1.6f), d = rng.uniform(0.6f, 0.75f);
  Frame f;
  if (!place_wall(plan, rng, w, d, 0.76f, f)) return;
  table(b, plan, f, rng.uniform(0.72f, 0.76f), "desk");
  if (rng.uniform() < 0.6f) {  // monitor or laptop (objects)
    int m = b.instance(kObjects, "monitor", plan.room, false);
    int mat = b.material(plastic(rng));
    float u = f.width() / 2;
    f.box(b, m, u - 0.28f, 0.1f, 0.9f, u + 0.28f, 0.14f, 1.25f, mat);
    f.box(b, m, u - 0.03f, 0.14f, 0.75f, u + 0.03f, 0.17f, 0.9f, mat);
  }
  float cw = rng.uniform(0.45f, 0.55f);
  Frame c = {f.sub(f.width() / 2 - cw / 2, d + 0.05f, f.width() / 2 + cw / 2, d + 0.05f + cw), (f.side + 2) % 4};
  if (try_take(plan, c.r)) chair(b, plan, c, rng.uniform() < 0.6f);
}

void dining(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  float w = rng.uniform(1.0f, 1.8f), d = rng.uniform(0.75f, 1.0f);
  Frame f;
  if (!place_free(plan, rng, w, d, 0.7f, f) && !place_free(plan, rng, 0.8f, 0.8f, 0.6f, f)) return;
  table(b, plan, f, rng.uniform(0.72f, 0.77f), "dining table");
  chairs_around(b, plan, f, 3 + int(rng.below(4)));
}

void kitchen_run(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  int body = b.material(rng.uniform() < 0.5f ? wood(rng) : paint(rng));
  int top = b.material(rng.uniform() < 0.5f ? stone(rng) : wood(rng));
  const float H = b.w.ceiling_height;
  for (int runs = 0, tries = 0; runs < 2 && tries < 8; ++tries) {
    int s = int(rng.below(4));
    float len = side_end(plan.inner, s) - side_start(plan.inner, s);
    float w = std::min(len, rng.uniform(1.2f, 3.2f));
    float a = rng.uniform(side_start(plan.inner, s), side_end(plan.inner, s) - w);
    Rect r = against_wall(plan.inner, s, a, w, 0.6f);
    if (!try_take(plan, r)) continue;
    ++runs;
    Frame f = {r, s};
    int inst = b.instance(kFurniture, "counter", plan.room, true);
    f.box(b, inst, 0, 0, 0.08f, w, 0.58f, 0.86f, body);
    f.box(b, inst, 0, 0, 0, w, 0.52f, 0.08f, darker(b, body, 0.4f));
    f.box(b, inst, 0, 0, 0.86f, w, 0.62f, 0.9f, top);
    int line = darker(b, body, 0.6f);
    for (float u = 0.6f; u < w - 0.1f; u += 0.6f) f.box(b, inst, u - 0.005f, 0.58f, 0.1f, u + 0.005f, 0.59f, 0.84f, line);
    if (!plan.covers_window(s, a, a + w) && H > 2.3f) {
      int upper = b.instance(kFurniture, "wall cabinet", plan.room, false);
      f.box(b, upper, 0, 0, 1.45f, w, 0.35f, std::min(H - 0.05f, 2.2f), body);
      for (float u = 0.6f; u < w - 0.1f; u += 0.6f) f.box(b, upper, u - 0.005f, 0.35f, 1.47f, u + 0.005f, 0.36f, 2.1f, line);
    }
    if (runs == 1) {  // sink and hob (objects)
      int o = b.instance(kObjects, "sink", plan.room, false);
      float u = rng.uniform(0.1f, std::max(0.1f, w - 0.7f));
      f.box(b, o, u, 0.1f, 0.9f, u + 0.5f, 0.5f, 0.91f, b.material(plastic(rng)));
      f.cylinder(b, o, u + 0.25f, 0.08f, 0.015f, 0.9f, 1.15f, b.material(plastic(rng)));
    }
    clutter(b, plan.room, f.sub(0.05f, 0.05f, w - 0.05f, 0.55f), 0.9f, 1 + int(rng.below(4)));
  }
  Frame fr;
  float fh = rng.uniform(1.7f, 1.95f);
  if (place_wall(plan, rng, rng.uniform(0.6f, 0.75f), 0.65f, fh, fr)) {
    int inst = b.instance(kFurniture, "fridge", plan.room, true);
    int m = b.material(plastic(rng));
    fr.box(b, inst, 0, 0, 0, fr.width(), fr.depth(), fh, m);
    fr.box(b, inst, 0.02f, fr.depth(), fh * 0.62f, fr.width() - 0.02f, fr.depth() + 0.005f, fh * 0.63f, darker(b, m, 0.5f));
    fr.box(b, inst, 0.05f, fr.depth(), fh * 0.45f, 0.07f, fr.depth() + 0.04f, fh * 0.8f, darker(b, m, 0.6f));
  }
}

void bathroom(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  Frame f;
  if (place_wall(plan, rng, 0.4f, 0.65f, 0.8f, f)) {  // toilet
    int inst = b.instance(kObjects, "toilet", plan.room, true);
    int m = b.material(plastic(rng));
    f.box(b, inst, 0.02f, 0, 0.4f, 0.38f, 0.18f, 0.8f, m);
    f.cylinder(b, inst, 0.2f, 0.43f, 0.19f, 0, 0.42f, m);
  }
  float vw = rng.uniform(0.6f, 1.0f);
  if (place_wall(plan, rng, vw, 0.45f, 0.85f, f)) {
    cabinet(b, plan, f, 0.82f, "vanity", false);
    int inst = b.instance(kObjects, "sink", plan.room, false);
    f.box(b, inst, 0.1f, 0.05f, 0.82f, vw - 0.1f, 0.42f, 0.9f, b.material(plastic(rng)));
    int mirror = b.instance(kObjects, "mirror", plan.room, false);
    Material glass = stone(rng);
    for (int c = 0; c < 3; ++c) glass.base[c] = 0.55f + 0.15f * glass.base[c];
    f.box(b, mirror, 0.05f, 0, 1.2f, vw - 0.05f, 0.02f, 1.85f, b.material(glass));
  }
  if (plan.inner.width() > 2.1f || plan.inner.depth() > 2.1f) {
    float bw = rng.uniform(1.5f, 1.7f);
    if (place_wall(plan, rng, bw, 0.72f, 0.55f, f)) {
      int inst = b.instance(kObjects, "bathtub", plan.room, true);
      int m = b.material(plastic(rng));
      f.box(b, inst, 0, 0, 0, bw, 0.72f, 0.55f, m);
    }
  }
  if (place_wall(plan, rng, 0.5f, 0.3f, 0.4f, f)) {
    int inst = b.instance(kObjects, "laundry basket", plan.room, true);
    b.cylinder(inst, (f.r.x0 + f.r.x1) / 2, (f.r.y0 + f.r.y1) / 2, 0.14f, 0, 0.45f, b.material(fabric(rng)));
  }
}

// Pictures on the walls, clear of openings and of taller furniture.
void pictures(Builder& b, RoomPlan& plan, int count) {
  Rng& rng = b.rng;
  const World& w = b.w;
  const float H = w.ceiling_height;
  for (int k = 0, tries = 0; k < count && tries < 12 * count; ++tries) {
    int s = int(rng.below(4));
    float pw = rng.uniform(0.35f, 1.3f), ph = std::min(pw * rng.uniform(0.5f, 1.3f), 1.0f);
    float a0 = side_start(plan.inner, s), a1 = side_end(plan.inner, s) - pw;
    if (a1 < a0) continue;
    float a = rng.uniform(a0, a1), zc = rng.uniform(1.25f, 1.75f);
    float z0 = zc - ph / 2, z1 = std::min(H - 0.15f, zc + ph / 2);
    bool clash = false;
    for (const Opening& o : plan.doors) clash = clash || (o.side == s && a < o.b + 0.1f && o.a - 0.1f < a + pw);
    for (const Opening& o : plan.windows) clash = clash || (o.side == s && a < o.b + 0.15f && o.a - 0.15f < a + pw);
    if (clash) continue;
    Rect r = against_wall(plan.inner, s, a, pw, 0.05f);
    for (const Instance& in : w.instances) {
      if (in.room != plan.room || in.class_id == kWall || in.class_id == kFloor || in.name == "ceiling lamp") continue;
      if (in.footprint.overlaps(r, 0.02f) && in.hi.z > z0 - 0.05f && in.lo.z < z1) clash = true;
    }
    if (clash) continue;
    ++k;
    Frame f = {r, s};
    int inst = b.instance(kPicture, "picture", plan.room, false);
    Material art;
    art.texture = Texture::Picture;
    art.seed = rng.next_u32();
    bool framed = rng.uniform() < 0.75f;
    float fr = framed ? rng.uniform(0.02f, 0.06f) : 0.0f;
    if (framed) f.box(b, inst, 0, 0, z0, pw, 0.03f, z1, b.material(rng.uniform() < 0.5f ? wood(rng) : plastic(rng)));
    f.box(b, inst, fr, 0, z0 + fr, pw - fr, 0.035f, z1 - fr, b.material(art));
  }
}

}  // namespace

void furnish_room(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  const RoomType type = b.w.rooms[size_t(plan.room)].type;
  auto maybe = [&](float p) { return rng.uniform() < p; };
  Frame f;
  switch (type) {
    case RoomType::Bedroom:
      if (maybe(0.5f)) rug(b, plan);
      bed(b, plan);
      wardrobe(b, plan);
      if (maybe(0.6f) && place_wall(plan, rng, rng.uniform(0.8f, 1.4f), 0.45f, 0.9f, f))
        cabinet(b, plan, f, rng.uniform(0.75f, 1.0f), "dresser", true);
      if (maybe(0.45f)) desk_with_chair(b, plan);
      if (maybe(0.5f) && place_wall(plan, rng, rng.uniform(0.7f, 1.1f), 0.32f, 1.9f, f))
        bookshelf(b, plan, f, rng.uniform(1.0f, 2.0f));
      if (maybe(0.5f) && place_wall(plan, rng, 0.5f, 0.5f, 0.9f, f)) chair(b, plan, f, false);
      if (maybe(0.4f)) plant(b, plan);
      if (maybe(0.4f)) floor_box(b, plan);
      pictures(b, plan, 1 + int(rng.below(3)));
      break;
    case RoomType::Living:
      if (maybe(0.6f)) rug(b, plan);
      sofa_group(b, plan);
      for (int k = int(rng.below(3)); k >= 0; --k)
        if (place_wall(plan, rng, rng.uniform(0.7f, 1.2f), rng.uniform(0.28f, 0.36f), 1.9f, f))
          bookshelf(b, plan, f, rng.uniform(1.2f, 2.1f));
      for (int k = maybe(0.5f) ? 2 : 1; k > 0; --k) {  // armchairs
        float cw = rng.uniform(0.6f, 0.8f);
        if (place_wall(plan, rng, cw, cw, 0.9f, f)) chair(b, plan, f, false);
      }
      if (maybe(0.5f)) dining(b, plan);
      if (maybe(0.6f)) plant(b, plan);
      if (maybe(0.5f)) floor_lamp(b, plan);
      if (maybe(0.5f) && place_wall(plan, rng, rng.uniform(0.8f, 1.6f), 0.45f, 0.9f, f))
        cabinet(b, plan, f, rng.uniform(0.7f, 1.0f), "sideboard", true);
      pictures(b, plan, 2 + int(rng.below(3)));
      break;
    case RoomType::Kitchen:
      kitchen_run(b, plan);
      dining(b, plan);
      if (maybe(0.4f)) plant(b, plan);
      if (maybe(0.3f) && place_wall(plan, rng, 0.8f, 0.3f, 1.9f, f)) bookshelf(b, plan, f, rng.uniform(1.0f, 1.9f));
      pictures(b, plan, 1 + int(rng.below(2)));
      break;
    case RoomType::Bathroom:
      bathroom(b, plan);
      if (maybe(0.5f) && place_wall(plan, rng, 0.5f, 0.35f, 1.8f, f)) cabinet(b, plan, f, 1.7f, "cabinet", false);
      pictures(b, plan, int(rng.below(2)));
      break;
    case RoomType::Office:
      desk_with_chair(b, plan);
      if (maybe(0.5f)) desk_with_chair(b, plan);
      for (int k = 1 + int(rng.below(2)); k > 0; --k)
        if (place_wall(plan, rng, rng.uniform(0.7f, 1.2f), rng.uniform(0.28f, 0.36f), 1.9f, f))
          bookshelf(b, plan, f, rng.uniform(1.4f, 2.1f));
      if (maybe(0.6f) && place_wall(plan, rng, rng.uniform(0.6f, 1.2f), 0.5f, 1.2f, f))
        cabinet(b, plan, f, rng.uniform(0.7f, 1.2f), "filing cabinet", true);
      if (maybe(0.5f)) plant(b, plan);
      if (maybe(0.4f)) floor_box(b, plan);
      pictures(b, plan, 1 + int(rng.below(3)));
      break;
    case RoomType::Corridor:
      if (maybe(0.7f) && place_wall(plan, rng, rng.uniform(0.8f, 1.4f), 0.35f, 0.6f, f))
        cabinet(b, plan, f, rng.uniform(0.45f, 0.9f), "shoe cabinet", true);
      if (maybe(0.4f)) plant(b, plan);
      if (maybe(0.3f)) floor_box(b, plan);
      pictures(b, plan, 2 + int(rng.below(3)));
      break;
  }
}

}  // namespace ulr::worldgen
