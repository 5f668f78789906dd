// Conv1D padding modes, strides, dilation and the theano flip on hand-derived values.
// Embedding row v = [v]; ids [1,2,3,4] feed x = [1,2,3,4]; one filter, bias 0.
#include <gtest/gtest.h>

#include "spec_builder.h"

namespace quiver::nn {
namespace {

using testing::SpecBuilder;
using testing::weight;

std::vector<float> conv(nlohmann::json cfg, std::vector<float> kernel,
                        const std::string& backend = "tensorflow") {
  SpecBuilder b(4);
  testing::add_identity_embedding(b, 5, false);
  cfg["filters"] = 1;
  cfg["kernel_size"] = {static_cast<int64_t>(kernel.size())};
  const int64_t k = static_cast<int64_t>(kernel.size());
  b.add("conv1d_1", "Conv1D", cfg, {weight({k, 1, 1}, std::move(kernel)), weight({1}, {0})});
  keras_io::ModelSpec spec = b.spec();
  spec.backend = backend;
  auto m = build_model(spec, {});
  EXPECT_TRUE(m.ok()) << m.status().to_string();
  if (!m.ok()) return {};
  return testing::run(**m, {1, 2, 3, 4}, 1)[0].data;
}

TEST(Conv1DTest, ValidPadding) {  // out_t = x_t + 10 x_{t+1}
  EXPECT_EQ(conv({{"padding", "valid"}}, {1, 10}), (std::vector<float>{21, 32, 43}));
}

TEST(Conv1DTest, SamePaddingPadsRightForEvenKernel) {  // pad total 1, left 0
  EXPECT_EQ(conv({{"padding", "same"}}, {1, 10}), (std::vector<float>{21, 32, 43, 4}));
}

TEST(Conv1DTest, SamePaddingOddKernelCentres) {  // x_{t-1} + 10 x_t + 100 x_{t+1}
  EXPECT_EQ(conv({{"padding", "same"}}, {1, 10, 100}), (std::vector<float>{210, 321, 432, 43}));
}

TEST(Conv1DTest, CausalPadsLeft) {  // x_{t-1} + 10 x_t
  EXPECT_EQ(conv({{"padding", "causal"}}, {1, 10}), (std::vector<float>{10, 21, 32, 43}));
}

TEST(Conv1DTest, Strides) {
  EXPECT_EQ(conv({{"strides", {2}}}, {1, 10}), (std::vector<float>{21, 43}));
}

TEST(Conv1DTest, DilationRate) {  // x_t + 10 x_{t+2}
  EXPECT_EQ(conv({{"dilation_rate", {2}}}, {1, 10}), (std::vector<float>{31, 42}));
}

TEST(Conv1DTest, TheanoKernelsAreFlipped) {  // stored [1, 10] acts as [10, 1]
  EXPECT_EQ(conv({}, {1, 10}, "theano"), (std::vector<float>{12, 23, 34}));
}

TEST(Conv1DTest, WrongKernelShapeIsNamed) {
  SpecBuilder b(4);
  testing::add_identity_embedding(b, 5, false);
  b.add("conv1d_1", "Conv1D", {{"filters", 2}, {"kernel_size", {3}}},
        {weight({3, 1, 1}, {1, 2, 3}), weight({2}, {0, 0})});
  EXPECT_STATUS(build_model(b.spec(), {}), kCorruption,
                "layer 'conv1d_1' (Conv1D): kernel shape [3,1,1], expected [3,1,2]");
}

}  // namespace
}  // namespace quiver::nn
