// `ulrseg inspect FILE [--json]`: what a safetensors file holds. Metadata first (long values,
// such as a model config, in full on their own lines), then one row per tensor with its
// statistics, then totals. --json prints the same as one JSON object.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "apps/args.h"
#include "apps/commands.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/json.h"
#include "engine/printable.h"
#include "models/ulrnet.h"
#include "engine/safetensors.h"

namespace ulr::cli {

namespace {

const char* kUsage =
    "usage: ulrseg inspect FILE [--json]\n\n"
    "Prints a safetensors file's metadata and a table of its tensors (dtype, shape, count,\n"
    "min, max, mean), then totals. Every dtype of the format is read; F16, BF16 and F8 are\n"
    "converted to float for the statistics, BOOL counts as 0/1.\n\n"
    "  --json   print the same as one JSON object (one line)\n";

// Metadata values longer than this go on their own lines.
constexpr size_t kInlineValue = 60;

struct TensorStats {
  const SafetensorsEntry* entry;
  int64_t count = 0;
  uint64_t bytes = 0;
  bool empty = true;  // no elements (or only NaN): no min/max/mean
  double min = 0, max = 0, mean = 0;
};

TensorStats compute_stats(const SafetensorsFile& file, const SafetensorsEntry& e) {
  TensorStats s;
  s.entry = &e;
  s.count = e.numel();
  s.bytes = e.end - e.begin;
  std::vector<double> values = file.as_double(e);
  if (values.empty()) return s;
  double lo = INFINITY, hi = -INFINITY, sum = 0;
  for (double v : values) {
    if (v < lo) lo = v;  // NaN compares false: ignored by min and max, carried by the mean
    if (v > hi) hi = v;
    sum += v;
  }
  s.empty = false;
  s.min = lo;
  s.max = hi;
  s.mean = sum / double(values.size());
  return s;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void print_text(const std::string& path, size_t file_bytes, const SafetensorsFile& file,
                const std::vector<TensorStats>& stats) {
  std::printf("%s: safetensors, %zu bytes\n", path.c_str(), file_bytes);
  if (!file.metadata().empty()) {
    std::printf("\nmetadata:\n");
    for (auto& [key, value] : file.metadata()) {
      // Keys and values come from the file: printed through printable(), so that an escape
      // sequence in them shows as text instead of acting on the terminal.
      if (value.size() <= kInlineValue && value.find('\n') == std::string::npos) {
        std::printf("  %s: %s\n", printable(key).c_str(), printable(value).c_str());
        continue;
      }
      // In full, below the key, each line indented (a config is one long JSON line).
      std::printf("  %s:\n", printable(key).c_str());
      size_t start = 0;
      while (start <= value.size()) {
        size_t nl = value.find('\n', start);
        if (nl == std::string::npos) nl = value.size();
        std::printf("    %s\n", printable(value.substr(start, nl - start)).c_str());
        start = nl + 1;
      }
    }
  }

  std::vector<std::vector<std::string>> rows;
  rows.push_back({"name", "dtype", "shape", "count", "min", "max", "mean"});
  int64_t parameters = 0;
  uint64_t bytes = 0;
  for (const TensorStats& s : stats) {
    parameters += s.count;
    bytes += s.bytes;
    auto stat = [&](double v) { return s.empty ? std::string("-") : number_text(v); };
    rows.push_back({printable(s.entry->name), dtype_name(s.entry->dtype), shape_text(s.entry->shape),
                    std::to_string(s.count), stat(s.min), stat(s.max), stat(s.mean)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::printf("\ntensors:\n");
  for (auto& row : rows) {
    std::string line = " ";
    for (size_t c = 0; c < row.size(); ++c) {
      // Name, dtype and shape read left to right; numbers line up on the right.
      const bool left = c < 3;
      std::string pad(width[c] - row[c].size(), ' ');
      line += " " + (left ? row[c] + pad : pad + row[c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  }
  std::printf("\ntotal: %zu tensors, %lld parameters, %llu bytes of data\n", stats.size(),
              static_cast<long long>(parameters), static_cast<unsigned long long>(bytes));
}

void print_json(const std::string& path, size_t file_bytes, const SafetensorsFile& file,
                const std::vector<TensorStats>& stats) {
  Json metadata = Json::object();
  for (auto& [key, value] : file.metadata()) metadata.set(key, Json(value));
  Json tensors = Json::array();
  int64_t parameters = 0;
  uint64_t bytes = 0;
  for (const TensorStats& s : stats) {
    parameters += s.count;
    bytes += s.bytes;
    Json shape = Json::array();
    for (int64_t d : s.entry->shape) shape.push(Json(d));
    Json t = Json::object();
    t.set("name", Json(s.entry->name))
        .set("dtype", Json(dtype_name(s.entry->dtype)))
        .set("shape", std::move(shape))
        .set("count", Json(s.count))
        .set("bytes", Json(int64_t(s.bytes)))
        .set("min", s.empty ? Json() : Json(s.min))
        .set("max", s.empty ? Json() : Json(s.max))
        .set("mean", s.empty ? Json() : Json(s.mean));
    tensors.push(std::move(t));
  }
  Json totals = Json::object();
  totals.set("tensors", Json(int64_t(stats.size())))
      .set("parameters", Json(parameters))
      .set("bytes", Json(int64_t(bytes)));
  Json out = Json::object();
  out.set("file", Json(path))
      .set("file_bytes", Json(int64_t(file_bytes)))
      .set("metadata", std::move(metadata))
      .set("tensors", std::move(tensors))
      .set("totals", std::move(totals));
  std::printf("%s\n", out.dump().c_str());
}

}  // namespace

// A ulrseg weights file: the network it holds, with parameters and FLOPs per layer for one frame.
void print_model_cost(const std::string& path) {
  std::unique_ptr<ULRNet> net = ULRNet::load(path);
  const ModelConfig& c = net->config();
  Trace trace;
  NoGrad no_grad;
  Tensor frame = net->method() == Method::Hr ? Tensor::zeros({1, 3, c.out_h(), c.out_w()})
                                             : Tensor::zeros({1, 3, c.in_h, c.in_w});
  net->forward(frame, &trace);
  std::printf("\nnetwork (%s, %dx%d -> %dx%d): %lld parameters, %.1f MFLOP per frame\n%s",
              method_name(net->method()), c.in_h, c.in_w, c.out_h(), c.out_w(),
              (long long)net->num_parameters(), double(trace.total_flops()) / 1e6, trace.table().c_str());
}

int cmd_inspect(int argc, char** argv) {
  Args args(argc, argv, {"--json"});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const bool json = args.has("--json");
  apply_threads(args);
  args.finish();
  if (args.positional().empty())
    throw UsageError("missing FILE (usage: ulrseg inspect FILE [--json])");
  if (args.positional().size() > 1)
    throw UsageError("expected one FILE, got " + std::to_string(args.positional().size()) +
                     " (usage: ulrseg inspect FILE [--json])");
  const std::string path = args.positional()[0];

  std::vector<unsigned char> bytes = read_file(path);
  const size_t file_bytes = bytes.size();
  SafetensorsFile file = SafetensorsFile::parse(std::move(bytes), path);
  std::vector<TensorStats> stats;
  for (const SafetensorsEntry& e : file.entries()) stats.push_back(compute_stats(file, e));
  if (json) print_json(path, file_bytes, file, stats);
  else print_text(path, file_bytes, file, stats);
  auto format = file.metadata().find("format");
  if (!json && format != file.metadata().end() && format->second == kWeightsFormat) print_model_cost(path);
  return 0;
}

}  // namespace ulr::cli
