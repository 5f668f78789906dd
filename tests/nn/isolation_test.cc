// The isolation promise: a row's output is byte-identical whatever batch it is in and
// however many threads run (issue 2/5), and the precomputed token-projection path gives the
// same bits as computing x·W + b per step.
#include <gtest/gtest.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include "spec_builder.h"

namespace quiver::nn {
namespace {

using testing::random_weight;
using testing::SpecBuilder;

constexpr int kLen = 12, kVocab = 50;

// Embedding(mask) -> Bidirectional(LSTM, seq) -> GRU(reset_after) -> Dense(softmax), with
// `between` (e.g. Activation linear) inserted after the Embedding when given.
keras_io::ModelSpec recurrent_spec(bool via_activation) {
  std::mt19937 rng(7);
  SpecBuilder b(kLen, 2, "2.8.0");
  b.add("embedding", "Embedding", {{"input_dim", kVocab}, {"output_dim", 8}, {"mask_zero", true}},
        {random_weight(rng, {kVocab, 8})});
  if (via_activation) b.add("act", "Activation", {{"activation", "linear"}});
  std::vector<keras_io::WeightArray> bw;
  for (int d = 0; d < 2; ++d) {
    bw.push_back(random_weight(rng, {8, 24}));
    bw.push_back(random_weight(rng, {6, 24}));
    bw.push_back(random_weight(rng, {24}));
  }
  nlohmann::json inner = {{"units", 6}, {"return_sequences", true}};
  b.add("bidi", "Bidirectional", {{"layer", {{"class_name", "LSTM"}, {"config", inner}}}}, bw);
  b.add("gru", "GRU", {{"units", 5}, {"reset_after", true}},
        {random_weight(rng, {12, 15}), random_weight(rng, {5, 15}), random_weight(rng, {2, 15})});
  b.add("dense", "Dense", {{"units", 3}, {"activation", "softmax"}},
        {random_weight(rng, {5, 3}), random_weight(rng, {3})});
  return b.spec();
}

// Embedding -> Conv1D(same) -> MaxPooling1D -> SimpleRNN -> Dense(sigmoid).
keras_io::ModelSpec conv_spec() {
  std::mt19937 rng(11);
  SpecBuilder b(kLen, 3, "3.8.0");
  b.add("embedding", "Embedding", {{"input_dim", kVocab}, {"output_dim", 8}},
        {random_weight(rng, {kVocab, 8})});
  b.add("conv", "Conv1D",
        {{"filters", 7}, {"kernel_size", {3}}, {"padding", "same"}, {"activation", "relu"}},
        {random_weight(rng, {3, 8, 7}), random_weight(rng, {7})});
  b.add("pool", "MaxPooling1D", {{"pool_size", {2}}});
  b.add("rnn", "SimpleRNN", {{"units", 9}},
        {random_weight(rng, {7, 9}), random_weight(rng, {9, 9}), random_weight(rng, {9})});
  b.add("dense", "Dense", {{"units", 1}, {"activation", "sigmoid"}},
        {random_weight(rng, {9, 1}), random_weight(rng, {1})});
  return b.spec();
}

// Embedding(mask) -> MultiHeadAttention(self, masked) -> Add -> LayerNormalization ->
// Attention(dot, scaled) -> GlobalAveragePooling1D(masked) -> Dense: a Transformer block.
keras_io::ModelSpec attention_spec() {
  std::mt19937 rng(13);
  SpecBuilder b(kLen, 3, "3.8.0");
  b.add("embedding", "Embedding", {{"input_dim", kVocab}, {"output_dim", 8}, {"mask_zero", true}},
        {random_weight(rng, {kVocab, 8})});
  std::vector<keras_io::WeightArray> w;
  for (int i = 0; i < 3; ++i) {
    w.push_back(random_weight(rng, {8, 2, 4}));
    w.push_back(random_weight(rng, {2, 4}));
  }
  w.push_back(random_weight(rng, {2, 4, 8}));
  w.push_back(random_weight(rng, {8}));
  b.add("mha", "MultiHeadAttention", {{"num_heads", 2}, {"key_dim", 4}}, w,
        {{"embedding", 0, 0}, {"embedding", 0, 0}});
  b.add("add", "Add", nlohmann::json::object(), {}, {{"embedding", 0, 0}, {"mha", 0, 0}});
  b.add("norm", "LayerNormalization", {{"axis", {-1}}, {"epsilon", 1e-6}},
        {random_weight(rng, {8}), random_weight(rng, {8})});
  b.add("attention", "Attention", {{"use_scale", true}}, {random_weight(rng, {})},
        {{"norm", 0, 0}, {"norm", 0, 0}});
  b.add("pool", "GlobalAveragePooling1D", nlohmann::json::object());
  b.add("dense", "Dense", {{"units", 3}, {"activation", "softmax"}},
        {random_weight(rng, {8, 3}), random_weight(rng, {3})});
  return b.spec();
}

std::vector<int32_t> random_rows(int rows) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> id(1, kVocab - 1), pad(0, kLen);
  std::vector<int32_t> ids;
  for (int r = 0; r < rows; ++r) {
    int p = pad(rng);  // pre-padding of random length, sometimes all pads
    for (int t = 0; t < kLen; ++t) ids.push_back(t < p ? 0 : id(rng));
  }
  return ids;
}

void expect_rows_identical(const ModelImpl& m) {
  const std::vector<int32_t> ids = random_rows(256);
  const auto full = testing::run(m, ids, 256, 1);
  const auto full2 = testing::run(m, ids, 256, 2);
  const auto part =
      testing::run(m, std::vector<int32_t>(ids.begin(), ids.begin() + 37 * kLen), 37, 2);
  ASSERT_EQ(full.size(), 1u);
  const size_t width = full[0].data.size() / 256;
  auto same_row = [&](const Tensor& t, int64_t row_in_t, int64_t row) {
    return std::memcmp(t.data.data() + row_in_t * width, full[0].data.data() + row * width,
                       width * sizeof(float)) == 0;
  };
  EXPECT_EQ(std::memcmp(full[0].data.data(), full2[0].data.data(), full[0].data.size() * 4), 0);
  for (int64_t r = 0; r < 37; ++r) EXPECT_TRUE(same_row(part[0], r, r)) << "row " << r;
  for (int64_t r : {0, 5, 36, 100, 255}) {
    auto one = testing::run(
        m, std::vector<int32_t>(ids.begin() + r * kLen, ids.begin() + (r + 1) * kLen), 1);
    EXPECT_TRUE(same_row(one[0], 0, r)) << "row " << r;
  }
}

// Every weight mode (issue 19 item 7): the mode is a model property, so the promise holds in
// each (int8: integer products of the quantized state; bf16: its kernels).
constexpr WeightMode kModes[] = {WeightMode::kFp32, WeightMode::kBf16, WeightMode::kInt8};

LoadOptions in_mode(WeightMode mode) {
  LoadOptions o;
  o.weights = mode;
  return o;
}

TEST(IsolationTest, RecurrentRowsAreBitIdenticalAcrossBatchesAndThreads) {
  for (WeightMode mode : kModes) {
    SCOPED_TRACE(weight_mode_name(mode));
    auto m = build_model(recurrent_spec(false), in_mode(mode));
    ASSERT_OK(m);
    expect_rows_identical(**m);
  }
}

TEST(IsolationTest, AttentionRowsAreBitIdenticalAcrossBatchesAndThreads) {
  auto m = build_model(attention_spec(), {});
  ASSERT_OK(m);
  expect_rows_identical(**m);
}

TEST(IsolationTest, ConvRowsAreBitIdenticalAcrossBatchesAndThreads) {
  auto m = build_model(conv_spec(), {});
  ASSERT_OK(m);
  expect_rows_identical(**m);
}

TEST(IsolationTest, TokenProjectionTableGivesTheSameBitsAsTheDensePath) {
  for (WeightMode mode : kModes) {
    SCOPED_TRACE(weight_mode_name(mode));
    auto table = build_model(recurrent_spec(false), in_mode(mode));
    auto dense = build_model(recurrent_spec(true), in_mode(mode));  // x·W per step
    ASSERT_OK(table);
    ASSERT_OK(dense);
    EXPECT_GT((*table)->info.memory_bytes, (*dense)->info.memory_bytes);  // the tables
    const auto ids = random_rows(40);
    const auto a = testing::run(**table, ids, 40), b = testing::run(**dense, ids, 40);
    EXPECT_EQ(std::memcmp(a[0].data.data(), b[0].data.data(), a[0].data.size() * 4), 0);
  }
}

// A `cls` layer (LSTM, GRU with reset_after, SimpleRNN) over 8 inputs: its config and
// `sets` sets of random weights (two for a Bidirectional), U scaled by `recurrent_scale`.
struct RandomRnn {
  nlohmann::json config;
  std::vector<keras_io::WeightArray> weights;
};
RandomRnn random_rnn(std::mt19937& rng, const std::string& cls, int64_t units, bool sequences,
                     int sets, float recurrent_scale) {
  const int64_t g = cls == "LSTM" ? 4 : cls == "GRU" ? 3 : 1;
  RandomRnn r{{{"units", units}, {"return_sequences", sequences}}, {}};
  std::vector<int64_t> bias = {g * units};
  if (cls == "GRU") {
    r.config["reset_after"] = true;
    bias = {2, g * units};
  }
  for (int d = 0; d < sets; ++d) {
    r.weights.push_back(random_weight(rng, {8, g * units}));
    r.weights.push_back(random_weight(rng, {units, g * units}, recurrent_scale));
    r.weights.push_back(random_weight(rng, bias));
  }
  return r;
}

// Embedding(mask) -> `cls`(units >= 32, so its units are split in two slices; batch 1 with
// 2 threads runs one slice per thread) -> Dense(softmax) over every step.
keras_io::ModelSpec sliced_spec(const std::string& cls, int64_t units) {
  std::mt19937 rng(5);
  SpecBuilder b(kLen, 2, "2.8.0");
  b.add("embedding", "Embedding", {{"input_dim", kVocab}, {"output_dim", 8}, {"mask_zero", true}},
        {random_weight(rng, {kVocab, 8})});
  RandomRnn rnn = random_rnn(rng, cls, units, true, 1, 0.2f);
  b.add("rnn", cls, rnn.config, rnn.weights);
  b.add("dense", "Dense", {{"units", 3}, {"activation", "softmax"}},
        {random_weight(rng, {units, 3}), random_weight(rng, {3})});
  return b.spec();
}

using ClassMode = std::pair<std::string, WeightMode>;
std::vector<ClassMode> classes_in_every_mode(std::initializer_list<const char*> classes) {
  std::vector<ClassMode> out;
  for (const char* cls : classes) {
    for (WeightMode mode : kModes) out.emplace_back(cls, mode);
  }
  return out;
}

TEST(IsolationTest, UnitSplitAtBatchOneGivesTheSameBitsAsOneThread) {
  for (const ClassMode& cm : classes_in_every_mode({"LSTM", "GRU", "SimpleRNN"})) {
    const std::string& cls = cm.first;
    const WeightMode mode = cm.second;
    SCOPED_TRACE(weight_mode_name(mode));
    auto m = build_model(sliced_spec(cls, 37), in_mode(mode));
    ASSERT_OK(m);
    const std::vector<int32_t> ids = random_rows(9);
    const auto batched = testing::run(**m, ids, 9, 1);
    const size_t width = batched[0].data.size() / 9;
    for (int64_t r = 0; r < 9; ++r) {
      const std::vector<int32_t> row(ids.begin() + r * kLen, ids.begin() + (r + 1) * kLen);
      for (int threads : {1, 2, 3}) {
        const auto one = testing::run(**m, row, 1, threads);
        EXPECT_EQ(std::memcmp(one[0].data.data(), batched[0].data.data() + r * width,
                              width * sizeof(float)),
                  0)
            << cls << " row " << r << " threads " << threads;
      }
    }
  }
}

// Four callers, each splitting batch-1 steps over two threads, on a 2-core machine: tasks
// lose their cores mid-call, so steps are taken over by the other task (run_split); the bits
// must not change. Under ThreadSanitizer this also checks the hand-over's memory ordering.
TEST(IsolationTest, UnitSplitKeepsItsBitsWhenCallersOutnumberTheCores) {
  for (const ClassMode& cm : classes_in_every_mode({"LSTM", "GRU"})) {
    const std::string& cls = cm.first;
    const WeightMode mode = cm.second;
    SCOPED_TRACE(weight_mode_name(mode));
    auto m = build_model(sliced_spec(cls, 64), in_mode(mode));
    ASSERT_OK(m);
    const std::vector<int32_t> ids = random_rows(4);
    const auto want = testing::run(**m, ids, 4, 1);
    const size_t width = want[0].data.size() / 4;
    std::atomic<int> mismatches{0};
    std::vector<std::thread> callers;
    for (int c = 0; c < 4; ++c) {
      callers.emplace_back([&, c] {
        const std::vector<int32_t> row(ids.begin() + c * kLen, ids.begin() + (c + 1) * kLen);
        for (int i = 0; i < 40; ++i) {
          const auto got = testing::run(**m, row, 1, 2);
          if (std::memcmp(got[0].data.data(), want[0].data.data() + c * width,
                          width * sizeof(float)) != 0) {
            ++mismatches;
          }
        }
      });
    }
    for (std::thread& t : callers) t.join();
    EXPECT_EQ(mismatches.load(), 0) << cls;
  }
}

// Embedding (no mask) -> Bidirectional(`cls`, its backward half go_backwards) -> Dense:
// with return_sequences every step's output reaches the result, without it the final state.
keras_io::ModelSpec padded_spec(const std::string& cls, bool sequences, nlohmann::json len,
                                int64_t units) {
  std::mt19937 rng(13);
  SpecBuilder b(std::move(len), 2, "2.8.0");
  b.add("embedding", "Embedding", {{"input_dim", kVocab}, {"output_dim", 8}},
        {random_weight(rng, {kVocab, 8})});
  RandomRnn rnn = random_rnn(rng, cls, units, sequences, 2, 0.3f);
  b.add("bidi", "Bidirectional", {{"layer", {{"class_name", cls}, {"config", rnn.config}}}},
        rnn.weights);
  b.add("dense", "Dense", {{"units", 3}, {"activation", "softmax"}},
        {random_weight(rng, {2 * units, 3}), random_weight(rng, {3})});
  return b.spec();
}

// A row that starts (forward) or ends (backward) with token 0 joins the run after those steps,
// from the precomputed padding trajectory. Each row must keep the bits it has in a batch that
// also holds an unpadded row (where every step is run): pre- and post-padding, rows of padding
// only, batches of rows that join at different steps, every step's output, the final state,
// 1 and 2 threads (batch 1 with 2 threads is the unit split), a declared length and an
// unknown one with more padding than the trajectory holds (kDefaultPadSteps).
TEST(IsolationTest, SkippedPaddingStepsGiveTheBitsOfRunningThem) {
  struct Case {
    nlohmann::json declared;
    int64_t len, units;
  };
  for (const Case& c : {Case{kLen, kLen, 37}, Case{nullptr, 300, 5}}) {
    for (const ClassMode& cm : classes_in_every_mode({"LSTM", "GRU", "SimpleRNN"})) {
      const std::string& cls = cm.first;
      const WeightMode mode = cm.second;
      for (bool sequences : {true, false}) {
        SCOPED_TRACE(::testing::Message() << cls << " " << weight_mode_name(mode) << " length "
                                          << c.len << (sequences ? " sequences" : " last state"));
        auto m = build_model(padded_spec(cls, sequences, c.declared, c.units), in_mode(mode));
        ASSERT_OK(m);
        const int64_t t = c.len;
        // Pre-padded rows (at least t - 4 pads, one all padding) and post-padded ones.
        std::mt19937 rng(17);
        std::uniform_int_distribution<int> id(1, kVocab - 1);
        std::vector<std::vector<int32_t>> rows;
        for (int64_t p : {t - 4, t - 1, t, t - 3}) {
          std::vector<int32_t> pre(static_cast<size_t>(t), 0), post(static_cast<size_t>(t), 0);
          for (int64_t i = p; i < t; ++i) pre[i] = id(rng), post[i - p] = id(rng);
          rows.push_back(pre);
          rows.push_back(post);
        }
        std::vector<int32_t> unpadded(static_cast<size_t>(t));
        for (int32_t& v : unpadded) v = id(rng);
        std::vector<int32_t> all;  // every step run: the reference
        for (const auto& r : rows) all.insert(all.end(), r.begin(), r.end());
        all.insert(all.end(), unpadded.begin(), unpadded.end());
        const int64_t n = static_cast<int64_t>(rows.size());
        const auto want = testing::run(**m, all, n + 1, 1);
        const size_t width = want[0].data.size() / static_cast<size_t>(n + 1);
        auto same = [&](const Tensor& got, int64_t row_in_got, int64_t row) {
          return std::memcmp(got.data.data() + row_in_got * width,
                             want[0].data.data() + row * width, width * sizeof(float)) == 0;
        };
        for (int threads : {1, 2}) {
          for (int64_t side = 0; side < 2; ++side) {  // the pre-padded rows, the post-padded
            std::vector<int32_t> ids;
            for (int64_t r = side; r < n; r += 2) {
              ids.insert(ids.end(), rows[r].begin(), rows[r].end());
            }
            const auto got = testing::run(**m, ids, n / 2, threads);
            for (int64_t r = side, i = 0; r < n; r += 2, ++i) {
              EXPECT_TRUE(same(got[0], i, r)) << "row " << r << " threads " << threads;
            }
          }
          // All padded rows in one batch: each joins the run when its own padding ends.
          std::vector<int32_t> mixed;
          for (int64_t r = n - 1; r >= 0; --r) {
            mixed.insert(mixed.end(), rows[r].begin(), rows[r].end());
          }
          const auto got = testing::run(**m, mixed, n, threads);
          for (int64_t r = 0; r < n; ++r) {
            EXPECT_TRUE(same(got[0], n - 1 - r, r)) << "row " << r << " mixed, threads " << threads;
          }
          for (int64_t r = 0; r < n; ++r) {
            EXPECT_TRUE(same(testing::run(**m, rows[r], 1, threads)[0], 0, r))
                << "row " << r << " alone, threads " << threads;
          }
        }
      }
    }
  }
}

// --- Memory policies (issue 18) ---

LoadOptions with_policy(MemoryPolicy policy, int64_t budget_bytes = 0) {
  LoadOptions o;
  o.memory_policy = policy;
  o.memory_budget_bytes = budget_bytes;
  return o;
}

// Rows of `ids` (batch n) through `m` at 1 and 2 threads, the whole batch and each row
// alone (batch 1 with 2 threads: the unit split), as one flat vector of outputs.
std::vector<float> every_way(const ModelImpl& m, const std::vector<int32_t>& ids, int64_t n) {
  std::vector<float> all;
  const int64_t len = static_cast<int64_t>(ids.size()) / n;
  for (int threads : {1, 2}) {
    const auto batch = testing::run(m, ids, n, threads);
    all.insert(all.end(), batch[0].data.begin(), batch[0].data.end());
    for (int64_t r = 0; r < n; r += 3) {
      const std::vector<int32_t> row(ids.begin() + r * len, ids.begin() + (r + 1) * len);
      const auto one = testing::run(m, row, 1, threads);
      all.insert(all.end(), one[0].data.begin(), one[0].data.end());
    }
  }
  return all;
}

// Models with a table: masked BiLSTM + GRU, sliced LSTM/GRU (unit split at batch 1), and
// unmasked BiLSTM/BiGRU/BiSimpleRNN (padding trajectories) with declared and unknown length.
struct PolicyCase {
  std::string name;
  keras_io::ModelSpec spec;
  int64_t len;
};
std::vector<PolicyCase> policy_cases() {
  std::vector<PolicyCase> cases;
  cases.push_back({"bidi-lstm+gru masked", recurrent_spec(false), kLen});
  for (const char* cls : {"LSTM", "GRU"}) {
    cases.push_back({std::string(cls) + " sliced", sliced_spec(cls, 37), kLen});
  }
  for (const char* cls : {"LSTM", "GRU", "SimpleRNN"}) {
    cases.push_back({std::string("bidi ") + cls + " padded", padded_spec(cls, true, kLen, 37),
                     kLen});
  }
  cases.push_back({"bidi LSTM unknown length", padded_spec("LSTM", false, nullptr, 5), 20});
  return cases;
}

std::vector<int32_t> padded_rows(int rows, int64_t len) {
  std::mt19937 rng(23);
  std::uniform_int_distribution<int> id(1, kVocab - 1), pad(0, static_cast<int>(len));
  std::vector<int32_t> ids;
  for (int r = 0; r < rows; ++r) {
    const int p = pad(rng);
    for (int64_t t = 0; t < len; ++t) ids.push_back(t < p ? 0 : id(rng));
  }
  return ids;
}

// fp32 tables, lazy tables (whole, a third of the rows kept, none kept) and no tables do
// the same float operations for every row (kernels.h): the bits must be identical, in every
// batch and thread layout. bf16 tables round the projection: close, not identical.
TEST(IsolationTest, EveryMemoryPolicyButBf16GivesTheBitsOfFp32Tables) {
  for (const PolicyCase& c : policy_cases()) {
    SCOPED_TRACE(c.name);
    auto fp32 = build_model(c.spec, with_policy(MemoryPolicy::kTablesFp32));
    ASSERT_OK(fp32);
    ASSERT_GT((*fp32)->info.table_fp32_bytes, 0);
    const std::vector<int32_t> ids = padded_rows(13, c.len);
    const std::vector<float> want = every_way(**fp32, ids, 13);
    const ModelInfo& info = (*fp32)->info;
    const int64_t third = info.memory.weights + info.trajectory_bytes + info.table_rows * 4 +
                          info.table_fp32_bytes / 3;
    struct Variant {
      const char* name;
      LoadOptions options;
    };
    for (const Variant& v : {Variant{"lazy", with_policy(MemoryPolicy::kTablesLazy)},
                             Variant{"lazy third", with_policy(MemoryPolicy::kTablesLazy, third)},
                             Variant{"lazy none kept", with_policy(MemoryPolicy::kTablesLazy, 1)},
                             Variant{"none", with_policy(MemoryPolicy::kNoTables)}}) {
      auto m = build_model(c.spec, v.options);
      ASSERT_OK(m);
      const std::vector<float> got = every_way(**m, ids, 13);
      ASSERT_EQ(got.size(), want.size());
      EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0) << v.name;
    }
    auto bf16 = build_model(c.spec, with_policy(MemoryPolicy::kTablesBf16));
    ASSERT_OK(bf16);
    const std::vector<float> got = every_way(**bf16, ids, 13);
    float max_delta = 0;
    for (size_t i = 0; i < got.size(); ++i) max_delta = std::max(max_delta, std::abs(got[i] - want[i]));
    EXPECT_GT(max_delta, 0.0f);   // the rounding is real
    EXPECT_LT(max_delta, 2e-2f);  // and bounded (8-bit mantissa on values of order 1)
    // bf16's own rows are still isolated: batch, threads and row position do not matter.
    const auto batch = testing::run(**bf16, ids, 13, 1);
    const size_t width = batch[0].data.size() / 13;
    for (int64_t r = 0; r < 13; r += 4) {
      const std::vector<int32_t> row(ids.begin() + r * c.len, ids.begin() + (r + 1) * c.len);
      EXPECT_EQ(std::memcmp(testing::run(**bf16, row, 1, 2)[0].data.data(),
                            batch[0].data.data() + r * width, width * sizeof(float)),
                0)
          << "bf16 row " << r;
    }
  }
}

