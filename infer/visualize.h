// Pictures for people: coloured label maps, overlays, nearest-neighbour enlargement (so a 16x16
// frame is seen as the blocks the model saw) and mosaics of equal-size cells.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/image.h"

namespace ulr {

// Class ids (width*height) -> RGB image in the class table's display colours.
Image colorize_labels(const uint8_t* labels, int width, int height);
// Enlarges (or shrinks) by nearest neighbour to width x height.
Image resize_nearest(const Image& img, int width, int height);
// alpha * colours + (1 - alpha) * base, both RGB of one size.
Image blend(const Image& base, const Image& colors, float alpha);
// Rows of cells, every cell resized (nearest) to cell x cell, `gap` pixels of white between.
Image mosaic(const std::vector<std::vector<Image>>& rows, int cell, int gap = 2);

}  // namespace ulr
