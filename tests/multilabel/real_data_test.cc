// End to end on real multi-label corpora (docs/multilabel.md): the Tang poems with tags
// (npm chinese-poetry) and the Reuters stories with topics (Debian r-cran-tm). Per corpus:
// scripts/datasets/*.py writes per-category binary CSVs and a held-out corpus; `quiver
// train` trains one binary model per category, `quiver train-multilabel` the multi-label
// model from the same CSVs, `quiver compare` compares them (its table goes to the test
// log) and writes an HTML report that headless Chromium renders. Small models and a subset
// keep it fast. Skips when the corpora (scripts/install-deps.sh) are absent.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "testutil.h"

namespace quiver {
namespace {

using testutil::read_text_file;

using testutil::TempDir;

using Run = testutil::ShellRun;
using testutil::shell;

Run quiver(const std::string& args) { return shell(testutil::quiver_binary() + " " + args + " 2>&1"); }

struct Corpus {
  std::string name, script, script_args, train_args;
  std::vector<std::string> categories;
};

// Trains the binaries and the multi-label model, returns compare's JSON (and
// train-multilabel's output in *ml_out when asked).
nlohmann::json train_and_compare(const Corpus& c, const TempDir& dir, const std::string& ml_args,
                                 std::string* ml_out = nullptr) {
  const std::string src = testutil::source_dir();
  Run data = shell("cd " + src + " && /usr/bin/python3 scripts/datasets/" + c.script + " --out " +
                   dir.path() + " " + c.script_args + " 2>&1");
  EXPECT_EQ(data.code, 0) << data.out;
  std::cout << c.name << ": " << data.out;
  std::string cats, bins, group;
  for (const auto& k : c.categories) {
    Run t = quiver("train --data " + dir.file(k + ".csv") + " --model " + dir.file(k + ".h5") + c.train_args);
    EXPECT_EQ(t.code, 0) << t.out;
    cats += " --category " + k + "=" + dir.file(k + ".csv");
    bins += " --binary-model " + k + "=" + dir.file(k + ".h5");
    group += (group.empty() ? "" : ",") + k + "=" + dir.file(k + ".h5");
  }
  Run ml = quiver("train-multilabel" + cats + bins + " --model " + dir.file("ml.h5") + c.train_args + ml_args);
  EXPECT_EQ(ml.code, 0) << ml.out;
  std::cout << ml.out;
  if (ml_out != nullptr) *ml_out = ml.out;
  Run table = quiver("compare --group " + group + " --model " + dir.file("ml.h5") + " --data " +
                     dir.file("corpus.csv") + " --top 3 --html " + dir.file("report.html"));
  EXPECT_EQ(table.code, 0) << table.out;
  std::cout << table.out;  // the comparison table, in the test log
  Run json = quiver("compare --group " + group + " --model " + dir.file("ml.h5") + " --data " +
                    dir.file("corpus.csv") + " --json");
  EXPECT_EQ(json.code, 0) << json.out;
  auto j = nlohmann::json::parse(json.out, nullptr, false);
  EXPECT_TRUE(j.is_object()) << json.out;
  return j;
}

// Agreement and kappa must follow from the reported confusion (Cohen 1960).
void expect_consistent(const nlohmann::json& cat, int64_t rows) {
  const auto& k = cat["confusion"];
  const double yy = k["both_yes"], bo = k["binary_only"], mo = k["multilabel_only"], nn = k["both_no"];
  ASSERT_EQ(yy + bo + mo + nn, rows);
  const double po = (yy + nn) / rows, b = (yy + bo) / rows, m = (yy + mo) / rows;
  const double pe = b * m + (1 - b) * (1 - m);
  EXPECT_NEAR(cat["agreement"].get<double>(), po, 1e-12);
  EXPECT_NEAR(cat["kappa"].get<double>(), pe >= 1 ? 1.0 : (po - pe) / (1 - pe), 1e-9);
}

// Headless Chromium renders the report: the script ran to the end (data-report="ok"), one
// scatter per category with points, agreement bars, and no console error.
void expect_renders(const std::string& html, size_t categories) {
  // Debian's chromium-headless-shell (what scripts/install-deps.sh installs: no desktop
  // browser, no x-www-browser alternative), else a full chromium.
  std::string chromium = "chromium-headless-shell";
  if (shell("command -v chromium-headless-shell >/dev/null 2>&1").code != 0) chromium = "chromium";
  if (shell("command -v " + chromium + " >/dev/null 2>&1").code != 0) {
    std::cout << "chromium not installed: HTML rendering not checked\n";
    return;
  }
  Run r = shell("timeout 60 " + chromium + " --headless --disable-gpu --no-sandbox " +
                "--user-data-dir=" + std::filesystem::path(html).parent_path().string() +
                "/chromium-profile --enable-logging=stderr --v=0 --dump-dom file://" + html + " 2>" + html + ".log");
  const std::string log = read_text_file(html + ".log");
  ASSERT_EQ(r.code, 0) << log;
  EXPECT_NE(r.out.find("data-report=\"ok\""), std::string::npos) << r.out.substr(0, 2000);
  EXPECT_NE(r.out.find("data-plots=\"" + std::to_string(categories) + "\""), std::string::npos);
  EXPECT_NE(r.out.find("class=\"pt\""), std::string::npos);
  EXPECT_NE(r.out.find("class=\"bar\""), std::string::npos);
  EXPECT_EQ(log.find("Uncaught"), std::string::npos) << log;
  EXPECT_EQ(log.find(":CONSOLE"), std::string::npos) << log;  // the page logs nothing when fine
}

double macro_f1(const nlohmann::json& j, const char* side) {
  double sum = 0;
  for (const auto& c : j["categories"]) sum += c[side]["f1"].get<double>();
  return sum / j["categories"].size();
}

TEST(MultilabelRealDataTest, TangPoemTags) {
  const std::string poems = testutil::source_dir() + "/third_party/cache/chinese-poetry-2.0.1/dist/quantangshi";
  if (!std::filesystem::exists(poems)) GTEST_SKIP() << poems << " missing (scripts/install-deps.sh)";
  TempDir dir;
  Corpus c{"Tang poems", "tang_tags.py", "--tags 6 --coverage 0.85 --seed 1",
           " --type cnn --segmenter cjk-chars --num-words 3000 --maxlen 80 --embed-dim 32 --filters 64"
           " --kernel-size 3 --dropout 0.2 --spatial-dropout 0 --epochs 8 --learning-rate 0.002 --batch-size 32"
           " --threads 2"
           " --quiet --seed 1",
           {"dongting", "scenery", "lyrical", "tang300", "lushan", "yellow_river"}};
  nlohmann::json j = train_and_compare(c, dir, " --validation-split 0.15 --json");
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j["categories"].size(), 6u);
  for (const auto& cat : j["categories"]) expect_consistent(cat, j["rows"]);
  // Chance: a tag on ~6-12% of the poems, so a random guesser's F1 is about 0.1.
  const double ml = macro_f1(j, "multilabel_vs_labels"), bin = macro_f1(j, "binary_vs_labels");
  std::cout << "macro F1 on the held-out poems: binary " << bin << ", multi-label " << ml << "\n";
  EXPECT_GT(ml, 0.45);
  EXPECT_GT(bin, 0.4);
  expect_renders(dir.file("report.html"), 6);
}

TEST(MultilabelRealDataTest, ReutersTopics) {
  const std::string texts = testutil::source_dir() + "/third_party/cache/r-cran-tm/usr/lib/R/site-library/tm/texts";
  if (!std::filesystem::exists(texts)) GTEST_SKIP() << texts << " missing (scripts/install-deps.sh)";
  TempDir dir;
  Corpus c{"Reuters", "reuters_topics.py", "--seed 1",
           " --type cnn --num-words 2000 --maxlen 200 --embed-dim 32 --filters 32 --kernel-size 3"
           " --spatial-dropout 0 --epochs 20 --learning-rate 0.003 --batch-size 8 --threads 2 --quiet --seed 1",
           {"acq", "crude"}};
  nlohmann::json j = train_and_compare(c, dir, " --validation-split 0.3 --thresholds precision");
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j["categories"].size(), 2u);
  for (const auto& cat : j["categories"]) expect_consistent(cat, j["rows"]);
  const double ml = macro_f1(j, "multilabel_vs_labels");
  std::cout << "macro F1 on the held-out stories: multi-label " << ml << "\n";
  EXPECT_GT(ml, 0.6);  // chance: about 0.5 (acq) and 0.3 (crude)
  expect_renders(dir.file("report.html"), 2);
}

