// Tokenizer::to_json / from_json: Keras' exact bytes (checked by hand against
// keras_preprocessing 1.1.x get_config + json.dumps), the file variants people save, and
// clean errors for damaged input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "quiver/tokenizer.h"
#include "testutil.h"

namespace quiver {
namespace {

using Ids = std::vector<int32_t>;

// Python: t = Tokenizer(oov_token="<unk>"); t.fit_on_texts(["é a", "a 😀"]); t.to_json()
// (word_docs in first-occurrence order).
constexpr std::string_view kSmallJson =
    R"({"class_name": "Tokenizer", "config": {"num_words": null, "filters": )"
    R"("!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n", "lower": true, "split": " ", )"
    R"("char_level": false, "oov_token": "<unk>", "document_count": 2, )"
    R"("word_counts": "{\"\\u00e9\": 1, \"a\": 2, \"\\ud83d\\ude00\": 1}", )"
    R"("word_docs": "{\"\\u00e9\": 1, \"a\": 2, \"\\ud83d\\ude00\": 1}", )"
    R"("index_docs": "{\"3\": 1, \"2\": 2, \"4\": 1}", )"
    R"("index_word": "{\"1\": \"<unk>\", \"2\": \"a\", \"3\": \"\\u00e9\", \"4\": \"\\ud83d\\ude00\"}", )"
    R"("word_index": "{\"<unk>\": 1, \"a\": 2, \"\\u00e9\": 3, \"\\ud83d\\ude00\": 4}"}})";

Tokenizer small_tokenizer() {
  TokenizerConfig c;
  c.oov_token = "<unk>";
  Tokenizer tok(c);
  EXPECT_TRUE(tok.fit_on_texts({"é a", "a 😀"}).ok());
  return tok;
}

std::string encode_as_string(const std::string& json) { return nlohmann::json(json).dump(); }

TEST(TokenizerJsonTest, ToJsonWritesPythonsBytes) {
  EXPECT_EQ(small_tokenizer().to_json(), kSmallJson);
}

TEST(TokenizerJsonTest, FromJsonReadsKerasAndDoubleAndTripleEncodedFiles) {
  std::string once(kSmallJson);
  for (const std::string& text : {once, encode_as_string(once), encode_as_string(encode_as_string(once))}) {
    auto tok = Tokenizer::from_json(text);
    ASSERT_OK(tok);
    EXPECT_EQ(tok->to_json(), kSmallJson);
    EXPECT_EQ(tok->document_count(), 2);
    EXPECT_EQ(tok->text_to_sequence("A é 😀 b"), (Ids{2, 3, 4, 1}));
  }
  EXPECT_STATUS(Tokenizer::from_json(encode_as_string(encode_as_string(encode_as_string(
                    encode_as_string(once))))),
                kCorruption, "encoded more than 3 times");
}

TEST(TokenizerJsonTest, FromJsonAcceptsBareConfigAndObjectMapsAndBareWordIndex) {
  auto bare = Tokenizer::from_json(R"({"num_words": 3, "oov_token": "?",
      "word_index": {"?": 1, "b": 2, "a": 3}})");
  ASSERT_OK(bare);
  EXPECT_EQ(bare->text_to_sequence("a b c"), (Ids{1, 2, 1}));
  auto index_only = Tokenizer::from_json(R"({"hello": 1, "world": 2})");
  ASSERT_OK(index_only);
  EXPECT_EQ(index_only->text_to_sequence("World, hello!"), (Ids{2, 1}));
  EXPECT_EQ(index_only->index_word().size(), 2u);
}

TEST(TokenizerJsonTest, MissingWordIndexIsRebuiltFromWordCounts) {
  auto tok = Tokenizer::from_json(R"({"class_name": "Tokenizer", "config": {"oov_token": "<o>",
      "word_counts": "{\"b\": 1, \"a\": 2, \"c\": 1}", "word_docs": "{\"b\": 1, \"a\": 1, \"c\": 1}"}})");
  ASSERT_OK(tok);
  using Items = std::vector<std::pair<std::string, int32_t>>;
  EXPECT_EQ(tok->word_index_items(), (Items{{"<o>", 1}, {"a", 2}, {"b", 3}, {"c", 4}}));
  using Docs = std::vector<std::pair<int64_t, int64_t>>;
  EXPECT_EQ(tok->index_docs(), (Docs{{3, 1}, {2, 1}, {4, 1}}));
}

