// Pictures of episodes: the top-down map of an apartment with the goal and each agent's path,
// and small icons of the actions (for the strip of frames, predictions and actions that
// `ulrseg nav` composes).
//
// Map colours: outside the apartment dark grey, free floor white, walls, doors and windows
// black, other obstacles grey, every goal instance in its class's display colour, the goal's
// view points a light tint of it; the start a black ring; each path a line in the agent's
// colour (agent_colour) ending in a filled square where the agent stopped, or a hollow one
// where it ran out of steps. North (+y) is up.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/image.h"
#include "nav/episodes.h"

namespace ulr::nav {

struct MapPath {
  const Trajectory* trajectory = nullptr;
  uint8_t rgb[3] = {0, 0, 0};
};

// The fixed palette for agents, by their position in the run (it repeats after 8).
void agent_colour(int index, uint8_t rgb[3]);
const char* agent_colour_name(int index);  // "green", "red", ...

// The map of `task`'s apartment at `pixels_per_metre`, with `paths` drawn in order.
Image draw_episode_map(const NavTask& task, const std::vector<MapPath>& paths, int pixels_per_metre = 40);

// A size x size RGB icon: an arrow up (move_forward), a bent arrow left or right (the turns),
// a red square (stop).
Image action_icon(Action a, int size = 16);

}  // namespace ulr::nav
