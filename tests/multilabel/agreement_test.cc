// Agreement, Cohen's kappa and binary metrics against hand-computed values.
#include "multilabel/agreement.h"

#include <gtest/gtest.h>

namespace quiver::multilabel {
namespace {

std::vector<bool> bits(std::initializer_list<int> v) { return std::vector<bool>(v.begin(), v.end()); }

// The textbook case (Wikipedia "Cohen's kappa", first example): 50 items, both yes 20,
// a yes / b no 5, a no / b yes 10, both no 15: p_o = 0.7, p_e = 0.5*0.6 + 0.5*0.4 = 0.5,
// kappa = (0.7 - 0.5) / 0.5 = 0.4.
TEST(AgreementTest, TextbookKappaIsPointFour) {
  std::vector<bool> a, b;
  auto add = [&](int n, bool x, bool y) { for (int i = 0; i < n; ++i) { a.push_back(x); b.push_back(y); } };
  add(20, true, true);
  add(5, true, false);
  add(10, false, true);
  add(15, false, false);
  Agreement g = agreement(a, b);
  EXPECT_EQ(g.both_yes, 20);
  EXPECT_EQ(g.a_only, 5);
  EXPECT_EQ(g.b_only, 10);
  EXPECT_EQ(g.both_no, 15);
  EXPECT_DOUBLE_EQ(g.rate, 0.7);
  EXPECT_NEAR(g.kappa, 0.4, 1e-12);
}

// a = 1110000100, b = 1100001100: yy 3, a-only 1, b-only 1, nn 5; p_o = 0.8,
// p_e = 0.4*0.4 + 0.6*0.6 = 0.52, kappa = 0.28 / 0.48 = 7/12.
TEST(AgreementTest, SmallCaseByHand) {
  Agreement g = agreement(bits({1, 1, 1, 0, 0, 0, 0, 1, 0, 0}), bits({1, 1, 0, 0, 0, 0, 1, 1, 0, 0}));
  EXPECT_EQ(g.total(), 10);
  EXPECT_DOUBLE_EQ(g.rate, 0.8);
  EXPECT_NEAR(g.kappa, 7.0 / 12.0, 1e-12);
}

TEST(AgreementTest, OppositeRatersHaveKappaMinusOne) {
  Agreement g = agreement(bits({1, 0, 1, 0}), bits({0, 1, 0, 1}));
  EXPECT_DOUBLE_EQ(g.rate, 0.0);
  EXPECT_NEAR(g.kappa, -1.0, 1e-12);
}

TEST(AgreementTest, IdenticalConstantRatersHaveKappaOne) {
  Agreement g = agreement(bits({0, 0, 0}), bits({0, 0, 0}));
  EXPECT_DOUBLE_EQ(g.rate, 1.0);
  EXPECT_DOUBLE_EQ(g.kappa, 1.0);
}

TEST(AgreementTest, NoItemsIsAllZero) {
  Agreement g = agreement({}, {});
  EXPECT_EQ(g.total(), 0);
  EXPECT_EQ(g.rate, 0);
  EXPECT_EQ(g.kappa, 0);
}

// decisions 11001 vs truth 10011: tp 2, fp 1, fn 1, tn 1.
TEST(BinaryMetricsTest, CountsAndRatiosByHand) {
  BinaryMetrics m = binary_metrics(bits({1, 1, 0, 0, 1}), bits({1, 0, 0, 1, 1}));
  EXPECT_EQ(m.tp, 2);
  EXPECT_EQ(m.fp, 1);
  EXPECT_EQ(m.fn, 1);
  EXPECT_EQ(m.tn, 1);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.6);
  EXPECT_DOUBLE_EQ(m.precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.recall, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.f1, 2.0 / 3);
}

TEST(BinaryMetricsTest, NoPredictedPositivesGivesZeroNotNan) {
  BinaryMetrics m = binary_metrics(bits({0, 0}), bits({1, 0}));
  EXPECT_EQ(m.precision, 0);
  EXPECT_EQ(m.recall, 0);
  EXPECT_EQ(m.f1, 0);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.5);
}

}  // namespace
}  // namespace quiver::multilabel
