// The one random number generator: PCG32 (O'Neill), seeded explicitly everywhere. Its whole
// state is two 64-bit words, so checkpoints can save and restore it exactly.
#pragma once
#include <cmath>
#include <cstdint>

namespace ulr {

class Rng {
 public:
  struct State {
    uint64_t state = 0, inc = 0;
  };

  explicit Rng(uint64_t seed = 0, uint64_t stream = 0) {
    s_.state = 0;
    s_.inc = (stream << 1u) | 1u;
    next_u32();
    s_.state += seed;
    next_u32();
  }

  uint32_t next_u32() {
    uint64_t old = s_.state;
    s_.state = old * 6364136223846793005ULL + s_.inc;
    uint32_t xorshifted = uint32_t(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = uint32_t(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
  }
  // Uniform in [0, 1) with 24 random bits.
  float uniform() { return float(next_u32() >> 8) * (1.0f / 16777216.0f); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < 2^-32 * n).
  uint32_t below(uint32_t n) { return uint32_t((uint64_t(next_u32()) * n) >> 32); }
  // Standard normal by Box-Muller; one draw consumes two uniforms, so the state stays two words.
  float normal() {
    double u1 = (double(next_u32()) + 1.0) * (1.0 / 4294967296.0);  // (0, 1]
    double u2 = double(next_u32()) * (1.0 / 4294967296.0);
    return float(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }

  State state() const { return s_; }
  void set_state(State s) { s_ = s; }

 private:
  State s_;
};

}  // namespace ulr
