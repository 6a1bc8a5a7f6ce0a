// Internal to the world generator (data/world*.cpp): room sides, the builder that appends
// instances, primitives and materials to a World, the material palettes (world_palette.cpp),
// and the per-room planner (world_plan.cpp) that keeps furniture footprints apart and doorways
// reachable.
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

// A side of a room, or of an item's footprint, in counter-clockwise order: the edge at y0, x1,
// y1, x0. South and north run along x, east and west along y.
enum class Side : uint8_t { South, East, North, West };
constexpr Side kSides[4] = {Side::South, Side::East, Side::North, Side::West};

Side opposite(Side side);
Side clockwise(Side side);         // the next side clockwise (south -> west)
Side counterclockwise(Side side);  // the next side counter-clockwise (south -> east)
bool runs_along_x(Side side);      // south and north: spans along the side are in x
Side random_side(Rng& rng);        // one draw: rng.below(4)
float facing_yaw(Side side);       // the yaw pointing from that wall into the room
// `p` moved `distance` metres away from a wall on `side`, into the room.
Vec3 step_into_room(Vec3 p, Side side, float distance);

class Builder {
 public:
  Builder(World& world, Rng& rng) : w(world), rng(rng) {}
  World& w;
  Rng& rng;

  int material(const Material& m);
  // Starts an instance; primitives added with its index grow its bounding box and footprint.
  int instance(ItemKind kind, int room, bool blocks, int16_t identity = -1);
  void box(int inst, Vec3 lo, Vec3 hi, int mat);
  void cylinder(int inst, float cx, float cy, float radius, float z0, float z1, int mat);
  void sphere(int inst, Vec3 centre, float radius, int mat);
};

// The patterns a person's top may have (identities cycle through them; redressed() draws one).
constexpr Texture kOutfitPatterns[7] = {Texture::Solid, Texture::Stripes, Texture::Checker,
                                        Texture::Dots,  Texture::Plaid,   Texture::Fabric,
                                        Texture::Noise};

// Palettes. Classes draw from overlapping palettes so that colour alone never tells the class.
Material wood(Rng& rng);
Material paint(Rng& rng);       // walls, painted furniture
Material fabric(Rng& rng);      // upholstery, bedding, curtains, carpets
Material plastic(Rng& rng);     // objects, appliances
Material tiles(Rng& rng);
Material stone(Rng& rng);
Material any_surface(Rng& rng); // one of the above at random
void hsv_to_rgb(float h, float s, float v, float rgb[3]);

// An opening in a room side; [a, b) is its span in absolute coordinates (x for south and north,
// y for east and west).
struct Opening {
  Side side = Side::South;
  float a = 0, b = 0;
};

// A place where a person can sit: seat centre, seat height and the yaw the sitter faces
// (facing_yaw of the side the seat's back is against).
struct Seat {
  float x = 0, y = 0, z = 0.45f, yaw = 0;
};

// Furniture planning for one room: footprints already taken, zones to keep clear, and the
// check that every doorway stays reachable for an agent.
struct RoomPlan {
  int room = 0;
  Rect inner;                  // walkable inner extent
  std::vector<Opening> doors, windows;
  std::vector<Rect> taken;     // footprints of blocking items
  std::vector<Rect> keep_clear;
  float sill = 0.9f;           // lowest window sill in the room (the ceiling height when none)
  std::vector<Seat> seats;
  // Whether `r` lies inside the room, clear of taken footprints and clear zones.
  bool fits(const Rect& r, float margin = 0.02f) const;
  // Whether placing `r` keeps all doorways connected and enough floor free.
  bool keeps_paths(const Rect& r) const;
  // Whether a wall-hugging item of span [a, b) on `side` covers a window (for tall items).
  bool covers_window(Side side, float a, float b) const;
  void take(const Rect& r) { taken.push_back(r); }
};

// The rectangle spanning [a, b) along `side` of `inner` (absolute coordinates, as for Opening)
// and reaching `depth` into it.
Rect wall_strip(const Rect& inner, Side side, float a, float b, float depth);
// The same for a width: wall_strip(inner, side, a, a + w, d).
Rect against_wall(const Rect& inner, Side side, float a, float w, float d);
float side_start(const Rect& inner, Side side);  // where spans along `side` begin
float side_end(const Rect& inner, Side side);    // and end

// Steps of the generator (data/world_layout.cpp, data/world_rooms.cpp, data/world_people.cpp,
// data/world.cpp). Lays out rooms, walls, doors and windows; returns false when this attempt
// failed.
bool build_layout(Builder& b, int n_rooms, std::vector<RoomPlan>& plans);
void furnish_room(Builder& b, RoomPlan& plan);
void place_people(Builder& b, std::vector<RoomPlan>& plans);
void index_world(World& w);  // free-space grid, room map, primitive grid

}  // namespace ulr::worldgen