// Lazy rows filled by racing callers: four threads call fresh lazy models at once, with
// overlapping tokens, so rows are claimed, filled, and read while being filled (those
// callers compute their own copy). Every answer must have the bits of the fp32 tables.
// Under ThreadSanitizer this checks the fill's publication (lazy_table.h).
TEST(IsolationTest, LazyTableRowsFilledByConcurrentCallersKeepTheirBits) {
  const keras_io::ModelSpec spec = padded_spec("LSTM", true, kLen, 37);
  auto fp32 = build_model(spec, with_policy(MemoryPolicy::kTablesFp32));
  ASSERT_OK(fp32);
  const std::vector<int32_t> ids = padded_rows(8, kLen);
  const auto want = testing::run(**fp32, ids, 8, 1);
  const size_t width = want[0].data.size() / 8;
  for (int round = 0; round < 3; ++round) {
    // Round 2 keeps only a few rows: the rest are computed per use once the cap is reached.
    const int64_t budget = round == 2 ? (*fp32)->info.memory.weights +
                                            (*fp32)->info.trajectory_bytes +
                                            (*fp32)->info.table_rows * 4 + 4 * 37 * 4 * 4 * 2
                                      : 0;
    auto lazy = build_model(spec, with_policy(MemoryPolicy::kTablesLazy, budget));
    ASSERT_OK(lazy);
    std::atomic<int> mismatches{0};
    std::vector<std::thread> callers;
    for (int c = 0; c < 4; ++c) {
      callers.emplace_back([&, c] {
        for (int i = 0; i < 6; ++i) {
          const int64_t r = (c + i) % 8;
          const std::vector<int32_t> row(ids.begin() + r * kLen, ids.begin() + (r + 1) * kLen);
          const auto got = testing::run(**lazy, row, 1, 1 + (i % 2));
          if (std::memcmp(got[0].data.data(), want[0].data.data() + r * width,
                          width * sizeof(float)) != 0) {
            ++mismatches;
          }
        }
        const auto all = testing::run(**lazy, ids, 8, 2);
        if (std::memcmp(all[0].data.data(), want[0].data.data(), all[0].data.size() * 4) != 0) {
          ++mismatches;
        }
      });
    }
    for (std::thread& t : callers) t.join();
    EXPECT_EQ(mismatches.load(), 0) << "round " << round;
    const MemoryUsage used = (*lazy)->memory_in_use();
    EXPECT_GT(used.tables, (*lazy)->info.table_rows * 4) << "rows were kept";
    EXPECT_LE(used.tables, (*lazy)->info.memory.tables) << "never beyond the cap";
  }
}

