// Black-box tests of `quiver train`, `quiver evaluate` and `quiver predict --train-data`
// against the real binary.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_data.h"
#include "testutil.h"

namespace quiver {
namespace {

using testutil::read_text_file;

using testutil::TempDir;

using CmdResult = testutil::ShellRun;

CmdResult run_shell(const std::string& cmd) { return testutil::shell(cmd); }

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
  // The opt-in weight modes evaluate the same rows; a user dictionary needs a jieba mode.
  CmdResult b = run("evaluate --model " + dir.file("m.h5") + " --data " + dir.file("d.csv") +
                    " --json --weights bf16");
  ASSERT_EQ(b.code, 0) << b.out;
  EXPECT_EQ(nlohmann::json::parse(b.out)["rows"], 120);
  CmdResult u = run("evaluate --model " + dir.file("m.h5") + " --data " + dir.file("d.csv") +
                    " --user-dict " + dir.file("d.csv") + " 2>&1");
  EXPECT_EQ(u.code, 2) << u.out;
  EXPECT_NE(u.out.find("needs segmenter jieba, jieba-nohmm or jieba-search, not 'none'"), std::string::npos)
      << u.out;
}

// `quiver bench` (issue 5's external form) prints one JSON line with every field, for
// unpadded rows and with --tokens / --min-tokens (pre-padded rows); bad counts are refused.
TEST(TrainCliTest, BenchPrintsOneJsonLine) {
  TempDir dir;
  write_data(dir);
  ASSERT_EQ(run("train --data " + dir.file("d.csv") + " --model " + dir.file("m.h5") + kSmall).code,
            0);  // sequences of 4 words
  const std::string bench = "bench --model " + dir.file("m.h5") +
                            " --batch 3 --seq-len 4 --threads 2 --seconds 0.05";
  for (const std::string extra : {"", " --tokens 2", " --tokens 3 --min-tokens 1"}) {
    CmdResult b = run(bench + extra);
    ASSERT_EQ(b.code, 0) << b.out;
    ASSERT_EQ(std::count(b.out.begin(), b.out.end(), '\n'), 1) << b.out;
    auto j = nlohmann::json::parse(b.out);
    EXPECT_EQ(j["batch"], 3);
    EXPECT_EQ(j["seq_len"], 4);
    EXPECT_EQ(j["threads"], 2);
    for (const char* key : {"median_ms", "p90_ms", "sentences_per_s", "load_ms", "rss_mb"}) {
      EXPECT_GT(j[key].get<double>(), 0.0) << key << extra;
    }
    EXPECT_GE(j["p90_ms"].get<double>(), j["median_ms"].get<double>());
  }
  CmdResult bad = run(bench + " --tokens 5 2>&1");
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("--tokens must be between 1 and --seq-len"), std::string::npos) << bad.out;
  bad = run(bench + " --min-tokens 2 2>&1");
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("--min-tokens needs --tokens"), std::string::npos) << bad.out;
}

TEST(TrainCliTest, BadOptionsExitBelow128WithOneLine) {
  TempDir dir;
  write_data(dir);
  CmdResult r = run("train --data " + dir.file("d.csv") + " --model " + dir.file("m.h5") +
              " --type transformer 2>&1");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_EQ(r.out, "quiver train: invalid argument: --type: expected lstm, bilstm, gru, bigru or cnn, "
                   "got 'transformer'\n");
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

// With --train-data, --maxlen is the training length and --padding is recorded in the
// model (read back with HDF5's own h5dump).
TEST(TrainCliTest, PredictPassesLengthAndPaddingToTraining) {
  TempDir dir;
  write_data(dir);  // sequences of 4 words
  const std::string cmd = "predict --model " + dir.file("m.h5") + " --train-data " +
                          dir.file("d.csv") + " --maxlen 3 --padding post" + kSmall;
  CmdResult r = run_shell("printf 'good great item 1\\n' | " + testutil::quiver_binary() + " " + cmd);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["scores"].size(), 2u);
  CmdResult h = run_shell("h5dump -a quiver_maxlen -a quiver_padding " + dir.file("m.h5"));
  ASSERT_EQ(h.code, 0) << h.out;
  EXPECT_NE(h.out.find("(0): \"3\""), std::string::npos) << h.out;
  EXPECT_NE(h.out.find("(0): \"post\""), std::string::npos) << h.out;
}

// Ctrl-C (SIGINT) during training: the process stops after the current batch, writes the
// best model so far atomically, reports "interrupted" and exits 0.
TEST(TrainCliTest, SigintStopsCleanlyAndKeepsTheBestModel) {
  TempDir dir;
  write_data(dir);
  const std::string out = dir.file("out.txt"), err = dir.file("err.txt");
  const std::string cmd = "exec " + testutil::quiver_binary() + " train --data " +
                          dir.file("d.csv") + " --model " + dir.file("m.h5") +
                          " --embed-dim 8 --units 8 --epochs 100000 --seed 3"
                          " --validation-split 0.1 >" + out + " 2>" + err;
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait until two epochs have finished (plain progress lines: not a terminal).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (read_text_file(err).find("Epoch 2/100000 - ") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << "\n" << read_text_file(err);
  EXPECT_EQ(WEXITSTATUS(status), 0) << read_text_file(err);
  EXPECT_NE(read_text_file(out).find("interrupted: wrote the best model so far to"), std::string::npos)
      << read_text_file(out);
  EXPECT_NE(read_text_file(err).find("quiver train: interrupted"), std::string::npos);
  // Only the model and its tokenizer are left beside the data: no half-written temp file.
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"d.csv", "err.txt", "m.h5", "m.tokenizer.json",
                                             "out.txt"}));
  CmdResult e = run("evaluate --model " + dir.file("m.h5") + " --data " + dir.file("d.csv") + " --json");
  ASSERT_EQ(e.code, 0) << e.out;
  EXPECT_EQ(nlohmann::json::parse(e.out)["rows"], 120);
}

}  // namespace
}  // namespace quiver
