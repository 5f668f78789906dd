// TextVectorizer rules, each expectation derived by hand from the Keras source line cited in
// src/text/text_vectorization.h (the model-level golden test, tests/golden/
// run_text_golden.py, checks the same against a Python re-implementation).
#include "text/text_vectorization.h"

#include <gtest/gtest.h>

#include "testutil.h"

namespace quiver::text {
namespace {

using Config = TextVectorizationConfig;

TextVectorizer make(Config c) {
  Result<TextVectorizer> v = TextVectorizer::create(std::move(c));
  EXPECT_TRUE(v.ok()) << v.status().to_string();
  return std::move(v).value();
}

Config words(std::vector<std::string> vocab) {
  Config c;
  c.vocabulary = std::move(vocab);
  return c;
}

TEST(TextVectorizationTest, LowerChangesAsciiLettersOnly) {
  TextVectorizer v = make(words({"x"}));
  EXPECT_EQ(v.tokens("CAFÉ Ünïcode ÀB"), (std::vector<std::string>{"cafÉ", "Ünïcode", "Àb"}));
}

TEST(TextVectorizationTest, StripRemovesTheAsciiPunctuationOnly) {
  TextVectorizer v = make(words({"x"}));
  EXPECT_EQ(v.tokens("don't! (a-b) \xE2\x80\x9Cq\xE2\x80\x9D \xEF\xBC\x8C#1"),
            (std::vector<std::string>{"dont", "ab", "\xE2\x80\x9Cq\xE2\x80\x9D", "\xEF\xBC\x8C" "1"}));
  const std::string all = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  EXPECT_EQ(v.tokens("a" + all + "b"), (std::vector<std::string>{"ab"}));
}

TEST(TextVectorizationTest, SplitsOnRunsOfAsciiWhitespaceOnly) {
  Config c = words({"x"});
  c.standardize = Config::Standardize::kNone;
  TextVectorizer v = make(c);
  EXPECT_EQ(v.tokens(" a\t\tb\nc\vd\fe\rf  "),
            (std::vector<std::string>{"a", "b", "c", "d", "e", "f"}));
  // U+00A0 (no-break space) and U+3000 do not split.
  EXPECT_EQ(v.tokens("a\xC2\xA0" "b c\xE3\x80\x80" "d"),
            (std::vector<std::string>{"a\xC2\xA0" "b", "c\xE3\x80\x80" "d"}));
  EXPECT_TRUE(v.tokens("   ").empty());
}

TEST(TextVectorizationTest, CharacterSplitGivesCodePoints) {
  Config c = words({"x"});
  c.split = Config::Split::kCharacter;
  c.standardize = Config::Standardize::kLower;
  TextVectorizer v = make(c);
  EXPECT_EQ(v.tokens("A 天😀"), (std::vector<std::string>{"a", " ", "天", "😀"}));
  EXPECT_EQ(v.tokens("\xFF" "a"), (std::vector<std::string>{"\xEF\xBF\xBD", "a"}));
}

TEST(TextVectorizationTest, NgramsComeWidthByWidth) {
  Config c = words({"x"});
  c.ngrams = {1, 2, 3};
  TextVectorizer v = make(c);
  EXPECT_EQ(v.tokens("a b c"),
            (std::vector<std::string>{"a", "b", "c", "a b", "b c", "a b c"}));
  c.ngrams = {3};
  EXPECT_TRUE(make(c).tokens("a b").empty());
}

TEST(TextVectorizationTest, IntModeReservesMaskAndOov) {
  Config c = words({"good", "bad"});
  c.output_sequence_length = 5;
  TextVectorizer v = make(c);
  EXPECT_EQ(v.vocabulary_size(), 4);
  EXPECT_EQ(v.ids("Good, BAD movie!"), (std::vector<int32_t>{2, 3, 1, 0, 0}));
  EXPECT_EQ(v.ids("good good good good good bad"), (std::vector<int32_t>{2, 2, 2, 2, 2}));
  // The same vocabulary with its special tokens, as vocabulary.txt stores it.
  Config with = words({"", "[UNK]", "good", "bad"});
  EXPECT_EQ(make(with).ids("bad good"), (std::vector<int32_t>{3, 2}));
}

TEST(TextVectorizationTest, VectorModesCountWithOovAtZero) {
  Config c = words({"[UNK]", "good", "bad"});
  c.output_mode = Config::OutputMode::kCount;
  std::vector<float> out(3);
  make(c).encode("good good zz bad qq", out.data());
  EXPECT_EQ(out, (std::vector<float>{2, 2, 1}));
  c.output_mode = Config::OutputMode::kMultiHot;
  make(c).encode("good good zz", out.data());
  EXPECT_EQ(out, (std::vector<float>{1, 1, 0}));
  c.output_mode = Config::OutputMode::kTfIdf;
  c.idf_weights = {0.5, 2.0, 3.0};
  make(c).encode("good good zz", out.data());
  EXPECT_EQ(out, (std::vector<float>{0.5f, 4.0f, 0.0f}));
  // Without special tokens the OOV weight is the mean (index_lookup.py lines 578-582).
  Config bare = words({"good", "bad"});
  bare.output_mode = Config::OutputMode::kTfIdf;
  bare.idf_weights = {1.0, 3.0};
  make(bare).encode("zz", out.data());
  EXPECT_EQ(out, (std::vector<float>{2.0f, 0.0f, 0.0f}));
  bare.output_mode = Config::OutputMode::kMultiHot;
  bare.pad_to_max_tokens = true;
  bare.max_tokens = 5;
  EXPECT_EQ(make(bare).output_width(), 5);
}

// known_tokens (serve's coverage count): tokens that are neither the mask nor OOV, as the
// model sees them (int mode within output_sequence_length).
TEST(TextVectorizationTest, KnownTokensCountVocabularyHitsOnly) {
  Config c = words({"good", "bad"});
  c.output_sequence_length = 3;
  EXPECT_EQ(make(c).known_tokens("Good, zz BAD movie!"), 2);
  EXPECT_EQ(make(c).known_tokens("zz qq good bad"), 1);  // cut at 3 tokens: zz qq good
  EXPECT_EQ(make(c).known_tokens("zzqx blorf !!!"), 0);
  c.output_sequence_length = -1;
  EXPECT_EQ(make(c).known_tokens("zz qq good bad"), 2);
  Config v = words({"[UNK]", "good", "bad"});
  v.output_mode = Config::OutputMode::kCount;
  EXPECT_EQ(make(v).known_tokens("good good zz bad qq"), 3);
  EXPECT_EQ(make(v).known_tokens("zz qq"), 0);
}

TEST(TextVectorizationTest, RefusesVocabulariesKerasRefuses) {
  EXPECT_STATUS(TextVectorizer::create(words({"a", "b", "a"})), kInvalidArgument,
                "repeats the term 'a'");
  EXPECT_STATUS(TextVectorizer::create(words({"a", "[UNK]"})), kInvalidArgument, "OOV token");
  EXPECT_STATUS(TextVectorizer::create(words({})), kInvalidArgument, "vocabulary is empty");
  Config c = words({"a", "b", "c"});
  c.max_tokens = 4;
  EXPECT_STATUS(TextVectorizer::create(c), kInvalidArgument, "more than max_tokens 4");
}

TEST(TextVectorizationTest, VocabularyFileReadsAsKerasOpensIt) {
  // Text mode: CRLF and CR are newlines; Keras 3 splitlines() also breaks at U+2028 and
  // drops trailing empty lines; tf.keras splits on "\n" only.
  const std::string file = "\r\n[UNK]\r\nthe\rcat\xE2\x80\xA8" "dog\n\n";
  EXPECT_EQ(TextVectorizer::parse_vocabulary_file(file, 3),
            (std::vector<std::string>{"", "[UNK]", "the", "cat", "dog"}));
  EXPECT_EQ(TextVectorizer::parse_vocabulary_file(file, 2),
            (std::vector<std::string>{"", "[UNK]", "the", "cat\xE2\x80\xA8" "dog", "", ""}));
}

}  // namespace
}  // namespace quiver::text
