// GRU on hand-derived 1-unit cases, both reset_after modes (KERAS.md §2.2), and SimpleRNN.
// Embedding row v = [v]; activation linear, recurrent_activation hard_sigmoid (Keras 2:
// hs(z) = 0.2z + 0.5 clipped), kernel W = [1, 1, 1] (z, r, h), recurrent U = [.5, .5, .5].
#include <gtest/gtest.h>

#include "spec_builder.h"

namespace quiver::nn {
namespace {

using testing::SpecBuilder;
using testing::weight;

std::unique_ptr<ModelImpl> gru_model(bool reset_after, keras_io::WeightArray bias,
                                     const std::string& cls = "GRU") {
  SpecBuilder b(2);
  testing::add_identity_embedding(b, 3, false);
  b.add("gru_1", cls,
        {{"units", 1},
         {"activation", "linear"},
         {"recurrent_activation", "hard_sigmoid"},
         {"reset_after", reset_after}},
        {weight({1, 3}, {1, 1, 1}), weight({1, 3}, {.5, .5, .5}), std::move(bias)});
  return b.build();
}

TEST(GruTest, ResetBeforeMatchesHandDerivation) {
  // bias 0. step 1 (h=0, x=1): z = r = hs(1) = .7; hh = 1 + (r*h)*.5 = 1; h = .3*1 = .3
  // step 2 (x=2): z = r = hs(2 + .15) = .93; hh = 2 + (.93*.3)*.5 = 2.1395
  //               h = .93*.3 + .07*2.1395 = .428765
  auto m = gru_model(false, weight({3}, {0, 0, 0}));
  auto out = testing::run(*m, {1, 2}, 1);
  EXPECT_NEAR(out[0].data[0], 0.428765f, 1e-6);
}

TEST(GruTest, ResetAfterMatchesHandDerivation) {
  // bias [2,3]: input row 0, recurrent row [0, 0, .1].
  // step 1 (h=0, x=1): rec = h*U + b1 = [0, 0, .1]; z = r = hs(1) = .7
  //                    hh = 1 + r*.1 = 1.07; h = .3*1.07 = .321
  // step 2 (x=2): rec = [.1605, .1605, .2605]; z = r = hs(2.1605) = .9321
  //               hh = 2 + .9321*.2605 = 2.24281205
  //               h = .9321*.321 + .0679*2.24281205 = .451491038
  auto m = gru_model(true, weight({2, 3}, {0, 0, 0, 0, 0, .1f}));
  auto out = testing::run(*m, {1, 2}, 1);
  EXPECT_NEAR(out[0].data[0], 0.451491038f, 1e-6);
}

TEST(GruTest, ResetAfterNeedsTwoRowBias) {
  SpecBuilder b(2);
  testing::add_identity_embedding(b, 3, false);
  b.add("gru_1", "GRU", {{"units", 1}, {"reset_after", true}},
        {weight({1, 3}, {1, 1, 1}), weight({1, 3}, {.5, .5, .5}), weight({3}, {0, 0, 0})});
  EXPECT_STATUS(build_model(b.spec(), {}), kCorruption, "bias shape [3], expected [2,3]");
}

TEST(GruTest, CuDNNGruIsResetAfterWithSigmoidTanh) {
  // CuDNNGRU bias [6u] = input (z,r,h) then recurrent (z,r,h); with u = d = 1 the kernel
  // conversion is the identity. Expected from the GRU(reset_after) equations in double.
  auto m = gru_model(true, weight({6}, {.1, -.2, .3, 0, .2, -.1}), "CuDNNGRU");
  const double b0[3] = {.1, -.2, .3}, b1[3] = {0, .2, -.1};
  auto sg = [](double z) { return 1 / (1 + std::exp(-z)); };
  double h = 0;
  for (double x : {1.0, 2.0}) {
    double z = sg(x + b0[0] + .5 * h + b1[0]), r = sg(x + b0[1] + .5 * h + b1[1]);
    double hh = std::tanh(x + b0[2] + r * (.5 * h + b1[2]));
    h = z * h + (1 - z) * hh;
  }
  auto out = testing::run(*m, {1, 2}, 1);
  EXPECT_NEAR(out[0].data[0], h, 1e-6);
}

TEST(SimpleRnnTest, MatchesHandDerivation) {
  // W = 1, U = .5, b = .1, linear: h1 = 1 + .1 = 1.1; h2 = 2 + .1 + .5*1.1 = 2.65.
  SpecBuilder b(2);
  testing::add_identity_embedding(b, 3, false);
  b.add("simple_rnn_1", "SimpleRNN",
        {{"units", 1}, {"activation", "linear"}, {"return_sequences", true}},
        {weight({1, 1}, {1}), weight({1, 1}, {.5}), weight({1}, {.1f})});
  auto out = testing::run(*b.build(), {1, 2}, 1);
  EXPECT_NEAR(out[0].data[0], 1.1f, 1e-6);
  EXPECT_NEAR(out[0].data[1], 2.65f, 1e-6);
}

}  // namespace
}  // namespace quiver::nn
