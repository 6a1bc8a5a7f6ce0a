// Furniture by room type: beds and wardrobes for bedrooms, the sofa group for living rooms,
// counters and the fridge for kitchens, fixtures for bathrooms, desks for offices, and the
// mix of shared items (data/world_furnish.h) each type adds. furnish_room picks by type.
#include <algorithm>
#include <cmath>

#include "data/world_furnish.h"

namespace ulr::worldgen {
namespace {

bool maybe(Rng& rng, float p) { return rng.uniform() < p; }  // one draw, true with chance p

// ---- bedroom ------------------------------------------------------------------------------

void wardrobe(Builder& b, RoomPlan& plan) {
  Frame f;
  Rng& rng = b.rng;
  float h = rng.uniform(1.8f, 2.2f);
  if (place_wall(plan, rng, rng.uniform(0.9f, 2.0f), rng.uniform(0.55f, 0.62f), h, f))
    cabinet(b, plan, f, h, ItemKind::Wardrobe, false);
}

// Nightstands on either side of the head of the bed in frame f (w wide), each most times.
void nightstands(Builder& b, RoomPlan& plan, const Frame& f, float w) {
  Rng& rng = b.rng;
  for (int k = 0; k < 2; ++k) {
    if (rng.uniform() < 0.3f) continue;
    float nw = rng.uniform(0.4f, 0.5f);
    Frame ns = {f.sub(k == 0 ? -nw - 0.03f : w + 0.03f, 0, k == 0 ? -0.03f : w + nw + 0.03f, 0.42f), f.side};
    if (!try_take(plan, ns.r)) continue;
    cabinet(b, plan, ns, rng.uniform(0.45f, 0.6f), ItemKind::Nightstand, true);
  }
}

// A single or double bed, head against a wall, with pillows and nightstands.
void bed(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  bool dbl = rng.uniform() < 0.65f && plan.inner.width() > 2.6f && plan.inner.depth() > 2.6f;
  float w = dbl ? rng.uniform(1.4f, 1.8f) : rng.uniform(0.9f, 1.05f), d = rng.uniform(1.95f, 2.1f);
  Frame f;
  if (!place_wall(plan, rng, w, d, 0.6f, f) && !place_wall(plan, rng, 0.9f, 1.95f, 0.6f, f)) return;
  w = f.width(), d = f.depth();
  int inst = b.instance(ItemKind::Bed, plan.room, true);
  int frame = b.material(rng.uniform() < 0.6f ? wood(rng) : fabric(rng));
  Material sheet = fabric(rng);
  if (rng.uniform() < 0.5f) for (float& c : sheet.base) c = 0.75f + 0.2f * c;
  f.box(b, inst, 0, 0, 0, w, d, 0.3f, frame);
  f.box(b, inst, 0, 0, 0, w, 0.06f, rng.uniform(0.8f, 1.2f), frame);
  f.box(b, inst, 0.02f, 0.06f, 0.3f, w - 0.02f, d - 0.02f, 0.5f, b.material(sheet));
  f.box(b, inst, 0.0f, d * rng.uniform(0.3f, 0.5f), 0.5f, w, d, 0.56f, b.material(fabric(rng)));
  int pillows = b.instance(ItemKind::Pillow, plan.room, false);
  int pm = b.material(fabric(rng));
  int n = w > 1.2f ? 2 : 1;
  for (int k = 0; k < n; ++k) {
    float u0 = 0.08f + k * (w - 0.16f) / n, u1 = u0 + (w - 0.16f) / n - 0.06f;
    f.box(b, pillows, u0, 0.1f, 0.5f, u1, 0.45f, 0.64f, pm);
  }
  nightstands(b, plan, f, w);
}

// A desk against a wall, maybe a monitor on it, and a chair in front.
void desk_with_chair(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  float w = rng.uniform(1.0f, 1.6f), d = rng.uniform(0.6f, 0.75f);
  Frame f;
  if (!place_wall(plan, rng, w, d, 0.76f, f)) return;
  table(b, plan, f, rng.uniform(0.72f, 0.76f), ItemKind::Desk);
  if (rng.uniform() < 0.6f) {  // monitor or laptop (objects)
    int m = b.instance(ItemKind::Monitor, plan.room, false);
    int mat = b.material(plastic(rng));
    float u = f.width() / 2;
    f.box(b, m, u - 0.28f, 0.1f, 0.9f, u + 0.28f, 0.14f, 1.25f, mat);
    f.box(b, m, u - 0.03f, 0.14f, 0.75f, u + 0.03f, 0.17f, 0.9f, mat);
  }
  float cw = rng.uniform(0.45f, 0.55f);
  Frame c = {f.sub(f.width() / 2 - cw / 2, d + 0.05f, f.width() / 2 + cw / 2, d + 0.05f + cw), opposite(f.side)};
  if (try_take(plan, c.r)) chair(b, plan, c, rng.uniform() < 0.6f);
}

void furnish_bedroom(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  Frame f;
  if (maybe(rng, 0.5f)) rug(b, plan);
  bed(b, plan);
  wardrobe(b, plan);
  if (maybe(rng, 0.6f) && place_wall(plan, rng, rng.uniform(0.8f, 1.4f), 0.45f, 0.9f, f))
    cabinet(b, plan, f, rng.uniform(0.75f, 1.0f), ItemKind::Dresser, true);
  if (maybe(rng, 0.45f)) desk_with_chair(b, plan);
  if (maybe(rng, 0.5f) && place_wall(plan, rng, rng.uniform(0.7f, 1.1f), 0.32f, 1.9f, f))
    bookshelf(b, plan, f, rng.uniform(1.0f, 2.0f));
  if (maybe(rng, 0.5f) && place_wall(plan, rng, 0.5f, 0.5f, 0.9f, f)) chair(b, plan, f, false);
  if (maybe(rng, 0.4f)) plant(b, plan);
  if (maybe(rng, 0.4f)) floor_box(b, plan);
  pictures(b, plan, 1 + int(rng.below(3)));
}

// ---- living room --------------------------------------------------------------------------

// A sofa against a wall (frame f), with cushions, seats and maybe throw pillows; false when
// there is no room for one.
bool sofa(Builder& b, RoomPlan& plan, Frame& f) {
  Rng& rng = b.rng;
  float w = rng.uniform(1.6f, 2.4f), d = rng.uniform(0.82f, 0.95f);
  if (!place_wall(plan, rng, w, d, 0.85f, f) && !place_wall(plan, rng, 1.4f, 0.82f, 0.85f, f)) return false;
  w = f.width(), d = f.depth();
  int inst = b.instance(ItemKind::Sofa, plan.room, true);
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
  for (int k = 0; k < seats; ++k) add_seat(plan, f, arm + (w - 2 * arm) * (k + 0.5f) / seats, 0.5f, seat);
  if (rng.uniform() < 0.6f) {  // throw pillows (objects)
    int p = b.instance(ItemKind::Pillow, plan.room, false);
    f.box(b, p, arm + 0.05f, 0.2f, seat, arm + 0.45f, 0.32f, seat + 0.35f, b.material(fabric(rng)));
  }
  return true;
}

// A TV on a stand facing the sofa (frame `sofa`), on the opposite wall when there is room.
void tv_corner(Builder& b, RoomPlan& plan, const Frame& sofa) {
  Rng& rng = b.rng;
  float sw = rng.uniform(1.1f, 1.8f), sh = rng.uniform(0.42f, 0.55f);
  Frame st;
  if (!place_wall(plan, rng, sw, 0.42f, sh, st, opposite(sofa.side)) && !place_wall(plan, rng, sw, 0.42f, sh, st))
    return;
  cabinet(b, plan, st, sh, ItemKind::TvStand, false);
  float tvw = std::min(st.width() - 0.1f, rng.uniform(0.9f, 1.45f)), tvh = tvw * 0.58f;
  int tv = b.instance(ItemKind::Tv, plan.room, false);
  float u0 = (st.width() - tvw) / 2, z0 = sh + 0.08f;
  int bezel = b.material(plastic(rng));
  Material screen;
  screen.texture = Texture::Screen;
  screen.emissive = rng.uniform() < 0.8f ? 1.0f : 0.0f;  // some TVs are off
  screen.seed = rng.next_u32();
  for (int c = 0; c < 3; ++c) screen.base[c] = 0.05f;
  st.box(b, tv, u0 + tvw / 2 - 0.15f, 0.1f, sh, u0 + tvw / 2 + 0.15f, 0.3f, sh + 0.02f, bezel);
  st.box(b, tv, u0 + tvw / 2 - 0.03f, 0.17f, sh, u0 + tvw / 2 + 0.03f, 0.2f, z0, bezel);
  st.box(b, tv, u0, 0.12f, z0, u0 + tvw, 0.17f, z0 + tvh, bezel);
  st.box(b, tv, u0 + 0.02f, 0.17f, z0 + 0.02f, u0 + tvw - 0.02f, 0.175f, z0 + tvh - 0.02f, b.material(screen));
  clutter(b, plan.room, st.sub(0.03f, 0.03f, u0 - 0.02f, 0.4f), sh, 1);
}

// The sofa, a coffee table in front of it and the TV it faces.
void sofa_group(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  Frame f;
  if (!sofa(b, plan, f)) return;
  const float w = f.width(), d = f.depth();
  float tw = std::min(w - 0.3f, rng.uniform(0.8f, 1.2f)), td = rng.uniform(0.45f, 0.6f), gap = rng.uniform(0.35f, 0.5f);
  Frame ct = {f.sub((w - tw) / 2, d + gap, (w + tw) / 2, d + gap + td), f.side};
  if (try_take(plan, ct.r)) table(b, plan, ct, rng.uniform(0.38f, 0.46f), ItemKind::CoffeeTable);
  tv_corner(b, plan, f);
}

// Chairs pulled up to the table in frame t: along its long sides and at its ends, in random
// order, each facing the table.
void chairs_around(Builder& b, RoomPlan& plan, const Frame& t, int count) {
  Rng& rng = b.rng;
  float w = t.width(), d = t.depth();
  float cw = rng.uniform(0.42f, 0.5f);
  // Candidate chair frames: centre (u, v) in the table frame and the side the chair's back is on.
  struct Spot { float u, v; Side side; };
  std::vector<Spot> spots;
  int per_long = w > 1.3f ? 2 : 1;
  for (int k = 0; k < per_long; ++k) {
    float u = w * (k + 0.5f) / per_long;
    spots.push_back({u, d + 0.12f + cw / 2, opposite(t.side)});  // in front
    spots.push_back({u, -0.12f - cw / 2, t.side});               // behind
  }
  spots.push_back({-0.12f - cw / 2, d / 2, clockwise(t.side)});
  spots.push_back({w + 0.12f + cw / 2, d / 2, counterclockwise(t.side)});
  for (size_t k = spots.size(); k > 1; --k) std::swap(spots[k - 1], spots[rng.below(uint32_t(k))]);
  int placed = 0;
  for (const Spot& sp : spots) {
    if (placed >= count) break;
    float x, y;
    t.point(sp.u, sp.v, x, y);
    Rect r = centred(x, y, cw, cw, sp.side);
    if (!try_take(plan, r)) continue;
    chair(b, plan, {r, sp.side}, false);
    ++placed;
  }
}

// A free-standing dining table with 3-6 chairs.
void dining(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  float w = rng.uniform(1.0f, 1.8f), d = rng.uniform(0.75f, 1.0f);
  Frame f;
  if (!place_free(plan, rng, w, d, 0.7f, f) && !place_free(plan, rng, 0.8f, 0.8f, 0.6f, f)) return;
  table(b, plan, f, rng.uniform(0.72f, 0.77f), ItemKind::DiningTable);
  chairs_around(b, plan, f, 3 + int(rng.below(4)));
}

void furnish_living_room(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  Frame f;
  if (maybe(rng, 0.6f)) rug(b, plan);
  sofa_group(b, plan);
  for (int k = int(rng.below(3)); k >= 0; --k)
    if (place_wall(plan, rng, rng.uniform(0.7f, 1.2f), rng.uniform(0.28f, 0.36f), 1.9f, f))
      bookshelf(b, plan, f, rng.uniform(1.2f, 2.1f));
  for (int k = maybe(rng, 0.5f) ? 2 : 1; k > 0; --k) {  // armchairs
    float cw = rng.uniform(0.6f, 0.8f);
    if (place_wall(plan, rng, cw, cw, 0.9f, f)) chair(b, plan, f, false);
  }
  if (maybe(rng, 0.5f)) dining(b, plan);
  if (maybe(rng, 0.6f)) plant(b, plan);
  if (maybe(rng, 0.5f)) floor_lamp(b, plan);
  if (maybe(rng, 0.5f) && place_wall(plan, rng, rng.uniform(0.8f, 1.6f), 0.45f, 0.9f, f))
    cabinet(b, plan, f, rng.uniform(0.7f, 1.0f), ItemKind::Sideboard, true);
  pictures(b, plan, 2 + int(rng.below(3)));
}

// ---- kitchen ------------------------------------------------------------------------------

// One counter run in frame f (w long, starting at a along its wall): base units with a top,
// wall cabinets above unless a window is in the way, the sink on the first run, clutter.
void counter_run(Builder& b, RoomPlan& plan, const Frame& f, float a, float w, int body, int top,
                 bool first) {
  Rng& rng = b.rng;
  const float H = b.w.ceiling_height;
  int inst = b.instance(ItemKind::Counter, plan.room, true);
  f.box(b, inst, 0, 0, 0.08f, w, 0.58f, 0.86f, body);
  f.box(b, inst, 0, 0, 0, w, 0.52f, 0.08f, darker(b, body, 0.4f));
  f.box(b, inst, 0, 0, 0.86f, w, 0.62f, 0.9f, top);
  int line = darker(b, body, 0.6f);
  for (float u = 0.6f; u < w - 0.1f; u += 0.6f) f.box(b, inst, u - 0.005f, 0.58f, 0.1f, u + 0.005f, 0.59f, 0.84f, line);
  if (!plan.covers_window(f.side, a, a + w) && H > 2.3f) {
    int upper = b.instance(ItemKind::WallCabinet, plan.room, false);
    f.box(b, upper, 0, 0, 1.45f, w, 0.35f, std::min(H - 0.05f, 2.2f), body);
    for (float u = 0.6f; u < w - 0.1f; u += 0.6f) f.box(b, upper, u - 0.005f, 0.35f, 1.47f, u + 0.005f, 0.36f, 2.1f, line);
  }
  if (first) {  // sink and hob (objects)
    int o = b.instance(ItemKind::Sink, plan.room, false);
    float u = rng.uniform(0.1f, std::max(0.1f, w - 0.7f));
    f.box(b, o, u, 0.1f, 0.9f, u + 0.5f, 0.5f, 0.91f, b.material(plastic(rng)));
    f.cylinder(b, o, u + 0.25f, 0.08f, 0.015f, 0.9f, 1.15f, b.material(plastic(rng)));
  }
  clutter(b, plan.room, f.sub(0.05f, 0.05f, w - 0.05f, 0.55f), 0.9f, 1 + int(rng.below(4)));
}

void fridge(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  Frame fr;
  float fh = rng.uniform(1.7f, 1.95f);
  if (!place_wall(plan, rng, rng.uniform(0.6f, 0.75f), 0.65f, fh, fr)) return;
  int inst = b.instance(ItemKind::Fridge, plan.room, true);
  int m = b.material(plastic(rng));
  fr.box(b, inst, 0, 0, 0, fr.width(), fr.depth(), fh, m);
  fr.box(b, inst, 0.02f, fr.depth(), fh * 0.62f, fr.width() - 0.02f, fr.depth() + 0.005f, fh * 0.63f, darker(b, m, 0.5f));
  fr.box(b, inst, 0.05f, fr.depth(), fh * 0.45f, 0.07f, fr.depth() + 0.04f, fh * 0.8f, darker(b, m, 0.6f));
}

// Up to two counter runs along random walls, then the fridge.
void kitchen_run(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  int body = b.material(rng.uniform() < 0.5f ? wood(rng) : paint(rng));
  int top = b.material(rng.uniform() < 0.5f ? stone(rng) : wood(rng));
  for (int runs = 0, tries = 0; runs < 2 && tries < 8; ++tries) {
    Side s = random_side(rng);
    float len = side_end(plan.inner, s) - side_start(plan.inner, s);
    float w = std::min(len, rng.uniform(1.2f, 3.2f));
    float a = rng.uniform(side_start(plan.inner, s), side_end(plan.inner, s) - w);
    Rect r = against_wall(plan.inner, s, a, w, 0.6f);
    if (!try_take(plan, r)) continue;
    ++runs;
    counter_run(b, plan, {r, s}, a, w, body, top, runs == 1);
  }
  fridge(b, plan);
}

void furnish_kitchen(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  Frame f;
  kitchen_run(b, plan);
  dining(b, plan);
  if (maybe(rng, 0.4f)) plant(b, plan);
  if (maybe(rng, 0.3f) && place_wall(plan, rng, 0.8f, 0.3f, 1.9f, f))
    bookshelf(b, plan, f, rng.uniform(1.0f, 1.9f));
  pictures(b, plan, 1 + int(rng.below(2)));
}

// ---- bathroom -----------------------------------------------------------------------------

// Toilet, vanity with sink and mirror, a bathtub in larger rooms, a laundry basket.
void bathroom_fixtures(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  Frame f;
  if (place_wall(plan, rng, 0.4f, 0.65f, 0.8f, f)) {  // toilet
    int inst = b.instance(ItemKind::Toilet, plan.room, true);
    int m = b.material(plastic(rng));
    f.box(b, inst, 0.02f, 0, 0.4f, 0.38f, 0.18f, 0.8f, m);
    f.cylinder(b, inst, 0.2f, 0.43f, 0.19f, 0, 0.42f, m);
  }
  float vw = rng.uniform(0.6f, 1.0f);
  if (place_wall(plan, rng, vw, 0.45f, 0.85f, f)) {
    cabinet(b, plan, f, 0.82f, ItemKind::Vanity, false);
    int inst = b.instance(ItemKind::Sink, plan.room, false);
    f.box(b, inst, 0.1f, 0.05f, 0.82f, vw - 0.1f, 0.42f, 0.9f, b.material(plastic(rng)));
    int mirror = b.instance(ItemKind::Mirror, plan.room, false);
    Material glass = stone(rng);
    for (int c = 0; c < 3; ++c) glass.base[c] = 0.55f + 0.15f * glass.base[c];
    f.box(b, mirror, 0.05f, 0, 1.2f, vw - 0.05f, 0.02f, 1.85f, b.material(glass));
  }
  if (plan.inner.width() > 2.1f || plan.inner.depth() > 2.1f) {
    float bw = rng.uniform(1.5f, 1.7f);
    if (place_wall(plan, rng, bw, 0.72f, 0.55f, f)) {
      int inst = b.instance(ItemKind::Bathtub, plan.room, true);
      int m = b.material(plastic(rng));
      f.box(b, inst, 0, 0, 0, bw, 0.72f, 0.55f, m);
    }
  }
  if (place_wall(plan, rng, 0.5f, 0.3f, 0.4f, f)) {
    int inst = b.instance(ItemKind::LaundryBasket, plan.room, true);
    b.cylinder(inst, (f.r.x0 + f.r.x1) / 2, (f.r.y0 + f.r.y1) / 2, 0.14f, 0, 0.45f, b.material(fabric(rng)));
  }
}

void furnish_bathroom(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  Frame f;
  bathroom_fixtures(b, plan);
  if (maybe(rng, 0.5f) && place_wall(plan, rng, 0.5f, 0.35f, 1.8f, f))
    cabinet(b, plan, f, 1.7f, ItemKind::Cabinet, false);
  pictures(b, plan, int(rng.below(2)));
}

// ---- office and corridor ------------------------------------------------------------------

void furnish_office(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  Frame f;
  desk_with_chair(b, plan);
  if (maybe(rng, 0.5f)) desk_with_chair(b, plan);
  for (int k = 1 + int(rng.below(2)); k > 0; --k)
    if (place_wall(plan, rng, rng.uniform(0.7f, 1.2f), rng.uniform(0.28f, 0.36f), 1.9f, f))
      bookshelf(b, plan, f, rng.uniform(1.4f, 2.1f));
  if (maybe(rng, 0.6f) && place_wall(plan, rng, rng.uniform(0.6f, 1.2f), 0.5f, 1.2f, f))
    cabinet(b, plan, f, rng.uniform(0.7f, 1.2f), ItemKind::FilingCabinet, true);
  if (maybe(rng, 0.5f)) plant(b, plan);
  if (maybe(rng, 0.4f)) floor_box(b, plan);
  pictures(b, plan, 1 + int(rng.below(3)));
}

void furnish_corridor(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  Frame f;
  if (maybe(rng, 0.7f) && place_wall(plan, rng, rng.uniform(0.8f, 1.4f), 0.35f, 0.6f, f))
    cabinet(b, plan, f, rng.uniform(0.45f, 0.9f), ItemKind::ShoeCabinet, true);
  if (maybe(rng, 0.4f)) plant(b, plan);
  if (maybe(rng, 0.3f)) floor_box(b, plan);
  pictures(b, plan, 2 + int(rng.below(3)));
}

}  // namespace

void furnish_room(Builder& b, RoomPlan& plan) {
  switch (b.w.rooms[size_t(plan.room)].type) {
    case RoomType::Bedroom: return furnish_bedroom(b, plan);
    case RoomType::Living: return furnish_living_room(b, plan);
    case RoomType::Kitchen: return furnish_kitchen(b, plan);
    case RoomType::Bathroom: return furnish_bathroom(b, plan);
    case RoomType::Office: return furnish_office(b, plan);
    case RoomType::Corridor: return furnish_corridor(b, plan);
  }
}

}  // namespace ulr::worldgen
