// Segmenter behaviour. Expected tokens come from Python jieba 0.42.1 (Debian python3-jieba:
// jieba.lcut / lcut_for_search / Tokenizer().load_userdict), run by hand; the corpus-wide
// comparison is segmenter_parity_test.cc.
#include "quiver/segmenter.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include "testutil.h"

namespace quiver {
namespace {

using Tokens = std::vector<std::string>;

// One cache per test process: each dictionary is loaded once (gtest runs each case alone).
SegmenterCache& cache() {
  static SegmenterCache* cache = new SegmenterCache();
  return *cache;
}

std::shared_ptr<const Segmenter> make(std::string_view mode, const SegmenterOptions& o = {}) {
  auto s = cache().get(mode, o);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return s.ok() ? *s : nullptr;
}

Tokens seg(const Segmenter& s, std::string_view text) {
  auto r = s.segment(text);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : Tokens{};
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(SegmenterTest, ModeNamesRoundTrip) {
  for (auto name : {"none", "jieba", "jieba-nohmm", "jieba-search", "cjk-chars"}) {
    auto mode = parse_segmenter_mode(name);
    ASSERT_OK(mode);
    EXPECT_EQ(segmenter_mode_name(*mode), name);
  }
}

TEST(SegmenterTest, UnknownModeListsTheValidNames) {
  EXPECT_STATUS(Segmenter::create("jieba-fast"), kInvalidArgument,
                "unknown segmenter 'jieba-fast' (valid: none, jieba, jieba-nohmm, "
                "jieba-search, cjk-chars)");
}

TEST(SegmenterTest, JiebaModesMatchPythonOnClassicSentences) {
  auto hmm = make("jieba"), nohmm = make("jieba-nohmm"), search = make("jieba-search");
  EXPECT_EQ(seg(*hmm, "他来到了网易杭研大厦"), (Tokens{"他", "来到", "了", "网易", "杭研", "大厦"}));
  EXPECT_EQ(seg(*nohmm, "他来到了网易杭研大厦"),
            (Tokens{"他", "来到", "了", "网易", "杭", "研", "大厦"}));
  EXPECT_EQ(seg(*search, "我来到北京清华大学"),
            (Tokens{"我", "来到", "北京", "清华", "华大", "大学", "清华大学"}));
  EXPECT_EQ(seg(*search, "中华人民共和国的江南好"),
            (Tokens{"中华", "华人", "人民", "共和", "共和国", "中华人民共和国", "的", "江南", "好"}));
}

TEST(SegmenterTest, JiebaKeepsSpacesPunctuationAndCrLfAsTokens) {
  auto hmm = make("jieba");
  EXPECT_EQ(seg(*hmm, "C++和Python 3.14%的 abc\r\n好"),
            (Tokens{"C++", "和", "Python", " ", "3.14%", "的", " ", "abc", "\r\n", "好"}));
  EXPECT_EQ(seg(*make("jieba-nohmm"), "C++和Python 3.14%的"),
            (Tokens{"C++", "和", "Python", " ", "3", ".", "14", "%", "的"}));
  EXPECT_EQ(seg(*hmm, ""), Tokens{});
}

TEST(SegmenterTest, UserDictionaryNeedsAJiebaModeWhateverTheEntryPoint) {
  SegmenterOptions o;
  o.user_dict = "words.dict";  // never opened: the mode is refused first
  for (const char* mode : {"none", "cjk-chars"}) {
    const std::string want = "user dictionary words.dict: needs segmenter jieba, jieba-nohmm or "
                             "jieba-search, not '" + std::string(mode) + "'";
    EXPECT_STATUS(Segmenter::create(mode, o), kInvalidArgument, want);
    SegmenterCache fresh;
    EXPECT_STATUS(fresh.get(mode, o), kInvalidArgument, want);
  }
}

TEST(SegmenterTest, UserDictionaryFollowsLoadUserdict) {
  testutil::TempDir tmp;
  write(tmp.file("user.dict"), "江南好\n共享 0\n云计算 5\n");
  SegmenterOptions o;
  o.user_dict = tmp.file("user.dict");
  std::string text = "  共享单车，江南好风景；云计算!";
  EXPECT_EQ(seg(*make("jieba"), text),
            (Tokens{" ", " ", "共享", "单车", "，", "江南", "好", "风景", "；", "云", "计算", "!"}));
  auto user = make("jieba", o), user_search = make("jieba-search", o);
  EXPECT_EQ(seg(*user, text),
            (Tokens{" ", " ", "共", "享", "单车", "，", "江南好", "风景", "；", "云计算", "!"}));
  EXPECT_EQ(seg(*user, "他们共享了云计算资源"),
            (Tokens{"他们", "共", "享", "了", "云计算", "资源"}));
  EXPECT_EQ(seg(*user_search, "中华人民共和国的江南好"),
            (Tokens{"中华", "华人", "人民", "共和", "共和国", "中华人民共和国", "的", "江南", "江南好"}));
}

// A model records its user dictionary's text (quiver_user_dict); segmenting with the text
// must be segmenting with the file.
TEST(SegmenterTest, RecordedUserDictionaryTextActsAsTheFile) {
  testutil::TempDir tmp;
  const std::string dict = "江南好\n共享 0\n云计算 5\n";
  write(tmp.file("user.dict"), dict);
  SegmenterOptions from_file, from_text;
  from_file.user_dict = tmp.file("user.dict");
  from_text.user_dict_text = dict;
  auto file = make("jieba", from_file), text = make("jieba", from_text);
  EXPECT_EQ(file->user_dictionary(), dict);  // what training records
  EXPECT_EQ(text->user_dictionary(), dict);
  EXPECT_EQ(make("jieba")->user_dictionary(), "");
  for (const char* s : {"  共享单车，江南好风景；云计算!", "他们共享了云计算资源"}) {
    EXPECT_EQ(seg(*text, s), seg(*file, s)) << s;
  }
  EXPECT_NE(seg(*text, "他们共享了云计算资源"), seg(*make("jieba"), "他们共享了云计算资源"));
  // An explicit dictionary wins over the recorded one; modes without jieba take none.
  EXPECT_EQ(with_recorded_user_dict(from_file, "jieba", "x 1\n").user_dict_text, "");
  EXPECT_EQ(with_recorded_user_dict({}, "jieba-search", dict).user_dict_text, dict);
  EXPECT_EQ(with_recorded_user_dict({}, "cjk-chars", dict).user_dict_text, "");
  EXPECT_EQ(with_recorded_user_dict({}, "none", dict).user_dict_text, "");
  // A malformed recorded dictionary is named as such.
  SegmenterOptions bad;
  bad.user_dict_text = "好 99999999999999999999999999\n";
  EXPECT_STATUS(Segmenter::create("jieba", bad), kInvalidArgument, "recorded user dictionary:1: ");
}

TEST(SegmenterTest, CjkCharsSplitsHanKanaHangulAndLeavesOtherRuns) {
  EXPECT_EQ(seg(*make("cjk-chars"), "我爱ひらカタ한국 New York, 2024年"),
            (Tokens{"我", "爱", "ひ", "ら", "カ", "タ", "한", "국", "New", "York,", "2024", "年"}));
}

TEST(SegmenterTest, NoneSplitsOnWhitespaceAndFeedsTheTokenizerUnchanged) {
  auto none = make("none");
  EXPECT_EQ(seg(*none, " a\tb\u3000c "), (Tokens{"a", "b", "c"}));
  auto joined = segment_for_tokenizer(*none, " a\tb ", " ");
  ASSERT_OK(joined);
  EXPECT_EQ(*joined, " a\tb ");
}

TEST(SegmenterTest, SegmentForTokenizerJoinsLikeThePythonPipeline) {
  auto joined = segment_for_tokenizer(*make("jieba"), "我来到北京 清华大学", " ");
  ASSERT_OK(joined);
  EXPECT_EQ(*joined, "我 来到 北京   清华大学");  // " ".join(jieba.cut(...))
  EXPECT_EQ(join_tokens({"a", "b"}, "|"), "a|b");
  EXPECT_EQ(join_tokens({}, " "), "");
}

TEST(SegmenterTest, InvalidUtf8IsInvalidArgumentInEveryMode) {
  for (auto mode : {"none", "jieba", "jieba-nohmm", "jieba-search", "cjk-chars"}) {
    auto s = make(mode);
    EXPECT_STATUS(s->segment("ok\xE6\x88"), kInvalidArgument, "invalid UTF-8 at byte 2");
    EXPECT_STATUS(s->segment("\xED\xA0\x80"), kInvalidArgument, "invalid UTF-8 at byte 0");
  }
}

TEST(SegmenterTest, MissingJiebaDataIsNotFound) {
  SegmenterOptions o;
  o.jieba_dir = "/nonexistent/jieba";
  EXPECT_STATUS(Segmenter::create("jieba", o), kNotFound,
                "jieba dictionary: /nonexistent/jieba/finalseg/prob_start.py: no such file");
  EXPECT_TRUE(Segmenter::create("cjk-chars", o).ok());  // needs no data
}

TEST(SegmenterTest, BadUserDictionaryNamesFileAndLine) {
  testutil::TempDir tmp;
  write(tmp.file("bad.dict"), "江南好\n\xFF\xFE 3\n");
  SegmenterOptions o;
  o.user_dict = tmp.file("bad.dict");
  EXPECT_STATUS(Segmenter::create("jieba", o), kInvalidArgument,
                "bad.dict:2: dictionary file must be UTF-8");
  write(tmp.file("big.dict"), "江南好 99999999999999999999\n");
  o.user_dict = tmp.file("big.dict");
  EXPECT_STATUS(Segmenter::create("jieba", o), kInvalidArgument, "big.dict:1: frequency too large");
  o.user_dict = tmp.file("missing.dict");
  EXPECT_STATUS(Segmenter::create("jieba", o), kNotFound, "missing.dict: no such file");
}

// A copy of jieba's data with one file replaced.
std::string damaged_jieba_dir(const testutil::TempDir& tmp, const std::string& file,
                              const std::string& content) {
  namespace fs = std::filesystem;
  std::string dir = tmp.file("jieba");
  fs::create_directories(dir + "/finalseg");
  std::string src(kDefaultJiebaDir);
  for (auto name : {"prob_start.py", "prob_trans.py", "prob_emit.py"})
    fs::copy_file(src + "/finalseg/" + name, dir + "/finalseg/" + name);
  fs::copy_file(src + "/dict.txt", dir + "/dict.txt");
  write(dir + "/" + file, content);
  return dir;
}

TEST(SegmenterTest, MalformedJiebaDataIsCorruption) {
  testutil::TempDir tmp;
  SegmenterOptions o;
  o.jieba_dir = damaged_jieba_dir(tmp, "finalseg/prob_trans.py", "P={'B': {'E': -0.5,");
  EXPECT_STATUS(Segmenter::create("jieba", o), kCorruption, "prob_trans.py: offset 19: ");
  testutil::TempDir tmp2;
  o.jieba_dir = damaged_jieba_dir(tmp2, "dict.txt", "一 5 m\n二三 x n\n");
  EXPECT_STATUS(Segmenter::create("jieba", o), kCorruption, "dict.txt:2: bad frequency");
}

TEST(SegmenterTest, CacheSharesOneDictionaryAcrossModes) {
  SegmenterCache cache;
  auto a = cache.get("jieba");
  auto b = cache.get("jieba-search");
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(seg(**a, "我来到北京清华大学"), (Tokens{"我", "来到", "北京", "清华大学"}));
  EXPECT_EQ(seg(**b, "清华大学").size(), 4u);
  EXPECT_STATUS(cache.get("nope"), kInvalidArgument, "unknown segmenter 'nope'");
}

TEST(SegmenterTest, ConcurrentSegmentationGivesTheSameTokens) {
  auto s = make("jieba");
  const std::string text = "小明硕士毕业于中国科学院计算所，后在日本京都大学深造";
  const Tokens expected = seg(*s, text);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) mismatches[t] += (seg(*s, text) != expected);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace quiver
