// sigmoid and tanh at every kernel level against double precision, over EVERY float input
// of the range where the function is not constant (issue 16), and sampled beyond it.
//
// Coverage, per function and level:
//   sigmoid: every float x with 2^-12 <= |x| and -104.5 <= x <= 17.5 (below -103.97 the
//            result rounds to 0, above 17.33 to 1): 2.6e8 values; every 16th bit pattern
//            of |x| < 2^-12 (where sigmoid x = 1/2 + x/4 to within 2^-38 relative; 88 % of
//            the floats of the range, subnormals included); every 997th pattern from the
//            range's ends to ±inf;
//   tanh:    every float of [2^-12, 9.5] against the reference (tanh rounds to 1 above
//            9.01), every 16th pattern of [0, 2^-12), every 997th beyond 9.5; and each of
//            those inputs negated must give exactly −tanh(x) (tanh is odd), so the
//            negative side is covered alike;
//   both:    ±0, ±inf and NaNs exactly.
// The reference is glibc's double-precision 1/(1 + exp(-x)) and tanh(x) rounded to float
// (its own error, ~1e-16, is far below a float ulp); the error is counted in ulps: floats
// between the result and the rounded reference.
//
// Levels: "plain" is activation.cc's scalar code, which the plain kernel level uses for
// gates; "avx2" is the cells' gate math as compiled in simd_avx2.cc (gate_math_avx2.h, the
// reciprocal a division); "avx512" and "avx512bf16" are the cells' gate math as compiled in
// simd_avx512.cc / simd_avx512bf16.cc (run where the CPU has them); "avx512-algorithm" is
// the same gate_math.h templates over AVX2 with the primitives' documented semantics (rcp14
// emulated as 1/d off by 2^-15), so a machine without AVX-512 still checks the algorithm.
//
// Runs on all cores: about 15 s on an idle 2-core machine (the plain level's glibc calls
// dominate), a minute or two on a loaded one.
#include <gtest/gtest.h>
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "nn/activation.h"
#include "nn/simd.h"

#define QUIVER_EMU __attribute__((target("avx2,fma")))
#define QUIVER_GATE_TARGET QUIVER_EMU
#include "nn/gate_math_avx2.h"

namespace quiver::nn {
namespace {

// gate_math.h's primitives on 8 AVX2 lanes (gate_math_avx2.h) with AVX-512's rcp14 bound.
struct EmulatedAvx512Ops : gate::Avx2Ops {
  // An estimate within VRCP14PS's bound (relative error < 2^-14): 1/d off by 2^-15.
  static QUIVER_EMU F rcp14(F d) {
    return _mm256_mul_ps(_mm256_div_ps(_mm256_set1_ps(1.0f), d),
                         _mm256_set1_ps(1.0f + 1.0f / 32768.0f));
  }
};

template <bool kTanh>
QUIVER_EMU void emulated(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i += 8) {  // n is a multiple of 8 here
    const __m256 v = _mm256_loadu_ps(x + i);
    _mm256_storeu_ps(y + i, kTanh ? gate::tanh<EmulatedAvx512Ops>(v)
                                  : gate::sigmoid<EmulatedAvx512Ops>(v));
  }
}

template <ActivationKind kKind>
void plain(const float* x, float* y, int64_t n) {
  std::copy_n(x, n, y);
  apply_elementwise(Activation{kKind, 0.0f}, y, n);
}

using GateFn = void (*)(const float*, float*, int64_t);

struct Level {
  std::string name;
  GateFn sigmoid;
  GateFn tanh;
};

std::vector<Level> levels_of_this_cpu() {
  std::vector<Level> levels = {
      {"plain", plain<ActivationKind::kSigmoid>, plain<ActivationKind::kTanh>}};
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    levels.push_back({"avx2", simd::sigmoid_avx2, simd::tanh_avx2});
    levels.push_back({"avx512-algorithm", emulated<false>, emulated<true>});
  }
  if (simd_level() >= SimdLevel::kAvx512) {
    levels.push_back({"avx512", simd::sigmoid_avx512, simd::tanh_avx512});
  }
  if (simd_level() >= SimdLevel::kAvx512Bf16) {
    levels.push_back({"avx512bf16", simd::sigmoid_avx512bf16, simd::tanh_avx512bf16});
  }
  return levels;
}

