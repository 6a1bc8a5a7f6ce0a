// Synthetic apartments: a deterministic generator of multi-room apartments built from simple
// primitives (axis-aligned boxes, vertical cylinders, spheres; quads are thin boxes), each
// belonging to an object instance with a class id (data/classes.h) and, for people, an
// identity id. The world also holds what navigation needs: a 2D free-space grid and the rooms.
//
// Coordinates: metres, x and y span the floor plan, z points up, the floor is z = 0 and the
// ceiling z = ceiling_height. Yaw is measured from +x towards +y.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/rng.h"

namespace ulr {

struct Vec3 {
  float x = 0, y = 0, z = 0;
};

// An axis-aligned rectangle on the floor plan, [x0, x1) x [y0, y1).
struct Rect {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  float width() const { return x1 - x0; }
  float depth() const { return y1 - y0; }
  bool overlaps(const Rect& o, float margin = 0) const {
    return x0 - margin < o.x1 && o.x0 < x1 + margin && y0 - margin < o.y1 && o.y0 < y1 + margin;
  }
  bool contains(float x, float y) const { return x >= x0 && x < x1 && y >= y0 && y < y1; }
};

constexpr int kNumIdentities = 24;  // people carry identity ids 0..kNumIdentities-1

enum class RoomType : uint8_t { Bedroom, Living, Kitchen, Bathroom, Office, Corridor };
const char* room_type_name(RoomType type);

// Surface patterns. Each is evaluated from the hit point in the primitive's local frame.
enum class Texture : uint8_t {
  Solid,     // base colour with faint noise
  Wood,      // grain along the longest axis
  Fabric,    // fine weave of base and alt
  Tiles,     // square tiles of base with alt grout
  Stripes,   // bands of base and alt
  Checker,   // checkerboard of base and alt
  Dots,      // alt dots on base
  Plaid,     // crossed bands
  Noise,     // blotchy mix of base and alt (paint, stone)
  Books,     // spines: vertical bands of varied colours
  Picture,   // procedural art (seeded)
  Screen,    // TV content (seeded), emissive
  Window,    // outdoor view: sky and ground, emissive
  Skin,      // head: skin with a face pattern on the front, hair on top and back
};

struct Material {
  float base[3] = {0.5f, 0.5f, 0.5f};  // linear RGB in [0, 1]
  float alt[3] = {0.3f, 0.3f, 0.3f};
  float hair[3] = {0.1f, 0.1f, 0.1f};  // Skin only
  Texture texture = Texture::Solid;
  float scale = 0.2f;        // pattern period in metres
  uint32_t seed = 0;         // pattern seed (pictures, screens, faces)
  float emissive = 0.0f;     // 0 = lit surface, 1 = shows its own colour unlit
  float facing = 0.0f;       // Skin: yaw the face looks towards
  int face_pattern = 0;      // Skin: which face pattern (eyes, glasses, beard, ...)
};

// What an instance is: the generator's own vocabulary, finer than the class it is labelled
// with (a wardrobe and a fridge are both furniture). Code tests the kind; item_name() is text
// for display only.
enum class ItemKind : uint8_t {
  Wall, Door, Window, Curtain, CeilingLamp,                               // the shell
  Bed, Pillow, Wardrobe, Dresser, Nightstand,                             // bedrooms
  Sofa, CoffeeTable, TvStand, Tv, Sideboard, FloorLamp, Rug,              // living rooms
  Counter, WallCabinet, Fridge, Sink, DiningTable,                        // kitchens
  Toilet, Vanity, Mirror, Bathtub, LaundryBasket, Cabinet,                // bathrooms
  Desk, Monitor, OfficeChair, FilingCabinet, ShoeCabinet,                 // offices, corridors
  Chair, Bookshelf, Books, Object, Plant, Box, Picture, Person,           // anywhere
};
constexpr int kNumItemKinds = int(ItemKind::Person) + 1;
const char* item_name(ItemKind kind);  // "ceiling lamp", "bed", ...
uint8_t item_class(ItemKind kind);     // the class id (data/classes.h) its pixels carry

enum class PrimitiveKind : uint8_t { Box, Cylinder, Sphere };

// Box: lo..hi. Cylinder: vertical, axis (cx, cy) = centre of lo..hi in x/y, radius half the
// x extent, from lo.z to hi.z. Sphere: centre of lo..hi, radius half the x extent.
struct Primitive {
  PrimitiveKind kind = PrimitiveKind::Box;
  Vec3 lo, hi;
  int material = 0;  // index into World::materials
  int instance = 0;  // index into World::instances
};

// One object: a bed, a wall segment, a person, ... made of one or more primitives.
struct Instance {
  ItemKind kind = ItemKind::Object;
  uint8_t class_id = 0;      // item_class(kind), data/classes.h
  int16_t identity = -1;     // person identity 0..kNumIdentities-1, -1 for everything else
  int room = -1;             // index into World::rooms, -1 for shared walls
  Rect footprint;            // floor-plan extent
  Vec3 lo, hi;               // 3D bounding box
  bool blocks = false;       // counts as an obstacle on the free-space grid
};

struct Room {
  RoomType type = RoomType::Living;
  Rect rect;                 // inner extent (walls are outside it, half their thickness)
  int floor_material = 0, ceiling_material = 0, wall_material = 0;
  Vec3 lamp;                 // ceiling lamp position
};

// Free-space grid over the floor plan: cell (ix, iy) covers [x0 + ix*cell, ...). A cell is
// occupied when a wall or a blocking instance's footprint touches it, or it lies outside the
// apartment.
struct OccupancyGrid {
  float x0 = 0, y0 = 0, cell = 0.05f;
  int width = 0, height = 0;
  std::vector<uint8_t> occupied;  // (height, width), 1 = blocked
  bool blocked(int ix, int iy) const {
    return ix < 0 || iy < 0 || ix >= width || iy >= height || occupied[size_t(iy) * width + ix];
  }
};

// Uniform 2D grid over the floor plan listing, per cell, the instances whose footprint touches
// it (the renderer's acceleration structure: a ray tests an instance's box, then its
// primitives, which are stored contiguously: instance k owns primitives
// [instance_first[k], instance_first[k + 1])).
struct PrimitiveGrid {
  float x0 = 0, y0 = 0, cell = 0.5f;
  int width = 0, height = 0;
  std::vector<int> start;           // (height*width + 1) offsets into items
  std::vector<int> items;           // instance indices
  std::vector<int> instance_first;  // (instances + 1) primitive ranges
};

struct World {
  uint64_t seed = 0;
  Rect bounds;                      // outer extent of the apartment
  float ceiling_height = 2.6f;
  std::vector<Room> rooms;
  std::vector<Instance> instances;
  std::vector<Primitive> primitives;
  std::vector<Material> materials;
  std::vector<Vec3> window_lights;  // a point just inside each window
  OccupancyGrid free_space;
  PrimitiveGrid grid;
  std::vector<int16_t> room_map;    // (free_space.height, free_space.width) room index or -1

