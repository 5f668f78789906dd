// Black-box tests of `quiver train`, `quiver evaluate` and `quiver predict --train-data`
// against the real binary.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_data.h"
#include "testutil.h"

namespace quiver {
namespace {

using testutil::TempDir;

struct CmdResult {
  int code = -1;
  std::string out;
};

CmdResult run_shell(const std::string& cmd) {
  CmdResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return r;
}

CmdResult run(const std::string& args) { return run_shell(testutil::quiver_binary() + " " + args); }

void write_data(const TempDir& dir) {
  std::vector<testutil::TextRow> rows;
  for (int i = 0; i < 120; ++i) {
    const bool p = i % 2 == 0;
    rows.push_back({std::string(p ? "good great" : "bad awful") + " item " + std::to_string(i % 7),
                    p ? "pos" : "neg"});
  }
  testutil::write_csv(dir.file("d.csv"), rows);
}

const char* kSmall = " --embed-dim 8 --units 8 --epochs 3 --quiet --seed 3";

TEST(TrainCliTest, TrainThenEvaluateAsJson) {
  TempDir dir;
  write_data(dir);
  CmdResult t = run("train --data " + dir.file("d.csv") + " --model " + dir.file("m.h5") +
              " --type bilstm --validation-split 0.1 --json" + kSmall);
  ASSERT_EQ(t.code, 0) << t.out;
  auto report = nlohmann::json::parse(t.out);
  EXPECT_EQ(report["labels"], nlohmann::json({"neg", "pos"}));
  EXPECT_EQ(report["validation_rows"], 12);
  CmdResult e = run("evaluate --model " + dir.file("m.h5") + " --data " + dir.file("d.csv") + " --json");
  ASSERT_EQ(e.code, 0) << e.out;
  auto m = nlohmann::json::parse(e.out);
  EXPECT_EQ(m["rows"], 120);
  EXPECT_TRUE(m.contains("roc_auc"));
  EXPECT_EQ(m["confusion_matrix"].size(), 2u);
  EXPECT_GE(m["accuracy"].get<double>(), 0.0);
}

TEST(TrainCliTest, BadOptionsExitBelow128WithOneLine) {
  TempDir dir;
  write_data(dir);
  CmdResult r = run("train --data " + dir.file("d.csv") + " --model " + dir.file("m.h5") +
              " --type transformer 2>&1");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("unknown --type 'transformer'"), std::string::npos) << r.out;
  r = run("train --data " + dir.file("nope.csv") + " --model " + dir.file("m.h5") + " 2>&1");
  EXPECT_EQ(r.code, 3) << r.out;
}

TEST(TrainCliTest, PredictTrainsAMissingModelThenPredictsText) {
  TempDir dir;
  write_data(dir);
  const std::string cmd = "predict --model " + dir.file("m.h5") + " --train-data " +
                          dir.file("d.csv") + " --type gru" + kSmall;
  CmdResult r = run_shell("printf 'good great\\nbad awful\\n' | " + testutil::quiver_binary() + " " + cmd);
  ASSERT_EQ(r.code, 0) << r.out;
  std::istringstream lines(r.out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["scores"].size(), 2u);
    EXPECT_TRUE(j["label"] == "pos" || j["label"] == "neg");
    ++n;
  }
  EXPECT_EQ(n, 2);
  EXPECT_TRUE(std::ifstream(dir.file("m.tokenizer.json")).good());
}

}  // namespace
}  // namespace quiver
