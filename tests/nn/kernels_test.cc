// PackedMatrix element formats (fp32, bf16, int8 per-column symmetric) and gemm_accumulate on
// each against a double-precision reference of the same dequantized weights; WorkerPool.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "nn/kernels.h"
#include "nn/simd.h"
#include "nn/worker_pool.h"
#include "spec_builder.h"

namespace quiver::nn {
namespace {

using testing::random_floats;

// The value the kernels multiply by for column j, row kk, by hand from the format's rules.
float dequantized(const std::vector<float>& w, int64_t k, int64_t n, int64_t kk, int64_t j,
                  WeightMode mode) {
  const float v = w[kk * n + j];
  if (mode == WeightMode::kFp32) return v;
  if (mode == WeightMode::kBf16) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    bits = (bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u;  // round to nearest even
    float r;
    std::memcpy(&r, &bits, 4);
    return r;
  }
  float m = 0.0f;
  for (int64_t i = 0; i < k; ++i) m = std::max(m, std::fabs(w[i * n + j]));
  const float scale = m / 127.0f;
  return scale * std::nearbyint(v / scale);
}

TEST(KernelsTest, Bf16RoundsToNearestEvenInBothLayouts) {
  // 1 + 2^-8 is halfway between two bf16 values: ties go to the even mantissa (1.0);
  // 1 + 3*2^-8 rounds up to 1 + 2^-6.
  const float w[2] = {1.0f + 1.0f / 256, 1.0f + 3.0f / 256};
  PackedMatrix rows(w, 1, 2, WeightMode::kBf16, Bf16Layout::kRows);
  PackedMatrix pairs(w, 1, 2, WeightMode::kBf16, Bf16Layout::kPairs);
  for (const PackedMatrix* b : {&rows, &pairs}) {
    EXPECT_EQ(bf16_to_float(b->bf16_at(0, 0)), 1.0f);
    EXPECT_EQ(bf16_to_float(b->bf16_at(0, 1)), 1.0f + 1.0f / 64);
  }
  EXPECT_EQ(rows.panel_bf16(0)[1], rows.bf16_at(0, 1));   // row 0: 16 contiguous values
  EXPECT_EQ(pairs.panel_bf16(0)[2], pairs.bf16_at(0, 1));  // (row 0, row 1) per column
  EXPECT_EQ(pairs.panel_bf16(0)[3], 0);                    // the zero row of an odd k
  EXPECT_EQ(rows.memory_bytes(), 16 * 2);                  // one panel of 16 bf16 values
  EXPECT_EQ(pairs.memory_bytes(), 2 * 16 * 2);             // k rounded up to even
}

TEST(KernelsTest, Int8UsesOneSymmetricScalePerColumn) {
  const float w[6] = {0.7f, -0.5f, 0.0f,   // row 0
                      -2.0f, 0.3f, 0.0f};  // row 1: column maxima 2, 0.5, 0
  PackedMatrix b(w, 2, 3, WeightMode::kInt8);
  EXPECT_FLOAT_EQ(b.scales()[0], 2.0f / 127);
  EXPECT_FLOAT_EQ(b.scales()[1], 0.5f / 127);
  EXPECT_EQ(b.scales()[2], 0.0f);
  const int8_t* q = b.panel_int8(0);
  EXPECT_EQ(q[0], 44);  // round(0.7 * 127 / 2) = round(44.45)
  EXPECT_EQ(q[1], -127);
  EXPECT_EQ(q[16], -127);
  EXPECT_EQ(q[17], 76);  // round(0.3 * 127 / 0.5) = round(76.2)
  EXPECT_EQ(q[2], 0);
}

// bf16 in the pair layout (AVX512_BF16 CPUs only) rounds a to bf16 as well: the reference
// then multiplies the rounded a (products of two bf16 values are exact in float).
TEST(KernelsTest, GemmMatchesTheDequantizedProductInEveryFormat) {
  struct Case {
    WeightMode mode;
    Bf16Layout layout;
  };
  std::vector<Case> cases = {{WeightMode::kFp32, Bf16Layout::kAuto},
                             {WeightMode::kBf16, Bf16Layout::kRows},
                             {WeightMode::kInt8, Bf16Layout::kAuto}};
  if (simd_level() == SimdLevel::kAvx512Bf16) cases.push_back({WeightMode::kBf16, Bf16Layout::kPairs});
  for (const Case& cs : cases) {
    for (int64_t n : {3, 16, 50}) {
      const int64_t k = 37, m = 9;
      const auto w = random_floats(static_cast<size_t>(k * n), 0.5f, 1);
      const auto a = random_floats(static_cast<size_t>(m * k), 1.0f, 2);
      auto c = random_floats(static_cast<size_t>(m * n), 1.0f, 3);
      const auto c0 = c;
      const PackedMatrix b(w.data(), k, n, cs.mode, cs.layout);
      gemm_accumulate(a.data(), k, m, b, c.data(), n);
      for (int64_t r = 0; r < m; ++r) {
        for (int64_t j = 0; j < n; ++j) {
          double want = c0[r * n + j];
          for (int64_t kk = 0; kk < k; ++kk) {
            const float av = b.bf16_pairs() ? dequantized(a, m, k, r, kk, WeightMode::kBf16)
                                            : a[r * k + kk];
            want += double{av} * dequantized(w, k, n, kk, j, cs.mode);
          }
          EXPECT_NEAR(c[r * n + j], want, 2e-6 * std::max(1.0, std::fabs(want)))
              << weight_mode_name(cs.mode) << (b.bf16_pairs() ? " pairs" : "") << " r=" << r
              << " j=" << j << " n=" << n;
        }
      }
    }
  }
}

// The integer recurrent product (issue 19) by hand: a = round(clamp(x, -1, 1) · S) with S the
// largest value <= 32767 that keeps k·S·127 below 2^31, b = round(w / (max|w_j| / 127)), the
// sum in 64-bit integers, then one fma with scale_j / S. Every kernel (plain C++ and AVX2)
// must give exactly those bits: odd k (a zero pair row), partial panels, 1-9 rows, states
// outside [-1, 1] (clamped) and NaN (taken as -1), and a k large enough to lower S.
TEST(KernelsTest, Int8PairProductIsTheExactIntegerSumDequantizedOnce) {
  using Quantize = void (*)(const float*, int64_t, int64_t, const PackedMatrix&, int16_t*, int64_t);
  using Gemm = void (*)(const int16_t*, int64_t, int64_t, const PackedMatrix&, float*, int64_t);
  std::vector<std::pair<Quantize, Gemm>> kernels = {
      {simd::quantize_activations_plain, simd::gemm_accumulate_int8_plain}};
  if (simd_level() >= SimdLevel::kAvx2) {
    kernels.push_back({simd::quantize_activations_avx2, simd::gemm_accumulate_int8_avx2});
  }
  struct Shape {
    int64_t k, n;
  };
  for (const Shape sh : {Shape{37, 53}, Shape{196, 64}, Shape{1, 16}, Shape{601, 21}}) {
    const int64_t k = sh.k, n = sh.n;
    const auto w = random_floats(static_cast<size_t>(k * n), 0.3f, 9);
    const PackedMatrix b(w.data(), k, n, WeightMode::kInt8, PanelLayout::kPairs);
    ASSERT_TRUE(b.int8_pairs());
    const int64_t s = std::min<int64_t>(32767, 2147483647 / (127 * ((k + 1) / 2 * 2)));
    ASSERT_EQ(b.activation_scale(), s) << "k=" << k;
    for (int64_t m : {1, 2, 3, 4, 5, 9}) {
      auto x = random_floats(static_cast<size_t>(m * k), 1.2f, 10 + static_cast<uint32_t>(m));
      x[0] = std::nanf("");
      const auto c0 = random_floats(static_cast<size_t>(m * n), 1.0f, 3);
      std::vector<float> want = c0;
      for (int64_t r = 0; r < m; ++r) {
        for (int64_t j = 0; j < n; ++j) {
          float mx = 0.0f;
          for (int64_t i = 0; i < k; ++i) mx = std::max(mx, std::fabs(w[i * n + j]));
          const float scale = mx / 127.0f;
          int64_t sum = 0;
          for (int64_t kk = 0; kk < k; ++kk) {
            const float xv = std::isnan(x[r * k + kk]) ? -1.0f : x[r * k + kk];
            const int64_t qa = std::lrint(std::clamp(xv, -1.0f, 1.0f) * static_cast<float>(s));
            sum += qa * std::lrint(w[kk * n + j] / scale);
          }
          want[r * n + j] = std::fma(static_cast<float>(sum), scale / static_cast<float>(s),
                                     c0[r * n + j]);
        }
      }
      for (size_t i = 0; i < kernels.size(); ++i) {
        std::vector<int16_t> q(static_cast<size_t>(m * b.k_stored()), 7);
        std::vector<float> c = c0;
        kernels[i].first(x.data(), k, m, b, q.data(), b.k_stored());
        kernels[i].second(q.data(), b.k_stored(), m, b, c.data(), n);
        EXPECT_EQ(std::memcmp(c.data(), want.data(), c.size() * 4), 0)
            << (i == 0 ? "plain" : "avx2") << " k=" << k << " n=" << n << " m=" << m;
      }
    }
  }
}

TEST(KernelsTest, ReducedFormatsShrinkTheMatrix) {
  const auto w = random_floats(196 * 784, 0.1f, 4);
  const int64_t fp32 = PackedMatrix(w.data(), 196, 784).memory_bytes();
  for (Bf16Layout layout : {Bf16Layout::kRows, Bf16Layout::kPairs}) {  // 196 rows: even
    EXPECT_EQ(PackedMatrix(w.data(), 196, 784, WeightMode::kBf16, layout).memory_bytes() * 2, fp32);
  }
  EXPECT_EQ(PackedMatrix(w.data(), 196, 784, WeightMode::kInt8).memory_bytes(),
            fp32 / 4 + 784 * 4);
}

TEST(WorkerPoolTest, RunsEveryTaskOnceAndNestedCallsGetOtherThreads) {
  std::vector<std::atomic<int>> hits(12);
  auto inner = [&](int base) {
    auto leaf = [&](int i) { hits[static_cast<size_t>(base + i)]++; };
    WorkerPool::for_this_thread().run(3, leaf);
  };
  auto outer = [&](int i) { inner(3 * i); };
  for (int round = 0; round < 50; ++round) WorkerPool::for_this_thread().run(4, outer);
  for (auto& h : hits) EXPECT_EQ(h.load(), 50);
}

TEST(WorkerPoolTest, PoolsOfDifferentCallersAreIndependent) {
  std::atomic<int> sum{0};
  auto caller = [&] {
    for (int round = 0; round < 100; ++round) {
      auto task = [&](int i) { sum += i + 1; };
      WorkerPool::for_this_thread().run(2, task);
    }
  };
  std::thread a(caller), b(caller);
  a.join();
  b.join();
  EXPECT_EQ(sum.load(), 2 * 100 * 3);
}

TEST(WeightModeTest, NamesRoundTrip) {
  for (WeightMode m : {WeightMode::kFp32, WeightMode::kBf16, WeightMode::kInt8}) {
    auto parsed = parse_weight_mode(weight_mode_name(m));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed.value(), m);
  }
  auto bad = parse_weight_mode("fp16");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "weights 'fp16': expected fp32, bf16 or int8");
}

}  // namespace
}  // namespace quiver::nn
