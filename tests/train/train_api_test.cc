// quiver::train_model / load_or_train end to end on small synthetic data: CSV handling,
// the written files (checked with h5py and loaded with quiver::Model::load), determinism
// across thread counts, Ctrl-C behaviour, early stopping, and the train-when-missing race.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "keras_io/model_spec.h"
#include "quiver/train.h"
#include "test_data.h"
#include "testutil.h"
#include "train/dataset.h"

namespace quiver {
namespace {

using testutil::TempDir;
using testutil::TextRow;

// Two separable classes: "good"-ish words vs "bad"-ish words, with shared filler.
std::vector<TextRow> toy_rows(int n, bool noisy_labels = false) {
  const char* pos[] = {"good", "great", "fine", "lovely", "super"};
  const char* neg[] = {"bad", "awful", "poor", "nasty", "worse"};
  const char* fill[] = {"the", "movie", "was", "really", "food", "place"};
  std::vector<TextRow> rows;
  for (int i = 0; i < n; ++i) {
    const bool p = (i * 7 + i / 3) % 2 == 0;
    std::string t = std::string(fill[i % 6]) + " " + (p ? pos[i % 5] : neg[i % 5]) + " " + fill[(i + 2) % 6];
    if (i % 3 == 0) t += std::string(" ") + (p ? pos[(i + 1) % 5] : neg[(i + 1) % 5]);
    rows.push_back({t, (noisy_labels ? (i * 13 % 7) % 2 == 0 : p) ? "pos" : "neg"});
  }
  return rows;
}

TrainOptions tiny(const std::string& type) {
  TrainOptions o;
  o.type = type;
  o.embed_dim = 8;
  o.units = 6;
  o.filters = 6;
  o.kernel_size = 2;
  o.epochs = 2;
  o.batch_size = 40;  // three chunks of 16, 16, 8
  o.threads = 2;
  return o;
}

std::vector<float> all_weights(const std::string& path) {
  auto spec = keras_io::read_model(path);
  EXPECT_TRUE(spec.ok()) << spec.status().to_string();
  std::vector<float> out;
  if (!spec.ok()) return out;
  for (const auto& l : spec->layers) {
    for (const auto& w : l.weights) out.insert(out.end(), w.values.begin(), w.values.end());
  }
  return out;
}

TEST(TrainDataTest, BadRowIsAnErrorNamingItsLine) {
  TempDir dir;
  std::ofstream(dir.file("bad.csv")) << "text,label\n\"good film\",pos\n\"no label here\"\nbad film,neg\n";
  EXPECT_STATUS(train_model(dir.file("bad.csv"), dir.file("m.h5"), tiny("lstm")), kInvalidArgument,
                "bad.csv:3: record has 1 fields");
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.h5")));
}

TEST(TrainDataTest, ExtraColumnIsAnErrorNamingItsLine) {
  TempDir dir;
  std::ofstream(dir.file("bad.csv")) << "text,label\ngood film,pos\ngood,film,pos\nbad film,neg\n";
  EXPECT_EQ(train_model(dir.file("bad.csv"), dir.file("m.h5"), tiny("lstm")).status().message(),
            dir.file("bad.csv") + ":3: record has 3 fields, header has 2 (to skip such rows: "
            "--skip-bad-rows, or skip_bad_rows: true under training:)");
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.h5")));
}

TEST(TrainDataTest, EmptyTextIsAnErrorNamingItsLine) {
  TempDir dir;
  std::ofstream(dir.file("bad.csv")) << "label,text\npos,good film\nneg,bad film\n\nneg,\" \t \"\n";
  EXPECT_EQ(train_model(dir.file("bad.csv"), dir.file("m.h5"), tiny("lstm")).status().message(),
            dir.file("bad.csv") + ":5: column 'text': empty text (to skip such rows: "
            "--skip-bad-rows, or skip_bad_rows: true under training:)");
  // fit_tokenizer_on_csv: the same rule and message; skipped and counted on request.
  EXPECT_EQ(fit_tokenizer_on_csv(dir.file("bad.csv"), "text", {}).status().message(),
            dir.file("bad.csv") + ":5: column 'text': empty text (to skip such rows: "
            "--skip-bad-rows, or skip_bad_rows: true under training:)");
  int64_t skipped = -1;
  auto t = fit_tokenizer_on_csv(dir.file("bad.csv"), "text", {}, nullptr, {.skip_bad_rows = true},
                                &skipped);
  ASSERT_OK(t);
  EXPECT_EQ(skipped, 1);
  EXPECT_EQ(t->document_count(), 2);
  // Allowed, an empty text is a document as in Keras' fit_on_texts.
  auto kept = fit_tokenizer_on_csv(dir.file("bad.csv"), "text", {}, nullptr,
                                   {.allow_empty_text = true}, &skipped);
  ASSERT_OK(kept);
  EXPECT_EQ(skipped, 0);
  EXPECT_EQ(kept->document_count(), 3);
}

TEST(TrainDataTest, FitTokenizerRefusesAWrongFieldCount) {
  TempDir dir;
  std::ofstream(dir.file("bad.csv")) << "text,label\ngood film,pos\nfilm\n";
  EXPECT_EQ(fit_tokenizer_on_csv(dir.file("bad.csv"), "text", {}).status().message(),
            dir.file("bad.csv") + ":3: record has 1 fields, header has 2 (to skip such rows: "
            "--skip-bad-rows, or skip_bad_rows: true under training:)");
}

TEST(TrainDataTest, SkipBadRowsSkipsAndCounts) {
  TempDir dir;
  auto rows = toy_rows(40);
  testutil::write_csv(dir.file("d.csv"), rows);
  std::ofstream(dir.file("d.csv"), std::ios::app)
      << "\"a row without label\"\n\"an extra\",column,pos\n\"\",neg\n";
  TrainOptions o = tiny("lstm");
  o.skip_bad_rows = true;
  o.epochs = 1;
  auto r = train_model(dir.file("d.csv"), dir.file("m.h5"), o);
  ASSERT_OK(r);
  EXPECT_EQ(r->skipped_rows, 3);
  EXPECT_EQ(r->train_rows, 40);
}

TEST(TrainDataTest, MissingColumnIsNamed) {
  TempDir dir;
  testutil::write_csv(dir.file("d.csv"), toy_rows(10));
  TrainOptions o = tiny("lstm");
  o.label_column = "sentiment";
  EXPECT_STATUS(train_model(dir.file("d.csv"), dir.file("m.h5"), o), kNotFound, "sentiment");
}

TEST(TrainDataTest, LabelsAreSortedNumericallyWhenIntegers) {
  train::LabeledTexts data;
  data.labels = {{"10"}, {"2"}, {"1"}, {"2"}};
  auto labels = train::label_set(data);
  ASSERT_OK(labels);
  EXPECT_EQ(*labels, (std::vector<std::string>{"1", "2", "10"}));
  data.labels = {{"b"}, {"B"}, {"a"}};
  EXPECT_EQ(*train::label_set(data), (std::vector<std::string>{"B", "a", "b"}));
}

TEST(TrainDataTest, PipeJoinedLabelsMakeAMultiLabelModel) {
  TempDir dir;
  std::vector<TextRow> rows;
  for (int i = 0; i < 48; ++i) {
    std::string l = i % 3 == 0 ? "sports|news" : i % 3 == 1 ? "news" : "tech";
    rows.push_back({"word" + std::to_string(i % 5) + " text " + l, l});
  }
  testutil::write_csv(dir.file("d.csv"), rows);
  auto r = train_model(dir.file("d.csv"), dir.file("m.h5"), tiny("gru"));
  ASSERT_OK(r);
  EXPECT_EQ(r->task, "multilabel");
  EXPECT_EQ(r->labels, (std::vector<std::string>{"news", "sports", "tech"}));
  auto info = read_trained_model_info(dir.file("m.h5"));
  ASSERT_OK(info);
  EXPECT_EQ(info->output, "sigmoid");
}

TEST(TrainDataTest, LabelColumnsOfZerosAndOnes) {
  TempDir dir;
  std::ofstream f(dir.file("d.csv"));
  f << "text,a,b\n";
  for (int i = 0; i < 40; ++i) f << "\"w" << i % 4 << " x\"," << (i % 2) << "," << (i % 4 == 0) << "\n";
  f.close();
  TrainOptions o = tiny("cnn");
  o.label_columns = {"b", "a"};
  auto r = train_model(dir.file("d.csv"), dir.file("m.h5"), o);
  ASSERT_OK(r);
  EXPECT_EQ(r->labels, (std::vector<std::string>{"a", "b"}));
  o.label_columns = {"a", "text"};
  EXPECT_STATUS(train_model(dir.file("d.csv"), dir.file("m2.h5"), o), kInvalidArgument,
                "d.csv:2: column 'text': expected 0 or 1");
}

class TrainArchTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainArchTest, WritesAKerasFileThatH5pyAndQuiverRead) {
  TempDir dir;
  testutil::write_csv(dir.file("d.csv"), toy_rows(80));
  auto r = train_model(dir.file("d.csv"), dir.file("m.h5"), tiny(GetParam()));
  ASSERT_OK(r);
  EXPECT_TRUE(std::filesystem::exists(dir.file("m.tokenizer.json")));
  const std::string cmd = "/usr/bin/python3 " + testutil::source_dir() +
                          "/tests/train/check_h5_layout.py " + dir.file("m.h5") + " " + GetParam();
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto model = Model::load(dir.file("m.h5"));
  ASSERT_OK(model);
  std::vector<int32_t> ids(2 * r->maxlen, 1);
  auto out = (*model)->predict(ids, 2, r->maxlen);
  ASSERT_OK(out);
  ASSERT_EQ((*out)[0].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_NEAR((*out)[0].data[0] + (*out)[0].data[1], 1.0, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, TrainArchTest,
                         ::testing::Values("lstm", "bilstm", "gru", "bigru", "cnn"));

TEST(TrainDeterminismTest, SameSeedSameWeightsWithOneOrTwoThreads) {
  TempDir dir;
  testutil::write_csv(dir.file("d.csv"), toy_rows(100));
  for (const char* type : {"bilstm", "gru", "cnn"}) {
    TrainOptions o = tiny(type);
    o.seed = 7;
    o.threads = 1;
    ASSERT_OK(train_model(dir.file("d.csv"), dir.file("a.h5"), o));
    o.threads = 2;
    ASSERT_OK(train_model(dir.file("d.csv"), dir.file("b.h5"), o));
    o.seed = 8;
    ASSERT_OK(train_model(dir.file("d.csv"), dir.file("c.h5"), o));
    auto a = all_weights(dir.file("a.h5")), b = all_weights(dir.file("b.h5"));
    ASSERT_FALSE(a.empty());
    EXPECT_TRUE(a == b) << type << ": threads 1 and 2 differ";
    EXPECT_FALSE(a == all_weights(dir.file("c.h5"))) << type << ": the seed is ignored";
  }
}

TEST(TrainControlTest, StopFlagEndsAfterTheBatchAndStillWritesTheModel) {
  TempDir dir;
  testutil::write_csv(dir.file("d.csv"), toy_rows(200));
  std::atomic<bool> stop{false};
  int batches = 0;
  TrainOptions o = tiny("lstm");
  o.epochs = 5;
  o.stop = &stop;
  o.on_progress = [&](const TrainProgress& p) {
    if (!p.done && ++batches == 2) stop = true;
  };
  auto r = train_model(dir.file("d.csv"), dir.file("m.h5"), o);
  ASSERT_OK(r);
  EXPECT_TRUE(r->interrupted);
  EXPECT_EQ(batches, 2);
  ASSERT_OK(Model::load(dir.file("m.h5")));
}

TEST(TrainControlTest, EarlyStoppingKeepsTheBestValidationEpoch) {
  TempDir dir;
  testutil::write_csv(dir.file("d.csv"), toy_rows(96, /*noisy_labels=*/true));
  TrainOptions o = tiny("gru");
  o.epochs = 40;
  o.learning_rate = 0.05f;
  o.validation_split = 0.25;
  o.patience = 2;
  auto r = train_model(dir.file("d.csv"), dir.file("m.h5"), o);
  ASSERT_OK(r);
  ASSERT_TRUE(r->early_stopped);
  size_t best = 0;
  for (size_t i = 1; i < r->epochs.size(); ++i) {
    if (r->epochs[i].val_loss < r->epochs[best].val_loss) best = i;
  }
  EXPECT_EQ(r->best_epoch, static_cast<int>(best) + 1);
  EXPECT_EQ(r->epochs.size(), best + 1 + 2);
  EXPECT_EQ(r->validation_rows, 24);
}

TEST(LoadOrTrainTest, ThreeRacingProcessesTrainOnceAndAllLoad) {
  TempDir dir;
  testutil::write_csv(dir.file("d.csv"), toy_rows(120));
  std::vector<pid_t> kids;
  for (int k = 0; k < 3; ++k) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      TrainOptions o = tiny("bilstm");
      o.epochs = 3;
      o.on_progress = [&](const TrainProgress&) {
        std::ofstream(dir.file("trained." + std::to_string(::getpid())));
      };
      auto m = load_or_train(dir.file("m.h5"), dir.file("d.csv"), o);
      ::_exit(m.ok() && (*m)->info().vocab_size > 0 ? 0 : 1);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  int trained = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    trained += e.path().filename().string().rfind("trained.", 0) == 0;
  }
  EXPECT_EQ(trained, 1);
  ASSERT_OK(load_or_train(dir.file("m.h5"), dir.file("missing.csv"), tiny("lstm")));
}

}  // namespace
}  // namespace quiver
