// A Chinese classifier end to end on a real labelled corpus: the sentences of Debian's
// libreoffice-help-zh-cn pages labelled by module (libreoffice_corpus.py), trained by
// `quiver train --segmenter jieba`, scored on held-out pages by `quiver evaluate`, and
// answered identically by `quiver predict` (which takes the segmenter recorded in the model)
// and by `quiver serve`'s /v1/classify on the raw sentences.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "chinese_test_util.h"
#include "http_client.h"

namespace quiver::chinese {
namespace {

using nlohmann::json;

// Small sizes so that corpus + training take well under a minute on the shared machine.
constexpr char kCorpusArgs[] = " --modules 5 --max-train 800 --max-test 200";
constexpr char kTrainArgs[] =
    " --segmenter jieba --type cnn --embed-dim 32 --filters 64 --kernel-size 3 --dropout 0.3"
    " --spatial-dropout 0 --num-words 8000 --maxlen 48 --epochs 6 --batch-size 32 --seed 7"
    " --quiet";

std::string help_dir() {
  return testutil::env_or("QUIVER_ZH_HELP_DIR", testutil::source_dir() +
                                                    "/third_party/cache/libreoffice-help-zh-cn/"
                                                    "usr/share/libreoffice/help/zh-CN/text");
}

class LibreOfficeChineseTest : public ::testing::Test {
 protected:
  // Corpus + training (~15 s on the shared machine) shared by the cases: see prepare_once.
  static void SetUpTestSuite() {
    const std::string command = "sh -c '/usr/bin/python3 " + script("libreoffice_corpus.py") + " " +
                                help_dir() + " \"$1\"" + kCorpusArgs + " && " + quiver() +
                                " train --data \"$1/train.csv\" --model " + "\"$1/lo.h5\"" +
                                kTrainArgs + "' sh";
    Prepared p = prepare_once("libreoffice", command,
                              files_key({script("libreoffice_corpus.py"), quiver()}));
    dir_ = p.dir;
    status_ = p.exit_code;
    error_ = p.err;
  }
  void SetUp() override {
    if (status_ == kSkipExit) GTEST_SKIP() << "LibreOffice zh-CN help absent: " << error_;
    ASSERT_EQ(status_, 0) << error_;
  }
  static std::string file(const std::string& name) { return dir_ + "/" + name; }

  // The test sentences (column text of test.csv), one a line, for predict / serve.
  static std::vector<std::string> test_sentences() {
    testutil::TempDir tmp;
    CmdResult r =
        run("/usr/bin/python3 -c 'import csv,json,sys; print(json.dumps([r[\"text\"] for r "
            "in csv.DictReader(open(sys.argv[1], encoding=\"utf-8\"))], "
            "ensure_ascii=False))' " +
                file("test.csv"),
            tmp);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out).get<std::vector<std::string>>()
                            : std::vector<std::string>{};
  }

