// A small SVG writer for charts: shapes and text in user units, escaped, written as one file.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace ulr {

class Svg {
 public:
  Svg(double width, double height);
  void rect(double x, double y, double w, double h, const std::string& fill, const std::string& stroke = "none");
  void line(double x1, double y1, double x2, double y2, const std::string& stroke, double width = 1,
            const std::string& dash = "");
  void circle(double cx, double cy, double r, const std::string& fill, const std::string& stroke = "none");
  void polyline(const std::vector<std::pair<double, double>>& points, const std::string& stroke, double width = 1.5);
  // anchor: start, middle or end; rotate: degrees about (x, y).
  void text(double x, double y, const std::string& s, double size = 12, const std::string& anchor = "start",
            const std::string& fill = "#222", double rotate = 0);
  std::string str() const;  // the whole document
  void write(const std::string& path) const;  // atomically

 private:
  double width_, height_;
  std::string body_;
};

// Text with &, <, >, " escaped for XML.
std::string xml_escape(const std::string& s);

// The colours of a chart's series, in order (cycled).
const char* series_colour(size_t i);

}  // namespace ulr
