// CSV rows with a wrong column count or an empty text are errors naming file and line in
// every command that reads training-style CSVs (train, evaluate, fit-tokenizer,
// train-multilabel; serve's train_if_missing in tests/serve/config_test.cc), or skipped and
// counted with --skip-bad-rows. Category names follow serve's rule.
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "testutil.h"

namespace quiver {
namespace {

using testutil::TempDir;

using testutil::quiver_stderr;
using testutil::quiver_stdout;

const char* kHint = " (to skip such rows: --skip-bad-rows, or skip_bad_rows: true under training:)";
const char* kTiny = " --units 3 --embedding-dim 3 --epochs 1 --quiet --threads 1";

class CsvRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream good(dir_.file("good.csv"));
    good << "text,label\n";
    for (int i = 0; i < 30; ++i) good << (i % 2 ? "fine day" : "bad day") << " " << i << "," << i % 2 << "\n";
    // Line 3: an extra column; line 5: an empty text (a quoted blank).
    std::ofstream(dir_.file("extra.csv")) << "text,label\nfine day,1\nfine,day,1\nbad day,0\n";
    std::ofstream(dir_.file("empty.csv")) << "text,label\nfine day,1\nbad day,0\n\" \",1\n";
  }
  std::string f(const char* name) const { return dir_.file(name); }
  TempDir dir_;
};

TEST_F(CsvRowsTest, TrainNamesFileAndLine) {
  testutil::ShellRun r = quiver_stderr("train --data " + f("extra.csv") + " --model " + f("m.h5") + kTiny);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "quiver train: invalid argument: " + f("extra.csv") +
                       ":3: record has 3 fields, header has 2" + kHint + "\n");
  r = quiver_stderr("train --data " + f("empty.csv") + " --model " + f("m.h5") + kTiny);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "quiver train: invalid argument: " + f("empty.csv") + ":4: column 'text': empty text" +
                       kHint + "\n");
}

TEST_F(CsvRowsTest, TrainSkipsAndCountsOnRequest) {
  std::ofstream(f("good.csv"), std::ios::app) << "one,two,1\n\"\",0\n";
  testutil::ShellRun r =
      quiver_stdout("train --data " + f("good.csv") + " --model " + f("m.h5") + kTiny + " --skip-bad-rows --json");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["skipped_rows"], 2);
  EXPECT_EQ(j["train_rows"].get<int>() + j["validation_rows"].get<int>(), 30);
}

TEST_F(CsvRowsTest, EvaluateNamesFileAndLine) {
  ASSERT_EQ(quiver_stdout("train --data " + f("good.csv") + " --model " + f("m.h5") + kTiny).code, 0);
  testutil::ShellRun r = quiver_stderr("evaluate --model " + f("m.h5") + " --data " + f("extra.csv"));
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "quiver evaluate: invalid argument: " + f("extra.csv") +
                       ":3: record has 3 fields, header has 2" + kHint + "\n");
  r = quiver_stdout("evaluate --model " + f("m.h5") + " --data " + f("extra.csv") + " --skip-bad-rows --json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["skipped_rows"], 1);
}

TEST_F(CsvRowsTest, FitTokenizerNamesFileAndLine) {
  testutil::ShellRun r = quiver_stderr("fit-tokenizer --data " + f("empty.csv") + " --out " + f("t.json"));
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "quiver fit-tokenizer: invalid argument: " + f("empty.csv") +
                       ":4: column 'text': empty text" + kHint + "\n");
  r = quiver_stderr("fit-tokenizer --data " + f("extra.csv") + " --out " + f("t.json") + " --skip-bad-rows");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "quiver fit-tokenizer: " + f("extra.csv") + ": skipped bad rows: 1\n");
  auto j = nlohmann::json::parse(testutil::read_text_file(f("t.json")));
  EXPECT_EQ(j["config"]["document_count"], 2);
  r = quiver_stderr("fit-tokenizer --data " + f("empty.csv") + " --out " + f("t.json") + " --allow-empty-text");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(testutil::read_text_file(f("t.json")))["config"]["document_count"], 3);
}

TEST_F(CsvRowsTest, TrainMultilabelNamesFileAndLine) {
  testutil::ShellRun r = quiver_stderr("train-multilabel --category a=" + f("good.csv") + " --category b=" +
                                    f("extra.csv") + " --model " + f("ml.h5") + kTiny);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "quiver train-multilabel: invalid argument: " + f("extra.csv") +
                       ":3: record has 3 fields, header has 2" + kHint + "\n");
}

// One rule for category names: serve's [A-Za-z0-9_.-]+ (serve::check_name).
TEST_F(CsvRowsTest, CategoryNamesFollowServesRule) {
  testutil::ShellRun r = quiver_stderr("train-multilabel --category \"bad name=" + f("good.csv") +
                                    "\" --category b=" + f("good.csv") + " --model " + f("ml.h5") + kTiny);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "quiver train-multilabel: invalid argument: --category 'bad name=" + f("good.csv") +
                       "': expected a name of [A-Za-z0-9_.-]+, got 'bad name'\n");
  r = quiver_stderr("train-multilabel --category a=" + f("good.csv") + " --category b=" + f("good.csv") +
                 " --binary-model \"a/b=x.h5\" --model " + f("ml.h5") + kTiny);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "quiver train-multilabel: invalid argument: --binary-model 'a/b=x.h5': expected a name "
                   "of [A-Za-z0-9_.-]+, got 'a/b'\n");
  // The same words as serve's config error for the same name.
  std::ofstream(f("s.yaml")) << "models: [{name: 'bad name', model: m.h5}]\n";
  r = quiver_stderr("serve --config " + f("s.yaml") + " --port 0");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "quiver serve: invalid argument: " + f("s.yaml") +
                       ": models[0].name: expected a name of [A-Za-z0-9_.-]+, got 'bad name'\n");
}

}  // namespace
}  // namespace quiver
