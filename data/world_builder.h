// Internal to the world generator (data/world*.cpp): the builder that appends instances,
// primitives and materials to a World, the material palettes, and the per-room planner that
// keeps furniture footprints apart and doorways reachable.
#pragma once
#include <string>
#include <vector>

#include "data/classes.h"
#include "data/world.h"
#include "engine/rng.h"

namespace ulr::worldgen {

constexpr float kWallHalf = 0.05f;    // each room owns half of a 10 cm wall
constexpr float kDoorHeight = 2.05f;
constexpr float kAgentRadius = 0.28f;  // clearance kept along paths (an agent of 0.2 m plus margin)

class Builder {
 public:
  Builder(World& world, Rng& rng) : w(world), rng(rng) {}
  World& w;
  Rng& rng;

  int material(const Material& m);
  // Starts an instance; primitives added with its index grow its bounding box and footprint.
  int instance(uint8_t class_id, const std::string& name, int room, bool blocks,
               int16_t identity = -1);
  void box(int inst, Vec3 lo, Vec3 hi, int mat);
  void cylinder(int inst, float cx, float cy, float radius, float z0, float z1, int mat);
  void sphere(int inst, Vec3 centre, float radius, int mat);
};

// Palettes. Classes draw from overlapping palettes so that colour alone never tells the class.
Material wood(Rng& rng);
Material paint(Rng& rng);       // walls, painted furniture
Material fabric(Rng& rng);      // upholstery, bedding, curtains, carpets
Material plastic(Rng& rng);     // objects, appliances
Material tiles(Rng& rng);
Material stone(Rng& rng);
Material any_surface(Rng& rng); // one of the above at random
void hsv_to_rgb(float h, float s, float v, float rgb[3]);

// An opening in a room side: side 0 = y0 (south), 1 = x1 (east), 2 = y1 (north), 3 = x0 (west);
// [a, b) is its span in absolute coordinates (x for sides 0 and 2, y for sides 1 and 3).
struct Opening {
  int side = 0;
  float a = 0, b = 0;
};

// A place where a person can sit: seat centre, seat height and the yaw the sitter faces.
struct Seat {
  float x = 0, y = 0, z = 0.45f, yaw = 0;
  int side = 0;  // the facing as a room side (see facing_yaw)
};

// Furniture planning for one room: footprints already taken, zones to keep clear, and the
// check that every doorway stays reachable for an agent.
struct RoomPlan {
  int room = 0;
  Rect inner;                  // walkable inner extent
  std::vector<Opening> doors, windows;
  std::vector<Rect> taken;     // footprints of blocking items
  std::vector<Rect> keep_clear;
  float sill = 0.9f;           // lowest window sill in the room
  std::vector<Seat> seats;
  // Whether `r` lies inside the room, clear of taken footprints and clear zones.
  bool fits(const Rect& r, float margin = 0.02f) const;
  // Whether placing `r` keeps all doorways connected and enough floor free.
  bool keeps_paths(const Rect& r) const;
  // Whether a wall-hugging item of span [a, b) on `side` covers a window (for tall items).
  bool covers_window(int side, float a, float b) const;
  void take(const Rect& r) { taken.push_back(r); }
};

// A rectangle of width w (along the wall) and depth d placed against `side` of `inner`,
// spanning [a, a + w) along the side (absolute coordinates, as for Opening).
Rect against_wall(const Rect& inner, int side, float a, float w, float d);
float side_start(const Rect& inner, int side);
float side_end(const Rect& inner, int side);
float facing_yaw(int side);  // the yaw pointing from the wall into the room

// Steps of the generator (data/world_layout.cpp, data/world_furnish.cpp, data/world.cpp).
// Lays out rooms, walls, doors and windows; returns false when this attempt failed.
bool build_layout(Builder& b, int n_rooms, std::vector<RoomPlan>& plans);
void furnish_room(Builder& b, RoomPlan& plan);
void place_people(Builder& b, std::vector<RoomPlan>& plans);
void index_world(World& w);  // free-space grid, room map, primitive grid

}  // namespace ulr::worldgen
