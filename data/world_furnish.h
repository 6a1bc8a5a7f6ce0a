// Internal to the furnishing step: an item's local frame, placement against the room plan, and
// the items any room may hold (data/world_furnish.cpp). The furniture of each room type and
// furnish_room live in data/world_rooms.cpp.
//
// Every item is placed by a bounded number of random tries against the room plan (inside the
// room, clear of other footprints and doorways, not blocking any path between doorways); an
// item that finds no place is left out.
#pragma once
#include <optional>

#include "data/world_builder.h"

namespace ulr::worldgen {

// An item's local frame: u runs along its width, v from its back (the wall on `side`) to its
// front.
struct Frame {
  Rect r;
  Side side = Side::South;
  float width() const { return runs_along_x(side) ? r.width() : r.depth(); }
  float depth() const { return runs_along_x(side) ? r.depth() : r.width(); }
  void point(float u, float v, float& x, float& y) const;
  void box(Builder& b, int inst, float u0, float v0, float z0, float u1, float v1, float z1, int mat) const;
  void cylinder(Builder& b, int inst, float u, float v, float radius, float z0, float z1, int mat) const;
  // The footprint of the sub-rectangle [u0,u1] x [v0,v1].
  Rect sub(float u0, float v0, float u1, float v1) const;
};

// A w x d footprint centred at (cx, cy), its width along `side`.
Rect centred(float cx, float cy, float w, float d, Side side);
// Takes `r` when it fits and keeps the paths open.
bool try_take(RoomPlan& plan, const Rect& r);
// Against a wall (a random one unless `side` is given); tall items avoid windows.
bool place_wall(RoomPlan& plan, Rng& rng, float w, float d, float h, Frame& out,
                std::optional<Side> side = std::nullopt);
// Free-standing, at least `gap` from the walls, facing `side` (random unless given).
bool place_free(RoomPlan& plan, Rng& rng, float w, float d, float gap, Frame& out,
                std::optional<Side> side = std::nullopt);
// Records where a person can sit: at (u, v) of `f`, seat height z, facing out of the frame.
void add_seat(RoomPlan& plan, const Frame& f, float u, float v, float z);

int darker(Builder& b, int mat, float k);  // a copy of material `mat` with colours scaled by k
Material books_material(Rng& rng);

// Small objects (and the odd stack of books) on the surface `top` at height z.
void clutter(Builder& b, int room, const Rect& top, float z, int count);
void table_legs(Builder& b, const Frame& f, int inst, float w, float d, float h, float leg, int mat);
// A chair in frame f (its back at v = 0, facing +v); records a seat.
void chair(Builder& b, RoomPlan& plan, const Frame& f, bool office);
// A table of `kind` (desk, dining or coffee table) filling f, top at height h, with clutter.
void table(Builder& b, RoomPlan& plan, const Frame& f, float h, ItemKind kind);
// A cabinet of `kind` filling f, with drawers when low and doors when tall.
void cabinet(Builder& b, RoomPlan& plan, const Frame& f, float h, ItemKind kind, bool top_clutter);
void bookshelf(Builder& b, RoomPlan& plan, const Frame& f, float h);
void plant(Builder& b, RoomPlan& plan);
void floor_lamp(Builder& b, RoomPlan& plan);
void floor_box(Builder& b, RoomPlan& plan);  // boxes, bags, baskets
void rug(Builder& b, RoomPlan& plan);
// Pictures on the walls, clear of openings and of taller furniture.
void pictures(Builder& b, RoomPlan& plan, int count);

}  // namespace ulr::worldgen