  // True when a disc of `radius` metres at (x, y) touches no blocked cell.
  bool is_free(float x, float y, float radius) const;
  // Room containing (x, y), or -1.
  int room_at(float x, float y) const;
  // Identities of the people in this world (sorted, unique).
  std::vector<int> identities() const;
};

// Generates the apartment for `seed`: same seed -> identical world. 2-6 rooms joined by
// doorways, windows on outer walls, furniture by room type, clutter, pictures and people.
// Every random choice is retried a bounded number of times; a seed that still cannot be built
// throws Error("world seed S: ...") (the generator falls back to simpler layouts first, so
// this does not happen for ordinary seeds).
World generate_world(uint64_t seed);

// The appearance of identity `id` (0..kNumIdentities-1) is fixed across worlds and seeds.
struct PersonLook {
  float skin[3], hair[3], top[3], top_alt[3], trousers[3];
  Texture top_pattern;
  float top_scale;    // the top's pattern period, metres
  uint32_t top_seed;  // the top's pattern seed
  int face_pattern;
  float height;       // metres, standing
  float build = 1.0f; // girth: torso, arm, leg and neck radii are scaled by it
  int hair_style = 0; // 0: the head's texture only; 1 long, 2 full volume, 3 bun (geometry)
};
const PersonLook& person_look(int id);
// The same identities with the traits that stay when clothes change (height 1.52-1.92 m, build,
// skin, hair colour and style, face) spread as far apart as 24 people allow, outfits as person_look's: the
// people of the privacy attacks' person views (privacy/person_views.h), who must be told apart
// at HR by those traits alone. The apartments' own people keep person_look.
const PersonLook& distinct_person_look(int id);

// The same person in another outfit drawn from `rng`: top colours, pattern, pattern scale and
// seed, and trousers change; skin, hair, face, height and build stay.
PersonLook redressed(const PersonLook& look, Rng& rng);

// One person put into a world by hand (the person views of privacy/person_views.h): where they
// stand, or sit on a chair placed under them with its back behind them, and the yaw they face.
struct PersonPlacement {
  float x = 0, y = 0, yaw = 0;
  bool sitting = false;
};
// Removes every person (instances and primitives) from `world` and rebuilds its indexes.
void remove_people(World& world);
// Adds a person of `identity` (0..kNumIdentities-1) who looks like `look` at `where`, inside a
// room of `world`, then rebuilds its indexes. Nothing is checked for collisions: the caller
// chooses free floor (World::is_free). Throws Error when (x, y) lies in no room.
void add_person(World& world, int identity, const PersonLook& look, const PersonPlacement& where);

}  // namespace ulr
