// Pickled Keras tokenizers (Tokenizer::from_pickle / load, src/text/pickle.cc): the sequences
// equal Python's texts_to_sequences for every protocol, module path and configuration that
// make_tokenizer_pickles.py writes with Debian's python3-keras-preprocessing; anything that
// is not plain data or the Tokenizer class is refused and never run; `quiver
// convert-tokenizer` writes JSON that keras_preprocessing's tokenizer_from_json reads back
// to the same sequences; `quiver tokenize` takes a pickle.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "python_reference.h"
#include "quiver/tokenizer.h"
#include "testutil.h"
#include "text/pickle.h"

namespace quiver {
namespace {

using testutil::sh_quote;

class TokenizerPickleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    script_ = testutil::source_dir() + "/tests/text/make_tokenizer_pickles.py";
    const int rc = std::system(("/usr/bin/python3 " + sh_quote(script_) + " " + dir_.path()).c_str());
    if (WIFEXITED(rc) && WEXITSTATUS(rc) == testutil::kSkipExit) {
      GTEST_SKIP() << "/usr/bin/python3 with keras_preprocessing not available";
    }
    ASSERT_EQ(rc, 0) << script_;
    cases_ = nlohmann::json::parse(testutil::read_text_file(dir_.file("cases.json")));
  }

  std::string file(const std::string& name) const { return dir_.file(name); }

  static std::string ids_text(const std::vector<int32_t>& ids) {
    return nlohmann::json(ids).dump();
  }

  testutil::TempDir dir_;
  std::string script_;
  nlohmann::json cases_;
};

TEST_F(TokenizerPickleTest, SequencesEqualPythonsForEveryProtocolModulePathAndConfig) {
  ASSERT_GE(cases_.size(), 30u);
  for (const auto& c : cases_) {
    const std::string name = c["file"].get<std::string>();
    auto tok = Tokenizer::load(file(name));
    ASSERT_OK(tok);
    for (size_t i = 0; i < c["texts"].size(); ++i) {
      EXPECT_EQ(ids_text(tok->text_to_sequence(c["texts"][i].get<std::string>())),
                c["sequences"][i].dump())
          << name << " text #" << i << ": " << c["texts"][i];
    }
  }
}

TEST_F(TokenizerPickleTest, PickleAndItsJsonGiveTheSameTokenizer) {
  auto pickled = Tokenizer::load(file("num_words_oov_p4.pickle"));
  ASSERT_OK(pickled);
  auto again = Tokenizer::from_json(pickled->to_json());
  ASSERT_OK(again);
  EXPECT_EQ(again->to_json(), pickled->to_json());
  EXPECT_EQ(pickled->config().num_words, 6);
  EXPECT_EQ(pickled->config().oov_token, "[UNK]");
  EXPECT_EQ(pickled->document_count(), 6);
}

TEST_F(TokenizerPickleTest, AReduceCallIsRefusedAndNeverRuns) {
  EXPECT_STATUS(Tokenizer::load(file("evil_call.pickle")), kUnimplemented,
                "global 'posix.system' is not allowed (only plain data and the allowed classes "
                "are read; nothing is run)");
  EXPECT_FALSE(std::filesystem::exists(file("EXECUTED")));
}

TEST_F(TokenizerPickleTest, OtherClassesAndAnalyzerFunctionsAreRefused) {
  EXPECT_STATUS(Tokenizer::load(file("stranger.pickle")), kUnimplemented,
                "global '__main__.Stranger' is not allowed");
  EXPECT_STATUS(Tokenizer::load(file("analyzer_function.pickle")), kUnimplemented,
                "global '__main__.my_analyzer' is not allowed");
}

TEST_F(TokenizerPickleTest, DeepNestingBadKeysAndTruncationAreRefused) {
  EXPECT_STATUS(Tokenizer::load(file("nested.pickle")), kResourceExhausted,
                "values nested deeper than 64 levels");
  EXPECT_STATUS(Tokenizer::load(file("bad_key.pickle")), kUnimplemented,
                "a dict key of type tuple");
  EXPECT_STATUS(Tokenizer::load(file("truncated.pickle")), kCorruption, "truncated");
  EXPECT_STATUS(Tokenizer::load(file("truncated.pickle")), kCorruption,
                file("truncated.pickle") + ": tokenizer pickle: byte ");
}

TEST_F(TokenizerPickleTest, ConvertTokenizerWritesJsonThatKerasReadsBack) {
  for (const char* name : {"oov_p2.pickle", "char_level_p5.pickle", "module_4.pkl",
                           "no_lower_filters_split_p3.pickle", "word_index.pickle"}) {
    const std::string out = file(std::string(name) + ".json");
    auto run = testutil::shell(sh_quote(testutil::quiver_binary()) + " convert-tokenizer " +
                               sh_quote(file(name)) + " --out " + sh_quote(out) + " 2>&1");
    ASSERT_EQ(run.code, 0) << run.out;
    auto python = testutil::shell("/usr/bin/python3 " + sh_quote(script_) + " --sequences " +
                                  sh_quote(out));
    ASSERT_EQ(python.code, 0) << python.out;
    const nlohmann::json* want = nullptr;
    for (const auto& c : cases_) {
      if (c["file"] == name) want = &c["sequences"];
    }
    ASSERT_NE(want, nullptr);
    EXPECT_EQ(nlohmann::json::parse(python.out), *want) << name;
  }
}