// The facts and the bytes by part, from the shapes by hand: recurrent_spec's Embedding
// (50 tokens, mask_zero) feeds a Bidirectional LSTM(6): two tables of 50 x (4 x 6) floats,
// no trajectory (masked padding is skipped from the zero state).
// The sanitizers replace malloc, and mallinfo2 then reports nothing: the heap check below
// runs in the plain build only (scripts/test.sh also runs this file under ThreadSanitizer).
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define QUIVER_SANITIZED_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define QUIVER_SANITIZED_MALLOC 1
#endif
#endif
#ifndef QUIVER_SANITIZED_MALLOC
// Bytes malloc has handed out and not taken back (every arena, and mmapped chunks).
int64_t heap_in_use() {
  const struct mallinfo2 mi = mallinfo2();
  return static_cast<int64_t>(mi.uordblks + mi.hblkhd);
}

// The bytes a model reports (ModelInfo::memory, memory_in_use) are the bytes it holds: the
// heap grows by them when a reference-shaped model (Embedding 2000x128 -> BiLSTM(196) ->
// Dense(2), no mask: trajectories) is built and its spec freed, within 2 % and 64 kB of
// bookkeeping, under every policy; fp32 tables also round each of their two buffers up to
// whole 2 MiB huge pages (TableBuffer: address space, resident only where touched unless
// THP is "always"). A build that kept a copy of its kernels (the `v = {}` that kept
// permute_columns' storage: +2 MB, 65 % of the weights) fails here.
TEST(IsolationTest, ReportedMemoryIsWhatTheHeapHolds) {
  for (MemoryPolicy policy : {MemoryPolicy::kTablesFp32, MemoryPolicy::kTablesBf16,
                              MemoryPolicy::kTablesLazy, MemoryPolicy::kNoTables}) {
    const int64_t before = heap_in_use();
    Result<std::unique_ptr<ModelImpl>> m = [&] {
      std::mt19937 rng(3);
      SpecBuilder b(40, 2, "2.8.0");
      b.add("embedding", "Embedding", {{"input_dim", 2000}, {"output_dim", 128}},
            {random_weight(rng, {2000, 128})});
      std::vector<keras_io::WeightArray> bw;
      for (int d = 0; d < 2; ++d) {
        bw.push_back(random_weight(rng, {128, 4 * 196}));
        bw.push_back(random_weight(rng, {196, 4 * 196}));
        bw.push_back(random_weight(rng, {4 * 196}));
      }
      nlohmann::json inner = {{"units", 196}};
      b.add("bidi", "Bidirectional", {{"layer", {{"class_name", "LSTM"}, {"config", inner}}}}, bw);
      b.add("dense", "Dense", {{"units", 2}, {"activation", "softmax"}},
            {random_weight(rng, {392, 2}), random_weight(rng, {2})});
      return build_model(b.spec(), with_policy(policy));
    }();
    ASSERT_OK(m);
    const int64_t held = heap_in_use() - before;
    const int64_t reported = (*m)->memory_in_use().total();
    const int64_t rounding = policy == MemoryPolicy::kTablesFp32 ? 2 * (2 << 20) : 0;
    EXPECT_GT(reported, 3'000'000) << memory_policy_name(policy);
    EXPECT_LE(held, reported + reported / 50 + 65536 + rounding) << memory_policy_name(policy);
    EXPECT_GE(held, reported - reported / 50) << memory_policy_name(policy);
  }
}
#endif  // QUIVER_SANITIZED_MALLOC