// The three UCI sentiment domains share no sentence: every merged sentence gets two of its
// three labels from the binary models. The held-out corpus has 0/1 only in the sentence's
// own domain's column.
TEST(MultilabelRealDataTest, SentimentDomainsFilledByBinaryModels) {
  const std::string fixtures = testutil::npm_dir() + "/sentiment/test/fixtures";
  if (!std::filesystem::exists(fixtures)) GTEST_SKIP() << fixtures << " missing (scripts/install-deps.sh)";
  TempDir dir;
  Corpus c{"UCI sentiment", "sentiment_domains.py", "--src " + fixtures + " --seed 1",
           " --type cnn --num-words 2000 --maxlen 40 --embed-dim 32 --filters 64 --kernel-size 3"
           " --spatial-dropout 0 --epochs 6 --learning-rate 0.002 --batch-size 32 --threads 2 --quiet --seed 1",
           {"amazon", "imdb", "yelp"}};
  std::string ml_out;
  nlohmann::json j = train_and_compare(c, dir, " --json", &ml_out);
  ASSERT_TRUE(j.is_object());
  auto ml = nlohmann::json::parse(ml_out, nullptr, false);
  ASSERT_TRUE(ml.is_object()) << ml_out;
  EXPECT_EQ(ml["merge"]["complete"], 0);
  EXPECT_EQ(ml["merge"]["filled_sentences"], ml["merge"]["sentences"]);
  EXPECT_EQ(ml["merge"]["filled_cells"], 2 * ml["merge"]["sentences"].get<int>());
  EXPECT_EQ(ml["merge"]["dropped"], 0);
  ASSERT_EQ(j["categories"].size(), 3u);
  for (const auto& cat : j["categories"]) {
    expect_consistent(cat, j["rows"]);
    EXPECT_EQ(cat["labelled_rows"], 200);  // a fifth of each domain's 1000 sentences
    EXPECT_GT(cat["multilabel_vs_labels"]["accuracy"].get<double>(), 0.65) << cat.dump();  // chance 0.5
  }
}

}  // namespace
}  // namespace quiver
