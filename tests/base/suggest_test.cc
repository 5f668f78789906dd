#include "base/suggest.h"

#include <gtest/gtest.h>

namespace quiver::base {
namespace {

TEST(EditDistanceTest, CountsEditsAndNeighbourSwaps) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("epoch", "epochs"), 1u);   // insertion
  EXPECT_EQ(edit_distance("trian", "train"), 1u);    // neighbour swap
  EXPECT_EQ(edit_distance("modle", "model"), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);  // the textbook Levenshtein case
  EXPECT_EQ(edit_distance("ca", "abc"), 3u);          // OSA, not full Damerau (2)
}

TEST(ClosestNameTest, SuggestsNearMissesOnly) {
  const std::vector<std::string> options = {"--epochs", "--embed-dim", "--model", "--help"};
  EXPECT_EQ(closest_name("--epoch", options), "--epochs");
  EXPECT_EQ(closest_name("--modle", options), "--model");
  EXPECT_EQ(closest_name("--bogus", options), "");
  EXPECT_EQ(closest_name("--x", options), "");  // too short for any hint
  EXPECT_EQ(closest_name("trian", {"tokenize", "train", "train-multilabel"}), "train");
}

TEST(ClosestNameTest, TiesGoToTheEarlierCandidate) {
  EXPECT_EQ(closest_name("abcd", {"abce", "abcf"}), "abce");
}

TEST(DidYouMeanTest, FormatsTheHint) {
  EXPECT_EQ(did_you_mean("modle", {"model", "name"}), " (did you mean 'model'?)");
  EXPECT_EQ(did_you_mean("--epoch", {"--epochs"}, false), " (did you mean --epochs?)");
  EXPECT_EQ(did_you_mean("zzzzzz", {"model"}), "");
}

}  // namespace
}  // namespace quiver::base
