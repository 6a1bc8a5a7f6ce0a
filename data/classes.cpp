#include "data/classes.h"

namespace ulr {
namespace {

// Colours: the NYU-13 palette used by SemanticFusion and most NYU/SUN RGB-D papers.
const ClassInfo kClasses[kNumClasses] = {
    {0, "unknown", {0, 0, 0}},         {1, "bed", {0, 0, 255}},
    {2, "books", {233, 89, 48}},       {3, "ceiling", {0, 218, 0}},
    {4, "chair", {149, 0, 240}},       {5, "floor", {222, 241, 24}},
    {6, "furniture", {255, 206, 206}}, {7, "objects", {0, 224, 229}},
    {8, "picture", {106, 136, 204}},   {9, "sofa", {117, 29, 41}},
    {10, "table", {240, 35, 235}},     {11, "tv", {0, 167, 156}},
    {12, "wall", {249, 139, 0}},       {13, "window", {225, 229, 194}},
};

}  // namespace

const ClassInfo& class_info(int id) { return kClasses[id]; }

const char* class_name(int id) {
  if (id == kIgnoreLabel) return "ignore";
  if (id < 0 || id >= kNumClasses) return "?";
  return kClasses[id].name;
}

void class_color(int id, uint8_t rgb[3]) {
  for (int c = 0; c < 3; ++c) rgb[c] = (id >= 0 && id < kNumClasses) ? kClasses[id].rgb[c] : 0;
}

int class_by_name(const std::string& name) {
  for (const ClassInfo& c : kClasses)
    if (name == c.name) return c.id;
  return -1;
}

}  // namespace ulr
