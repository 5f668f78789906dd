// The CPU-specific kernels (simd.h) against the plain reference path: agreement to 1e-6, and
// bit-identity of a row across batch sizes and thread counts on this machine (issue 5).
// Paths this CPU lacks are skipped (GTEST_SKIP), never run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "nn/kernels.h"
#include "nn/recurrent.h"
#include "nn/simd.h"
#include "nn/value.h"
#include "spec_builder.h"

namespace quiver::nn {
namespace {

using testing::random_floats;

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float d = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

// max |a - b| / max(1, |a|): the agreement measure for sums whose magnitude exceeds 1 (the
// FMA and mul+add paths differ by rounding, which scales with the value).
float max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float d = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) {
    d = std::max(d, std::fabs(a[i] - b[i]) / std::max(1.0f, std::fabs(a[i])));
  }
  return d;
}

bool cpu_has(SimdLevel level) { return simd_level() >= level; }

using GemmFn = void (*)(const float*, int64_t, int64_t, const PackedMatrix&, float*, int64_t);

// The plain loop of kernels.cc, whatever simd_level() is (QUIVER_SIMD is read once).
void plain_gemm(const float* a, int64_t lda, int64_t m, const PackedMatrix& b, float* c,
                int64_t ldc) {
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t j = 0; j < b.n(); ++j) {
      const float* panel = b.panel(j / PackedMatrix::kPanelWidth);
      float acc = c[r * ldc + j];
      for (int64_t kk = 0; kk < b.k(); ++kk) {
        acc += a[r * lda + kk] * panel[kk * PackedMatrix::kPanelWidth + j % 16];
      }
      c[r * ldc + j] = acc;
    }
  }
}

void expect_gemm_matches_plain(GemmFn fn) {
  for (int64_t n : {1, 5, 16, 37, 784}) {
    for (int64_t k : {1, 7, 196}) {
      PackedMatrix b(random_floats(static_cast<size_t>(k * n), 0.2f, 1).data(), k, n);
      for (int64_t m : {1, 2, 5, 6, 7, 8, 13, 64}) {
        const auto a = random_floats(static_cast<size_t>(m * k), 1.0f, 2);
        const auto c0 = random_floats(static_cast<size_t>(m * n), 1.0f, 3);
        auto want = c0, got = c0;
        plain_gemm(a.data(), k, m, b, want.data(), n);
        fn(a.data(), k, m, b, got.data(), n);
        EXPECT_LE(max_rel_diff(want, got), 1e-6f) << "m=" << m << " k=" << k << " n=" << n;
        for (int64_t r = 0; r < m; ++r) {  // the row alone gives the same bits
          std::vector<float> row(c0.begin() + r * n, c0.begin() + (r + 1) * n);
          fn(a.data() + r * k, k, 1, b, row.data(), n);
          EXPECT_EQ(0, std::memcmp(row.data(), got.data() + r * n, n * sizeof(float)))
              << "row " << r << " of m=" << m << " n=" << n;
        }
      }
    }
  }
}

TEST(SimdKernelsTest, Avx2GemmMatchesPlainAndIsRowIndependent) {
  if (!cpu_has(SimdLevel::kAvx2)) GTEST_SKIP() << "no AVX2+FMA on this CPU";
  expect_gemm_matches_plain(&simd::gemm_accumulate_avx2);
}

TEST(SimdKernelsTest, Avx512GemmMatchesPlainAndIsRowIndependent) {
  if (!cpu_has(SimdLevel::kAvx512)) GTEST_SKIP() << "no AVX-512F on this CPU";
  expect_gemm_matches_plain(&simd::gemm_accumulate_avx512);
}

