// Bidirectional merge modes, sequence order and masked-output zeroing by Keras flavour
// (KERAS.md §2.5, §2.6), on the hand-derived LSTM of lstm_test.cc (kernel [1,0,1,1],
// recurrent .5, bias 0, linear / hard_sigmoid, Keras 2 formula):
//   forward over x = 1, 2:  h = .49, then 2.386549945
//   backward over x = 2, 1: step 1 z = [2,0,2,2]: i = .9, f = .5, g = 2, o = .9; c = 1.8,
//     h = 1.62; step 2 (x=1, h=1.62) z = [1.81,.81,1.81,1.81]: i = .862, f = .662, o = .862,
//     c = .662*1.8 + .862*1.81 = 2.75182, h = .862*2.75182 = 2.37206884
#include <gtest/gtest.h>

#include "spec_builder.h"

namespace quiver::nn {
namespace {

using testing::SpecBuilder;
using testing::weight;

constexpr float kF1 = 0.49f, kF2 = 2.386549945f, kB1 = 1.62f, kB2 = 2.37206884f;

std::vector<keras_io::WeightArray> lstm_weights() {
  return {weight({1, 4}, {1, 0, 1, 1}), weight({1, 4}, {.5, .5, .5, .5}),
          weight({4}, {0, 0, 0, 0})};
}

std::unique_ptr<ModelImpl> bidi(int len, nlohmann::json merge, bool seq, bool mask,
                                const std::string& version = "2.2.4",
                                std::vector<keras_io::InboundRef> outputs = {}) {
  SpecBuilder b(len, version[0] - '0', version);
  testing::add_identity_embedding(b, 3, mask);
  auto w = lstm_weights();
  auto w2 = lstm_weights();
  w.insert(w.end(), w2.begin(), w2.end());
  nlohmann::json inner = {{"units", 1},
                          {"activation", "linear"},
                          {"recurrent_activation", "hard_sigmoid"},
                          {"return_sequences", seq}};
  nlohmann::json cfg = {{"layer", {{"class_name", "LSTM"}, {"config", inner}}},
                        {"merge_mode", merge}};
  b.add("bidirectional_1", "Bidirectional", cfg, w);
  return b.build(outputs, LoadOptions{"", HardSigmoidMode::kKeras2});
}

TEST(BidirectionalTest, ConcatJoinsForwardThenBackward) {
  auto out = testing::run(*bidi(2, "concat", false, false), {1, 2}, 1);
  ASSERT_EQ(out[0].shape, (std::vector<int64_t>{1, 2}));
  EXPECT_NEAR(out[0].data[0], kF2, 1e-6);
  EXPECT_NEAR(out[0].data[1], kB2, 1e-6);
}

TEST(BidirectionalTest, SumMulAveMergeModes) {
  EXPECT_NEAR(testing::run(*bidi(2, "sum", false, false), {1, 2}, 1)[0].data[0], kF2 + kB2, 1e-5);
  EXPECT_NEAR(testing::run(*bidi(2, "mul", false, false), {1, 2}, 1)[0].data[0], kF2 * kB2, 1e-5);
  EXPECT_NEAR(testing::run(*bidi(2, "ave", false, false), {1, 2}, 1)[0].data[0], (kF2 + kB2) / 2,
              1e-6);
}

TEST(BidirectionalTest, MergeNoneGivesTwoOutputs) {
  auto m = bidi(2, nullptr, false, false, "2.2.4",
                {{"bidirectional_1", 0, 0}, {"bidirectional_1", 0, 1}});
  auto out = testing::run(*m, {1, 2}, 1);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NEAR(out[0].data[0], kF2, 1e-6);
  EXPECT_NEAR(out[1].data[0], kB2, 1e-6);
}

TEST(BidirectionalTest, BackwardSequenceIsFlippedToTimeOrder) {
  // Backward outputs in processing order are [1.62 (t=1), 2.372 (t=0)]; flipped back.
  auto out = testing::run(*bidi(2, "concat", true, false), {1, 2}, 1);
  ASSERT_EQ(out[0].shape, (std::vector<int64_t>{1, 2, 2}));
  EXPECT_NEAR(out[0].data[0], kF1, 1e-6);
  EXPECT_NEAR(out[0].data[1], kB2, 1e-6);
  EXPECT_NEAR(out[0].data[2], kF2, 1e-6);
  EXPECT_NEAR(out[0].data[3], kB1, 1e-6);
}

TEST(BidirectionalTest, StandaloneKerasCarriesMaskedOutputs) {
  // [1, 2, 0] post-padded: the forward half at t=2 repeats its state in standalone Keras.
  auto out = testing::run(*bidi(3, "concat", true, true, "2.2.4"), {1, 2, 0}, 1);
  EXPECT_NEAR(out[0].data[4], kF2, 1e-6);  // t=2 forward
  EXPECT_EQ(out[0].data[5], 0.0f);         // t=2 backward: processed first, masked -> zeros
  EXPECT_NEAR(out[0].data[3], kB1, 1e-6);  // t=1 backward
}

TEST(BidirectionalTest, TfKerasZeroesMaskedOutputs) {
  auto out = testing::run(*bidi(3, "concat", true, true, "2.2.4-tf"), {1, 2, 0}, 1);
  EXPECT_EQ(out[0].data[4], 0.0f);
  EXPECT_NEAR(out[0].data[2], kF2, 1e-6);  // t=1 forward
  auto k3 = testing::run(*bidi(3, "concat", true, true, "3.8.0"), {1, 2, 0}, 1);
  EXPECT_EQ(k3[0].data[4], 0.0f);
}

TEST(BidirectionalTest, WrongBackwardKernelShapeIsNamed) {
  SpecBuilder b(2);
  testing::add_identity_embedding(b, 3, false);
  auto w = lstm_weights();
  w.push_back(weight({1, 8}, std::vector<float>(8)));
  w.push_back(weight({1, 4}, {0, 0, 0, 0}));
  w.push_back(weight({4}, {0, 0, 0, 0}));
  b.add("bidirectional_1", "Bidirectional",
        {{"layer", {{"class_name", "LSTM"}, {"config", {{"units", 1}}}}}}, w);
  EXPECT_STATUS(build_model(b.spec(), {}), kCorruption,
                "test.h5: layer 'bidirectional_1' (Bidirectional): backward kernel shape [1,8], "
                "expected [1,4]");
}

}  // namespace
}  // namespace quiver::nn
