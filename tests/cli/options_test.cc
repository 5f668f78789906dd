// One vocabulary for the training options (src/train/option_table.h) as the quiver binary
// shows it: new and old flag spellings, validation through the table, maxlen as Keras
// means it, and docs/training.md carrying the table `quiver help options --markdown` prints.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "testutil.h"

namespace quiver {
namespace {

using testutil::TempDir;

using testutil::quiver_stderr;
using testutil::quiver_stdout;

void write_data(const TempDir& dir) {
  std::ofstream f(dir.file("d.csv"));
  f << "text,label\n";
  for (int i = 0; i < 40; ++i) {
    f << (i % 2 ? "good great film" : "bad awful film") << " number " << i % 5 << ","
      << (i % 2 ? "pos" : "neg") << "\n";
  }
}

const char* kTiny = " --units 3 --epochs 1 --quiet --json --seed 2 --threads 1";

TEST(TrainOptionsCliTest, DocsCarryTheGeneratedTable) {
  testutil::ShellRun md = quiver_stdout("help options --markdown");
  ASSERT_EQ(md.code, 0);
  const std::string doc = testutil::read_text_file(testutil::source_dir() + "/docs/training.md");
  const std::string begin = "<!-- options:begin (quiver help options --markdown) -->\n";
  const std::string end = "<!-- options:end -->";
  const size_t b = doc.find(begin), e = doc.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(doc.substr(b + begin.size(), e - b - begin.size()), md.out)
      << "regenerate docs/training.md's table with `quiver help options --markdown`";
}

TEST(TrainOptionsCliTest, OldAndNewSpellingsBuildTheSameModel) {
  TempDir dir;
  write_data(dir);
  const std::string base = "train --data " + dir.file("d.csv") + kTiny;
  testutil::ShellRun old_form = quiver_stdout(base + " --model " + dir.file("a.h5") + " --type gru --embed-dim 5");
  testutil::ShellRun new_form =
      quiver_stdout(base + " --model " + dir.file("b.h5") + " --model-type gru --embedding-dim 5");
  testutil::ShellRun other = quiver_stdout(base + " --model " + dir.file("c.h5") + " --model-type gru --embedding-dim 6");
  ASSERT_EQ(old_form.code, 0) << old_form.out;
  ASSERT_EQ(new_form.code, 0) << new_form.out;
  ASSERT_EQ(other.code, 0) << other.out;
  auto a = nlohmann::json::parse(old_form.out), b = nlohmann::json::parse(new_form.out),
       c = nlohmann::json::parse(other.out);
  EXPECT_EQ(a["params"], b["params"]);
  EXPECT_EQ(a["epochs"][0]["loss"], b["epochs"][0]["loss"]);  // same seed, same network
  EXPECT_NE(a["params"], c["params"]);
}

TEST(TrainOptionsCliTest, ValuesAreCheckedByTheTableUnderTheSpellingUsed) {
  const std::string base = "train --data d.csv --model m.h5 ";
  testutil::ShellRun r = quiver_stderr(base + "--type rnn");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "quiver train: invalid argument: --type: expected lstm, bilstm, gru, bigru or cnn, got 'rnn'\n");
  r = quiver_stderr(base + "--model-type rnn");
  EXPECT_EQ(r.out, "quiver train: invalid argument: --model-type: expected lstm, bilstm, gru, bigru or cnn, got 'rnn'\n");
  r = quiver_stderr(base + "--epochs abc");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "quiver train: invalid argument: --epochs: expected an integer >= 1, got 'abc'\n");
  r = quiver_stderr(base + "--dropout 1.5");
  EXPECT_EQ(r.out, "quiver train: invalid argument: --dropout: expected a number in [0, 1), got '1.5'\n");
  r = quiver_stderr(base + "--model-type gru --type cnn");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "quiver train: invalid argument: give --model-type or --type, not both\n");
  r = quiver_stderr(base + "--epochs 2 --epochs 3");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "quiver train: invalid argument: --epochs: given more than once\n");
  r = quiver_stderr(base + "--embeding-dim 3");
  EXPECT_EQ(r.out, "quiver train: invalid argument: unknown option '--embeding-dim' (did you mean --embedding-dim?)\n");
}

