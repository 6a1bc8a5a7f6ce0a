// People: identities with a fixed look (data/world.cpp), standing in free floor space or sitting
// on the seats that chairs and sofas recorded. Bodies are cylinders and spheres, so they look
// right at any yaw; the face pattern on the head follows the yaw the person faces.
#include <algorithm>
#include <cmath>

#include "data/world_builder.h"

namespace ulr::worldgen {

// ---- people -------------------------------------------------------------------------------

namespace {

struct Body {
  int skin, top, trousers, head;
};

Body body_materials(Builder& b, int identity, float facing) {
  const PersonLook& look = person_look(identity);
  Material skin, top, trousers, head;
  for (int c = 0; c < 3; ++c) {
    skin.base[c] = skin.alt[c] = look.skin[c];
    top.base[c] = look.top[c], top.alt[c] = look.top_alt[c];
    trousers.base[c] = trousers.alt[c] = look.trousers[c];
    head.base[c] = look.skin[c], head.alt[c] = look.skin[c] * 0.7f, head.hair[c] = look.hair[c];
  }
  top.texture = look.top_pattern;
  top.scale = 0.06f + 0.02f * float(identity % 3);
  top.seed = uint32_t(identity) * 7919u + 1;
  trousers.texture = Texture::Fabric;
  trousers.scale = 0.05f;
  head.texture = Texture::Skin;
  head.facing = facing;
  head.face_pattern = look.face_pattern;
  return {b.material(skin), b.material(top), b.material(trousers), b.material(head)};
}

void standing_person(Builder& b, int room, int identity, float x, float y, float yaw) {
  const PersonLook& look = person_look(identity);
  Body m = body_materials(b, identity, yaw);
  int inst = b.instance(ItemKind::Person, room, true, int16_t(identity));
  float s = look.height / 1.7f, px = -std::sin(yaw), py = std::cos(yaw);  // px, py: to the left
  for (int side = -1; side <= 1; side += 2) {
    b.cylinder(inst, x + side * 0.1f * px, y + side * 0.1f * py, 0.075f, 0, 0.8f * s, m.trousers);
    b.cylinder(inst, x + side * 0.23f * px, y + side * 0.23f * py, 0.05f, 0.86f * s, 1.42f * s, m.top);
    b.sphere(inst, {x + side * 0.23f * px, y + side * 0.23f * py, 0.84f * s}, 0.05f, m.skin);
  }
  b.cylinder(inst, x, y, 0.18f, 0.78f * s, 1.44f * s, m.top);
  b.cylinder(inst, x, y, 0.05f, 1.44f * s, look.height - 0.2f, m.skin);
  b.sphere(inst, {x, y, look.height - 0.115f}, 0.115f, m.head);
}

void sitting_person(Builder& b, int room, int identity, const Seat& seat) {
  const PersonLook& look = person_look(identity);
  float yaw = seat.yaw;
  Body m = body_materials(b, identity, yaw);
  int inst = b.instance(ItemKind::Person, room, true, int16_t(identity));
  float s = look.height / 1.7f, fx = std::cos(yaw), fy = std::sin(yaw), px = -fy, py = fx;
  float x = seat.x - 0.08f * fx, y = seat.y - 0.08f * fy, z = seat.z;
  float torso = 0.62f * s;
  b.cylinder(inst, x, y, 0.18f, z, z + torso, m.top);
  for (int side = -1; side <= 1; side += 2) {
    float lx = x + side * 0.1f * px, ly = y + side * 0.1f * py;
    // Thigh forward (axis-aligned box, seats face a room side), lower leg down to the floor.
    float kx = lx + 0.42f * s * fx, ky = ly + 0.42f * s * fy;
    b.box(inst, {std::min(lx, kx) - 0.07f, std::min(ly, ky) - 0.07f, z}, {std::max(lx, kx) + 0.07f, std::max(ly, ky) + 0.07f, z + 0.14f},
          m.trousers);
    b.cylinder(inst, kx, ky, 0.065f, 0, z + 0.07f, m.trousers);
    b.cylinder(inst, x + side * 0.23f * px, y + side * 0.23f * py, 0.05f, z + 0.12f, z + torso - 0.02f, m.top);
  }
  b.cylinder(inst, x, y, 0.05f, z + torso, z + torso + 0.1f, m.skin);
  b.sphere(inst, {x, y, z + torso + 0.2f}, 0.115f, m.head);
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
      sitting_person(b, plan.room, identity, plan.seats[k]);
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
      standing_person(b, where.room, identity, x, y, rng.uniform(-3.14159265f, 3.14159265f));
      break;
    }
  }
}

}  // namespace ulr::worldgen
