// Raw Chinese sentences through `quiver tokenize`, `quiver predict` (--segmenter,
// --user-dict) and `quiver serve` (segmenter: / user_dict: config keys, /v1/classify with
// "return_ids") against Python: jieba 0.42.1 + keras_preprocessing for the ids and
// TensorFlow.js (tests/golden/reference_predict.py) for the scores, both computed by
// keras_jieba_model.py for a Keras-layout model whose tokenizer was fitted on jieba output.
#include <gtest/gtest.h>

#include <fstream>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "chinese_test_util.h"
#include "http_client.h"

namespace quiver::chinese {
namespace {

using nlohmann::json;

class ChineseCliTest : public ::testing::Test {
 protected:
  // One Python run (~2 s of CPU) shared by the cases: see prepare_once.
  static void SetUpTestSuite() {
    const std::string golden = testutil::source_dir() + "/tests/golden/";
    Prepared p =
        prepare_once("keras_jieba_model", "/usr/bin/python3 " + script("keras_jieba_model.py"),
                     files_key({script("keras_jieba_model.py"), golden + "net_builder.py",
                                golden + "model_writer.py", golden + "reference_predict.py",
                                golden + "tfjs_predict.mjs"}));
    dir_ = p.dir;
    status_ = p.exit_code;
    error_ = p.err;
    if (status_ == 0) expected_ = json::parse(read_text_file(file("expected.json")));
  }
  void SetUp() override {
    if (status_ == kSkipExit) GTEST_SKIP() << "Python reference unavailable: " << error_;
    ASSERT_EQ(status_, 0) << error_;
  }
  static std::string file(const std::string& name) { return dir_ + "/" + name; }
  static std::string sentences() { return " <" + file("sentences.txt"); }
  static std::vector<std::string> sentence_list() {
    std::vector<std::string> out;
    std::istringstream in(read_text_file(file("sentences.txt")));
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  static std::string dir_;
  static int status_;
  static std::string error_;
  static json expected_;
};

std::string ChineseCliTest::dir_;
int ChineseCliTest::status_ = -1;
std::string ChineseCliTest::error_;
json ChineseCliTest::expected_;

TEST_F(ChineseCliTest, TokenizeGivesPythonJiebaKerasIdsInEveryMode) {
  const std::string maxlen = std::to_string(expected_["maxlen"].get<int>());
  size_t rows = 0;
  for (const auto& [name, ids] : expected_["ids"].items()) {
    SCOPED_TRACE(name);
    const bool user = name.rfind("user:", 0) == 0;
    const std::string mode = user ? name.substr(5) : name;
    testutil::TempDir out;
    CmdResult r = run(quiver() + " tokenize --tokenizer " + file("tokenizer.json") + " --maxlen " +
                          maxlen + " --segmenter " + mode +
                          (user ? " --user-dict " + file("user.dict") : "") + sentences(),
                      out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json(json_lines(r.out)), ids);
    rows += ids.size();
  }
  std::printf(
      "[chinese] tokenize: %zu rows in 6 cases (3 modes x user dict) identical to "
      "Python jieba + keras_preprocessing\n",
      rows);
}

TEST_F(ChineseCliTest, PredictOnRawSentencesGivesTheReferenceScores) {
  testutil::TempDir out;
  CmdResult r =
      run(quiver() + " predict --model " + file("model.h5") + " --tokenizer " +
              file("tokenizer.json") + " --segmenter jieba --labels 甲,乙,丙" + sentences(),
          out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<json> got = json_lines(r.out);
  const json& want = expected_["scores"];
  ASSERT_EQ(got.size(), want.size()) << r.out;
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = max_abs_diff(got[i]["scores"], want[i]);
    worst = std::max(worst, d);
    EXPECT_LE(d, 1e-5) << "sentence " << i << ": " << got[i].dump() << " vs " << want[i].dump();
    const auto& s = want[i];
    const size_t best = std::max_element(s.begin(), s.end(),
                                         [](const json& a, const json& b) {
                                           return a.get<double>() < b.get<double>();
                                         }) -
                        s.begin();
    EXPECT_EQ(got[i]["label"], expected_["labels"][best]);
  }
  std::printf("[chinese] predict --segmenter jieba: %zu sentences, max |quiver - %s| = %.3g\n",
              got.size(), expected_["engine"].get<std::string>().c_str(), worst);
}

TEST_F(ChineseCliTest, PredictWithoutARecordedSegmenterUsesNone) {
  // A Keras model carries no quiver_segmenter: the default is none, as an explicit
  // --segmenter none; jieba gives other ids and so other scores.
  testutil::TempDir out;
  const std::string base =
      quiver() + " predict --model " + file("model.h5") + " --tokenizer " + file("tokenizer.json");
  CmdResult plain = run(base + sentences(), out);
  CmdResult none = run(base + " --segmenter none" + sentences(), out);
  CmdResult jieba = run(base + " --segmenter jieba" + sentences(), out);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out, none.out);
  EXPECT_NE(plain.out, jieba.out);
}

TEST_F(ChineseCliTest, PredictWithAUserDictionaryUsesIt) {
  testutil::TempDir out;
  const std::string base = quiver() + " predict --model " + file("model.h5") + " --tokenizer " +
                           file("tokenizer.json") + " --segmenter jieba";
  CmdResult with = run(base + " --user-dict " + file("user.dict") + sentences(), out);
  CmdResult without = run(base + sentences(), out);
  ASSERT_EQ(with.exit_code, 0) << with.err;
  // The user dictionary changes the ids of some sentences (Python says so too).
  ASSERT_NE(expected_["ids"]["user:jieba"], expected_["ids"]["jieba"]);
  EXPECT_NE(with.out, without.out);
}

TEST_F(ChineseCliTest, TrainWithAUserDictionaryFitsPythonsTokenizer) {
  // quiver train --segmenter jieba --user-dict fits its tokenizer on the same words as
  // keras_preprocessing on " ".join(jieba.cut(s)) after jieba.load_userdict.
  testutil::TempDir out;
  CmdResult r = run(quiver() + " train --data " + file("train.csv") + " --model " +
                        out.file("t.h5") + " --segmenter jieba --user-dict " + file("user.dict") +
                        " --num-words 0 --type cnn --embed-dim 4 --filters 4 --epochs 1 --quiet",
                    out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json config = json::parse(read_text_file(out.file("t.tokenizer.json")))["config"];
  json word_index = config["word_index"].is_string()
                        ? json::parse(config["word_index"].get<std::string>())
                        : config["word_index"];
  json want = json::parse(read_text_file(file("train_word_index.json")));
  EXPECT_EQ(word_index.size(), want.size());
  EXPECT_EQ(word_index, want);
  // The dictionary's last entry has frequency 0: jieba splits that word, so it is no token.
  std::string dict = read_text_file(file("user.dict"));
  dict.pop_back();  // the final "\n"
  const std::string zero_line = dict.substr(dict.rfind('\n') + 1);
  const std::string zero_word = zero_line.substr(0, zero_line.find(' '));
  EXPECT_FALSE(word_index.contains(zero_word)) << zero_word;
  std::printf(
      "[chinese] train --user-dict: tokenizer word_index (%zu words) identical to "
      "keras_preprocessing on jieba + load_userdict\n",
      word_index.size());

  // The model records the dictionary (quiver_user_dict, read back with HDF5's h5dump), and
  // predict and evaluate apply it without being given the file again: the same scores as
  // with --user-dict, other scores than with an explicitly empty dictionary.
  CmdResult dump = run("h5dump -a quiver_user_dict " + out.file("t.h5"), out);
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  // h5dump escapes the Chinese words; the frequencies show through.
  EXPECT_EQ(count(dump.out, " 100000"), count(dict, " 100000")) << dump.out;
  EXPECT_NE(dump.out.find(" 0\n"), std::string::npos) << dump.out;
  const std::string predict = quiver() + " predict --model " + out.file("t.h5") +
                              " --tokenizer " + out.file("t.tokenizer.json");
  CmdResult recorded = run(predict + sentences(), out);
  CmdResult given =
      run(predict + " --segmenter jieba --user-dict " + file("user.dict") + sentences(), out);
  std::ofstream(out.file("empty.dict")).flush();
  CmdResult emptied = run(predict + " --user-dict " + out.file("empty.dict") + sentences(), out);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  ASSERT_EQ(emptied.exit_code, 0) << emptied.err;
  EXPECT_EQ(recorded.out, given.out);
  EXPECT_NE(recorded.out, emptied.out);
  const std::string evaluate = quiver() + " evaluate --model " + out.file("t.h5") + " --data " +
                               file("train.csv") + " --json";
  CmdResult eval_recorded = run(evaluate, out);
  CmdResult eval_given = run(evaluate + " --user-dict " + file("user.dict"), out);
  ASSERT_EQ(eval_recorded.exit_code, 0) << eval_recorded.err;
  EXPECT_EQ(eval_recorded.out, eval_given.out);
}

TEST_F(ChineseCliTest, SegmenterErrorsNameTheOptionAndExitNonZero) {
  testutil::TempDir out;
  CmdResult bad_mode = run(quiver() + " tokenize --tokenizer " + file("tokenizer.json") +
                               " --segmenter jieba-fast" + sentences(),
                           out);
  EXPECT_EQ(bad_mode.exit_code, 2);
  EXPECT_NE(bad_mode.err.find("unknown segmenter 'jieba-fast'"), std::string::npos) << bad_mode.err;
  CmdResult dict_without_jieba = run(quiver() + " tokenize --tokenizer " + file("tokenizer.json") +
                                         " --user-dict " + file("user.dict") + sentences(),
                                     out);
  EXPECT_EQ(dict_without_jieba.exit_code, 2);
  EXPECT_NE(dict_without_jieba.err.find(
                "needs segmenter jieba, jieba-nohmm or jieba-search, not 'none'"),
            std::string::npos)
      << dict_without_jieba.err;
  CmdResult missing_dict = run(quiver() + " predict --model " + file("model.h5") + " --tokenizer " +
                                   file("tokenizer.json") + " --segmenter jieba --user-dict " +
                                   file("absent.dict") + sentences(),
                               out);
  EXPECT_NE(missing_dict.exit_code, 0);
  EXPECT_NE(missing_dict.err.find("absent.dict"), std::string::npos) << missing_dict.err;
  CmdResult bad_utf8 =
      run("printf '\\377\\n' | " + quiver() + " predict --model " + file("model.h5") +
              " --tokenizer " + file("tokenizer.json") + " --segmenter jieba",
          out);
  EXPECT_EQ(bad_utf8.exit_code, 2);
  EXPECT_NE(bad_utf8.err.find("stdin line 1: invalid UTF-8 at byte 0"), std::string::npos)
      << bad_utf8.err;
}

TEST_F(ChineseCliTest, ServeClassifyGivesPythonIdsAndReferenceScores) {
  testutil::TempDir run_dir;
  const std::string common = "    model: " + file("model.h5") +
                             "\n    tokenizer: " + file("tokenizer.json") +
                             "\n    labels: [甲, 乙, 丙]\n";
  const std::string config = run_dir.file("serve.yaml");
  testing::write_text(config,
                      "server:\n  host: 127.0.0.1\nmodels:\n"
                      "  - name: zh\n" +
                          common +
                          "    segmenter: jieba\n"
                          "  - name: zh_user\n" +
                          common +
                          "    segmenter: jieba\n"
                          "    user_dict: " +
                          file("user.dict") +
                          "\n"
                          "  - name: zh_search\n" +
                          common + "    segmenter: jieba-search\n");
  testing::ServerProcess server;
  ASSERT_TRUE(server.start(config)) << server.error();
  testing::HttpClient client(server.port());
  const std::vector<std::string> texts = sentence_list();
  const json& labels = expected_["labels"];
  double worst = 0;
  for (const auto& [name, ids_case] : std::map<std::string, std::string>{
           {"zh", "jieba"}, {"zh_user", "user:jieba"}, {"zh_search", "jieba-search"}}) {
    SCOPED_TRACE(name);
    auto r =
        client.post("/v1/classify",
                    json{{"category", name}, {"sentences", texts}, {"return_ids", true}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    json results = json::parse(r.body)["results"];
    ASSERT_EQ(results.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      EXPECT_EQ(results[i]["ids"], expected_["ids"][ids_case][i]) << texts[i];
      if (name != "zh") continue;  // the reference scores are for the jieba ids
      json scores = json::array();
      for (const auto& l : labels) scores.push_back(results[i]["scores"][l.get<std::string>()]);
      const double d = max_abs_diff(scores, expected_["scores"][i]);
      worst = std::max(worst, d);
      EXPECT_LE(d, 1e-5) << texts[i] << ": " << results[i].dump();
    }
  }
  std::printf(
      "[chinese] serve /v1/classify: %zu raw sentences x 3 models (jieba, jieba + user "
      "dict, jieba-search): ids identical to Python; scores max |quiver - %s| = %.3g\n",
      texts.size(), expected_["engine"].get<std::string>().c_str(), worst);
  EXPECT_EQ(server.terminate(), 0) << server.error();
}

// A quiver-trained model served without segmenter: / user_dict: keys segments with what it
// recorded (jieba + the user dictionary): the ids are quiver tokenize's with --user-dict,
// which differ from those without it on some sentences.
TEST_F(ChineseCliTest, ServeAppliesTheRecordedUserDictionary) {
  testutil::TempDir run_dir;
  CmdResult trained = run(quiver() + " train --data " + file("train.csv") + " --model " +
                              run_dir.file("t.h5") + " --segmenter jieba --user-dict " +
                              file("user.dict") + " --maxlen 24 --type cnn --embed-dim 4 " +
                              "--filters 4 --epochs 1 --quiet",
                          run_dir);
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const std::string tokenize = quiver() + " tokenize --tokenizer " +
                               run_dir.file("t.tokenizer.json") + " --maxlen 24 --segmenter jieba";
  CmdResult with = run(tokenize + " --user-dict " + file("user.dict") + sentences(), run_dir);
  CmdResult without = run(tokenize + sentences(), run_dir);
  ASSERT_EQ(with.exit_code, 0) << with.err;
  ASSERT_NE(with.out, without.out);  // the dictionary matters for these sentences
  const std::string config = run_dir.file("serve.yaml");
  testing::write_text(config, "server:\n  host: 127.0.0.1\nmodels:\n  - name: zh\n    model: " +
                                  run_dir.file("t.h5") + "\n");
  testing::ServerProcess server;
  ASSERT_TRUE(server.start(config)) << server.error();
  testing::HttpClient client(server.port());
  const std::vector<std::string> texts = sentence_list();
  auto r = client.post("/v1/classify",
                       json{{"category", "zh"}, {"sentences", texts}, {"return_ids", true}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json results = json::parse(r.body)["results"];
  const std::vector<json> want = json_lines(with.out);
  ASSERT_EQ(results.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(results[i]["ids"], want[i]) << texts[i];
  EXPECT_EQ(server.terminate(), 0) << server.error();
}

}  // namespace
}  // namespace quiver::chinese