TEST(IsolationTest, MemoryByPartFollowsThePolicy) {
  auto fp32 = build_model(recurrent_spec(false), with_policy(MemoryPolicy::kTablesFp32));
  ASSERT_OK(fp32);
  const ModelInfo& info = (*fp32)->info;
  EXPECT_EQ(info.table_fp32_bytes, 2 * 50 * 24 * 4);
  EXPECT_EQ(info.table_rows, 2 * 50);
  EXPECT_EQ(info.trajectory_bytes, 0);
  EXPECT_EQ(info.memory.tables, 2 * 50 * 24 * 4);
  EXPECT_EQ(info.memory_policy, MemoryPolicy::kTablesFp32);
  EXPECT_EQ(info.memory_bytes, info.memory.total());
  // Embedding 50x8, BiLSTM kernels 2 x (8x24 + 6x24 + 24), GRU 12x15 + 5x15 + 2x15, Dense
  // 5x3 + 3 (packed kernels pad their columns to panels of 16).
  EXPECT_GE(info.memory.weights, (50 * 8 + 2 * (8 * 24 + 6 * 24 + 24) + 12 * 15 + 5 * 15 +
                                  2 * 15 + 5 * 3 + 3) * 4);
  auto none = build_model(recurrent_spec(false), with_policy(MemoryPolicy::kNoTables));
  auto bf16 = build_model(recurrent_spec(false), with_policy(MemoryPolicy::kTablesBf16));
  auto lazy = build_model(recurrent_spec(false), with_policy(MemoryPolicy::kTablesLazy));
  ASSERT_OK(none);
  ASSERT_OK(bf16);
  ASSERT_OK(lazy);
  EXPECT_EQ((*none)->info.memory.tables, 0);
  EXPECT_EQ((*none)->info.memory.weights, info.memory.weights);
  EXPECT_EQ((*bf16)->info.memory.tables, 2 * 50 * 24 * 2);
  EXPECT_EQ((*lazy)->info.memory.tables, 2 * 50 * 24 * 4 + 2 * 50 * 4);  // cap + row index
  EXPECT_EQ((*lazy)->memory_in_use().tables, 2 * 50 * 4);  // nothing filled yet
  testing::run(**lazy, std::vector<int32_t>(kLen, 7), 1);  // token 7, both directions
  EXPECT_EQ((*lazy)->memory_in_use().tables, 2 * 50 * 4 + 2 * 24 * 4);
  // The facts do not depend on the policy a load used.
  EXPECT_EQ((*none)->info.table_fp32_bytes, info.table_fp32_bytes);
  EXPECT_EQ((*none)->info.table_rows, info.table_rows);

  // An unmasked LSTM(5) of unknown length: trajectories of kDefaultPadSteps (256) + 1 rows
  // of h and c per direction.
  auto padded = build_model(padded_spec("LSTM", false, nullptr, 5), {});
  ASSERT_OK(padded);
  EXPECT_EQ((*padded)->info.trajectory_bytes, 2 * 2 * 257 * 5 * 4);
  EXPECT_EQ((*padded)->info.memory.trajectories, 2 * 2 * 257 * 5 * 4);
  auto padded_none = build_model(padded_spec("LSTM", false, nullptr, 5),
                                 with_policy(MemoryPolicy::kNoTables));
  ASSERT_OK(padded_none);
  EXPECT_EQ((*padded_none)->info.memory.trajectories, 0);
}

