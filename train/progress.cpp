#include "train/progress.h"

#include <algorithm>
#include <cstdio>
#include <unistd.h>

namespace ulr {

bool Progress::terminal() { return isatty(fileno(stderr)) != 0; }

Progress::Progress(std::string label, int64_t total, int64_t plain_every)
    : label_(std::move(label)), total_(total), plain_every_(plain_every < 1 ? 1 : plain_every),
      tty_(terminal()), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string format_duration(double s) {
  char buf[32];
  if (s < 0 || s != s) return "?";
  long t = long(s + 0.5);
  if (t < 60) std::snprintf(buf, sizeof buf, "%lds", t);
  else if (t < 3600) std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  return buf;
}

void Progress::advance(int64_t done) {
  if (start_done_ < 0) start_done_ = done > 0 ? done - 1 : 0;  // rates count from the first update
  auto now = std::chrono::steady_clock::now();
  if (last_done_ < 0) {
    double el = elapsed_seconds();
    rate_ = el > 0 ? double(done - start_done_) / el : 0;
  } else if (done > last_done_) {
    double dt = std::chrono::duration<double>(now - last_update_).count();
    double recent = dt > 0 ? double(done - last_done_) / dt : rate_;
    rate_ += (recent - rate_) * std::min(1.0, 0.02 * double(done - last_done_));
  }
  last_done_ = done, last_update_ = now;
}

void Progress::update(int64_t done, const std::string& extra) {
  advance(done);
  auto now = std::chrono::steady_clock::now();
  double eta = rate_ > 0 ? double(total_ - done) / rate_ : -1;
  if (tty_) {
    if (done < total_ && std::chrono::duration<double>(now - last_draw_).count() < 0.2) return;
    last_draw_ = now;
    const int width = 24;
    int filled = total_ > 0 ? int(width * done / total_) : width;
    std::string bar(size_t(filled), '#');
    bar.resize(size_t(width), '.');
    std::fprintf(stderr, "\r\033[K%s [%s] %lld/%lld eta %s %s", label_.c_str(), bar.c_str(),
                 (long long)done, (long long)total_, format_duration(eta).c_str(), extra.c_str());
    std::fflush(stderr);
  } else if (done / plain_every_ != last_plain_ / plain_every_ || last_plain_ < 0) {
    last_plain_ = done;
    std::fprintf(stderr, "%s %lld/%lld eta %s %s\n", label_.c_str(), (long long)done,
                 (long long)total_, format_duration(eta).c_str(), extra.c_str());
  }
}

void Progress::finish(const std::string& extra) {
  if (tty_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s done: %lld in %s %s\n", label_.c_str(), (long long)total_,
               format_duration(elapsed_seconds()).c_str(), extra.c_str());
}

}  // namespace ulr
