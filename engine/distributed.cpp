#include "engine/distributed.h"

#include <atomic>
#include <chrono>
#include <cstring>

#include "engine/error.h"

namespace ulr {

namespace {

class SingleProcess : public Collectives {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allgather(const void* in, size_t bytes, void* out) override {
    if (bytes) std::memcpy(out, in, bytes);
  }
};

SingleProcess g_single;
std::atomic<Collectives*> g_installed{nullptr};
std::atomic<int64_t> g_calls{0}, g_bytes{0}, g_nanoseconds{0};

template <class T>
std::vector<T> gather_typed(const std::vector<T>& values) {
  Collectives& c = collectives();
  std::vector<T> out(values.size() * size_t(c.size()));
  const auto start = std::chrono::steady_clock::now();
  c.allgather(values.data(), values.size() * sizeof(T), out.data());
  g_nanoseconds += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
  ++g_calls;
  g_bytes += int64_t(out.size() * sizeof(T));
  return out;
}

}  // namespace

Collectives& collectives() {
  Collectives* c = g_installed;
  return c ? *c : g_single;
}

void set_collectives(Collectives* c) { g_installed = c; }

CollectiveTraffic collective_traffic() { return {g_calls, g_bytes, double(g_nanoseconds) * 1e-9}; }

std::vector<double> gather_all(const std::vector<double>& values) { return gather_typed(values); }
std::vector<float> gather_all(const std::vector<float>& values) { return gather_typed(values); }

bool any_rank(bool flag) {
  if (collectives().size() == 1) return flag;
  for (double v : gather_all(std::vector<double>{flag ? 1.0 : 0.0}))
    if (v != 0) return true;
  return false;
}

}  // namespace ulr
