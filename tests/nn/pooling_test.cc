// Pooling layers on hand-derived values. Embedding row v = [v]; ids feed x = ids.
#include <gtest/gtest.h>

#include <cmath>

#include "spec_builder.h"

namespace quiver::nn {
namespace {

using testing::SpecBuilder;

std::vector<float> pool(const std::string& cls, nlohmann::json cfg, std::vector<int32_t> ids,
                        bool mask = false) {
  SpecBuilder b(static_cast<int64_t>(ids.size()));
  testing::add_identity_embedding(b, 6, mask);
  b.add("pool_1", cls, cfg);
  return testing::run(*b.build(), ids, 1)[0].data;
}

TEST(Pooling1DTest, MaxPoolingValid) {
  EXPECT_EQ(pool("MaxPooling1D", {{"pool_size", {2}}}, {1, 3, 2, 5}), (std::vector<float>{3, 5}));
  EXPECT_EQ(pool("MaxPooling1D", {{"pool_size", {2}}, {"strides", {1}}}, {1, 3, 2, 5}),
            (std::vector<float>{3, 3, 5}));
}

TEST(Pooling1DTest, AveragePoolingSameCountsOnlyRealPositions) {
  // pool 3, stride 1, same: pad 1 left; windows {0,1}, {0,1,2}, {1,2,3}, {2,3}.
  auto y = pool("AveragePooling1D", {{"pool_size", {3}}, {"strides", {1}}, {"padding", "same"}},
                {1, 3, 2, 5});
  ASSERT_EQ(y.size(), 4u);
  EXPECT_FLOAT_EQ(y[0], 2.0f);
  EXPECT_FLOAT_EQ(y[1], 2.0f);
  EXPECT_FLOAT_EQ(y[2], 10.0f / 3);
  EXPECT_FLOAT_EQ(y[3], 3.5f);
}

TEST(Pooling1DTest, AveragePoolingValidDefaultStride) {
  EXPECT_EQ(pool("AveragePooling1D", {{"pool_size", {2}}}, {1, 3, 2, 5}),
            (std::vector<float>{2, 3.5}));
}

TEST(GlobalPooling1DTest, MaxAndMean) {
  EXPECT_EQ(pool("GlobalMaxPooling1D", nlohmann::json::object(), {1, 3, 2, 5}),
            (std::vector<float>{5}));
  EXPECT_EQ(pool("GlobalAveragePooling1D", nlohmann::json::object(), {1, 3, 2, 5}),
            (std::vector<float>{2.75}));
}

TEST(GlobalPooling1DTest, AverageIsMaskedMeanWithMask) {
  // mask_zero: the pad step is left out: (3 + 2 + 5) / 3.
  auto y = pool("GlobalAveragePooling1D", nlohmann::json::object(), {0, 3, 2, 5}, true);
  EXPECT_FLOAT_EQ(y[0], 10.0f / 3);
  // The max ignores the mask (tf.keras drops it): max(0, 3, 2, 5) is still 5.
  EXPECT_EQ(pool("GlobalMaxPooling1D", nlohmann::json::object(), {0, 3, 2, 5}, true)[0], 5.0f);
}

TEST(GlobalPooling1DTest, FullyMaskedRowIsNaNAsInKeras) {
  auto y = pool("GlobalAveragePooling1D", nlohmann::json::object(), {0, 0, 0, 0}, true);
  EXPECT_TRUE(std::isnan(y[0]));
}

}  // namespace
}  // namespace quiver::nn
