// LSTM on hand-derived 1-unit cases (KERAS.md §2.1, §2.5, §2.6).
//
// Model: Embedding row v = [v] (token id v feeds x = v), LSTM(1) with activation linear and
// recurrent_activation hard_sigmoid (Keras 2: hs(z) = clip(0.2z + 0.5, 0, 1)), so every value
// is exact arithmetic. kernel W = [1, 0, 1, 1] (i, f, c, o), recurrent U = [.5, .5, .5, .5],
// bias 0. By hand, for x = 1 then x = 2:
//   step 1 (h=0, c=0): z = [1, 0, 1, 1]; i = .7, f = .5, g = 1, o = .7
//                      c = .5*0 + .7*1 = .7;  h = .7*.7 = .49
//   step 2 (h=.49):    z = 2*W + .49*U = [2.245, .245, 2.245, 2.245]
//                      i = .949, f = .549, g = 2.245, o = .949
//                      c = .549*.7 + .949*2.245 = 2.514805;  h = .949*2.514805 = 2.386549945
#include <gtest/gtest.h>

#include "spec_builder.h"

namespace quiver::nn {
namespace {

using testing::SpecBuilder;
using testing::weight;

constexpr float kH1 = 0.49f;
constexpr float kH2 = 2.386549945f;

std::unique_ptr<ModelImpl> lstm_model(int len, bool mask_zero,
                                      nlohmann::json extra = nlohmann::json::object()) {
  SpecBuilder b(len);
  testing::add_identity_embedding(b, 3, mask_zero);
  nlohmann::json cfg = {
      {"units", 1}, {"activation", "linear"}, {"recurrent_activation", "hard_sigmoid"}};
  cfg.update(extra);
  b.add(
      "lstm_1", "LSTM", cfg,
      {weight({1, 4}, {1, 0, 1, 1}), weight({1, 4}, {.5, .5, .5, .5}), weight({4}, {0, 0, 0, 0})});
  return b.build();
}

TEST(LstmTest, TwoStepsMatchHandDerivation) {
  auto m = lstm_model(2, false);
  auto out = testing::run(*m, {1, 2}, 1);
  ASSERT_EQ(out[0].shape, (std::vector<int64_t>{1, 1}));
  EXPECT_NEAR(out[0].data[0], kH2, 1e-6);
}

TEST(LstmTest, ReturnSequencesGivesEveryStep) {
  auto m = lstm_model(2, false, {{"return_sequences", true}});
  auto out = testing::run(*m, {1, 2}, 1);
  ASSERT_EQ(out[0].shape, (std::vector<int64_t>{1, 2, 1}));
  EXPECT_NEAR(out[0].data[0], kH1, 1e-6);
  EXPECT_NEAR(out[0].data[1], kH2, 1e-6);
}

TEST(LstmTest, MaskedStepsCarryStateAndRepeatOutput) {
  // [1, 0, 2] with mask_zero: the pad step keeps h and c, and outputs the carried h.
  auto m = lstm_model(3, true, {{"return_sequences", true}});
  auto out = testing::run(*m, {1, 0, 2}, 1);
  EXPECT_NEAR(out[0].data[0], kH1, 1e-6);
  EXPECT_NEAR(out[0].data[1], kH1, 1e-6);
  EXPECT_NEAR(out[0].data[2], kH2, 1e-6);
}

TEST(LstmTest, PrePaddedMaskedStepsOutputZerosFirst) {
  auto m = lstm_model(4, true, {{"return_sequences", true}});
  auto out = testing::run(*m, {0, 0, 1, 2}, 1);
  EXPECT_EQ(out[0].data[0], 0.0f);
  EXPECT_EQ(out[0].data[1], 0.0f);
  EXPECT_NEAR(out[0].data[2], kH1, 1e-6);
  EXPECT_NEAR(out[0].data[3], kH2, 1e-6);
}

TEST(LstmTest, WithoutMaskPadTokensAreProcessed) {
  // Id 0 embeds to x = 0; after x = 1 that step still changes c (f*c + i*g with f = .549,
  // g = .245), so the result differs from the masked [1, 2] result.
  auto m = lstm_model(3, false);
  auto out = testing::run(*m, {1, 0, 2}, 1);
  EXPECT_GT(std::abs(out[0].data[0] - kH2), 1e-3);
}

TEST(LstmTest, GoBackwardsReturnsSequenceInProcessingOrder) {
  // Input [2, 1] read backwards is x = 1 then x = 2; outputs stay in that (reversed) order.
  auto m = lstm_model(2, false, {{"return_sequences", true}, {"go_backwards", true}});
  auto out = testing::run(*m, {2, 1}, 1);
  EXPECT_NEAR(out[0].data[0], kH1, 1e-6);
  EXPECT_NEAR(out[0].data[1], kH2, 1e-6);
}

TEST(LstmTest, ReturnStateGivesOutputHiddenAndCell) {
  // Outputs of lstm_1: 0 = output, 1 = h, 2 = c.
  auto spec_outputs =
      std::vector<keras_io::InboundRef>{{"lstm_1", 0, 0}, {"lstm_1", 0, 1}, {"lstm_1", 0, 2}};
  SpecBuilder b(2);
  testing::add_identity_embedding(b, 3, false);
  b.add(
      "lstm_1", "LSTM",
      {{"units", 1},
       {"activation", "linear"},
       {"recurrent_activation", "hard_sigmoid"},
       {"return_state", true}},
      {weight({1, 4}, {1, 0, 1, 1}), weight({1, 4}, {.5, .5, .5, .5}), weight({4}, {0, 0, 0, 0})});
  auto m3 = b.build(spec_outputs);
  auto out = testing::run(*m3, {1, 2}, 1);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_NEAR(out[0].data[0], kH2, 1e-6);
  EXPECT_NEAR(out[1].data[0], kH2, 1e-6);
  EXPECT_NEAR(out[2].data[0], 2.514805f, 1e-6);
}

TEST(LstmTest, Keras1TwelveArraysAreReorderedFromICFO) {
  // Keras 1 stores (W,U,b) per gate in order i, c, f, o; same numbers as above.
  SpecBuilder b(2, 1, "1.2.2");
  testing::add_identity_embedding(b, 3, false);
  std::vector<keras_io::WeightArray> w;
  const float kw[4] = {1, 1, 0, 1};  // i, c, f, o
  for (int g = 0; g < 4; ++g) {
    w.push_back(weight({1, 1}, {kw[g]}));
    w.push_back(weight({1, 1}, {.5}));
    w.push_back(weight({1}, {0}));
  }
  b.add("lstm_1", "LSTM",
        {{"output_dim", 1}, {"activation", "linear"}, {"inner_activation", "hard_sigmoid"}}, w);
  auto m = b.build();
  auto out = testing::run(*m, {1, 2}, 1);
  EXPECT_NEAR(out[0].data[0], kH2, 1e-6);
}

TEST(LstmTest, TanhSigmoidMatchesTheEquations) {
  // Default activations; expected from the LSTM equations evaluated here in double.
  SpecBuilder b(2, 2, "2.3.1");
  testing::add_identity_embedding(b, 3, false);
  b.add("lstm_1", "LSTM",
        {{"units", 1}, {"activation", "tanh"}, {"recurrent_activation", "sigmoid"}},
        {weight({1, 4}, {.3, -.2, .5, .1}), weight({1, 4}, {.4, .6, -.3, .2}),
         weight({4}, {.1, 1, -.1, 0})});
  auto m = b.build();
  double h = 0, c = 0;
  const double W[4] = {.3, -.2, .5, .1}, U[4] = {.4, .6, -.3, .2}, B[4] = {.1, 1, -.1, 0};
  auto sg = [](double z) { return 1 / (1 + std::exp(-z)); };
  for (double x : {1.0, 2.0}) {
    double z[4];
    for (int g = 0; g < 4; ++g) z[g] = x * W[g] + h * U[g] + B[g];
    c = sg(z[1]) * c + sg(z[0]) * std::tanh(z[2]);
    h = sg(z[3]) * std::tanh(c);
  }
  auto out = testing::run(*m, {1, 2}, 1);
  EXPECT_NEAR(out[0].data[0], h, 1e-6);
}

TEST(LstmTest, WrongKernelShapeNamesLayerAndShapes) {
  SpecBuilder b(2);
  testing::add_identity_embedding(b, 3, false);
  b.add("lstm_1", "LSTM", {{"units", 2}},
        {weight({1, 4}, {1, 0, 1, 1}), weight({2, 8}, std::vector<float>(16)),
         weight({8}, std::vector<float>(8))});
  EXPECT_STATUS(build_model(b.spec(), {}), kCorruption,
                "test.h5: layer 'lstm_1' (LSTM): kernel shape [1,4], expected [1,8]");
}

TEST(LstmTest, StatefulIsUnimplemented) {
  SpecBuilder b(2);
  testing::add_identity_embedding(b, 3, false);
  b.add(
      "lstm_1", "LSTM", {{"units", 1}, {"stateful", true}},
      {weight({1, 4}, {1, 0, 1, 1}), weight({1, 4}, {.5, .5, .5, .5}), weight({4}, {0, 0, 0, 0})});
  EXPECT_STATUS(build_model(b.spec(), {}), kUnimplemented,
                "layer 'lstm_1' (LSTM): option stateful");
}

}  // namespace
}  // namespace quiver::nn
