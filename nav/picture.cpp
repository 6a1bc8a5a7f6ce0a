#include "nav/picture.h"

#include <algorithm>
#include <cmath>

#include "data/classes.h"

namespace ulr::nav {
namespace {

struct Colour {
  uint8_t r, g, b;
};

constexpr Colour kOutside = {60, 60, 60}, kFloorColour = {255, 255, 255}, kWallColour = {0, 0, 0},
                 kObstacle = {150, 150, 150};

const Colour kPalette[8] = {{0, 160, 60},  {220, 30, 30},  {30, 90, 230},  {230, 140, 0},
                            {150, 50, 200}, {0, 170, 190}, {120, 80, 30}, {255, 0, 160}};
const char* const kPaletteNames[8] = {"green", "red", "blue", "orange", "purple", "cyan", "brown", "pink"};

void put(Image& img, int x, int y, Colour c) {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  uint8_t* p = img.at(x, y);
  p[0] = c.r, p[1] = c.g, p[2] = c.b;
}

void fill_box(Image& img, int x0, int y0, int x1, int y1, Colour c) {  // inclusive corners
  for (int y = std::max(0, y0); y <= std::min(img.height - 1, y1); ++y)
    for (int x = std::max(0, x0); x <= std::min(img.width - 1, x1); ++x) put(img, x, y, c);
}

// A line `thickness` pixels wide from (x0, y0) to (x1, y1), in steps of half a pixel.
void draw_line(Image& img, float x0, float y0, float x1, float y1, Colour c, int thickness) {
  const float length = std::hypot(x1 - x0, y1 - y0);
  const int steps = std::max(1, int(std::ceil(2 * length)));
  for (int k = 0; k <= steps; ++k) {
    const float t = float(k) / float(steps);
    const int x = int(std::floor(x0 + t * (x1 - x0))), y = int(std::floor(y0 + t * (y1 - y0)));
    fill_box(img, x - thickness / 2, y - thickness / 2, x + (thickness - 1) / 2, y + (thickness - 1) / 2, c);
  }
}

// World floor-plan coordinates to map pixels.
struct MapFrame {
  float x0, y0, ppm;
  int height;
  float px(float x) const { return (x - x0) * ppm; }
  float py(float y) const { return float(height) - (y - y0) * ppm; }
  void fill_rect(Image& img, const Rect& r, Colour c) const {
    fill_box(img, int(std::floor(px(r.x0))), int(std::floor(py(r.y1))), int(std::ceil(px(r.x1))) - 1,
             int(std::ceil(py(r.y0))) - 1, c);
  }
};

Colour class_colour(int id) {
  uint8_t rgb[3];
  class_color(id, rgb);
  return {rgb[0], rgb[1], rgb[2]};
}

bool is_shell(ItemKind k) {
  return k == ItemKind::Wall || k == ItemKind::Door || k == ItemKind::Window || k == ItemKind::Curtain;
}

}  // namespace

void agent_colour(int index, uint8_t rgb[3]) {
  const Colour& c = kPalette[((index % 8) + 8) % 8];
  rgb[0] = c.r, rgb[1] = c.g, rgb[2] = c.b;
}

const char* agent_colour_name(int index) { return kPaletteNames[((index % 8) + 8) % 8]; }

Image draw_episode_map(const NavTask& task, const std::vector<MapPath>& paths, int ppm) {
  const World& w = *task.apartment->world;
  const OccupancyGrid& g = w.free_space;
  const int width = int(std::ceil(float(g.width) * g.cell * float(ppm)));
  const int height = int(std::ceil(float(g.height) * g.cell * float(ppm)));
  const MapFrame f{g.x0, g.y0, float(ppm), height};
  Image img(width, height, 3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const float wx = g.x0 + (float(x) + 0.5f) / float(ppm), wy = g.y0 + (float(height - y) - 0.5f) / float(ppm);
      put(img, x, y, w.room_at(wx, wy) >= 0 ? kFloorColour : kOutside);
    }
  // View points, a light tint of the goal's colour.
  const Colour goal = class_colour(task.episode.category);
  const Colour tint = {uint8_t(255 - (255 - goal.r) / 4), uint8_t(255 - (255 - goal.g) / 4),
                       uint8_t(255 - (255 - goal.b) / 4)};
  const NavGrid& grid = task.apartment->grid;
  for (int c : task.goal->view_points) {
    const FloorPoint p = grid.centre(c);
    const float h = 0.5f * grid.cell;
    f.fill_rect(img, {p.x - h, p.y - h, p.x + h, p.y + h}, tint);
  }
  for (const Instance& in : w.instances)
    if (in.blocks && in.class_id != task.episode.category) f.fill_rect(img, in.footprint, is_shell(in.kind) ? kWallColour : kObstacle);
  for (const Instance& in : w.instances)
    if (in.class_id == task.episode.category) f.fill_rect(img, in.footprint, goal);
  // The start, a ring with a tick along the heading.
  const AgentPose& s = task.episode.start;
  const float sx = f.px(s.x), sy = f.py(s.y), ring = 0.18f * float(ppm);
  for (int k = 0; k < 64; ++k) {
    const float a = float(k) * 6.2831853f / 64.0f;
    put(img, int(sx + ring * std::cos(a)), int(sy - ring * std::sin(a)), kWallColour);
    put(img, int(sx + (ring + 1) * std::cos(a)), int(sy - (ring + 1) * std::sin(a)), kWallColour);
  }
  draw_line(img, sx, sy, sx + 2 * ring * std::cos(s.yaw), sy - 2 * ring * std::sin(s.yaw), kWallColour, 2);
  for (const MapPath& path : paths) {
    const Colour c = {path.rgb[0], path.rgb[1], path.rgb[2]};
    const std::vector<AgentPose>& poses = path.trajectory->poses;
    for (size_t i = 1; i < poses.size(); ++i)
      draw_line(img, f.px(poses[i - 1].x), f.py(poses[i - 1].y), f.px(poses[i].x), f.py(poses[i].y), c, 2);
    const int ex = int(f.px(poses.back().x)), ey = int(f.py(poses.back().y)), r = 3;
    fill_box(img, ex - r, ey - r, ex + r, ey + r, c);
    if (!path.trajectory->stopped) fill_box(img, ex - r + 2, ey - r + 2, ex + r - 2, ey + r - 2, kFloorColour);
  }
  return img;
}

Image action_icon(Action a, int size) {
  Image img(size, size, 3);
  fill_box(img, 0, 0, size - 1, size - 1, {230, 230, 230});
  const float k = float(size) / 16.0f;
  const Colour ink = {40, 40, 40};
  const int t = std::max(1, size / 8);
  auto line = [&](float x0, float y0, float x1, float y1) { draw_line(img, x0 * k, y0 * k, x1 * k, y1 * k, ink, t); };
  switch (a) {
    case Action::Forward:
      line(8, 3, 8, 13), line(8, 3, 4, 7), line(8, 3, 12, 7);
      break;
    case Action::TurnLeft:
      line(12, 13, 12, 6), line(12, 6, 4, 6), line(4, 6, 7, 3), line(4, 6, 7, 9);
      break;
    case Action::TurnRight:
      line(4, 13, 4, 6), line(4, 6, 12, 6), line(12, 6, 9, 3), line(12, 6, 9, 9);
      break;
    case Action::Stop:
      fill_box(img, int(4 * k), int(4 * k), int(12 * k) - 1, int(12 * k) - 1, {210, 30, 30});
      break;
  }
  return img;
}

}  // namespace ulr::nav