TEST_F(TokenizerPickleTest, TokenizeCommandTakesAPickleAndRefusesEvilOnes) {
  const std::vector<std::string> lines = {"The CAFÉ 中文 😀 fox unknown", "İSTANBUL ΟΔΟΣ ünïcödé"};
  const std::string texts = file("texts.txt");
  testutil::write_text_file(texts, lines[0] + "\n" + lines[1] + "\n");
  auto run = testutil::shell(sh_quote(testutil::quiver_binary()) + " tokenize --tokenizer " +
                             sh_quote(file("oov_p3.pickle")) + " < " + sh_quote(texts));
  ASSERT_EQ(run.code, 0) << run.out;
  std::string want;  // Python's sequences for those texts, one JSON array a line
  for (const auto& c : cases_) {
    if (c["file"] != "oov_p3.pickle") continue;
    for (const std::string& line : lines) {
      for (size_t i = 0; i < c["texts"].size(); ++i) {
        if (c["texts"][i] == line) want += c["sequences"][i].dump() + "\n";
      }
    }
  }
  EXPECT_EQ(run.out, want);
  auto evil = testutil::shell(sh_quote(testutil::quiver_binary()) + " tokenize --tokenizer " +
                              sh_quote(file("evil_call.pickle")) + " < " + sh_quote(texts) +
                              " 2>&1");
  EXPECT_EQ(evil.code, 5) << evil.out;  // unsupported
  EXPECT_NE(evil.out.find("global 'posix.system' is not allowed"), std::string::npos) << evil.out;
  EXPECT_FALSE(std::filesystem::exists(file("EXECUTED")));
}

using namespace std::string_literals;

// The unpickler on hand-made bytes: opcodes outside plain data, and the limits.
Status load_bytes(const std::string& bytes, const text::pickle::Limits& limits = {}) {
  return text::pickle::load(bytes, {}, "p", limits).status();
}

TEST(PickleTest, RefusesExtensionsPersistentIdsBuffersAndInst) {
  EXPECT_STATUS(load_bytes("\x80\x02\x82\x01."s), kUnimplemented, "opcode EXT1");
  EXPECT_STATUS(load_bytes("\x80\x02(K\x01Q."s), kUnimplemented,
                "opcode BINPERSID");
  EXPECT_STATUS(load_bytes("\x80\x05\x97."s), kUnimplemented,
                "opcode NEXT_BUFFER");
  EXPECT_STATUS(load_bytes("\x80\x02(ios\nsystem\n."), kUnimplemented, "opcode INST");
  EXPECT_STATUS(load_bytes("\x80\x02\x63os\nsystem\n."), kUnimplemented,
                "p: byte 2: global 'os.system' is not allowed");
  EXPECT_STATUS(load_bytes("\x80\x02\xff."s), kCorruption,
                "byte 2: unknown opcode 0xff");
  EXPECT_STATUS(load_bytes("\x80\x06."s), kUnimplemented, "pickle protocol 6");
}

TEST(PickleTest, CallsOnlyTheContainerConstructors) {
  // builtins.int(5) is a call of an allowed name that is not a constructor we know.
  EXPECT_STATUS(load_bytes("\x80\x02\x63" "builtins\nint\nK\x05\x85R."s),
                kUnimplemented, "calling builtins.int with 1 arguments");
  // defaultdict(list) is fine, defaultdict(dict) is not a known factory.
  EXPECT_STATUS(load_bytes("\x80\x02\x63" "collections\ndefaultdict\n\x63"
                                       "builtins\ndict\n\x85R."s),
                kUnimplemented, "global 'builtins.dict' is not allowed");
}

TEST(PickleTest, LimitsOnEntriesMarksAndSize) {
  text::pickle::Limits small;
  small.max_entries = 5;  // two APPENDS of 3 items: the second passes the limit
  EXPECT_STATUS(load_bytes("\x80\x02](K\x01K\x02K\x03" "e(K\x04K\x05K\x06" "e."s, small),
                kResourceExhausted, "more than 5 entries");
  std::string marks = "\x80\x02";
  for (int i = 0; i < 65; ++i) marks += '(';
  EXPECT_STATUS(load_bytes(marks + "."), kResourceExhausted, "more than 64 nested MARKs");
  small.max_bytes = 4;
  EXPECT_STATUS(load_bytes("\x80\x02N.N"s, small), kResourceExhausted,
                "5 bytes exceeds the limit of 4");
}

TEST(PickleTest, ReadsPlainDataAndKeepsDictOrderAndSemantics) {
  // {'b': 1, 'a': 2, 'b': 3} as SETITEMS: Python keeps 'b' first with the last value.
  const std::string p("\x80\x02}(X\x01\x00\x00\x00" "bK\x01X\x01\x00\x00\x00" "aK\x02X\x01\x00\x00\x00"
                      "bK\x03u.", 34);
  auto doc = text::pickle::load(p, {}, "p");
  ASSERT_OK(doc);
  const text::pickle::Value& d = *doc->root;
  ASSERT_EQ(d.kind, text::pickle::Kind::kDict);
  ASSERT_EQ(d.entries.size(), 2u);
  EXPECT_EQ(d.entries[0].first->text, "b");
  EXPECT_EQ(d.entries[0].second->integer, 3);
  EXPECT_EQ(d.entries[1].first->text, "a");
}

}  // namespace
}  // namespace quiver
