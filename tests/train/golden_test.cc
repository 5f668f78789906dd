// The files quiver trains are read by an implementation nobody here wrote: the golden
// harness tests/golden/reference_predict.py (h5py + TensorFlow.js Layers, or its numpy
// Keras reference where tfjs departs from Keras) must give the same outputs as
// quiver::Model::load + predict, within 1e-5.
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "quiver/train.h"
#include "test_data.h"
#include "testutil.h"

namespace quiver {
namespace {

using testutil::TempDir;

class TrainGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainGoldenTest, ReferenceHarnessAgreesWithQuiver) {
  const std::string harness = testutil::source_dir() + "/tests/golden/reference_predict.py";
  if (!std::ifstream(harness)) GTEST_SKIP() << harness << " is missing";
  std::vector<testutil::TextRow> train, test;
  std::string why;
  if (!testutil::sentiment_rows(&train, &test, &why)) GTEST_SKIP() << why;
  train.resize(200);
  TempDir dir;
  testutil::write_csv(dir.file("d.csv"), train);
  TrainOptions o;
  o.type = GetParam();
  o.embed_dim = 8;
  o.units = 6;
  o.filters = 6;
  o.maxlen = 12;
  o.epochs = 1;
  o.mask_zero = GetParam() == "bilstm";  // one masked model too
  auto r = train_model(dir.file("d.csv"), dir.file("m.h5"), o);
  ASSERT_OK(r);
  auto model = Model::load(dir.file("m.h5"));
  ASSERT_OK(model);
  // Inputs: the first rows' real ids, padded as in training.
  auto info = read_trained_model_info(dir.file("m.h5"));
  ASSERT_OK(info);
  auto tok = Tokenizer::from_json(info->tokenizer_json);
  ASSERT_OK(tok);
  std::vector<int32_t> ids;
  std::ofstream in(dir.file("in.jsonl"));
  const int rows = 8;
  for (int i = 0; i < rows; ++i) {
    auto p = pad_sequence(tok->text_to_sequence(train[i].text), r->maxlen);
    ids.insert(ids.end(), p.begin(), p.end());
    in << nlohmann::json(p).dump() << "\n";
  }
  in.close();
  auto out = (*model)->predict(ids, rows, r->maxlen);
  ASSERT_OK(out);
  const std::string cmd = "/usr/bin/python3 " + harness + " --model " + dir.file("m.h5") +
                          " --inputs " + dir.file("in.jsonl") + " --out " + dir.file("out.jsonl");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream ref(dir.file("out.jsonl"));
  std::string line;
  int row = 0;
  double worst = 0;
  while (std::getline(ref, line)) {
    auto j = nlohmann::json::parse(line);
    ASSERT_LT(row, rows);
    for (size_t k = 0; k < j.size(); ++k) {
      const double diff = std::abs(j[k].get<double>() - (*out)[0].data[row * j.size() + k]);
      worst = std::max(worst, diff);
    }
    ++row;
  }
  EXPECT_EQ(row, rows);
  EXPECT_LE(worst, 1e-5);
  std::printf("%s: max |reference - quiver| = %.2e over %d rows\n", GetParam().c_str(), worst, rows);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, TrainGoldenTest,
                         ::testing::Values("lstm", "bilstm", "gru", "bigru", "cnn"));

}  // namespace
}  // namespace quiver
