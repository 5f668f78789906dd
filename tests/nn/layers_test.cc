// Dense, TimeDistributed, normalisation, reshaping layers and mask passing, on hand-derived
// values. Embedding(4, 2) rows: [0,0], [1,2], [3,4], [5,6].
#include <gtest/gtest.h>

#include "spec_builder.h"

namespace quiver::nn {
namespace {

using testing::SpecBuilder;
using testing::weight;

SpecBuilder two_dim_embedding(int len, bool mask = false) {
  SpecBuilder b(len);
  b.add("embedding_1", "Embedding", {{"input_dim", 4}, {"output_dim", 2}, {"mask_zero", mask}},
        {weight({4, 2}, {0, 0, 1, 2, 3, 4, 5, 6})});
  return b;
}

std::vector<float> run_last(SpecBuilder& b, std::vector<int32_t> ids) {
  auto m = b.build();
  return m ? testing::run(*m, ids, 1)[0].data : std::vector<float>{};
}

TEST(DenseTest, AppliesPerTimeStepOn3DInput) {
  // kernel [1, 10], bias .5: [1,2] -> 21.5, [3,4] -> 43.5.
  auto b = two_dim_embedding(2);
  b.add("dense_1", "Dense", {{"units", 1}, {"activation", "linear"}},
        {weight({2, 1}, {1, 10}), weight({1}, {.5})});
  EXPECT_EQ(run_last(b, {1, 2}), (std::vector<float>{21.5, 43.5}));
}

TEST(DenseTest, Keras1OutputDimIsTheWidth) {
  auto b = two_dim_embedding(1);
  b.add("dense_1", "Dense", {{"output_dim", 1}, {"activation", "linear"}},
        {weight({2, 1}, {1, 10}), weight({1}, {.5})});
  EXPECT_EQ(run_last(b, {1}), (std::vector<float>{21.5}));
}

TEST(TimeDistributedTest, WrapsDense) {
  auto b = two_dim_embedding(2);
  b.add("td_1", "TimeDistributed",
        {{"layer", {{"class_name", "Dense"}, {"config", {{"units", 1}, {"activation", "relu"}}}}}},
        {weight({2, 1}, {1, -10}), weight({1}, {.5})});
  // [1,2] -> 1 - 20 + .5 = -18.5 -> relu 0; [3,4] -> 3 - 40 + .5 -> 0; [5,6] -> 5-60+.5 -> 0
  // [0,0] -> .5
  EXPECT_EQ(run_last(b, {0, 1}), (std::vector<float>{.5, 0}));
}

TEST(BatchNormalizationTest, UsesMovingStatistics) {
  // gamma [2,1], beta [0,1], mean [1,2], variance [3,0], epsilon 1:
  // y = gamma (x - mean) / sqrt(var + 1) + beta: [1,2] -> [0,1]; [3,4] -> [2,3].
  auto b = two_dim_embedding(2);
  b.add("bn_1", "BatchNormalization", {{"axis", -1}, {"epsilon", 1.0}},
        {weight({2}, {2, 1}), weight({2}, {0, 1}), weight({2}, {1, 2}), weight({2}, {3, 0})});
  EXPECT_EQ(run_last(b, {1, 2}), (std::vector<float>{0, 1, 2, 3}));
}

TEST(LayerNormalizationTest, NormalisesLastAxis) {
  // [1,2]: mean 1.5, variance .25 -> [-1, 1]; gamma [1, 2], beta [0, 1] -> [-1, 3].
  auto b = two_dim_embedding(1);
  b.add("ln_1", "LayerNormalization", {{"axis", {2}}, {"epsilon", 0.0}},
        {weight({2}, {1, 2}), weight({2}, {0, 1})});
  EXPECT_EQ(run_last(b, {1}), (std::vector<float>{-1, 3}));
}

TEST(ReshapeLayersTest, FlattenReshapePermute) {
  auto f = two_dim_embedding(2);
  f.add("flatten_1", "Flatten", nlohmann::json::object());
  EXPECT_EQ(run_last(f, {1, 2}), (std::vector<float>{1, 2, 3, 4}));
  auto r = two_dim_embedding(2);
  r.add("reshape_1", "Reshape", {{"target_shape", {-1, 1}}});
  auto m = r.build();
  EXPECT_EQ(testing::run(*m, {1, 2}, 1)[0].shape, (std::vector<int64_t>{1, 4, 1}));
  auto p = two_dim_embedding(2);
  p.add("permute_1", "Permute", {{"dims", {2, 1}}});
  EXPECT_EQ(run_last(p, {1, 2}), (std::vector<float>{1, 3, 2, 4}));
}

TEST(RepeatVectorTest, RepeatsRows) {
  auto b = two_dim_embedding(2);
  b.add("gmp_1", "GlobalMaxPooling1D", nlohmann::json::object());
  b.add("repeat_1", "RepeatVector", {{"n", 2}});
  EXPECT_EQ(run_last(b, {1, 2}), (std::vector<float>{3, 4, 3, 4}));
}

TEST(MaskPassingTest, DropoutAndDensePassTheMaskToAnRnn) {
  // Embedding(mask) -> SpatialDropout1D -> Dense(1, linear, kernel [1, 0]) -> SimpleRNN(1,
  // linear, W=1, U=1, b=0): the masked middle step is skipped, so h = 1 + 3 = 4 (not 4 + 0).
  auto b = two_dim_embedding(3, true);
  b.add("sd_1", "SpatialDropout1D", {{"rate", 0.5}});
  b.add("dense_1", "Dense", {{"units", 1}}, {weight({2, 1}, {1, 0}), weight({1}, {0})});
  b.add("rnn_1", "SimpleRNN", {{"units", 1}, {"activation", "linear"}, {"return_sequences", true}},
        {weight({1, 1}, {1}), weight({1, 1}, {1}), weight({1}, {0})});
  // Steps: x = 1 -> h = 1; masked -> output carried 1; x = 3 -> h = 3 + 1 = 4.
  EXPECT_EQ(run_last(b, {1, 0, 2}), (std::vector<float>{1, 1, 4}));
}

TEST(MaskPassingTest, ConvDropsTheMask) {
  // Conv1D(kernel 1, weight 1 on feature 0) -> SimpleRNN(W=1, U=2): no mask arrives, so
  // the pad step (x = 0) runs: h = 1, then 0 + 2*1 = 2, then 3 + 2*2 = 7 (a masked run would
  // give 1, 1, 5).
  auto b = two_dim_embedding(3, true);
  b.add("conv_1", "Conv1D", {{"filters", 1}, {"kernel_size", {1}}},
        {weight({1, 2, 1}, {1, 0}), weight({1}, {0})});
  b.add("rnn_1", "SimpleRNN", {{"units", 1}, {"activation", "linear"}, {"return_sequences", true}},
        {weight({1, 1}, {1}), weight({1, 1}, {2}), weight({1}, {0})});
  EXPECT_EQ(run_last(b, {1, 0, 2}), (std::vector<float>{1, 2, 7}));
}

TEST(MaskingTest, MasksStepsEqualToMaskValueAndZeroesThem) {
  // Masking(mask_value=0) on rows [1,2], [0,0], [3,4]: the [0,0] step is masked.
  // SimpleRNN(W=[1,1], U=2, linear): x·W = 3, -, 7 -> h = 3, carried 3, 7 + 2*3 = 13
  // (unmasked it would be 3, 6, 7 + 12 = 19).
  auto b = two_dim_embedding(3);
  b.add("masking_1", "Masking", {{"mask_value", 0.0}});
  b.add("rnn_1", "SimpleRNN", {{"units", 1}, {"activation", "linear"}, {"return_sequences", true}},
        {weight({2, 1}, {1, 1}), weight({1, 1}, {2}), weight({1}, {0})});
  EXPECT_EQ(run_last(b, {1, 0, 2}), (std::vector<float>{3, 3, 13}));
}

TEST(LayerRegistryTest, UnsupportedClassNamesFileLayerAndList) {
  auto b = two_dim_embedding(2);
  b.add("zero_padding1d_1", "ZeroPadding1D", {{"padding", 1}});
  EXPECT_STATUS(build_model(b.spec(), {}), kUnimplemented,
                "test.h5: layer 'zero_padding1d_1' (ZeroPadding1D): layer class 'ZeroPadding1D' "
                "is not supported (supported: Activation, ActivityRegularization, Add,");
  EXPECT_STATUS(build_model(b.spec(), {}), kUnimplemented, "quiver::register_layer");
}

TEST(LayerRegistryTest, LambdaIsRefusedAsPythonCodeNamingItsFunction) {
  auto b = two_dim_embedding(2);
  b.add("lambda_1", "Lambda", {{"function", "squeeze_last"}, {"function_type", "raw"}});
  EXPECT_STATUS(build_model(b.spec(), {}), kUnimplemented,
                "test.h5: layer 'lambda_1' (Lambda): a Lambda layer runs Python code (function "
                "'squeeze_last', stored as its name or marshalled bytecode), which quiver cannot "
                "run");
  auto k3 = two_dim_embedding(2);
  k3.add("lambda", "Lambda",
         {{"function", {{"class_name", "__lambda__"}, {"config", {{"code", "4wEAAA"}}}}}});
  EXPECT_STATUS(build_model(k3.spec(), {}), kUnimplemented, "Python code (a lambda,");
}

TEST(LayerRegistryTest, KerasPreprocessingLayersOtherThanTextVectorizationAreNamed) {
  auto b = two_dim_embedding(2);
  b.add("string_lookup", "StringLookup", {{"vocabulary", {"a", "b"}}});
  EXPECT_STATUS(build_model(b.spec(), {}), kUnimplemented,
                "test.h5: layer 'string_lookup' (StringLookup): the Keras preprocessing layer "
                "'StringLookup' is not supported (supported: ");
  EXPECT_STATUS(build_model(b.spec(), {}), kUnimplemented,
                "of the preprocessing layers quiver runs TextVectorization");
}

}  // namespace
}  // namespace quiver::nn
