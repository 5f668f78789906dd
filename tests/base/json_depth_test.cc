#include "base/json_depth.h"

#include "testutil.h"

namespace quiver::base {
namespace {

TEST(JsonDepthTest, CountsNestedArraysAndObjects) {
  EXPECT_EQ(json_depth("1"), 0);
  EXPECT_EQ(json_depth("[]"), 1);
  EXPECT_EQ(json_depth("{\"a\": [[1], {\"b\": []}]}"), 4);
  EXPECT_EQ(json_depth("[][][]"), 1);
}

TEST(JsonDepthTest, IgnoresBracketsInStringsAndEscapedQuotes) {
  EXPECT_EQ(json_depth("[\"[[[{{\"]"), 1);
  EXPECT_EQ(json_depth("[\"\\\"[[[\"]"), 1);
  EXPECT_EQ(json_depth("[\"\\\\\", [[]]]"), 3);  // an escaped backslash ends before the quote
}

TEST(JsonDepthTest, UnbalancedClosersNeverGoBelowZero) {
  EXPECT_EQ(json_depth("]]]]["), 1);
}

TEST(JsonDepthTest, CheckNamesTheDepthAndTheLimit) {
  ASSERT_OK(check_json_depth("[[]]", 2, "x"));
  EXPECT_STATUS(check_json_depth(std::string(300, '['), 256, "tokenizer JSON"),
                kResourceExhausted,
                "tokenizer JSON: JSON nested 300 levels deep, more than the limit of 256");
}

}  // namespace
}  // namespace quiver::base
