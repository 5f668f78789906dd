// read_model on the real, third-party models in ../shared/keras-models (skipped when the
// folder is absent). Expectations come from each folder's meta.json (vocab, T, output
// size) and from the published architectures (h5ls / the config), not from quiver.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "keras_io/model_spec.h"
#include "testutil.h"

namespace quiver::keras_io {
namespace {

namespace fs = std::filesystem;
using testutil::shared_absent;
using testutil::shared_dir;

std::string models_dir() { return shared_dir() + "/keras-models"; }

struct RealModel {
  const char* folder;
  const char* format;
  int keras_major;
  // "Class:arrays" for every layer, InputLayer first.
  std::vector<std::string> layers;
};

const RealModel kModels[] = {
    {"k2.0.4_cse_lstm", "keras2-h5", 2, {"InputLayer:0", "Embedding:1", "LSTM:3", "Dense:2"}},
    {"k2.1.1_edward_lstm_weights",
     "weights-h5",
     2,
     {"InputLayer:0", "Embedding:1", "LSTM:3", "Dropout:0", "Dense:2", "Activation:0"}},
    {"k2.11.0_whisnu_gru_resetafter",
     "tf.keras-h5",
     2,
     {"InputLayer:0", "Embedding:1", "Dropout:0", "GRU:3", "Dense:2"}},
    {"k2.15.0_saik_spam_simplernn_keras",
     "keras-zip",
     2,
     {"InputLayer:0", "Embedding:1", "SimpleRNN:3", "Dense:2", "Dense:2"}},
    {"k2.2.4_sinha96_imdb_lstm",
     "keras2-h5",
     2,
     {"InputLayer:0", "Embedding:1", "LSTM:3", "Dense:2"}},
    {"k2.2.4tf_anushree_bilstm",
     "tf.keras-h5",
     2,
     {"InputLayer:0", "Embedding:1", "Bidirectional:6", "Dense:2"}},
    {"k2.3.1_canmeng_chinese_textcnn",
     "keras2-h5",
     2,
     {"InputLayer:0", "Embedding:1", "Conv1D:2", "MaxPooling1D:0", "Dropout:0", "Flatten:0",
      "Dense:2", "Dense:2", "Dense:2"}},
    {"k2.3.1_soneroz_imdb_lstm",
     "keras2-h5",
     2,
     {"InputLayer:0", "Embedding:1", "Dropout:0", "LSTM:3", "Dropout:0", "Dense:2"}},
    {"k2.4.0_moaz_stacked_bilstm",
     "tf.keras-h5",
     2,
     {"InputLayer:0", "Embedding:1", "Bidirectional:6", "Bidirectional:6", "Dense:2", "Dense:2"}},
    {"k2.8.0_biascoder_bilstm_binary",
     "tf.keras-h5",
     2,
     {"InputLayer:0", "Embedding:1", "Bidirectional:6", "Dense:2"}},
    {"k3.4.1_primadya_conv1d_gmp",
     "keras3-h5",
     3,
     {"InputLayer:0", "Embedding:1", "Conv1D:2", "GlobalMaxPooling1D:0", "Dense:2", "Dense:2"}},
    {"k3.8.0_naufal_multilabel_lstm",
     "keras3-h5",
     3,
     {"InputLayer:0", "Embedding:1", "LSTM:3", "Dropout:0", "Dense:2", "Dense:2"}},
};

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

std::string model_file(const std::string& folder) {
  for (const char* name : {"model.h5", "model.keras"}) {
    if (fs::exists(folder + "/" + name)) return folder + "/" + name;
  }
  return folder + "/model.h5";
}

class RealModelTest : public ::testing::TestWithParam<RealModel> {};

TEST_P(RealModelTest, LoadsWithExpectedLayersAndShapes) {
  const RealModel& m = GetParam();
  std::string folder = models_dir() + "/" + m.folder;
  if (!fs::exists(folder)) GTEST_SKIP() << shared_absent(folder);
  nlohmann::json meta = read_json(folder + "/meta.json");
  ReadOptions options;
  if (fs::exists(folder + "/architecture.yml"))
    options.architecture_path = folder + "/architecture.yml";
  Result<ModelSpec> spec = read_model(model_file(folder), options);
  ASSERT_OK(spec);
  EXPECT_EQ(spec->format, m.format);
  EXPECT_EQ(spec->keras_major, m.keras_major);
  EXPECT_EQ(spec->keras_version, meta["keras_version"].get<std::string>());
  std::vector<std::string> layers;
  for (const LayerSpec& layer : spec->layers) {
    layers.push_back(layer.class_name + ":" + std::to_string(layer.weights.size()));
    for (const WeightArray& w : layer.weights) {
      int64_t n = 1;
      for (int64_t d : w.shape) n *= d;
      EXPECT_EQ(static_cast<int64_t>(w.values.size()), n) << layer.name << " " << w.name;
    }
  }
  EXPECT_EQ(layers, m.layers);
  ASSERT_EQ(spec->inputs.size(), 1u);
  ASSERT_EQ(spec->outputs.size(), 1u);
  EXPECT_EQ(spec->inputs[0].layer, spec->layers.front().name);
  EXPECT_EQ(spec->outputs[0].layer, spec->layers.back().name);

  // Embedding: [vocab, dim]; the input length is T (or unspecified).
  const LayerSpec& embedding = spec->layers[1];
  ASSERT_EQ(embedding.weights[0].shape.size(), 2u);
  EXPECT_EQ(embedding.weights[0].shape[0], meta["vocab"].get<int64_t>());
  const nlohmann::json& shape = spec->layers[0].config["batch_input_shape"];
  ASSERT_TRUE(shape.is_array());
  if (!shape[1].is_null()) {
    EXPECT_EQ(shape[1].get<int64_t>(), meta["T"].get<int64_t>());
  }
  // The last Dense produces the model's output width.
  int64_t outputs = meta["output_shape"][0][1].get<int64_t>();
  for (auto it = spec->layers.rbegin(); it != spec->layers.rend(); ++it) {
    if (it->class_name != "Dense") continue;
    EXPECT_EQ(it->weights[0].shape.back(), outputs);
    EXPECT_EQ(it->weights[1].shape, std::vector<int64_t>{outputs});
    break;
  }
  // Every layer after the input is called once, on the previous layer (all are chains).
  for (size_t i = 1; i < spec->layers.size(); ++i) {
    ASSERT_EQ(spec->layers[i].inbound_nodes.size(), 1u);
    ASSERT_EQ(spec->layers[i].inbound_nodes[0].size(), 1u);
    EXPECT_EQ(spec->layers[i].inbound_nodes[0][0].layer, spec->layers[i - 1].name);
  }
}

INSTANTIATE_TEST_SUITE_P(SharedModels, RealModelTest, ::testing::ValuesIn(kModels),
                         [](const auto& info) {
                           std::string name = info.param.folder;
                           for (char& c : name) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(RealModelTest, RecurrentShapesMatchTheirInputs) {
  std::string folder = models_dir() + "/k2.4.0_moaz_stacked_bilstm";
  if (!fs::exists(folder)) GTEST_SKIP() << shared_absent(folder);
  Result<ModelSpec> spec = read_model(folder + "/model.h5");
  ASSERT_OK(spec);
  // Embedding [1000, 16] -> Bidirectional(LSTM(16)) kernels [16, 64] x2 -> second
  // Bidirectional consumes the concat (32) -> Dense [32, 6].
  const auto& bi1 = spec->layers[2].weights;
  EXPECT_EQ(bi1[0].shape, (std::vector<int64_t>{16, 64}));
  EXPECT_EQ(bi1[1].shape, (std::vector<int64_t>{16, 64}));
  EXPECT_EQ(bi1[2].shape, (std::vector<int64_t>{64}));
  EXPECT_EQ(bi1[3].shape, (std::vector<int64_t>{16, 64}));
  EXPECT_NE(bi1[0].name.find("forward"), std::string::npos);
  EXPECT_NE(bi1[3].name.find("backward"), std::string::npos);
  EXPECT_EQ(spec->layers[3].weights[0].shape, (std::vector<int64_t>{32, 64}));
  EXPECT_EQ(spec->layers[4].weights[0].shape, (std::vector<int64_t>{32, 6}));
}

TEST(RealModelTest, GruResetAfterBiasHasTwoRows) {
  std::string folder = models_dir() + "/k2.11.0_whisnu_gru_resetafter";
  if (!fs::exists(folder)) GTEST_SKIP() << shared_absent(folder);
  Result<ModelSpec> spec = read_model(folder + "/model.h5");
  ASSERT_OK(spec);
  const LayerSpec& gru = spec->layers[3];
  EXPECT_EQ(gru.config["reset_after"], true);
  EXPECT_EQ(gru.weights[0].shape, (std::vector<int64_t>{300, 300}));
  EXPECT_EQ(gru.weights[1].shape, (std::vector<int64_t>{100, 300}));
  EXPECT_EQ(gru.weights[2].shape, (std::vector<int64_t>{2, 300}));
}

TEST(RealModelTest, Keras3ConfigIsNormalised) {
  std::string folder = models_dir() + "/k3.4.1_primadya_conv1d_gmp";
  if (!fs::exists(folder)) GTEST_SKIP() << shared_absent(folder);
  Result<ModelSpec> spec = read_model(folder + "/model.h5");
  ASSERT_OK(spec);
  EXPECT_EQ(spec->layers[1].config["dtype"], "float32");  // was a DTypePolicy dict
  EXPECT_FALSE(spec->layers[1].config["embeddings_initializer"].contains("module"));
  EXPECT_EQ(spec->layers[0].config["batch_input_shape"], nlohmann::json::parse("[null, 200]"));
  EXPECT_EQ(spec->layers[2].weights[0].shape, (std::vector<int64_t>{5, 16, 128}));
}

TEST(RealModelTest, WindowsWrittenKerasArchiveLoads) {
  // This tf.keras 2.15 archive was written on Windows: its groups are named
  // "layers\\simple_rnn\\cell".
  std::string folder = models_dir() + "/k2.15.0_saik_spam_simplernn_keras";
  if (!fs::exists(folder)) GTEST_SKIP() << shared_absent(folder);
  Result<ModelSpec> spec = read_model(folder + "/model.keras");
  ASSERT_OK(spec);
  const LayerSpec& rnn = spec->layers[2];
  EXPECT_EQ(rnn.weights[0].shape, (std::vector<int64_t>{32, 128}));
  EXPECT_EQ(rnn.weights[1].shape, (std::vector<int64_t>{128, 128}));
  EXPECT_EQ(rnn.weights[2].shape, (std::vector<int64_t>{128}));
  EXPECT_EQ(rnn.weights[0].name, "layers/simple_rnn/cell/vars/0");
}

TEST(RealModelTest, TruncatedTheanoFileFailsCleanly) {
  std::string folder = models_dir() + "/x_k2.0.8_dshvadskiy_theano_truncated";
  if (!fs::exists(folder)) GTEST_SKIP() << shared_absent(folder);
  EXPECT_STATUS(read_model(folder + "/model.h5"), kInvalidArgument, "model.h5: no model_config");
  // With an architecture, the missing groups are reported by layer.
  testutil::TempDir dir;
  std::ofstream(dir.file("arch.json")) << R"({"class_name": "Sequential", "config": [
            {"class_name": "Embedding", "config": {"name": "embedding_1", "input_dim": 10,
             "output_dim": 2, "batch_input_shape": [null, 4]}},
            {"class_name": "LSTM", "config": {"name": "lstm_1", "units": 2}},
            {"class_name": "Dense", "config": {"name": "dense_1", "units": 1}}]})";
  ReadOptions options;
  options.architecture_path = dir.file("arch.json");
  EXPECT_STATUS(read_model(folder + "/model.h5", options), kCorruption,
                "model.h5: layer 'embedding_1': attribute 'weight_names' missing");
}

}  // namespace
}  // namespace quiver::keras_io
