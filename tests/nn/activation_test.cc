// Activations against their Keras formulas; hard_sigmoid by Keras version (KERAS.md §2.4).
#include "nn/activation.h"

#include <gtest/gtest.h>

#include <cmath>

#include "spec_builder.h"

namespace quiver::nn {
namespace {

float apply(const std::string& name, float x, int keras_major = 2) {
  keras_io::LayerSpec spec;
  spec.name = "dense_1";
  spec.class_name = "Dense";
  ModelMeta meta;
  meta.path = "m.h5";
  meta.keras_major = keras_major;
  meta.hard_sigmoid_keras3 = keras_major >= 3;
  LayerContext ctx{spec, meta, {}, {}};
  auto act = parse_activation(ctx, name);
  EXPECT_TRUE(act.ok()) << act.status().to_string();
  apply_elementwise(*act, &x, 1);
  return x;
}

TEST(ActivationTest, HardSigmoidKeras2IsPointTwoXPlusHalf) {
  // clip(0.2x + 0.5, 0, 1): 2.6 -> 1.02 -> 1; -2.6 -> -0.02 -> 0; 3.5 -> 1; 1 -> 0.7.
  EXPECT_EQ(apply("hard_sigmoid", 2.6f), 1.0f);
  EXPECT_EQ(apply("hard_sigmoid", -2.6f), 0.0f);
  EXPECT_EQ(apply("hard_sigmoid", 3.5f), 1.0f);
  EXPECT_NEAR(apply("hard_sigmoid", 1.0f), 0.7f, 1e-7);
}

TEST(ActivationTest, HardSigmoidKeras3IsXOverSixPlusHalf) {
  // clip(x/6 + 0.5, 0, 1): 2.6 -> 0.933333; -2.6 -> 0.066667; 3.5 -> 1.0833 -> 1.
  EXPECT_NEAR(apply("hard_sigmoid", 2.6f, 3), 0.93333333f, 1e-6);
  EXPECT_NEAR(apply("hard_sigmoid", -2.6f, 3), 0.06666667f, 1e-6);
  EXPECT_EQ(apply("hard_sigmoid", 3.5f, 3), 1.0f);
}

TEST(ActivationTest, ElementwiseFormulas) {
  EXPECT_EQ(apply("relu", -1.5f), 0.0f);
  EXPECT_EQ(apply("relu6", 7.0f), 6.0f);
  EXPECT_NEAR(apply("leaky_relu", -2.0f), -0.4f, 1e-7);  // default slope 0.2
  EXPECT_NEAR(apply("elu", -1.0f), std::exp(-1.0) - 1, 1e-7);
  EXPECT_NEAR(apply("selu", -1.0f), 1.0507009873554805 * 1.6732632423543772 * (std::exp(-1.0) - 1),
              1e-6);
  EXPECT_NEAR(apply("selu", 2.0f), 2 * 1.0507009873554805, 1e-6);
  EXPECT_NEAR(apply("tanh", 0.5f), std::tanh(0.5), 1e-7);
  EXPECT_NEAR(apply("sigmoid", 0.5f), 1 / (1 + std::exp(-0.5)), 1e-7);
  EXPECT_NEAR(apply("softsign", 3.0f), 0.75f, 1e-7);
  EXPECT_NEAR(apply("softplus", 1.0f), std::log(1 + std::exp(1.0)), 1e-6);
  EXPECT_NEAR(apply("softplus", 100.0f), 100.0f, 1e-4);
  EXPECT_NEAR(apply("exponential", 1.0f), std::exp(1.0), 1e-6);
  EXPECT_NEAR(apply("swish", 1.0f), 1 / (1 + std::exp(-1.0)), 1e-7);
  EXPECT_NEAR(apply("silu", 1.0f), 1 / (1 + std::exp(-1.0)), 1e-7);
  EXPECT_NEAR(apply("gelu", 1.0f), 0.5 * (1 + std::erf(1 / std::sqrt(2.0))), 1e-6);
  EXPECT_EQ(apply("linear", -3.0f), -3.0f);
}

TEST(ActivationTest, GeluApproximateAndLeakySlopeFromObjects) {
  keras_io::LayerSpec spec{"a", "Activation", {}, {}, {}};
  ModelMeta meta;
  LayerContext ctx{spec, meta, {}, {}};
  auto gelu = parse_activation(ctx, {{"class_name", "gelu"}, {"config", {{"approximate", true}}}});
  ASSERT_OK(gelu);
  float x = 1.0f;
  apply_elementwise(*gelu, &x, 1);
  const double t = std::tanh(std::sqrt(2 / M_PI) * (1 + 0.044715));
  EXPECT_NEAR(x, 0.5 * (1 + t), 1e-6);
  auto leaky =
      parse_activation(ctx, {{"class_name", "LeakyReLU"}, {"config", {{"negative_slope", 0.1}}}});
  ASSERT_OK(leaky);
  x = -2.0f;
  apply_elementwise(*leaky, &x, 1);
  EXPECT_NEAR(x, -0.2f, 1e-7);
}

TEST(ActivationTest, SoftmaxNormalisesEachRow) {
  keras_io::LayerSpec spec{"a", "Activation", {}, {}, {}};
  ModelMeta meta;
  LayerContext ctx{spec, meta, {}, {}};
  auto sm = parse_activation(ctx, "softmax");
  ASSERT_OK(sm);
  float x[4] = {0, std::log(3.0f), 1, 1};
  apply_activation(*sm, x, 2, 2);
  EXPECT_NEAR(x[0], 0.25f, 1e-7);
  EXPECT_NEAR(x[1], 0.75f, 1e-7);
  EXPECT_NEAR(x[2], 0.5f, 1e-7);
}

TEST(ActivationTest, UnknownNameIsUnimplementedWithList) {
  keras_io::LayerSpec spec{"dense_1", "Dense", {}, {}, {}};
  ModelMeta meta;
  meta.path = "m.h5";
  LayerContext ctx{spec, meta, {}, {}};
  EXPECT_STATUS(
      parse_activation(ctx, "mish"), kUnimplemented,
      "m.h5: layer 'dense_1' (Dense): activation 'mish' is not supported (supported: linear");
}

}  // namespace
}  // namespace quiver::nn
