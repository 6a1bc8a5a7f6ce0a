// Line and scatter plots as SVG text, for result pages (docs/PRIVACY.md's figures): axes with
// ticks, series drawn as lines and markers with optional error bars and point labels,
// horizontal reference lines (a chance level), a legend. No dependencies: the SVG is built as
// a string and written by the caller (write_file_atomic).
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace ulr {

struct PlotSeries {
  std::string label;                       // in the legend; empty: not listed
  std::vector<double> x, y;                // one point each
  std::vector<double> y_lo, y_hi;          // error bars: empty, or one per point
  std::vector<std::string> point_labels;   // text beside each point: empty, or one per point
  bool lines = true;                       // false: markers only
  bool dashed = false;
};

struct PlotAxis {
  std::string label;
  double min = 0, max = 1;
  // (value, text) ticks; empty: five evenly spaced, printed with up to two decimals.
  std::vector<std::pair<double, std::string>> ticks;
};

struct Plot {
  std::string title;
  PlotAxis x, y;
  std::vector<PlotSeries> series;
  std::vector<std::pair<double, std::string>> reference_lines;  // horizontal: (y, label)
  int width = 640, height = 400;                                 // pixels
};

// The plot as a complete SVG document. Points outside the axes' ranges are clamped to the
// frame. Throws Error when an axis is empty (max <= min) or a series' vectors disagree in size.
std::string plot_svg(const Plot& plot);

}  // namespace ulr
