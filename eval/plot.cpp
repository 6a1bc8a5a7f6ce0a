#include "eval/plot.h"

#include <algorithm>
#include <cstdio>

#include "engine/error.h"
#include "engine/svg.h"

namespace ulr {
namespace {

const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
constexpr int kColourCount = int(sizeof(kColours) / sizeof(kColours[0]));
constexpr double kLeft = 64, kRight = 170, kTop = 36, kBottom = 52;  // margins, px (legend right)

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string tick_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::vector<std::pair<double, std::string>> ticks_of(const PlotAxis& a) {
  if (!a.ticks.empty()) return a.ticks;
  std::vector<std::pair<double, std::string>> t;
  for (int k = 0; k <= 4; ++k) {
    const double v = a.min + (a.max - a.min) * k / 4.0;
    t.push_back({v, tick_text(v)});
  }
  return t;
}

void check(const Plot& p) {
  if (!(p.x.max > p.x.min) || !(p.y.max > p.y.min))
    throw Error("plot '" + p.title + "': an axis range is empty");
  for (const PlotSeries& s : p.series) {
    const size_t n = s.x.size();
    if (s.y.size() != n || (!s.y_lo.empty() && s.y_lo.size() != n) || (!s.y_hi.empty() && s.y_hi.size() != n) ||
        s.y_lo.size() != s.y_hi.size() || (!s.point_labels.empty() && s.point_labels.size() != n))
      throw Error("plot '" + p.title + "': series '" + s.label + "' has vectors of different sizes");
  }
}

}  // namespace

std::string plot_svg(const Plot& p) {
  check(p);
  const double W = p.width, H = p.height, pw = W - kLeft - kRight, ph = H - kTop - kBottom;
  auto px = [&](double x) { return kLeft + pw * (std::clamp(x, p.x.min, p.x.max) - p.x.min) / (p.x.max - p.x.min); };
  auto py = [&](double y) { return kTop + ph * (1 - (std::clamp(y, p.y.min, p.y.max) - p.y.min) / (p.y.max - p.y.min)); };
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(W) + "\" height=\"" + num(H) +
                  "\" viewBox=\"0 0 " + num(W) + " " + num(H) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += "<text x=\"" + num(kLeft + pw / 2) + "\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">" + xml_escape(p.title) + "</text>\n";
  // Grid, ticks and axis labels.
  for (const auto& [v, text] : ticks_of(p.y)) {
    const std::string y = num(py(v));
    s += "<line x1=\"" + num(kLeft) + "\" y1=\"" + y + "\" x2=\"" + num(kLeft + pw) + "\" y2=\"" + y +
         "\" stroke=\"#ddd\"/>\n<text x=\"" + num(kLeft - 6) + "\" y=\"" + y +
         "\" text-anchor=\"end\" dominant-baseline=\"middle\">" + xml_escape(text) + "</text>\n";
  }
  for (const auto& [v, text] : ticks_of(p.x)) {
    const std::string x = num(px(v));
    s += "<line x1=\"" + x + "\" y1=\"" + num(kTop) + "\" x2=\"" + x + "\" y2=\"" + num(kTop + ph) +
         "\" stroke=\"#eee\"/>\n<text x=\"" + x + "\" y=\"" + num(kTop + ph + 16) + "\" text-anchor=\"middle\">" +
         xml_escape(text) + "</text>\n";
  }
  s += "<rect x=\"" + num(kLeft) + "\" y=\"" + num(kTop) + "\" width=\"" + num(pw) + "\" height=\"" + num(ph) +
       "\" fill=\"none\" stroke=\"#333\"/>\n";
  s += "<text x=\"" + num(kLeft + pw / 2) + "\" y=\"" + num(H - 12) + "\" text-anchor=\"middle\">" +
       xml_escape(p.x.label) + "</text>\n";
  s += "<text transform=\"translate(16," + num(kTop + ph / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
       xml_escape(p.y.label) + "</text>\n";
  for (const auto& [v, text] : p.reference_lines) {
    const std::string y = num(py(v));
    s += "<line x1=\"" + num(kLeft) + "\" y1=\"" + y + "\" x2=\"" + num(kLeft + pw) + "\" y2=\"" + y +
         "\" stroke=\"#555\" stroke-dasharray=\"2,3\"/>\n<text x=\"" + num(kLeft + pw - 4) + "\" y=\"" +
         num(py(v) - 4) + "\" text-anchor=\"end\" fill=\"#555\">" + xml_escape(text) + "</text>\n";
  }
  // Series, then the legend.
  int legend_row = 0;
  for (size_t k = 0; k < p.series.size(); ++k) {
    const PlotSeries& ser = p.series[k];
    const std::string colour = kColours[k % kColourCount];
    const std::string dash = ser.dashed ? " stroke-dasharray=\"6,4\"" : "";
    if (ser.lines && ser.x.size() > 1) {
      s += "<polyline fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2\"" + dash + " points=\"";
      for (size_t i = 0; i < ser.x.size(); ++i) s += (i ? " " : "") + num(px(ser.x[i])) + "," + num(py(ser.y[i]));
      s += "\"/>\n";
    }
    for (size_t i = 0; i < ser.x.size(); ++i) {
      const std::string x = num(px(ser.x[i]));
      if (!ser.y_lo.empty())
        s += "<line x1=\"" + x + "\" y1=\"" + num(py(ser.y_lo[i])) + "\" x2=\"" + x + "\" y2=\"" +
             num(py(ser.y_hi[i])) + "\" stroke=\"" + colour + "\" stroke-width=\"1\"/>\n";
      s += "<circle cx=\"" + x + "\" cy=\"" + num(py(ser.y[i])) + "\" r=\"3.5\" fill=\"" + colour + "\"/>\n";
      if (!ser.point_labels.empty())
        s += "<text x=\"" + num(px(ser.x[i]) + 6) + "\" y=\"" + num(py(ser.y[i]) - 6) + "\" fill=\"" + colour +
             "\">" + xml_escape(ser.point_labels[i]) + "</text>\n";
    }
    if (ser.label.empty()) continue;
    const double ly = kTop + 8 + 18 * legend_row++, lx = kLeft + pw + 12;
    s += "<line x1=\"" + num(lx) + "\" y1=\"" + num(ly) + "\" x2=\"" + num(lx + 22) + "\" y2=\"" + num(ly) +
         "\" stroke=\"" + colour + "\" stroke-width=\"2\"" + dash + "/>\n<text x=\"" + num(lx + 28) + "\" y=\"" +
         num(ly) + "\" dominant-baseline=\"middle\">" + xml_escape(ser.label) + "</text>\n";
  }
  s += "</svg>\n";
  return s;
}

}  // namespace ulr
