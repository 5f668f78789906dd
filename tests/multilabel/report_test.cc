// The most-disagreeing rows and the renderings of a hand-built Comparison.
#include "multilabel/report.h"

#include <gtest/gtest.h>

namespace quiver::multilabel {
namespace {

TEST(TopDisagreementsTest, DifferingDecisionsByScoreGap) {
  // Decisions at 0.5: binary 1 0 1 0, multi-label 0 0 0 1 -> rows 0 (gap 0.8), 2 (0.15), 3 (0.4).
  std::vector<double> b = {0.9, 0.2, 0.6, 0.4}, m = {0.1, 0.3, 0.45, 0.8};
  std::vector<bool> by = {true, false, true, false}, my = {false, false, false, true};
  std::vector<std::string> t = {"r0", "r1", "r2", "r3"};
  auto top = top_disagreements(b, m, by, my, t, 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].row, 0);
  EXPECT_EQ(top[1].row, 3);
  EXPECT_EQ(top[1].text, "r3");
  EXPECT_DOUBLE_EQ(top[1].multilabel_score, 0.8);
  EXPECT_EQ(top_disagreements(b, m, by, my, t, 10).size(), 3u);
}

Comparison sample() {
  Comparison c;
  c.model_path = "AB.h5";
  c.data_path = "corpus.csv";
  c.rows = 3;
  CategoryComparison cc;
  cc.category = "A";
  cc.binary_scores = {0.9, 0.1, 0.7};
  cc.multilabel_scores = {0.8, 0.2, 0.1};
  cc.multilabel_threshold = 0.4;
  cc.agreement = agreement({true, false, true}, {true, false, false});
  cc.top = {{2, "</script><b>x</b>", 0.7, 0.1}};
  c.categories.push_back(cc);
  c.binary_seconds = 0.5;
  c.binary_per_second = 6;
  c.multilabel_seconds = 0.25;
  c.multilabel_per_second = 12;
  return c;
}

TEST(ReportTest, JsonCarriesTheCountsAndThroughput) {
  nlohmann::json j = comparison_json(sample());
  EXPECT_EQ(j["rows"], 3);
  EXPECT_EQ(j["categories"][0]["confusion"]["both_yes"], 1);
  EXPECT_EQ(j["categories"][0]["confusion"]["binary_only"], 1);
  EXPECT_EQ(j["categories"][0]["confusion"]["both_no"], 1);
  EXPECT_DOUBLE_EQ(j["categories"][0]["agreement"].get<double>(), 2.0 / 3);
  EXPECT_FALSE(j["categories"][0].contains("binary_vs_labels"));  // no labels
  EXPECT_EQ(j["throughput"]["multilabel_sentences_per_second"], 12);
  EXPECT_FALSE(j["categories"][0].contains("binary_scores"));
  EXPECT_TRUE(comparison_json(sample(), true)["categories"][0].contains("binary_scores"));
}

TEST(ReportTest, TextTableHasOneRowPerCategory) {
  const std::string t = comparison_text(sample());
  EXPECT_NE(t.find("compare: 3 sentences"), std::string::npos) << t;
  EXPECT_NE(t.find("A              0.6667"), std::string::npos) << t;
  EXPECT_NE(t.find("binary group 6.0 sentences/s"), std::string::npos) << t;
  EXPECT_NE(t.find("row 3: </script>"), std::string::npos) << t;
}

TEST(ReportTest, NotComparedNamesOnlyTheSidesThatLackCategories) {
  Comparison c = sample();
  EXPECT_EQ(comparison_text(c).find("not compared"), std::string::npos);
  c.only_multilabel = {"C", "D"};
  std::string t = comparison_text(c);
  EXPECT_NE(t.find("\nnot compared: C, D (only in the multi-label model)\n"), std::string::npos) << t;
  EXPECT_EQ(t.find("[]"), std::string::npos) << t;
  c.only_binary = {"E"};
  t = comparison_text(c);
  EXPECT_NE(t.find("\nnot compared: E (only in the group); C, D (only in the multi-label model)\n"),
            std::string::npos) << t;
  c.only_multilabel.clear();
  t = comparison_text(c);
  EXPECT_NE(t.find("\nnot compared: E (only in the group)\n"), std::string::npos) << t;
}

TEST(ReportTest, HtmlIsSelfContainedAndEscapesScriptEnds) {
  const std::string h = comparison_html(sample());
  size_t n = 0;
  for (size_t p = h.find("</script>"); p != std::string::npos; p = h.find("</script>", p + 1)) ++n;
  EXPECT_EQ(n, 2u);  // the data block's and the drawing script's, not the sentence's
  for (const char* fetch : {"src=", "href=", "<link", "url(", "@import", "fetch("}) {
    EXPECT_EQ(h.find(fetch), std::string::npos) << fetch;  // nothing loaded from elsewhere
  }
  EXPECT_NE(h.find("data-report=\"pending\""), std::string::npos);
  EXPECT_NE(h.find("[0.9,0.8,-1]"), std::string::npos);  // the first scatter point
}

}  // namespace
}  // namespace quiver::multilabel

namespace quiver::multilabel {
namespace {

// 10,000 rows, the sides disagree on rows 5, 15, 25, ...: the sample is rows 0, 100, ...
// (100 rows) and every 10th of the 1,000 disagreeing rows is added (5, 105, ...: 100 more).
TEST(ReportTest, LargeCorporaAreSubsampledKeepingDisagreements) {
  Comparison c;
  c.rows = 10000;
  CategoryComparison cc;
  cc.category = "A";
  for (int r = 0; r < c.rows; ++r) {
    cc.binary_scores.push_back(0.9);
    cc.multilabel_scores.push_back(r % 10 == 5 ? 0.1 : 0.9);
  }
  c.categories.push_back(cc);
  const std::string h = comparison_html(c, 100);
  const size_t at = h.find("\"plotted_rows\":");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(std::stoi(h.substr(at + 15)), 200);
}

}  // namespace
}  // namespace quiver::multilabel