TEST(SimdKernelsTest, Avx2AndAvx512GemmGiveTheSameBits) {
  if (!cpu_has(SimdLevel::kAvx512)) GTEST_SKIP() << "no AVX-512F on this CPU";
  PackedMatrix b(random_floats(196 * 784, 0.1f, 4).data(), 196, 784);
  const auto a = random_floats(9 * 196, 1.0f, 5);
  std::vector<float> c2(9 * 784, 0.5f), c5 = c2;
  simd::gemm_accumulate_avx2(a.data(), 196, 9, b, c2.data(), 784);
  simd::gemm_accumulate_avx512(a.data(), 196, 9, b, c5.data(), 784);
  EXPECT_EQ(0, std::memcmp(c2.data(), c5.data(), c2.size() * sizeof(float)));
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

TEST(SimdKernelsTest, Avx512LstmCellMatchesTheKerasEquations) {
  if (!cpu_has(SimdLevel::kAvx512)) GTEST_SKIP() << "no AVX-512F on this CPU";
  for (int64_t u : {1, 15, 16, 17, 196}) {
    auto g = random_floats(static_cast<size_t>(4 * u), 12.0f, 6);
    auto c = random_floats(static_cast<size_t>(u), 2.0f, 7);
    std::vector<float> want_c(u), want_h(u), h(u);
    for (int64_t j = 0; j < u; ++j) {  // i, f, c, o (KERAS.md §2.1)
      want_c[j] = sigmoid(g[u + j]) * c[j] + sigmoid(g[j]) * std::tanh(g[2 * u + j]);
      want_h[j] = sigmoid(g[3 * u + j]) * std::tanh(want_c[j]);
    }
    simd::lstm_cell_avx512(g.data(), c.data(), h.data(), u);
    EXPECT_LE(max_abs_diff(want_c, c), 1e-6f) << "u=" << u;
    EXPECT_LE(max_abs_diff(want_h, h), 1e-6f) << "u=" << u;
  }
}

TEST(SimdKernelsTest, Avx512GruCellMatchesTheKerasEquations) {
  if (!cpu_has(SimdLevel::kAvx512)) GTEST_SKIP() << "no AVX-512F on this CPU";
  for (int64_t u : {1, 16, 33, 196}) {
    const auto xp = random_floats(static_cast<size_t>(3 * u), 8.0f, 8);
    const auto rec = random_floats(static_cast<size_t>(3 * u), 8.0f, 9);
    auto h = random_floats(static_cast<size_t>(u), 1.0f, 10);
    std::vector<float> want(u);
    for (int64_t j = 0; j < u; ++j) {  // z, r, h with reset_after (KERAS.md §2.2)
      const float z = sigmoid(xp[j] + rec[j]), r = sigmoid(xp[u + j] + rec[u + j]);
      const float hh = std::tanh(xp[2 * u + j] + r * rec[2 * u + j]);
      want[j] = z * h[j] + (1.0f - z) * hh;
    }
    simd::gru_cell_avx512(xp.data(), rec.data(), h.data(), u);
    EXPECT_LE(max_abs_diff(want, h), 1e-6f) << "u=" << u;
  }
}

TEST(SimdKernelsTest, Avx512TanhAndSigmoidHoldOverTheWholeRange) {
  if (!cpu_has(SimdLevel::kAvx512)) GTEST_SKIP() << "no AVX-512F on this CPU";
  // With c = 0 and f irrelevant, the cell's c is sigmoid(i) * tanh(x): sweep x.
  float worst = 0.0f;
  for (float x = -40.0f; x < 40.0f; x += 0.00731f) {
    float g[4] = {x, 0.0f, x, x}, c = 0.0f, h = 0.0f;
    simd::lstm_cell_avx512(g, &c, &h, 1);
    worst = std::max(worst, std::fabs(c - sigmoid(x) * std::tanh(x)));
  }
  EXPECT_LE(worst, 1e-6f);
  // A NaN pre-activation stays NaN (as in Keras) instead of being clamped to a number.
  float g[4] = {0.5f, 0.5f, std::nanf(""), 0.5f}, c = 0.0f, h = 0.0f;
  simd::lstm_cell_avx512(g, &c, &h, 1);
  EXPECT_TRUE(std::isnan(c) && std::isnan(h));
}

// The fused LSTM / GRU step (product and cell in one kernel) against the two-pass path it
// replaces: LSTM gates = x·W + b, GRU rec = recurrent bias; += h·U (gemm_accumulate_avx512);
// then lstm_cell_avx512 / gru_cell_avx512 per block. The chain and the cell arithmetic are
// the same, so every row, every row count (all remainder cases of the 6-row tiles), every
// block tail and every weight format give the same bits; masked rows keep h (and c). On a
// first step (h = 0, zero_state) the kernel skips h·U and must still give those bits.
void expect_fused_step_matches_two_passes(int gates) {
  const int64_t ld = 53;  // the layer's units: h rows are longer than the slice
  std::vector<std::pair<WeightMode, Bf16Layout>> formats = {{WeightMode::kFp32, Bf16Layout::kAuto},
                                                            {WeightMode::kBf16, Bf16Layout::kRows},
                                                            {WeightMode::kInt8, Bf16Layout::kAuto}};
  if (cpu_has(SimdLevel::kAvx512Bf16)) formats.push_back({WeightMode::kBf16, Bf16Layout::kPairs});
  const auto bias = random_floats(static_cast<size_t>(gates * ld), 1.0f, 24);
  for (const auto& [format, layout] : formats) {
    for (int64_t units : {5, 16, 37, 48, 53}) {
      const int64_t unit0 = ld - units, cols = gates * units, col0 = gates * unit0;
      PackedMatrix u(random_floats(static_cast<size_t>(ld * cols), 0.3f, 20).data(), ld, cols,
                     format, layout);
      for (int64_t n : {1, 2, 3, 4, 5, 6, 7, 13}) for (bool zero_state : {false, true}) {
        SCOPED_TRACE(::testing::Message() << "gates " << gates << " units " << units << " rows "
                                          << n << " " << weight_mode_name(format)
                                          << (u.bf16_pairs() ? " pairs" : "")
                                          << (zero_state ? " zero state" : ""));
        // zero_state: the first step, whose h·U the kernel skips; the two passes still
        // multiply, and every product is ±0.
        const auto h = zero_state ? std::vector<float>(static_cast<size_t>(n * ld), 0.0f)
                                  : random_floats(static_cast<size_t>(n * ld), 1.0f, 21);
        const auto c0 = random_floats(static_cast<size_t>(n * ld), 2.0f, 22);
        const auto xw = random_floats(static_cast<size_t>(n * gates * ld), 3.0f, 23);
        std::vector<const float*> init(static_cast<size_t>(n));
        std::vector<uint8_t> live(static_cast<size_t>(n));
        for (int64_t r = 0; r < n; ++r) init[r] = xw.data() + r * gates * ld, live[r] = r % 3 != 1;
        // Two passes: the pre-activations in block layout, then the cell per block.
        std::vector<float> pre(static_cast<size_t>(n * cols)), want_c = c0, want_h(n * ld, -7.0f);
        for (int64_t r = 0; r < n; ++r) {
          std::copy_n((gates == 4 ? init[r] : bias.data()) + col0, cols, pre.data() + r * cols);
        }
        simd::gemm_accumulate_avx512(h.data(), ld, n, u, pre.data(), cols);
        for (int64_t r = 0; r < n; ++r) {
          for (int64_t b0 = 0; b0 < units; b0 += simd::kFusedBlockUnits) {
            const int64_t w = std::min(simd::kFusedBlockUnits, units - b0);
            const int64_t at = r * ld + unit0 + b0;
            std::copy_n(h.data() + at, w, want_h.data() + at);
            if (!live[r]) continue;
            float* block = pre.data() + r * cols + gates * b0;
            if (gates == 4) {
              simd::lstm_cell_avx512(block, want_c.data() + at, want_h.data() + at, w);
            } else {
              simd::gru_cell_avx512(init[r] + col0 + gates * b0, block, want_h.data() + at, w);
            }
          }
        }
        auto got_c = c0;
        std::vector<float> got_h(n * ld, -7.0f);
        simd::fused_step_avx512({gates, init.data(), col0, bias.data(), h.data(), ld, &u, units,
                                 got_c.data() + unit0, h.data() + unit0, got_h.data() + unit0,
                                 live.data(), n, zero_state});
        EXPECT_EQ(0, std::memcmp(want_c.data(), got_c.data(), want_c.size() * 4));
        EXPECT_EQ(0, std::memcmp(want_h.data(), got_h.data(), want_h.size() * 4));
      }
    }
  }
}

TEST(SimdKernelsTest, FusedLstmStepGivesTheBitsOfProductThenCell) {
  if (!cpu_has(SimdLevel::kAvx512)) GTEST_SKIP() << "no AVX-512F on this CPU";
  expect_fused_step_matches_two_passes(4);
}

TEST(SimdKernelsTest, FusedGruStepGivesTheBitsOfProductThenCell) {
  if (!cpu_has(SimdLevel::kAvx512)) GTEST_SKIP() << "no AVX-512F on this CPU";
  expect_fused_step_matches_two_passes(3);
}

RecurrentSpec reference_spec(CellKind kind, int64_t d, int64_t u) {
  RecurrentSpec s;
  s.kind = kind;
  s.input_dim = d;
  s.units = u;
  s.reset_after = kind == CellKind::kGru;
  s.activation = Activation{ActivationKind::kTanh};
  s.recurrent_activation = Activation{ActivationKind::kSigmoid};
  const int64_t gu = s.gates() * u;
  s.kernel = random_floats(static_cast<size_t>(d * gu), 0.3f, 11);
  s.recurrent_kernel = random_floats(static_cast<size_t>(u * gu), 0.3f, 12);
  s.input_bias = random_floats(static_cast<size_t>(gu), 0.3f, 13);
  s.recurrent_bias = random_floats(static_cast<size_t>(gu), 0.3f, 14);
  return s;
}

// A recurrent layer's output rows are bit-identical whatever the batch and thread count.
void expect_rows_independent(CellKind kind, int64_t u, WeightMode weights = WeightMode::kFp32) {
  SCOPED_TRACE(::testing::Message() << "units " << u << " " << weight_mode_name(weights));
  const int64_t d = 24, t = 9, batch = 29;
  RecurrentSpec spec = reference_spec(kind, d, u);
  spec.weights = weights;
  RecurrentCore core(std::move(spec));
  Tensor x;
  x.shape = {batch, t, d};
  x.data = random_floats(static_cast<size_t>(batch * t * d), 1.0f, 15);
  RecurrentResult all;
  core.run(make_value(x), false, 1, &all);
  for (int threads : {2, 3}) {
    RecurrentResult par;
    core.run(make_value(x), false, threads, &par);
    EXPECT_EQ(all.output.data, par.output.data) << threads << " threads";
  }
  for (int64_t r : {0, 13, 28}) {
    Tensor one;
    one.shape = {1, t, d};
    one.data.assign(x.data.begin() + r * t * d, x.data.begin() + (r + 1) * t * d);
    RecurrentResult single;
    core.run(make_value(one), false, 1, &single);
    EXPECT_EQ(0, std::memcmp(single.output.data.data(), all.output.data.data() + r * u,
                             u * sizeof(float))) << "row " << r;
  }
}

TEST(SimdKernelsTest, LstmRowsAreBitIdenticalAcrossBatchAndThreads) {
  for (int64_t u : {37, 64, 196}) expect_rows_independent(CellKind::kLstm, u);
  for (WeightMode w : {WeightMode::kBf16, WeightMode::kInt8}) {
    expect_rows_independent(CellKind::kLstm, 196, w);
  }
}

TEST(SimdKernelsTest, GruRowsAreBitIdenticalAcrossBatchAndThreads) {
  for (int64_t u : {37, 196}) expect_rows_independent(CellKind::kGru, u);
  expect_rows_independent(CellKind::kGru, 196, WeightMode::kBf16);
}

}  // namespace
}  // namespace quiver::nn
