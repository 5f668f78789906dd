// Black-box tests of `quiver train-multilabel` and `quiver compare` on a small synthetic
// set whose merge counts are known by construction; the written attributes are read back
// with h5py (an independent HDF5 reader).
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "testutil.h"

namespace quiver {
namespace {

using testutil::TempDir;

using CmdRun = testutil::ShellRun;

CmdRun sh(const std::string& cmd) { return testutil::shell(cmd + " 2>&1"); }

CmdRun quiver(const std::string& args) { return sh(testutil::quiver_binary() + " " + args); }

const char* kSmall = " --type cnn --embed-dim 8 --filters 8 --kernel-size 2 --epochs 4 --quiet --seed 2 --threads 1";

// Sentence i: kind i % 4 = sport only, food only, both, neither. sport.csv covers rows
// 0..69, food.csv rows 10..79: 80 sentences, 60 in both CSVs, 10 missing each label.
class TrainMultilabelCliTest : public ::testing::Test {
 protected:
  static std::string sentence(int i) {
    static const char* sport[] = {"ball goal", "match team", "goal team", "ball match"};
    static const char* food[] = {"pizza bread", "soup cake", "bread soup", "cake pizza"};
    const int kind = i % 4;
    std::string s = "today we saw";
    if (kind == 0 || kind == 2) s += std::string(" ") + sport[(i / 4) % 4];
    if (kind == 1 || kind == 2) s += std::string(" ") + food[(i / 4) % 4];
    return s + " in the city number" + std::to_string(i);
  }
  void SetUp() override {
    std::ofstream sport(dir_.file("sport.csv")), food(dir_.file("food.csv")), corpus(dir_.file("c.txt"));
    sport << "text,label\n";
    food << "text,label\n";
    for (int i = 0; i < 80; ++i) {
      const int kind = i % 4;
      if (i < 70) sport << sentence(i) << "," << (kind == 0 || kind == 2 ? "yes" : "no") << "\n";
      if (i >= 10) food << sentence(i) << "," << (kind == 1 || kind == 2 ? "yes" : "no") << "\n";
      if (i % 5 == 0) corpus << sentence(i) << "\n";
    }
  }
  std::string categories() const {
    return " --category sport=" + dir_.file("sport.csv") + " --category food=" + dir_.file("food.csv");
  }
  std::string binaries() const {
    return " --binary-model sport=" + dir_.file("sport.h5") + " --binary-model food=" + dir_.file("food.h5");
  }
  void train_binaries() {
    for (const char* k : {"sport", "food"}) {
      CmdRun r = quiver(std::string("train --data ") + dir_.file(std::string(k) + ".csv") + " --model " +
                     dir_.file(std::string(k) + ".h5") + kSmall);
      ASSERT_EQ(r.code, 0) << r.out;
    }
  }
  TempDir dir_;
};

TEST_F(TrainMultilabelCliTest, GapsFilledByBinaryModelsAndThresholdsStored) {
  train_binaries();
  CmdRun r = quiver("train-multilabel" + categories() + binaries() + " --model " + dir_.file("ml.h5") +
                 " --merged-csv " + dir_.file("merged.csv") + " --json" + kSmall);
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["unlabelled"], "binary");
  EXPECT_EQ(j["merge"]["input_rows"], 140);
  EXPECT_EQ(j["merge"]["sentences"], 80);
  EXPECT_EQ(j["merge"]["complete"], 60);
  EXPECT_EQ(j["merge"]["filled_sentences"], 20);
  EXPECT_EQ(j["merge"]["filled_cells"], 20);
  EXPECT_EQ(j["merge"]["dropped"], 0);
  EXPECT_EQ(j["train_rows"].get<int>() + j["validation_rows"].get<int>(), 80);
  EXPECT_EQ(j["validation_rows"], 8);  // default --validation-split 0.1
  ASSERT_EQ(j["labels"].size(), 2u);
  EXPECT_EQ(j["labels"][0]["label"], "food");  // sorted, as quiver_labels
  std::ifstream merged(dir_.file("merged.csv"));
  std::string header;
  std::getline(merged, header);
  EXPECT_EQ(header, "\"quiver_text\",\"sport\",\"food\"");
  // h5py reads what was written: labels, one threshold per label equal to the report's.
  CmdRun py = sh("/usr/bin/python3 -c \"import h5py, json; f = h5py.File('" + dir_.file("ml.h5") +
              "', 'r'); print(json.dumps([json.loads(f.attrs['quiver_labels']), "
              "json.loads(f.attrs['quiver_thresholds']), f.attrs['quiver_threshold_method'], "
              "f.attrs['quiver_task']]))\"");
  ASSERT_EQ(py.code, 0) << py.out;
  auto attrs = nlohmann::json::parse(py.out, nullptr, false);
  ASSERT_TRUE(attrs.is_array()) << py.out;
  EXPECT_EQ(attrs[0], nlohmann::json({"food", "sport"}));
  ASSERT_EQ(attrs[1].size(), 2u);
  EXPECT_DOUBLE_EQ(attrs[1][0].get<double>(), j["labels"][0]["threshold"].get<double>());
  EXPECT_DOUBLE_EQ(attrs[1][1].get<double>(), j["labels"][1]["threshold"].get<double>());
  EXPECT_EQ(attrs[2], "f1");
  EXPECT_EQ(attrs[3], "multilabel");
  // Compare on an unlabelled .txt corpus: counts only, no accuracy.
  CmdRun c = quiver("compare --group sport=" + dir_.file("sport.h5") + ",food=" + dir_.file("food.h5") +
                 " --model " + dir_.file("ml.h5") + " --data " + dir_.file("c.txt") + " --json");
  ASSERT_EQ(c.code, 0) << c.out;
  auto cj = nlohmann::json::parse(c.out, nullptr, false);
  ASSERT_TRUE(cj.is_object()) << c.out;
  EXPECT_EQ(cj["rows"], 16);
  EXPECT_EQ(cj["categories"][0]["category"], "sport");
  EXPECT_FALSE(cj["categories"][0].contains("binary_vs_labels"));
  EXPECT_DOUBLE_EQ(cj["categories"][1]["multilabel_threshold"].get<double>(), attrs[1][0].get<double>());
  // The sides swapped: a binary model is no multi-label model, and vice versa.
  c = quiver("compare --group sport=" + dir_.file("sport.h5") + " --model " + dir_.file("sport.h5") +
             " --data " + dir_.file("c.txt"));
  EXPECT_EQ(c.code, 2) << c.out;
  EXPECT_NE(c.out.find("sport.h5: not a multi-label model"), std::string::npos) << c.out;
  c = quiver("compare --group food=" + dir_.file("ml.h5") + " --model " + dir_.file("ml.h5") +
             " --data " + dir_.file("c.txt"));
  EXPECT_EQ(c.code, 2) << c.out;
  EXPECT_NE(c.out.find("ml.h5: not a binary model"), std::string::npos) << c.out;
  c = quiver("compare --group other=" + dir_.file("food.h5") + " --model " + dir_.file("ml.h5") +
             " --data " + dir_.file("c.txt"));
  EXPECT_EQ(c.code, 2) << c.out;
  EXPECT_NE(c.out.find("shares no category with the group (the model's labels: "), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("; the group's categories: other)"), std::string::npos) << c.out;
}

TEST_F(TrainMultilabelCliTest, DropLeavesOutSentencesMissingALabel) {
  CmdRun r = quiver("train-multilabel" + categories() + " --model " + dir_.file("ml.h5") + " --json" + kSmall);
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["unlabelled"], "drop");  // the default without binary models
  EXPECT_EQ(j["merge"]["dropped"], 20);
  EXPECT_EQ(j["train_rows"].get<int>() + j["validation_rows"].get<int>(), 60);
}

TEST_F(TrainMultilabelCliTest, ErrorsNameTheMissingPiece) {
  CmdRun r = quiver("train-multilabel" + categories() + " --unlabelled binary --model " + dir_.file("ml.h5") + kSmall);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("category 'sport': 10 sentences lack its label; give --binary-model sport=FILE"),
            std::string::npos) << r.out;
  r = quiver("train-multilabel" + categories() + " --thresholds precision --model " + dir_.file("ml.h5") + kSmall);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--thresholds precision needs --binary-model for every category"), std::string::npos);
  r = quiver("train-multilabel --category sport " + std::string(" --category food=x.csv --model m.h5"));
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--category 'sport': expected CATEGORY=FILE"), std::string::npos) << r.out;
  r = quiver("compare --group binaries --model m.h5 --data c.txt");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("give --config"), std::string::npos) << r.out;
  EXPECT_FALSE(std::ifstream(dir_.file("ml.h5")).good());
}

}  // namespace
}  // namespace quiver
