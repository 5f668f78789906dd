// With a fixed seed, training converges on real data; the held-out accuracy is printed
// for the test log. Small models and few epochs keep this under a minute.
#include <cstdio>

#include "quiver/train.h"
#include "test_data.h"
#include "testutil.h"
#include "train/evaluate.h"

namespace quiver {
namespace {

using testutil::TempDir;

double held_out_accuracy(const std::string& name, const std::vector<testutil::TextRow>& train,
                         const std::vector<testutil::TextRow>& test, const TrainOptions& o) {
  TempDir dir;
  testutil::write_csv(dir.file("train.csv"), train);
  testutil::write_csv(dir.file("test.csv"), test);
  auto r = train_model(dir.file("train.csv"), dir.file("m.h5"), o);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok()) return 0;
  auto e = train::evaluate_model(dir.file("m.h5"), dir.file("test.csv"), {});
  EXPECT_TRUE(e.ok()) << e.status().to_string();
  if (!e.ok()) return 0;
  const auto& last = r->epochs.back();
  std::printf("%s (%s): %lld training rows, %zu held out, maxlen %lld, train loss %.4f acc %.4f, "
              "held-out accuracy %.4f, ROC AUC %.4f, %.1f s/epoch\n",
              name.c_str(), o.type.c_str(), static_cast<long long>(r->train_rows), test.size(),
              static_cast<long long>(r->maxlen), last.loss, last.acc, e->metrics.accuracy,
              e->metrics.roc_auc, last.seconds);
  return e->metrics.accuracy;
}

TEST(ConvergenceTest, SentimentSentencesLstm) {
  std::vector<testutil::TextRow> train, test;
  std::string why;
  if (!testutil::sentiment_rows(&train, &test, &why)) GTEST_SKIP() << why;
  TrainOptions o;
  o.type = "lstm";
  o.embed_dim = 32;
  o.units = 32;
  o.maxlen = 40;
  o.epochs = 4;
  o.seed = 1;
  EXPECT_GT(held_out_accuracy("UCI sentiment", train, test, o), 0.72);
}

TEST(ConvergenceTest, SentimentSentencesCnn) {
  std::vector<testutil::TextRow> train, test;
  std::string why;
  if (!testutil::sentiment_rows(&train, &test, &why)) GTEST_SKIP() << why;
  TrainOptions o;
  o.type = "cnn";
  o.embed_dim = 32;
  o.filters = 32;
  o.maxlen = 40;
  o.epochs = 5;
  o.seed = 1;
  EXPECT_GT(held_out_accuracy("UCI sentiment", train, test, o), 0.72);
}

TEST(ConvergenceTest, SpamAssassinGru) {
  std::vector<testutil::TextRow> train, test;
  std::string why;
  if (!testutil::spam_rows(4, &train, &test, &why)) GTEST_SKIP() << why;
  TrainOptions o;
  o.type = "gru";
  o.embed_dim = 32;
  o.units = 24;
  o.maxlen = 60;
  o.epochs = 3;
  o.seed = 1;
  EXPECT_GT(held_out_accuracy("SpamAssassin", train, test, o), 0.9);
}

}  // namespace
}  // namespace quiver