// maxlen as Keras' pad_sequences: every row padded / truncated to exactly maxlen (longer
// than the longest text here), 0 = the longest training text.
TEST(TrainOptionsCliTest, MaxlenIsTheExactLength) {
  TempDir dir;
  write_data(dir);
  const std::string base = "train --data " + dir.file("d.csv") + kTiny;
  testutil::ShellRun exact = quiver_stdout(base + " --model " + dir.file("a.h5") + " --maxlen 12");
  testutil::ShellRun longest = quiver_stdout(base + " --model " + dir.file("b.h5"));
  testutil::ShellRun shorter = quiver_stdout(base + " --model " + dir.file("c.h5") + " --maxlen 2");
  ASSERT_EQ(exact.code, 0) << exact.out;
  ASSERT_EQ(longest.code, 0) << longest.out;
  ASSERT_EQ(shorter.code, 0) << shorter.out;
  EXPECT_EQ(nlohmann::json::parse(exact.out)["maxlen"], 12);
  EXPECT_EQ(nlohmann::json::parse(longest.out)["maxlen"], 5);  // "good great film number 3"
  EXPECT_EQ(nlohmann::json::parse(shorter.out)["maxlen"], 2);
  // The model's input is that long, so serving pads / truncates to it too.
  testutil::ShellRun inspect = quiver_stdout("inspect " + dir.file("a.h5") + " --json");
  ASSERT_EQ(inspect.code, 0) << inspect.out;
  EXPECT_EQ(nlohmann::json::parse(inspect.out)["input_length"], 12) << inspect.out;
}

// d.csv (write_data) and a.h5: a BiLSTM(3) trained on it.
bool train_bilstm(const TempDir& dir) {
  write_data(dir);
  testutil::ShellRun trained = quiver_stdout("train --data " + dir.file("d.csv") + kTiny +
                                             " --model " + dir.file("a.h5") + " --model-type bilstm");
  EXPECT_EQ(trained.code, 0) << trained.out;
  return trained.code == 0;
}

// quiver inspect --memory-policy / --memory-budget-mb (issue 18): the bytes by part and the
// policy chosen, from the shapes: a BiLSTM(3) over an Embedding of V tokens has two token
// tables of V x (4 x 3) floats; `none` holds only the weights.
TEST(InspectCliTest, ShowsMemoryByPartUnderEachPolicy) {
  TempDir dir;
  ASSERT_TRUE(train_bilstm(dir));
  auto inspect = [&](const std::string& flags) {
    testutil::ShellRun r = quiver_stdout("inspect " + dir.file("a.h5") + " --json " + flags);
    EXPECT_EQ(r.code, 0) << r.out;
    return nlohmann::json::parse(r.out);
  };
  const nlohmann::json fp32 = inspect("--memory-policy fp32");
  const int64_t vocab = fp32["vocab_size"];
  ASSERT_GT(vocab, 5);
  const nlohmann::json& m = fp32["memory"];
  EXPECT_EQ(m["policy"], "fp32");
  EXPECT_EQ(m["tables"], 2 * vocab * 12 * 4);
  EXPECT_EQ(m["total"], fp32["memory_bytes"]);
  EXPECT_EQ(m["total"].get<int64_t>(), m["weights"].get<int64_t>() + m["tables"].get<int64_t>() +
                                           m["trajectories"].get<int64_t>() +
                                           m["tokenizer"].get<int64_t>() + m["other"].get<int64_t>());
  EXPECT_EQ(m["estimates"]["fp32"], m["total"]);
  EXPECT_EQ(m["estimates"]["none"], m["weights"]);
  EXPECT_EQ(m["estimates"]["bf16"], m["total"].get<int64_t>() - vocab * 12 * 4);
  const nlohmann::json none = inspect("--memory-policy none")["memory"];
  EXPECT_EQ(none["policy"], "none");
  EXPECT_EQ(none["tables"], 0);
  EXPECT_EQ(none["trajectories"], 0);
  EXPECT_EQ(none["weights"], m["weights"]);
  EXPECT_EQ(inspect("")["memory"]["policy"], "fp32");  // auto without a budget
  // A budget below the fp32 total but above weights + trajectories + row index: auto keeps
  // the table rows that fit, lazily; below that, none.
  const int64_t floor = m["weights"].get<int64_t>() + m["trajectories"].get<int64_t>() +
                        2 * vocab * 4;
  const int64_t half = floor + m["tables"].get<int64_t>() / 2;
  const nlohmann::json lazy =
      inspect("--memory-budget-mb " + std::to_string(static_cast<double>(half) / 1048576.0))["memory"];
  EXPECT_EQ(lazy["policy"], "lazy");
  EXPECT_LE(lazy["total"].get<int64_t>(), half + 1);
  EXPECT_GT(lazy["tables"].get<int64_t>(), 2 * vocab * 4);
  const nlohmann::json tight =
      inspect("--memory-budget-mb " + std::to_string(static_cast<double>(floor - 64) / 1048576.0))["memory"];
  EXPECT_EQ(tight["policy"], "none");
  testutil::ShellRun text = quiver_stdout("inspect " + dir.file("a.h5") + " --memory-policy bf16");
  EXPECT_NE(text.out.find("memory_policy: bf16\nmemory: weights "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("memory by policy: fp32 "), std::string::npos) << text.out;
  testutil::ShellRun bad = quiver_stderr("inspect " + dir.file("a.h5") + " --memory-policy int8");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("--memory-policy"), std::string::npos) << bad.out;
}

