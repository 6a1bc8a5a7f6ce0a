// Placement against the room plan and the items any room may hold: clutter, chairs, tables,
// cabinets, bookshelves, plants, lamps, boxes, rugs and pictures (data/world_furnish.h).
#include "data/world_furnish.h"

#include <algorithm>
#include <cmath>

namespace ulr::worldgen {

// ---- frames and placement -----------------------------------------------------------------

void Frame::point(float u, float v, float& x, float& y) const {
  switch (side) {
    case Side::South: x = r.x0 + u, y = r.y0 + v; break;
    case Side::North: x = r.x1 - u, y = r.y1 - v; break;
    case Side::East: x = r.x1 - v, y = r.y0 + u; break;
    default: x = r.x0 + v, y = r.y1 - u; break;  // Side::West
  }
}

void Frame::box(Builder& b, int inst, float u0, float v0, float z0, float u1, float v1, float z1, int mat) const {
  float xa, ya, xb, yb;
  point(u0, v0, xa, ya);
  point(u1, v1, xb, yb);
  b.box(inst, {std::min(xa, xb), std::min(ya, yb), z0}, {std::max(xa, xb), std::max(ya, yb), z1}, mat);
}

void Frame::cylinder(Builder& b, int inst, float u, float v, float radius, float z0, float z1, int mat) const {
  float x, y;
  point(u, v, x, y);
  b.cylinder(inst, x, y, radius, z0, z1, mat);
}

Rect Frame::sub(float u0, float v0, float u1, float v1) const {
  float xa, ya, xb, yb;
  point(u0, v0, xa, ya);
  point(u1, v1, xb, yb);
  return {std::min(xa, xb), std::min(ya, yb), std::max(xa, xb), std::max(ya, yb)};
}

Rect centred(float cx, float cy, float w, float d, Side side) {
  float hx = (runs_along_x(side) ? w : d) / 2, hy = (runs_along_x(side) ? d : w) / 2;
  return {cx - hx, cy - hy, cx + hx, cy + hy};
}

bool try_take(RoomPlan& plan, const Rect& r) {
  if (!plan.fits(r) || !plan.keeps_paths(r)) return false;
  plan.take(r);
  return true;
}

bool place_wall(RoomPlan& plan, Rng& rng, float w, float d, float h, Frame& out, std::optional<Side> side) {
  for (int t = 0; t < 24; ++t) {
    Side s = side ? *side : random_side(rng);
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

bool place_free(RoomPlan& plan, Rng& rng, float w, float d, float gap, Frame& out, std::optional<Side> side) {
  for (int t = 0; t < 24; ++t) {
    Side s = side ? *side : random_side(rng);
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

void add_seat(RoomPlan& plan, const Frame& f, float u, float v, float z) {
  Seat s;
  f.point(u, v, s.x, s.y);
  s.z = z;
  s.yaw = facing_yaw(f.side);
  plan.seats.push_back(s);
}

// ---- materials ---------------------------------------------------------------------------

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

// ---- items ---------------------------------------------------------------------------------

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
      int inst = b.instance(ItemKind::Books, room, false);
      float zz = z;
      for (int n = 1 + int(rng.below(4)); n > 0; --n) {
        float th = rng.uniform(0.02f, 0.05f);
        b.box(inst, {r.x0, r.y0, zz}, {r.x1, r.y1 - rng.uniform(0, 0.05f), zz + th}, b.material(books_material(rng)));
        zz += th;
      }
      continue;
    }
    int inst = b.instance(ItemKind::Object, room, false);
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

void table_legs(Builder& b, const Frame& f, int inst, float w, float d, float h, float leg, int mat) {
  f.box(b, inst, 0, 0, 0, leg, leg, h, mat);
  f.box(b, inst, w - leg, 0, 0, w, leg, h, mat);
  f.box(b, inst, 0, d - leg, 0, leg, d, h, mat);
  f.box(b, inst, w - leg, d - leg, 0, w, d, h, mat);
}

void chair(Builder& b, RoomPlan& plan, const Frame& f, bool office) {
  Rng& rng = b.rng;
  int inst = b.instance(office ? ItemKind::OfficeChair : ItemKind::Chair, plan.room, true);
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
  add_seat(plan, f, w / 2, d * 0.55f, seat);
}

void table(Builder& b, RoomPlan& plan, const Frame& f, float h, ItemKind kind) {
  Rng& rng = b.rng;
  int inst = b.instance(kind, plan.room, true);
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

void cabinet(Builder& b, RoomPlan& plan, const Frame& f, float h, ItemKind kind, bool top_clutter) {
  Rng& rng = b.rng;
  int inst = b.instance(kind, plan.room, true);
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
  int inst = b.instance(ItemKind::Bookshelf, plan.room, true);
  int mat = b.material(rng.uniform() < 0.6f ? wood(rng) : paint(rng));
  float w = f.width(), d = f.depth(), t = 0.02f;
  f.box(b, inst, 0, 0, 0, w, t, h, darker(b, mat, 0.8f));
  f.box(b, inst, 0, 0, 0, t, d, h, mat);
  f.box(b, inst, w - t, 0, 0, w, d, h, mat);
  int levels = std::max(2, int((h - 0.1f) / rng.uniform(0.3f, 0.4f)));
  float gap = (h - 0.08f) / levels;
  int books = b.instance(ItemKind::Books, plan.room, false);
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

void plant(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  float s = rng.uniform(0.3f, 0.5f);
  Frame f;
  if (!place_wall(plan, rng, s, s, 0.5f, f)) return;
  int inst = b.instance(ItemKind::Plant, plan.room, true);
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
  int inst = b.instance(ItemKind::FloorLamp, plan.room, true);
  float cx = (f.r.x0 + f.r.x1) / 2, cy = (f.r.y0 + f.r.y1) / 2, h = rng.uniform(1.3f, 1.7f);
  int mat = b.material(plastic(rng));
  b.cylinder(inst, cx, cy, 0.15f, 0, 0.03f, mat);
  b.cylinder(inst, cx, cy, 0.015f, 0.03f, h, mat);
  Material shade = fabric(rng);
  shade.emissive = 0.4f;
  b.cylinder(inst, cx, cy, 0.17f, h, h + 0.28f, b.material(shade));
}

void floor_box(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  Frame f;
  float w = rng.uniform(0.25f, 0.6f), d = rng.uniform(0.25f, 0.5f), h = rng.uniform(0.2f, 0.6f);
  if (!place_wall(plan, rng, w, d, h, f)) return;
  int inst = b.instance(ItemKind::Box, plan.room, true);
  b.box(inst, {f.r.x0, f.r.y0, 0}, {f.r.x1, f.r.y1, h}, b.material(any_surface(rng)));
}

void rug(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  float w = std::min(plan.inner.width() - 0.8f, rng.uniform(1.2f, 2.6f));
  float d = std::min(plan.inner.depth() - 0.8f, rng.uniform(0.9f, 2.0f));
  if (w < 0.8f || d < 0.6f) return;
  float cx = rng.uniform(plan.inner.x0 + 0.4f + w / 2, plan.inner.x1 - 0.4f - w / 2);
  float cy = rng.uniform(plan.inner.y0 + 0.4f + d / 2, plan.inner.y1 - 0.4f - d / 2);
  int inst = b.instance(ItemKind::Rug, plan.room, false);
  b.box(inst, {cx - w / 2, cy - d / 2, 0}, {cx + w / 2, cy + d / 2, 0.012f}, b.material(fabric(rng)));
}

void pictures(Builder& b, RoomPlan& plan, int count) {
  Rng& rng = b.rng;
  const World& w = b.w;
  const float H = w.ceiling_height;
  for (int k = 0, tries = 0; k < count && tries < 12 * count; ++tries) {
    Side s = random_side(rng);
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
      if (in.room != plan.room || in.class_id == kWall || in.class_id == kFloor || in.kind == ItemKind::CeilingLamp) continue;
      if (in.footprint.overlaps(r, 0.02f) && in.hi.z > z0 - 0.05f && in.lo.z < z1) clash = true;
    }
    if (clash) continue;
    ++k;
    Frame f = {r, s};
    int inst = b.instance(ItemKind::Picture, plan.room, false);
    Material art;
    art.texture = Texture::Picture;
    art.seed = rng.next_u32();
    bool framed = rng.uniform() < 0.75f;
    float fr = framed ? rng.uniform(0.02f, 0.06f) : 0.0f;
    if (framed) f.box(b, inst, 0, 0, z0, pw, 0.03f, z1, b.material(rng.uniform() < 0.5f ? wood(rng) : plastic(rng)));
    f.box(b, inst, fr, 0, z0 + fr, pw - fr, 0.035f, z1 - fr, b.material(art));
  }
}

}  // namespace ulr::worldgen
