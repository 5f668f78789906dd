// Threshold picking against hand-computed cuts.
#include "multilabel/thresholds.h"

#include <gtest/gtest.h>

#include "multilabel/scorer.h"
#include "testutil.h"

namespace quiver::multilabel {
namespace {

// scores 0.9 0.8 0.7 0.6 0.2, truth 1 0 1 1 0. Cuts (threshold: tp fp -> P, F1):
//   0.85: 1 0 -> 1,    0.5      0.75: 1 1 -> 0.5,  0.4     0.65: 2 1 -> 2/3, 2/3
//   0.40: 3 1 -> 0.75, 6/7      0.10: 3 2 -> 0.6,  0.75
const std::vector<double> kScores = {0.9, 0.8, 0.7, 0.6, 0.2};
const std::vector<bool> kTruth = {true, false, true, true, false};

TEST(ThresholdMaxF1Test, PicksTheBestCutHalfwayBetweenScores) {
  ThresholdChoice t = threshold_max_f1(kScores, kTruth);
  EXPECT_DOUBLE_EQ(t.threshold, 0.4);
  EXPECT_DOUBLE_EQ(t.precision, 0.75);
  EXPECT_DOUBLE_EQ(t.recall, 1.0);
  EXPECT_DOUBLE_EQ(t.f1, 6.0 / 7);
  EXPECT_FALSE(t.fallback);
}

TEST(ThresholdMaxF1Test, TiedScoresStayTogether) {
  // 0.7 0.7 0.3 / 1 0 1: cut 0.5 predicts both 0.7s (F1 0.5), cut 0.15 all (F1 0.8).
  ThresholdChoice t = threshold_max_f1({0.7, 0.7, 0.3}, {true, false, true});
  EXPECT_DOUBLE_EQ(t.threshold, 0.15);
  EXPECT_DOUBLE_EQ(t.f1, 0.8);
}

TEST(ThresholdMaxF1Test, EqualF1KeepsTheHigherThreshold) {
  // 0.8 0.6 0.4 0.2 / 1 0 0 1: F1 2/3 at 0.7 and at 0.1.
  ThresholdChoice t = threshold_max_f1({0.8, 0.6, 0.4, 0.2}, {true, false, false, true});
  EXPECT_DOUBLE_EQ(t.threshold, 0.7);
  EXPECT_DOUBLE_EQ(t.f1, 2.0 / 3);
}

TEST(ThresholdMaxF1Test, NoPositiveRowKeepsTheDefault) {
  ThresholdChoice t = threshold_max_f1({0.3, 0.9}, {false, false});
  EXPECT_TRUE(t.fallback);
  EXPECT_DOUBLE_EQ(t.threshold, kDefaultThreshold);
  EXPECT_TRUE(threshold_max_f1({}, {}).fallback);
}

TEST(ThresholdForPrecisionTest, LowestThresholdReachingTheTarget) {
  ThresholdChoice t = threshold_for_precision(kScores, kTruth, 0.75);
  EXPECT_DOUBLE_EQ(t.threshold, 0.4);
  EXPECT_DOUBLE_EQ(t.recall, 1.0);
  t = threshold_for_precision(kScores, kTruth, 0.8);
  EXPECT_DOUBLE_EQ(t.threshold, 0.85);
  EXPECT_DOUBLE_EQ(t.precision, 1.0);
  EXPECT_DOUBLE_EQ(t.recall, 1.0 / 3);
}

TEST(ThresholdForPrecisionTest, UnreachableTargetTakesTheMostPrecise) {
  ThresholdChoice t = threshold_for_precision(kScores, kTruth, 1.5);
  EXPECT_DOUBLE_EQ(t.threshold, 0.85);
  EXPECT_DOUBLE_EQ(t.precision, 1.0);
}

}  // namespace
}  // namespace quiver::multilabel

namespace quiver::multilabel {
namespace {

TEST(ParseThresholdsTest, OneNumberInZeroOnePerLabel) {
  auto t = parse_thresholds("[0.25, 1, 0]", 3);
  ASSERT_OK(t);
  EXPECT_EQ(*t, (std::vector<double>{0.25, 1.0, 0.0}));
  EXPECT_STATUS(parse_thresholds("[0.5]", 2), kCorruption, "expected a JSON array of 2 numbers, got '[0.5]'");
  EXPECT_STATUS(parse_thresholds("[0.5, 1.5]", 2), kCorruption, "1.5 is not a number in [0, 1]");
  EXPECT_STATUS(parse_thresholds("[0.5, \"x\"]", 2), kCorruption, "\"x\" is not a number");
  EXPECT_STATUS(parse_thresholds("{not json", 1), kCorruption, "quiver_thresholds");
}

TEST(DecideTest, StrictlyAboveTheThreshold) {
  EXPECT_TRUE(decide(0.51, 0.5));
  EXPECT_FALSE(decide(0.5, 0.5));  // a 2-way softmax tie goes to labels[0]
}

}  // namespace
}  // namespace quiver::multilabel