// quiver predict / evaluate --memory-policy and --memory-budget-mb (issue 18): fp32, lazy
// and none tables answer the same bits (a budget too small for any table too), bf16 within
// its documented error; a policy name that does not exist is a usage error.
TEST(MemoryCliTest, PredictAndEvaluateGiveTheSameAnswersUnderEveryExactPolicy) {
  TempDir dir;
  ASSERT_TRUE(train_bilstm(dir));
  std::ofstream(dir.file("in.txt")) << "good great film\nbad awful film number 3\nfilm\nunseen words\n";
  auto predict = [&](const std::string& flags) {
    testutil::ShellRun r =
        quiver_stdout("predict --model " + dir.file("a.h5") + " " + flags + " < " + dir.file("in.txt"));
    EXPECT_EQ(r.code, 0) << flags << ": " << r.out;
    return r.out;
  };
  auto evaluate = [&](const std::string& flags) {
    testutil::ShellRun r = quiver_stdout("evaluate --model " + dir.file("a.h5") + " --data " +
                                         dir.file("d.csv") + " --json " + flags);
    EXPECT_EQ(r.code, 0) << flags << ": " << r.out;
    return r.out;
  };
  const std::string fp32 = predict("--memory-policy fp32");
  ASSERT_EQ(std::count(fp32.begin(), fp32.end(), '\n'), 4) << fp32;
  const std::string evaluated = evaluate("--memory-policy fp32");
  for (const char* flags : {"", "--memory-policy auto", "--memory-policy lazy",
                            "--memory-policy none", "--memory-budget-mb 0.0001",
                            "--memory-policy lazy --memory-budget-mb 0.0001"}) {
    EXPECT_EQ(predict(flags), fp32) << flags;
    EXPECT_EQ(evaluate(flags), evaluated) << flags;
  }
  // bf16 tables: scores within 1e-2 of fp32's (docs/performance.md), the same labels.
  std::istringstream a(fp32), b(predict("--memory-policy bf16"));
  for (std::string la, lb; std::getline(a, la) && std::getline(b, lb);) {
    const auto ja = nlohmann::json::parse(la), jb = nlohmann::json::parse(lb);
    EXPECT_EQ(ja["label"], jb["label"]) << la << " / " << lb;
    for (size_t i = 0; i < ja["scores"].size(); ++i) {
      EXPECT_NEAR(ja["scores"][i].get<double>(), jb["scores"][i].get<double>(), 1e-2) << la;
    }
  }
  testutil::ShellRun bad = quiver_stderr("predict --model " + dir.file("a.h5") +
                                         " --memory-policy int8 < " + dir.file("in.txt"));
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("--memory-policy"), std::string::npos) << bad.out;
  testutil::ShellRun negative = quiver_stderr("evaluate --model " + dir.file("a.h5") + " --data " +
                                              dir.file("d.csv") + " --memory-budget-mb -1");
  EXPECT_EQ(negative.code, 2) << negative.out;
}

TEST(TrainOptionsCliTest, HelpOptionsListsEveryFlagWithItsKey) {
  testutil::ShellRun r = quiver_stdout("help options");
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--model-type (--type)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("model_type (architecture)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--embedding-dim (--embed-dim)"), std::string::npos) << r.out;
  testutil::ShellRun train_help = quiver_stdout("train --help");
  EXPECT_NE(train_help.out.find("--model-type"), std::string::npos);
  EXPECT_EQ(train_help.out.find("--type "), std::string::npos) << "aliases stay out of --help";
}

}  // namespace
}  // namespace quiver
