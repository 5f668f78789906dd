// Tokenizer semantics with hand-derived expectations from keras_preprocessing 1.1.x
// text.py (text_to_word_sequence, fit_on_texts, texts_to_sequences) and sequence.py.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "quiver/tokenizer.h"
#include "testutil.h"

namespace quiver {
namespace {

using Strings = std::vector<std::string>;
using Ids = std::vector<int32_t>;

TokenizerConfig with_split(std::string split, std::string filters = std::string(kKerasDefaultFilters)) {
  TokenizerConfig c;
  c.split = std::move(split);
  c.filters = std::move(filters);
  return c;
}

TEST(TokenizerTest, SplitTextAppliesDefaultFiltersAndLower) {
  Tokenizer tok;
  EXPECT_EQ(tok.split_text("Hello, World! It's  A\tTEST\n"),
            (Strings{"hello", "world", "it's", "a", "test"}));
  // Only \t and \n are filtered whitespace: \r, \v, \f and NBSP stay inside tokens.
  EXPECT_EQ(tok.split_text("a\rb c\u00a0d e\x0b" "f"), (Strings{"a\rb", "c\u00a0d", "e\x0b" "f"}));
  EXPECT_EQ(tok.split_text(""), Strings{});
  EXPECT_EQ(tok.split_text("!!! ..."), Strings{});
}

TEST(TokenizerTest, SplitIsPythonStrSplitWithExplicitSeparator) {
  // "xababy".split("ab") == ['x', '', 'y']; "aaaa".split("aa") == ['', '', ''];
  // "aaa".split("aa") == ['', 'a']: empty strings are dropped.
  EXPECT_EQ(Tokenizer(with_split("ab", "")).split_text("xababy"), (Strings{"x", "y"}));
  EXPECT_EQ(Tokenizer(with_split("aa", "")).split_text("aaaa"), Strings{});
  EXPECT_EQ(Tokenizer(with_split("aa", "")).split_text("aaa"), Strings{"a"});
  // Filters become the separator before splitting; the text is lowered first, the separator
  // is not: "aXb" no longer contains "X".
  EXPECT_EQ(Tokenizer(with_split("X", ",")).split_text("aXb,c x"), (Strings{"axb", "c x"}));
  EXPECT_EQ(Tokenizer(with_split("--", "é")).split_text("aébécd"), (Strings{"a", "b", "cd"}));
}

TEST(TokenizerTest, CharLevelLowersButDoesNotFilter) {
  TokenizerConfig c;
  c.char_level = true;
  EXPECT_EQ(Tokenizer(c).split_text("Ab!\u0130"), (Strings{"a", "b", "!", "i", "\u0307"}));
  c.lower = false;
  EXPECT_EQ(Tokenizer(c).split_text("A 😀"), (Strings{"A", " ", "😀"}));
}

TEST(TokenizerTest, FitOrdersByCountThenFirstOccurrence) {
  Tokenizer tok;
  ASSERT_OK(tok.fit_on_texts({"the cat sat", "the dog sat on the mat"}));
  EXPECT_EQ(tok.document_count(), 2);
  using Items = std::vector<std::pair<std::string, int32_t>>;
  EXPECT_EQ(tok.word_index_items(),
            (Items{{"the", 1}, {"sat", 2}, {"cat", 3}, {"dog", 4}, {"on", 5}, {"mat", 6}}));
  using Counts = std::vector<std::pair<std::string, int64_t>>;
  EXPECT_EQ(tok.word_counts(),
            (Counts{{"the", 3}, {"cat", 1}, {"sat", 2}, {"dog", 1}, {"on", 1}, {"mat", 1}}));
  EXPECT_EQ(tok.word_docs(),
            (Counts{{"the", 2}, {"cat", 1}, {"sat", 2}, {"dog", 1}, {"on", 1}, {"mat", 1}}));
  EXPECT_EQ(tok.text_to_sequence("The mat, the bird."), (Ids{1, 6, 1}));
  EXPECT_EQ(tok.max_sequence_id(), 6);
  EXPECT_FALSE(tok.oov_token_index().has_value());
}

TEST(TokenizerTest, NumWordsKeepsIdsBelowItAndOovTakesIndexOne) {
  TokenizerConfig c;
  c.num_words = 4;
  c.oov_token = "<unk>";
  Tokenizer tok(c);
  ASSERT_OK(tok.fit_on_texts({"the cat sat", "the dog sat on the mat"}));
  EXPECT_EQ(tok.word_index().at("<unk>"), 1);
  EXPECT_EQ(tok.word_index().at("the"), 2);
  EXPECT_EQ(tok.word_index().at("cat"), 4);  // word_index itself is never truncated
  EXPECT_EQ(tok.word_index().size(), 7u);
  // the=2, sat=3 kept; cat=4 >= num_words -> oov; bird unknown -> oov.
  EXPECT_EQ(tok.text_to_sequence("the cat sat bird"), (Ids{2, 1, 3, 1}));
  EXPECT_EQ(tok.max_sequence_id(), 3);
  c.oov_token.reset();
  Tokenizer no_oov(c);
  ASSERT_OK(no_oov.fit_on_texts({"the cat sat", "the dog sat on the mat"}));
  // the=1, cat=3, sat=2 all below 4; dog=4 dropped; bird unknown, dropped.
  EXPECT_EQ(no_oov.text_to_sequence("the cat sat dog bird"), (Ids{1, 3, 2}));
  c.num_words = 0;  // falsy in Python: keeps everything
  Tokenizer zero(c);
  ASSERT_OK(zero.fit_on_texts({"a b c"}));
  EXPECT_EQ(zero.text_to_sequence("c b a"), (Ids{3, 2, 1}));
}

TEST(TokenizerTest, OovTokenThatAlsoOccursInTextsTakesItsLaterIndex) {
  TokenizerConfig c;
  c.oov_token = "x";
  Tokenizer tok(c);
  ASSERT_OK(tok.fit_on_texts({"a a a x"}));
  // sorted_voc = [x, a, x] -> word_index {x: 3, a: 2}: id 1 is gone from index_word.
  using Items = std::vector<std::pair<std::string, int32_t>>;
  EXPECT_EQ(tok.word_index_items(), (Items{{"x", 3}, {"a", 2}}));
  using IndexWord = std::vector<std::pair<int64_t, std::string>>;
  EXPECT_EQ(tok.index_word(), (IndexWord{{3, "x"}, {2, "a"}}));
  EXPECT_EQ(tok.oov_token_index(), 3);
  EXPECT_EQ(tok.text_to_sequence("a zzz x"), (Ids{2, 3, 3}));
}

TEST(TokenizerTest, RepeatedFitsAccumulateLikeKeras) {
  Tokenizer tok;
  ASSERT_OK(tok.fit_on_texts({"b a"}));
  ASSERT_OK(tok.fit_on_texts({"a c"}));
  EXPECT_EQ(tok.document_count(), 2);
  EXPECT_EQ(tok.word_index().at("a"), 1);
  EXPECT_EQ(tok.word_index().at("b"), 2);
  EXPECT_EQ(tok.word_index().at("c"), 3);
  // index_docs is updated in place: key 1 (b, first fit) now holds a's 2 documents.
  using Docs = std::vector<std::pair<int64_t, int64_t>>;
  EXPECT_EQ(tok.index_docs(), (Docs{{1, 2}, {2, 1}, {3, 1}}));
}

TEST(TokenizerTest, IllFormedUtf8IsRejectedByFitAndReplacedBySequences) {
  Tokenizer tok;
  ASSERT_OK(tok.fit_on_texts({"ok \xEF\xBF\xBD"}));
  Tokenizer copy = tok;
  EXPECT_STATUS(tok.fit_on_texts({"fine", "bad \xC3\x28 text"}), kInvalidArgument,
                "text 1: ill-formed UTF-8 at byte 4");
  EXPECT_EQ(tok.document_count(), 1);  // unchanged on error
  EXPECT_EQ(tok.text_to_sequence("ok \xFF"), (Ids{1, 2}));  // \xFF -> U+FFFD, a known word
  // A surrogate is three ill-formed bytes: "\uFFFD\uFFFD\uFFFD", an unknown word.
  EXPECT_EQ(tok.text_to_sequence("\xFF \xED\xA0\x80 ok"), (Ids{2, 1}));
  EXPECT_TRUE(is_valid_utf8("ok \xEF\xBF\xBD"));
  EXPECT_FALSE(is_valid_utf8("\xC0\x80"));
  EXPECT_EQ(copy.word_index().size(), 2u);
}

TEST(TokenizerTest, InvalidConfigIsRejected) {
  EXPECT_STATUS(Tokenizer::create(with_split("")), kInvalidArgument, "empty separator");
  EXPECT_STATUS(Tokenizer(with_split("")).fit_on_texts({"a"}), kInvalidArgument, "empty separator");
  TokenizerConfig c = with_split("");
  c.char_level = true;  // split unused
  ASSERT_OK(Tokenizer::create(c));
  TokenizerConfig bad_oov;
  bad_oov.oov_token = "\xFF";
  EXPECT_STATUS(Tokenizer::create(bad_oov), kInvalidArgument, "oov_token: ill-formed UTF-8");
}

TEST(TokenizerTest, CopiesAreIndependent) {
  Tokenizer a;
  ASSERT_OK(a.fit_on_texts({"x y"}));
  Tokenizer b = a;
  ASSERT_OK(b.fit_on_texts({"z z z"}));
  EXPECT_EQ(a.word_index().size(), 2u);
  EXPECT_EQ(b.word_index().at("z"), 1);
  EXPECT_EQ(a.word_index().at("x"), 1);
}

TEST(PadSequenceTest, PadsAndTruncatesLikeKeras) {
  Ids s = {1, 2, 3, 4};
  EXPECT_EQ(pad_sequence(s, 6), (Ids{0, 0, 1, 2, 3, 4}));
  EXPECT_EQ(pad_sequence(s, 6, PadMode::kPost), (Ids{1, 2, 3, 4, 0, 0}));
  EXPECT_EQ(pad_sequence(s, 2), (Ids{3, 4}));
  EXPECT_EQ(pad_sequence(s, 2, PadMode::kPre, PadMode::kPost), (Ids{1, 2}));
  EXPECT_EQ(pad_sequence({}, 3, PadMode::kPre, PadMode::kPre, 9), (Ids{9, 9, 9}));
  EXPECT_EQ(pad_sequence(s, 0), Ids{});
}

}  // namespace
}  // namespace quiver
