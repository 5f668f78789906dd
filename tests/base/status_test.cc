#include "quiver/status.h"

#include <gtest/gtest.h>

#include "testutil.h"

namespace quiver {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return invalid_argument("value " + std::to_string(v) + " is not positive");
  return v;
}

Result<int> doubled(int v) {
  QUIVER_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return 2 * x;
}

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.to_string(), "ok");
}

TEST(StatusTest, ToStringNamesTheCode) {
  EXPECT_EQ(corruption("model.h5: truncated").to_string(), "corruption: model.h5: truncated");
}

TEST(StatusTest, WithContextPrefixesTheMessageAndKeepsTheCode) {
  Status s = not_found("layer 'lstm_1'").with_context("model.h5");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "model.h5: layer 'lstm_1'");
}

TEST(ResultTest, AssignOrReturnPropagatesTheError) {
  EXPECT_EQ(doubled(4).value(), 8);
  EXPECT_STATUS(doubled(-1), kInvalidArgument, "-1 is not positive");
}

}  // namespace
}  // namespace quiver