// The double-precision references. Where |x| < 2^-12 (88 % of the floats in range, and
// the cheap place to be exact) they are the Taylor series, whose first omitted term is below
// 1e-20 relative there: far inside a float ulp, and 10x faster than glibc's exp and tanh.
constexpr double kSeries = 1.0 / 4096;
double sigmoid_reference(double x) {
  if (std::fabs(x) < kSeries) {
    const double x2 = x * x;  // 1/2 + x/4 - x^3/48 + x^5/480
    return 0.5 + x * (0.25 + x2 * (-1.0 / 48 + x2 / 480));
  }
  return 1.0 / (1.0 + std::exp(-x));
}
double tanh_reference(double x) {
  if (std::fabs(x) < kSeries) {
    const double x2 = x * x;  // x - x^3/3 + 2x^5/15
    return x * (1.0 + x2 * (-1.0 / 3 + x2 * (2.0 / 15)));
  }
  return std::tanh(x);
}

// Position of a float on the number line in ulps (-0 and +0 both 0).
int64_t ordinal(float f) {
  const int32_t b = std::bit_cast<int32_t>(f);
  return b >= 0 ? b : -static_cast<int64_t>(b & 0x7fffffff);
}

struct Worst {
  int64_t ulps = 0;
  float x = 0.0f, got = 0.0f, want = 0.0f;
  int64_t mismatched_negations = 0;  // f(-x) != -f(x), for odd functions
  float negation_x = 0.0f;

  void merge(const Worst& o) {
    if (o.ulps > ulps) {
      ulps = o.ulps;
      x = o.x, got = o.got, want = o.want;
    }
    if (o.mismatched_negations && !mismatched_negations) negation_x = o.negation_x;
    mismatched_negations += o.mismatched_negations;
  }
};

// A stretch of float bit patterns: [first, last] stepping by `step`.
struct Stretch {
  uint32_t first, last, step;
};

uint32_t bits(float f) { return std::bit_cast<uint32_t>(f); }

// Runs every level's `pick`ed function on every input of the stretches, on all cores; the
// reference is computed once per input. Returns the worst error per level.
std::vector<Worst> sweep(const std::vector<Level>& levels, GateFn Level::*pick,
                         double (*reference)(double), const std::vector<Stretch>& stretches,
                         bool odd) {
  constexpr int64_t kChunk = 1 << 14;  // a multiple of 8 (the emulated kernel's width)
  struct Job {
    uint32_t first, count, step;
  };
  std::vector<Job> jobs;
  for (const Stretch& s : stretches) {
    const uint64_t n = (uint64_t{s.last} - s.first) / s.step + 1;
    for (uint64_t i = 0; i < n; i += kChunk) {
      jobs.push_back({static_cast<uint32_t>(s.first + i * s.step),
                      static_cast<uint32_t>(std::min<uint64_t>(kChunk, n - i)), s.step});
    }
  }
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::vector<Worst>> worst(threads, std::vector<Worst>(levels.size()));
  std::atomic<size_t> next{0};
  auto work = [&](unsigned t) {
    std::vector<float> x(kChunk), want(kChunk), y(kChunk), nx(kChunk), ny(kChunk);
    for (size_t j; (j = next.fetch_add(1)) < jobs.size();) {
      const Job& job = jobs[j];
      for (int64_t i = 0; i < kChunk; ++i) {  // padded with the last input
        const int64_t k = std::min<int64_t>(i, job.count - 1);
        x[i] = std::bit_cast<float>(job.first + static_cast<uint32_t>(k) * job.step);
        nx[i] = -x[i];
        want[i] = static_cast<float>(reference(x[i]));
      }
      for (size_t l = 0; l < levels.size(); ++l) {
        (levels[l].*pick)(x.data(), y.data(), kChunk);
        if (odd) (levels[l].*pick)(nx.data(), ny.data(), kChunk);
        Worst w;
        for (int64_t i = 0; i < job.count; ++i) {
          const int64_t d = std::isnan(y[i]) ? INT64_MAX : std::abs(ordinal(y[i]) - ordinal(want[i]));
          if (d > w.ulps) w = {d, x[i], y[i], want[i], 0, 0.0f};
          if (odd && bits(ny[i]) != bits(-y[i]) && w.mismatched_negations++ == 0) {
            w.negation_x = nx[i];
          }
        }
        worst[t][l].merge(w);
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work, t);
  for (auto& th : pool) th.join();
  std::vector<Worst> total(levels.size());
  for (const auto& per_thread : worst) {
    for (size_t l = 0; l < levels.size(); ++l) total[l].merge(per_thread[l]);
  }
  return total;
}

// Below this |x| the functions are their first Taylor terms to far below a float ulp; the
// sweeps take every 16th float there (88 % of the floats in range) to keep CI time low.
constexpr float kTiny = 1.0f / 4096;

// The largest error, in ulps, that each level may have (a few ulps of the correctly rounded
// value, relative, everywhere).
constexpr int64_t kMaxUlps = 3;

std::string describe(const Worst& w) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "max %lld ulps at x = %.9g: got %.9g, want %.9g",
                static_cast<long long>(w.ulps), w.x, w.got, w.want);
  return buf;
}

