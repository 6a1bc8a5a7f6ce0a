#include "engine/distributed.h"

#include <algorithm>
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
  void alltoall(const void* in, size_t bytes, void* out) override {
    if (bytes) std::memcpy(out, in, bytes);
  }
};

// Counts a collective's traffic (bytes received) and time.
class Timed {
 public:
  explicit Timed(size_t bytes_received) : start_(std::chrono::steady_clock::now()), bytes_(bytes_received) {}
  ~Timed();

 private:
  std::chrono::steady_clock::time_point start_;
  size_t bytes_;
};

SingleProcess g_single;
std::atomic<Collectives*> g_installed{nullptr};
std::atomic<int64_t> g_calls{0}, g_bytes{0}, g_nanoseconds{0};

Timed::~Timed() {
  g_nanoseconds += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_).count();
  ++g_calls;
  g_bytes += int64_t(bytes_);
}

template <class T>
std::vector<T> gather_typed(const std::vector<T>& values) {
  Collectives& c = collectives();
  std::vector<T> out(values.size() * size_t(c.size()));
  Timed timed(out.size() * sizeof(T));
  c.allgather(values.data(), values.size() * sizeof(T), out.data());
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

std::vector<float> sum_in_part_order(const std::vector<float>& mine, int parts_per_rank, size_t length) {
  Collectives& c = collectives();
  const size_t N = size_t(c.size()), L = size_t(parts_per_rank), shard = (length + N - 1) / N;
  ULR_CHECK(mine.size() == L * length, "sum_in_part_order: this rank's parts do not fit");
  // To rank j: shard j of each of this rank's parts, padded to `shard` floats.
  std::vector<float> send(N * L * shard, 0.0f), received(N * L * shard);
  for (size_t j = 0; j < N; ++j)
    for (size_t p = 0; p < L; ++p) {
      const size_t begin = std::min(length, j * shard), end = std::min(length, (j + 1) * shard);
      std::copy(mine.begin() + long(p * length + begin), mine.begin() + long(p * length + end),
                send.begin() + long((j * L + p) * shard));
    }
  {
    Timed timed(received.size() * sizeof(float));
    c.alltoall(send.data(), L * shard * sizeof(float), received.data());
  }
  // received = every part's shard r, in part order (rank i's parts come i-th): sum them so.
  std::vector<float> sum(received.begin(), received.begin() + long(shard));
  for (size_t k = 1; k < N * L; ++k)
    for (size_t i = 0; i < shard; ++i) sum[i] += received[k * shard + i];
  const std::vector<float> shards = gather_all(sum);
  return std::vector<float>(shards.begin(), shards.begin() + long(length));
}

bool any_rank(bool flag) {
  if (collectives().size() == 1) return flag;
  for (double v : gather_all(std::vector<double>{flag ? 1.0 : 0.0}))
    if (v != 0) return true;
  return false;
}

}  // namespace ulr
