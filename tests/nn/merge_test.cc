// Merge layers in a functional graph: Embedding(4,2) -> Dense A (picks feature 0) and
// Dense B (picks feature 1) -> merge. Id 1 embeds to [1, 2], so A = 1 and B = 2.
#include <gtest/gtest.h>

#include "spec_builder.h"

namespace quiver::nn {
namespace {

using testing::SpecBuilder;
using testing::weight;

std::vector<float> merged(const std::string& cls, nlohmann::json cfg = nlohmann::json::object()) {
  SpecBuilder b(1);
  b.add("embedding_1", "Embedding", {{"input_dim", 4}, {"output_dim", 2}},
        {weight({4, 2}, {0, 0, 1, 2, 3, 4, 5, 6})});
  b.add("flatten_1", "Flatten", nlohmann::json::object());
  b.add("a", "Dense", {{"units", 1}}, {weight({2, 1}, {1, 0}), weight({1}, {0})},
        {{"flatten_1", 0, 0}});
  b.add("b", "Dense", {{"units", 1}}, {weight({2, 1}, {0, 1}), weight({1}, {0})},
        {{"flatten_1", 0, 0}});
  b.add("merge_1", cls, cfg, {}, {{"a", 0, 0}, {"b", 0, 0}});
  auto m = b.build();
  return m ? testing::run(*m, {1}, 1)[0].data : std::vector<float>{};
}

TEST(MergeTest, AllOps) {
  EXPECT_EQ(merged("Concatenate", {{"axis", -1}}), (std::vector<float>{1, 2}));
  EXPECT_EQ(merged("Add"), (std::vector<float>{3}));
  EXPECT_EQ(merged("Subtract"), (std::vector<float>{-1}));
  EXPECT_EQ(merged("Multiply"), (std::vector<float>{2}));
  EXPECT_EQ(merged("Average"), (std::vector<float>{1.5}));
  EXPECT_EQ(merged("Maximum"), (std::vector<float>{2}));
  EXPECT_EQ(merged("Minimum"), (std::vector<float>{1}));
}

TEST(MergeTest, DifferentShapesAreUnimplemented) {
  SpecBuilder b(1);
  b.add("embedding_1", "Embedding", {{"input_dim", 4}, {"output_dim", 2}},
        {weight({4, 2}, {0, 0, 1, 2, 3, 4, 5, 6})});
  b.add("flatten_1", "Flatten", nlohmann::json::object());
  b.add("a", "Dense", {{"units", 1}}, {weight({2, 1}, {1, 0}), weight({1}, {0})},
        {{"flatten_1", 0, 0}});
  b.add("add_1", "Add", nlohmann::json::object(), {}, {{"a", 0, 0}, {"flatten_1", 0, 0}});
  EXPECT_STATUS(build_model(b.spec(), {}), kUnimplemented, "layer 'add_1' (Add): inputs of shapes");
}

}  // namespace
}  // namespace quiver::nn