TEST(GateMathTest, SigmoidIsWithinAFewUlpsOfEveryFloat) {
  const std::vector<Stretch> stretches = {
      {0u, bits(kTiny) - 1, 16},                // [0, 2^-12): every 16th
      {bits(kTiny), bits(17.5f), 1},            // [2^-12, 17.5]: every float
      {bits(-0.0f), bits(-kTiny) - 1, 16},      // (-2^-12, -0]: every 16th
      {bits(-kTiny), bits(-104.5f), 1},         // [-104.5, -2^-12]: every float
      {bits(17.5f), bits(INFINITY), 997},       // tails, sampled (the result rounds to 1 / 0)
      {bits(-104.5f), bits(-INFINITY), 997},
  };
  const std::vector<Level> levels = levels_of_this_cpu();
  const std::vector<Worst> worst =
      sweep(levels, &Level::sigmoid, sigmoid_reference, stretches, false);
  for (size_t l = 0; l < levels.size(); ++l) {
    std::printf("sigmoid %-17s %s\n", levels[l].name.c_str(), describe(worst[l]).c_str());
    EXPECT_LE(worst[l].ulps, kMaxUlps) << levels[l].name << ": " << describe(worst[l]);
  }
}

TEST(GateMathTest, TanhIsWithinAFewUlpsOfEveryFloatAndOdd) {
  const std::vector<Stretch> stretches = {  // and each input negated
      {0u, bits(kTiny) - 1, 16},             // [0, 2^-12): every 16th
      {bits(kTiny), bits(9.5f), 1},          // [2^-12, 9.5]: every float
      {bits(9.5f), bits(INFINITY), 997},     // the tail, sampled (the result rounds to ±1)
  };
  const std::vector<Level> levels = levels_of_this_cpu();
  const std::vector<Worst> worst = sweep(levels, &Level::tanh, tanh_reference, stretches, true);
  for (size_t l = 0; l < levels.size(); ++l) {
    const Worst& w = worst[l];
    std::printf("tanh    %-17s %s; tanh(-x) != -tanh(x) for %lld inputs\n",
                levels[l].name.c_str(), describe(w).c_str(),
                static_cast<long long>(w.mismatched_negations));
    EXPECT_LE(w.ulps, kMaxUlps) << levels[l].name << ": " << describe(w);
    EXPECT_EQ(w.mismatched_negations, 0) << levels[l].name << ": first at x = " << w.negation_x;
  }
}

TEST(GateMathTest, SpecialValuesGiveTheLimits) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float snan = std::bit_cast<float>(0x7fa00000u);
  // 8 inputs: the emulated kernel takes whole groups of 8.
  const std::vector<float> x = {0.0f, -0.0f, INFINITY, -INFINITY, nan, -nan, snan, 1e-30f};
  for (const Level& level : levels_of_this_cpu()) {
    std::vector<float> s(x.size()), t(x.size());
    level.sigmoid(x.data(), s.data(), static_cast<int64_t>(x.size()));
    level.tanh(x.data(), t.data(), static_cast<int64_t>(x.size()));
    EXPECT_EQ(s[0], 0.5f) << level.name;
    EXPECT_EQ(s[1], 0.5f) << level.name;
    EXPECT_EQ(s[2], 1.0f) << level.name;
    EXPECT_EQ(s[3], 0.0f) << level.name;
    EXPECT_EQ(bits(t[0]), bits(0.0f)) << level.name;
    EXPECT_EQ(bits(t[1]), bits(-0.0f)) << level.name;
    EXPECT_EQ(t[2], 1.0f) << level.name;
    EXPECT_EQ(t[3], -1.0f) << level.name;
    for (int i : {4, 5, 6}) {
      EXPECT_TRUE(std::isnan(s[i])) << level.name << " sigmoid of NaN #" << i << ": " << s[i];
      EXPECT_TRUE(std::isnan(t[i])) << level.name << " tanh of NaN #" << i << ": " << t[i];
    }
    EXPECT_EQ(s[7], 0.5f) << level.name;
    EXPECT_EQ(t[7], 1e-30f) << level.name;  // tanh x = x for tiny x, to the last bit
  }
}

}  // namespace
}  // namespace quiver::nn