TEST(TokenizerJsonTest, MissingIndexWordIsDerivedWithDictSemantics) {
  // Found by fuzz/tokenizer_fuzz.cc: duplicate ids must not give duplicate index_word keys.
  auto tok = Tokenizer::from_json(R"({"config": {"word_index": "{\"<o>\": 1, \"a\": 1, \"b\": 3}"}})");
  ASSERT_OK(tok);
  using IndexWord = std::vector<std::pair<int64_t, std::string>>;
  EXPECT_EQ(tok->index_word(), (IndexWord{{1, "a"}, {3, "b"}}));
  auto again = Tokenizer::from_json(tok->to_json());
  ASSERT_OK(again);
  EXPECT_EQ(again->to_json(), tok->to_json());
}

TEST(TokenizerJsonTest, DamagedInputGivesCleanErrors) {
  EXPECT_STATUS(Tokenizer::from_json(""), kCorruption, "tokenizer JSON: malformed JSON");
  EXPECT_STATUS(Tokenizer::from_json("{\"config\": {"), kCorruption, "malformed JSON");
  EXPECT_STATUS(Tokenizer::from_json("[1, 2]"), kCorruption, "expected an object, found array");
  EXPECT_STATUS(Tokenizer::from_json(R"({"class_name": "Sequential", "config": {}})"),
                kInvalidArgument, "class_name is \"Sequential\"");
  EXPECT_STATUS(Tokenizer::from_json(R"({"config": {"lower": "yes"}})"), kCorruption,
                "config.lower: expected true or false, found string");
  EXPECT_STATUS(Tokenizer::from_json(R"({"config": {"num_words": 2.5}})"), kCorruption,
                "config.num_words: expected an integer or null");
  EXPECT_STATUS(Tokenizer::from_json(R"({"config": {"split": ""}})"), kInvalidArgument,
                "empty separator");
  EXPECT_STATUS(Tokenizer::from_json(R"({"config": {"word_index": "{\"a\": \"1\"}"}})"),
                kCorruption, "config.word_index: entry 'a': expected an integer value");
  EXPECT_STATUS(Tokenizer::from_json(R"({"config": {"word_index": "{\"a\": 3000000000}"}})"),
                kCorruption, "id 3000000000 outside 0..2147483647");
  EXPECT_STATUS(Tokenizer::from_json(R"({"config": {"word_index": "{\"a\": [1]}"}})"),
                kCorruption, "config.word_index: unexpected array for key 'a'");
  EXPECT_STATUS(Tokenizer::from_json(R"({"config": {"word_index": "{\"a\": 1"}})"),
                kCorruption, "config.word_index: malformed JSON");
  EXPECT_STATUS(Tokenizer::from_json(R"({"config": {"word_index": "{}", "index_word": "{\"x\": \"a\"}"}})"),
                kCorruption, "config.index_word: entry 'x': key is not an integer");
  EXPECT_STATUS(Tokenizer::from_json(R"({"config": {"word_counts": 5}})"), kCorruption,
                "config.word_counts: expected a JSON-encoded object, found number");
  EXPECT_STATUS(Tokenizer::from_json("{\"config\": {\"oov_token\": \"\xFF\"}}"), kCorruption,
                "malformed JSON");
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_STATUS(Tokenizer::from_json(deep), kResourceExhausted, "nested deeper than 64");
}

TEST(TokenizerJsonTest, RoundTripKeepsEveryField) {
  TokenizerConfig c;
  c.num_words = 3;
  c.filters = "\"\\/\u00e9";
  c.lower = false;
  c.split = "\t";
  c.char_level = false;
  Tokenizer tok(c);
  ASSERT_OK(tok.fit_on_texts({"A\tb\tA", "\x7f\t\x01"}));
  auto back = Tokenizer::from_json(tok.to_json());
  ASSERT_OK(back);
  EXPECT_EQ(back->to_json(), tok.to_json());
  EXPECT_EQ(back->config().filters, c.filters);
  EXPECT_EQ(back->config().split, "\t");
  EXPECT_EQ(back->config().num_words, 3);
  EXPECT_FALSE(back->config().lower);
  EXPECT_NE(tok.to_json().find(R"(\"\\u007f\": 1, \"\\u0001\": 1)"), std::string::npos);
}

}  // namespace
}  // namespace quiver
