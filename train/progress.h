// Progress reporting for long loops: a one-line bar with ETA and rate on a terminal, plain lines
// every `plain_every` updates otherwise (logs, CI). Writes to stderr.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace ulr {

class Progress {
 public:
  Progress(std::string label, int64_t total, int64_t plain_every = 50);
  // done items so far; `extra` is appended (loss terms, samples/s...). Calls advance().
  void update(int64_t done, const std::string& extra = "");
  // Records progress for rate() without drawing anything.
  void advance(int64_t done);
  void finish(const std::string& extra = "");
  double elapsed_seconds() const;
  // Items per second lately (an exponential average over updates, about the last 50), which
  // the ETA uses: a loop whose speed changes (stage 1 -> stage 2) gets an honest estimate.
  double rate() const { return rate_; }
  static bool terminal();  // stderr is a terminal

 private:
  std::string label_;
  int64_t total_, plain_every_, last_plain_ = -1, start_done_ = -1;
  bool tty_;
  double rate_ = 0;
  int64_t last_done_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_, last_update_;
};

std::string format_duration(double seconds);  // "1m23s", "2h05m"

}  // namespace ulr
