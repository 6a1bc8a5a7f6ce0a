// The class table: the 13-class NYU/SUN RGB-D mapping plus 0 = unknown, and 255 =
// ignore. Ids, names and display colours live here and nowhere else; everything reads this.
#pragma once
#include <cstdint>
#include <string>

namespace ulr {

constexpr int kNumClasses = 14;        // ids 0..13
constexpr uint8_t kIgnoreLabel = 255;  // pixels that carry no label (losses and metrics skip them)

enum ClassId : uint8_t {
  kUnknown = 0,
  kBed = 1,
  kBooks = 2,
  kCeiling = 3,
  kChair = 4,
  kFloor = 5,
  kFurniture = 6,
  kObjects = 7,  // also people, as in the NYU mapping
  kPicture = 8,
  kSofa = 9,
  kTable = 10,
  kTv = 11,
  kWall = 12,
  kWindow = 13,
};

struct ClassInfo {
  uint8_t id;
  const char* name;
  uint8_t rgb[3];  // display colour
};

// The table, indexed by id (0..kNumClasses-1).
const ClassInfo& class_info(int id);  // requires 0 <= id < kNumClasses
const char* class_name(int id);       // "ignore" for 255, "?" for any other out-of-range id
// Display colour; black for 255 and any out-of-range id.
void class_color(int id, uint8_t rgb[3]);
// Id of a class by its name ("bed", "tv", ...); -1 when no class has that name.
int class_by_name(const std::string& name);

}  // namespace ulr