  static std::string dir_;
  static int status_;
  static std::string error_;
};

std::string LibreOfficeChineseTest::dir_;
int LibreOfficeChineseTest::status_ = -1;
std::string LibreOfficeChineseTest::error_;

TEST_F(LibreOfficeChineseTest, HeldOutAccuracyIsWellAboveChance) {
  testutil::TempDir out;
  CmdResult r = run(
      quiver() + " evaluate --json --model " + file("lo.h5") + " --data " + file("test.csv"), out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json m = json::parse(r.out);
  json corpus = json::parse(read_text_file(file("corpus.json")));
  long long train_rows = 0;
  std::string modules;
  for (const auto& [name, c] : corpus["modules"].items()) {
    train_rows += c["train"].get<long long>();
    modules += (modules.empty() ? "" : ", ") + name;
  }
  std::printf(
      "[chinese] LibreOffice zh-CN help by module (%s): trained on %lld sentences, "
      "held-out pages %lld sentences: accuracy %.4f, macro F1 %.4f (chance 0.2)\n",
      modules.c_str(), train_rows, m["rows"].get<long long>(), m["accuracy"].get<double>(),
      m["macro_f1"].get<double>());
  EXPECT_EQ(m["classes"].size(), 5u);
  EXPECT_GT(m["accuracy"].get<double>(), 0.5);
}

TEST_F(LibreOfficeChineseTest, PredictUsesTheSegmenterRecordedInTheModel) {
  testutil::TempDir out;
  std::string lines;
  for (const auto& s : test_sentences()) lines += s + "\n";
  testutil::TempDir in;
  std::ofstream(in.file("in.txt"), std::ios::binary) << lines;
  const std::string base =
      quiver() + " predict --model " + file("lo.h5") + " --tokenizer " + file("lo.tokenizer.json");
  CmdResult recorded = run(base + " <" + in.file("in.txt"), out);
  CmdResult jieba = run(base + " --segmenter jieba <" + in.file("in.txt"), out);
  CmdResult none = run(base + " --segmenter none <" + in.file("in.txt"), out);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_EQ(recorded.out, jieba.out);
  EXPECT_NE(recorded.out, none.out);  // without segmentation most sentences are one token
}

TEST_F(LibreOfficeChineseTest, ServeAnswersAsPredictOnRawSentences) {
  const std::vector<std::string> texts = test_sentences();
  ASSERT_FALSE(texts.empty());
  testutil::TempDir work;
  std::string lines;
  for (const auto& s : texts) lines += s + "\n";
  testing::write_text(work.file("in.txt"), lines);
  CmdResult predicted = run(quiver() + " predict --model " + file("lo.h5") + " --tokenizer " +
                                file("lo.tokenizer.json") + " <" + work.file("in.txt"),
                            work);
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  std::vector<json> want = json_lines(predicted.out);
  ASSERT_EQ(want.size(), texts.size());
  // No tokenizer, labels or segmenter in the config: the model file records them.
  testing::write_text(work.file("serve.yaml"),
                      "server:\n  host: 127.0.0.1\nmodels:\n"
                      "  - name: lo\n    model: " +
                          file("lo.h5") + "\n");
  testing::ServerProcess server;
  ASSERT_TRUE(server.start(work.file("serve.yaml"))) << server.error();
  testing::HttpClient client(server.port());
  json labels = json::parse(read_text_file(file("corpus.json")))["modules"];
  std::vector<std::string> names;
  for (const auto& [name, c] : labels.items()) names.push_back(name);  // sorted, as trained
  double worst = 0;
  size_t same_label = 0;
  for (size_t begin = 0; begin < texts.size(); begin += 100) {  // requests of 100 sentences
    std::vector<std::string> chunk(texts.begin() + begin,
                                   texts.begin() + std::min(texts.size(), begin + 100));
    auto r = client.post("/v1/classify", json{{"category", "lo"}, {"sentences", chunk}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    json results = json::parse(r.body)["results"];
    ASSERT_EQ(results.size(), chunk.size());
    for (size_t i = 0; i < chunk.size(); ++i) {
      const json& p = want[begin + i];
      json scores = json::array();
      for (const auto& n : names) scores.push_back(results[i]["scores"][n]);
      const double d = max_abs_diff(scores, p["scores"]);
      worst = std::max(worst, d);
      EXPECT_LE(d, 1e-6) << chunk[i] << ": " << results[i].dump() << " vs " << p.dump();
      const size_t best =
          std::max_element(p["scores"].begin(), p["scores"].end()) - p["scores"].begin();
      same_label += results[i]["label"] == names[best];
    }
  }
  EXPECT_EQ(same_label, texts.size());
  std::printf(
      "[chinese] serve vs predict on %zu raw held-out sentences: %zu identical labels, "
      "max score difference %.3g\n",
      texts.size(), same_label, worst);
  EXPECT_EQ(server.terminate(), 0) << server.error();
}

}  // namespace
}  // namespace quiver::chinese