// kAuto: fp32 tables without a budget or when they fit; lazy when the weights, trajectories
// and row index fit; none otherwise. bf16 never. The estimate of the chosen policy is what
// the load then holds.
TEST(IsolationTest, BudgetChoosesTheFastestPolicyThatFits) {
  const keras_io::ModelSpec spec = padded_spec("LSTM", false, kLen, 37);
  auto probe = build_model(spec, with_policy(MemoryPolicy::kNoTables));
  ASSERT_OK(probe);
  const ModelInfo& info = (*probe)->info;
  const int64_t fp32 = estimate_memory(info, MemoryPolicy::kTablesFp32).total();
  EXPECT_EQ(fp32, info.memory.weights + info.table_fp32_bytes + info.trajectory_bytes);
  const int64_t lazy_floor = info.memory.weights + info.trajectory_bytes + info.table_rows * 4;
  struct Case {
    int64_t budget;
    MemoryPolicy want;
  };
  for (const Case& c : {Case{0, MemoryPolicy::kTablesFp32}, Case{fp32, MemoryPolicy::kTablesFp32},
                        Case{fp32 - 1, MemoryPolicy::kTablesLazy},
                        Case{lazy_floor, MemoryPolicy::kTablesLazy},
                        Case{lazy_floor - 1, MemoryPolicy::kNoTables},
                        Case{1, MemoryPolicy::kNoTables}}) {
    SCOPED_TRACE(c.budget);
    EXPECT_EQ(choose_memory_policy(info, MemoryPolicy::kAuto, c.budget), c.want);
    auto m = build_model(spec, with_policy(MemoryPolicy::kAuto, c.budget));
    ASSERT_OK(m);
    EXPECT_EQ((*m)->info.memory_policy, c.want);
    const MemoryUsage est = estimate_memory(info, MemoryPolicy::kAuto, c.budget);
    EXPECT_EQ((*m)->info.memory.trajectories, est.trajectories);
    EXPECT_LE((*m)->info.memory.tables, est.tables);  // lazy: whole rows under the share
    EXPECT_GE((*m)->info.memory.tables, est.tables - 2 * 4 * 37 * 4);
    if (c.budget >= lazy_floor) {
      EXPECT_LE((*m)->info.memory_bytes, c.budget);
    }
  }
  EXPECT_EQ(choose_memory_policy(info, MemoryPolicy::kTablesBf16, 1), MemoryPolicy::kTablesBf16);
  EXPECT_EQ(estimate_memory(info, MemoryPolicy::kTablesBf16).tables, info.table_fp32_bytes / 2);
  EXPECT_EQ(estimate_memory(info, MemoryPolicy::kNoTables).total(), info.memory.weights);
}

TEST(IsolationTest, MemoryPolicyNamesRoundTrip) {
  for (const char* name : {"auto", "fp32", "bf16", "lazy", "none"}) {
    auto p = parse_memory_policy(name);
    ASSERT_OK(p);
    EXPECT_STREQ(memory_policy_name(*p), name);
  }
  EXPECT_STATUS(parse_memory_policy("int8"), kInvalidArgument,
                "memory policy 'int8': expected auto, fp32, bf16, lazy or none");
}

TEST(IsolationTest, IdsOutsideTheVocabularyAreRejectedBeforeRunning) {
  auto m = build_model(conv_spec(), {});
  ASSERT_OK(m);
  std::vector<int32_t> ids(kLen, 1);
  ids[4] = kVocab;
  EXPECT_STATUS((*m)->predict(ids, 1, kLen, {}), kInvalidArgument,
                "token id 50 (row 0) is outside the vocabulary [0, 50)");
  ids[4] = -1;
  EXPECT_STATUS((*m)->predict(ids, 1, kLen, {}), kInvalidArgument, "token id -1");
  EXPECT_STATUS((*m)->predict(ids, 1, kLen - 1, {}), kInvalidArgument, "ids given for batch");
}

}  // namespace
}  // namespace quiver::nn
