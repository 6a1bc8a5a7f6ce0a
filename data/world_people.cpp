// People: identities with a fixed look (data/world.cpp), standing in free floor space or sitting
// on the seats that chairs and sofas recorded. Bodies are cylinders and spheres, so they look
// right at any yaw; the face pattern on the head follows the yaw the person faces.
#include <algorithm>
#include <cmath>

#include "data/world_builder.h"
#include "engine/error.h"

namespace ulr {
namespace worldgen {

// ---- people -------------------------------------------------------------------------------

namespace {

struct Body {
  int skin, top, trousers, head;
};

Body body_materials(Builder& b, const PersonLook& look, float facing) {
  Material skin, top, trousers, head;
  for (int c = 0; c < 3; ++c) {
    skin.base[c] = skin.alt[c] = look.skin[c];
    top.base[c] = look.top[c], top.alt[c] = look.top_alt[c];
    trousers.base[c] = trousers.alt[c] = look.trousers[c];
    head.base[c] = look.skin[c], head.alt[c] = look.skin[c] * 0.7f, head.hair[c] = look.hair[c];
  }
  top.texture = look.top_pattern;
  top.scale = look.top_scale;
  top.seed = look.top_seed;
  trousers.texture = Texture::Fabric;
  trousers.scale = 0.05f;
  head.texture = Texture::Skin;
  head.facing = facing;
  head.face_pattern = look.face_pattern;
  return {b.material(skin), b.material(top), b.material(trousers), b.material(head)};
}

// Hair beyond the head's own texture (look.hair_style; style 0 adds nothing): 1, long hair, a
// column behind the head down to the shoulders; 2, a full volume around the head, the face left
// free; 3, a bun on the back of the crown. `head` is the head sphere's centre, `yaw` the facing.
void hair_volume(Builder& b, int inst, const PersonLook& look, Vec3 head, float yaw) {
  if (look.hair_style == 0) return;
  Material hair;
  for (int c = 0; c < 3; ++c) hair.base[c] = hair.alt[c] = look.hair[c];
  const int mat = b.material(hair);
  const float fx = std::cos(yaw), fy = std::sin(yaw);
  auto behind = [&](float d, float dz) { return Vec3{head.x - d * fx, head.y - d * fy, head.z + dz}; };
  if (look.hair_style == 1) {
    const Vec3 c = behind(0.06f, 0);
    b.cylinder(inst, c.x, c.y, 0.11f, head.z - 0.32f, head.z + 0.03f, mat);
  } else if (look.hair_style == 2) {
    b.sphere(inst, behind(0.05f, 0.03f), 0.15f, mat);
  } else {
    b.sphere(inst, behind(0.07f, 0.1f), 0.075f, mat);
  }
}

// Radii and the spacing of legs and arms scale with look.build (a factor of 1 changes nothing).
void standing_person(Builder& b, int room, int identity, const PersonLook& look, float x, float y,
                     float yaw) {
  Body m = body_materials(b, look, yaw);
  int inst = b.instance(ItemKind::Person, room, true, int16_t(identity));
  float s = look.height / 1.7f, px = -std::sin(yaw), py = std::cos(yaw);  // px, py: to the left
  const float g = look.build, leg = 0.1f * g, arm = 0.23f * g;
  for (int side = -1; side <= 1; side += 2) {
    b.cylinder(inst, x + side * leg * px, y + side * leg * py, 0.075f * g, 0, 0.8f * s, m.trousers);
    b.cylinder(inst, x + side * arm * px, y + side * arm * py, 0.05f * g, 0.86f * s, 1.42f * s, m.top);
    b.sphere(inst, {x + side * arm * px, y + side * arm * py, 0.84f * s}, 0.05f * g, m.skin);
  }
  b.cylinder(inst, x, y, 0.18f * g, 0.78f * s, 1.44f * s, m.top);
  b.cylinder(inst, x, y, 0.05f * g, 1.44f * s, look.height - 0.2f, m.skin);
  b.sphere(inst, {x, y, look.height - 0.115f}, 0.115f, m.head);
  hair_volume(b, inst, look, {x, y, look.height - 0.115f}, yaw);
}

void sitting_person(Builder& b, int room, int identity, const PersonLook& look, const Seat& seat) {
  float yaw = seat.yaw;
  Body m = body_materials(b, look, yaw);
  int inst = b.instance(ItemKind::Person, room, true, int16_t(identity));
  float s = look.height / 1.7f, fx = std::cos(yaw), fy = std::sin(yaw), px = -fy, py = fx;
  float x = seat.x - 0.08f * fx, y = seat.y - 0.08f * fy, z = seat.z;
  float torso = 0.62f * s;
  const float g = look.build, leg = 0.1f * g, arm = 0.23f * g, thigh = 0.07f * g;
  b.cylinder(inst, x, y, 0.18f * g, z, z + torso, m.top);
  for (int side = -1; side <= 1; side += 2) {
    float lx = x + side * leg * px, ly = y + side * leg * py;
    // Thigh forward (axis-aligned box, seats face a room side), lower leg down to the floor.
    float kx = lx + 0.42f * s * fx, ky = ly + 0.42f * s * fy;
    b.box(inst, {std::min(lx, kx) - thigh, std::min(ly, ky) - thigh, z},
          {std::max(lx, kx) + thigh, std::max(ly, ky) + thigh, z + 0.14f}, m.trousers);
    b.cylinder(inst, kx, ky, 0.065f * g, 0, z + 0.07f, m.trousers);
    b.cylinder(inst, x + side * arm * px, y + side * arm * py, 0.05f * g, z + 0.12f, z + torso - 0.02f, m.top);
  }
  b.cylinder(inst, x, y, 0.05f * g, z + torso, z + torso + 0.1f, m.skin);
  b.sphere(inst, {x, y, z + torso + 0.2f}, 0.115f, m.head);
  hair_volume(b, inst, look, {x, y, z + torso + 0.2f}, yaw);
}

// A stool with a backrest for a person placed by hand: a round seat on one leg, the back a
// panel behind the sitter (yaw a quarter turn, so the panel is an axis-aligned box).
void chair_under(Builder& b, int room, const Seat& seat) {
  Material m = wood(b.rng);
  int mat = b.material(m);
  int inst = b.instance(ItemKind::Chair, room, true);
  float fx = std::cos(seat.yaw), fy = std::sin(seat.yaw);
  b.cylinder(inst, seat.x, seat.y, 0.24f, seat.z - 0.05f, seat.z, mat);
  b.cylinder(inst, seat.x, seat.y, 0.03f, 0, seat.z - 0.05f, mat);
  float bx = seat.x - 0.3f * fx, by = seat.y - 0.3f * fy;
  float hx = std::fabs(fx) > 0.5f ? 0.02f : 0.22f, hy = std::fabs(fx) > 0.5f ? 0.22f : 0.02f;
  b.box(inst, {bx - hx, by - hy, seat.z}, {bx + hx, by + hy, seat.z + 0.5f}, mat);
}

}  // namespace

void place_people(Builder& b, std::vector<RoomPlan>& plans) {
  Rng& rng = b.rng;
  if (rng.uniform() < 0.05f) return;  // some apartments are empty
  int count = 1 + int(rng.below(3));
  std::vector<int> ids(kNumIdentities);
  for (int i = 0; i < kNumIdentities; ++i) ids[size_t(i)] = i;
  for (int i = kNumIdentities - 1; i > 0; --i) std::swap(ids[size_t(i)], ids[rng.below(uint32_t(i + 1))]);
  for (int p = 0; p < count; ++p) {
    int identity = ids[size_t(p)];
    RoomPlan& plan = plans[rng.below(uint32_t(plans.size()))];
    if (!plan.seats.empty() && rng.uniform() < 0.45f) {
      size_t k = rng.below(uint32_t(plan.seats.size()));
      sitting_person(b, plan.room, identity, person_look(identity), plan.seats[k]);
      plan.seats.erase(plan.seats.begin() + long(k));
      continue;
    }
    for (int t = 0; t < 40; ++t) {
      RoomPlan& where = t == 0 ? plan : plans[rng.below(uint32_t(plans.size()))];
      float x = rng.uniform(where.inner.x0 + 0.35f, where.inner.x1 - 0.35f);
      float y = rng.uniform(where.inner.y0 + 0.35f, where.inner.y1 - 0.35f);
      Rect r = {x - 0.3f, y - 0.3f, x + 0.3f, y + 0.3f};
      if (!where.fits(r) || !where.keeps_paths(r)) continue;
      where.take(r);
      standing_person(b, where.room, identity, person_look(identity), x, y,
                      rng.uniform(-3.14159265f, 3.14159265f));
      break;
    }
  }
}

}  // namespace worldgen

PersonLook redressed(const PersonLook& look, Rng& rng) {
  PersonLook out = look;
  const float hue = rng.uniform(0.0f, 360.0f);
  worldgen::hsv_to_rgb(hue, rng.uniform(0.2f, 0.9f), rng.uniform(0.3f, 0.95f), out.top);
  worldgen::hsv_to_rgb(std::fmod(hue + rng.uniform(90.0f, 270.0f), 360.0f), rng.uniform(0.1f, 0.6f),
                       rng.uniform(0.3f, 0.95f), out.top_alt);
  out.top_pattern = worldgen::kOutfitPatterns[rng.below(7)];
  out.top_scale = rng.uniform(0.05f, 0.1f);
  out.top_seed = rng.next_u32();
  worldgen::hsv_to_rgb(rng.uniform(0.0f, 360.0f), rng.uniform(0.0f, 0.5f), rng.uniform(0.1f, 0.6f),
                       out.trousers);
  return out;
}

void remove_people(World& w) {
  std::vector<int> renumbered(w.instances.size(), -1);
  std::vector<Instance> kept;
  for (size_t k = 0; k < w.instances.size(); ++k) {
    if (w.instances[k].kind == ItemKind::Person) continue;
    renumbered[k] = int(kept.size());
    kept.push_back(w.instances[k]);
  }
  std::vector<Primitive> primitives;
  for (Primitive p : w.primitives) {
    if (renumbered[size_t(p.instance)] < 0) continue;
    p.instance = renumbered[size_t(p.instance)];
    primitives.push_back(p);
  }
  w.instances = std::move(kept);
  w.primitives = std::move(primitives);
  worldgen::index_world(w);
}

void add_person(World& w, int identity, const PersonLook& look, const PersonPlacement& where) {
  using namespace worldgen;
  ULR_CHECK(identity >= 0 && identity < kNumIdentities, "identity out of range");
  const int room = w.room_at(where.x, where.y);
  if (room < 0)
    throw Error("add_person: (" + std::to_string(where.x) + ", " + std::to_string(where.y) +
                ") lies in no room of world seed " + std::to_string(w.seed));
  Rng rng(w.seed, uint64_t(identity) + 1);  // the chair's wood only
  Builder b(w, rng);
  if (where.sitting) {
    // Seats face a room side: the yaw snaps to the nearest quarter turn.
    const float quarter = 1.5707963f;
    Seat seat{where.x, where.y, 0.45f, quarter * std::round(where.yaw / quarter)};
    chair_under(b, room, seat);
    sitting_person(b, room, identity, look, seat);
  } else {
    standing_person(b, room, identity, look, where.x, where.y, where.yaw);
  }
  index_world(w);
}

}  // namespace ulr
