// Counter-based random numbers for training: every draw is a pure function of (key,
// counter), so dropout masks, shuffles and initial weights depend only on --seed and on
// which example / layer / step they belong to, never on threads or scheduling.
#ifndef QUIVER_TRAIN_RNG_H_
#define QUIVER_TRAIN_RNG_H_

#include <cmath>
#include <cstdint>

namespace quiver::train {

// splitmix64 finaliser: a strong 64-bit mix.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
inline uint64_t hash_combine(uint64_t a, uint64_t b) { return mix64(a ^ mix64(b)); }

// A stream of draws from one key. Not thread-safe; cheap to copy.
class Rng {
 public:
  explicit Rng(uint64_t key) : key_(key) {}
  uint64_t next() { return mix64(key_ ^ mix64(counter_++)); }
  // Uniform in [0, 1) with 24 random bits (exact in float).
  float uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }
  double uniform_double() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  // Uniform integer in [0, n) (n > 0), by rejection so every value is equally likely.
  uint64_t below(uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = next(); while (x >= limit);
    return x % n;
  }
  // Standard normal (Box-Muller).
  double normal() {
    double u1 = uniform_double(), u2 = uniform_double();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t key_;
  uint64_t counter_ = 0;
};

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_RNG_H_
