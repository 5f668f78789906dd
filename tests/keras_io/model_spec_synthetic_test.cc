// read_model on small files in every layout, written by make_keras_files.py (h5py,
// zipfile, PyYAML) the way each Keras version's saving code writes them. Weight values are
// base + 0.25 * i (see the script), checked exactly.
#include <cstdlib>
#include <filesystem>

#include "keras_io/model_spec.h"
#include "synthetic_files.h"
#include "testutil.h"

namespace quiver::keras_io {
namespace {

using Shape = std::vector<int64_t>;

void expect_array(const WeightArray& w, const Shape& shape, float base) {
  EXPECT_EQ(w.shape, shape) << w.name;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  ASSERT_EQ(static_cast<int64_t>(w.values.size()), n) << w.name;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(w.values[i], base + 0.25f * static_cast<float>(i)) << w.name << " [" << i << "]";
  }
}

std::vector<std::string> names_of(const ModelSpec& spec) {
  std::vector<std::string> names;
  for (const LayerSpec& layer : spec.layers) names.push_back(layer.name);
  return names;
}

const LayerSpec* find_layer(const ModelSpec& spec, const std::string& name) {
  for (const LayerSpec& layer : spec.layers) {
    if (layer.name == name) return &layer;
  }
  return nullptr;
}

std::string ref_string(const std::vector<InboundRef>& refs) {
  std::string out;
  for (const InboundRef& r : refs) {
    out +=
        r.layer + ":" + std::to_string(r.node_index) + ":" + std::to_string(r.tensor_index) + " ";
  }
  return out;
}

class SyntheticTest : public testutil::SyntheticFilesTest {
 protected:
  static Result<ModelSpec> read(const std::string& name, const std::string& arch = "") {
    ReadOptions options;
    if (!arch.empty()) options.architecture_path = file(arch);
    return read_model(file(name), options);
  }
};

TEST_F(SyntheticTest, Keras20SequentialListWithByteStrings) {
  Result<ModelSpec> spec = read("keras20.h5");
  ASSERT_OK(spec);
  EXPECT_EQ(spec->format, "keras2-h5");
  EXPECT_EQ(spec->keras_version, "2.0.8");
  EXPECT_EQ(spec->backend, "tensorflow");
  EXPECT_EQ(spec->keras_major, 2);
  EXPECT_EQ(names_of(*spec),
            (std::vector<std::string>{"input_1", "embedding_1", "lstm_1", "dropout_1", "dense_1"}));
  const LayerSpec& input = spec->layers[0];
  EXPECT_EQ(input.class_name, "InputLayer");
  EXPECT_EQ(input.config["batch_input_shape"], nlohmann::json::parse("[null, 5]"));
  EXPECT_EQ(input.config["dtype"], "int32");
  EXPECT_TRUE(input.inbound_nodes.empty());
  EXPECT_EQ(ref_string(spec->layers[2].inbound_nodes.at(0)), "embedding_1:0:0 ");
  expect_array(spec->layers[1].weights.at(0), {10, 4}, 1);
  ASSERT_EQ(spec->layers[2].weights.size(), 3u);
  expect_array(spec->layers[2].weights[0], {4, 12}, 2);
  expect_array(spec->layers[2].weights[1], {3, 12}, 3);
  expect_array(spec->layers[2].weights[2], {12}, 4);
  EXPECT_TRUE(spec->layers[3].weights.empty());
  expect_array(spec->layers[4].weights.at(1), {2}, 6);
  EXPECT_EQ(ref_string(spec->outputs), "dense_1:0:0 ");
}

TEST_F(SyntheticTest, Keras22SplitLayerNamesAndBidirectionalOrder) {
  Result<ModelSpec> spec = read("keras22.h5");
  ASSERT_OK(spec);
  EXPECT_EQ(names_of(*spec),
            (std::vector<std::string>{"input_1", "embedding_1", "bidirectional_1", "dense_1"}));
  const LayerSpec& bi = spec->layers[2];
  EXPECT_EQ(bi.config["layer"]["class_name"], "GRU");
  ASSERT_EQ(bi.weights.size(), 6u);  // weight_names order: forward then backward
  for (int i = 0; i < 6; ++i) {
    Shape shape = i % 3 == 0 ? Shape{3, 6} : i % 3 == 1 ? Shape{2, 6} : Shape{6};
    expect_array(bi.weights[i], shape, 2.0f + i);
  }
  EXPECT_EQ(bi.weights[5].name, "bidirectional_1/forward_gru_1/bias:0_1");  // H5Dict dedup
  EXPECT_EQ(ref_string(spec->inputs), "input_1:0:0 ");
}

TEST_F(SyntheticTest, TfKerasVlenStringsFloat16AndFloat64) {
  Result<ModelSpec> spec = read("tfkeras.h5");
  ASSERT_OK(spec);
  EXPECT_EQ(spec->format, "tf.keras-h5");
  EXPECT_EQ(spec->keras_version, "2.11.0");
  EXPECT_EQ(names_of(*spec),
            (std::vector<std::string>{"embedding_input", "embedding", "gru", "dense"}));
  expect_array(spec->layers[1].weights.at(0), {9, 2}, 1);  // stored as float16
  expect_array(spec->layers[2].weights.at(2), {2, 6}, 4);
  expect_array(spec->layers[3].weights.at(0), {2, 1}, 5);  // stored as float64
  EXPECT_EQ(ref_string(spec->layers[1].inbound_nodes.at(0)), "embedding_input:0:0 ");
}

TEST_F(SyntheticTest, Keras3LegacyH5DictNodesAndConcatenate) {
  Result<ModelSpec> spec = read("keras3.h5");
  ASSERT_OK(spec);
  EXPECT_EQ(spec->format, "keras3-h5");
  EXPECT_EQ(spec->keras_major, 3);
  const LayerSpec* concat = find_layer(*spec, "concatenate");
  ASSERT_NE(concat, nullptr);
  ASSERT_EQ(concat->inbound_nodes.size(), 1u);
  EXPECT_EQ(ref_string(concat->inbound_nodes[0]), "bidirectional:0:0 dropout:0:0 ");
  const LayerSpec* bi = find_layer(*spec, "bidirectional");
  ASSERT_NE(bi, nullptr);
  EXPECT_EQ(bi->config["layer"]["class_name"], "LSTM");
  EXPECT_FALSE(bi->config["layer"].contains("module"));
  EXPECT_EQ(bi->config["layer"]["config"]["dtype"], "float32");
  ASSERT_EQ(bi->weights.size(), 6u);
  expect_array(bi->weights[3], {3, 8}, 5);
  EXPECT_EQ(spec->layers[0].config["batch_input_shape"], nlohmann::json::parse("[null, 4]"));
  EXPECT_EQ(ref_string(spec->inputs), "input_layer:0:0 ");
  EXPECT_EQ(ref_string(spec->outputs), "dense_1:0:0 ");
}

void expect_keras3_functional(const ModelSpec& spec) {
  EXPECT_EQ(spec.format, "keras-zip");
  EXPECT_EQ(spec.keras_version, "3.8.0");
  EXPECT_EQ(spec.keras_major, 3);
  EXPECT_EQ(names_of(spec), (std::vector<std::string>{"input_layer", "embedding", "bidirectional",
                                                      "global_average_pooling1d", "dropout",
                                                      "concatenate", "dense", "dense_1"}));
  expect_array(spec.layers[1].weights.at(0), {6, 3}, 1);  // bfloat16 in the file
  const LayerSpec& bi = spec.layers[2];
  ASSERT_EQ(bi.weights.size(), 6u);  // forward_layer/cell then backward_layer/cell
  for (int i = 0; i < 6; ++i) {
    Shape shape = i % 3 == 0 ? Shape{3, 8} : i % 3 == 1 ? Shape{2, 8} : Shape{8};
    expect_array(bi.weights[i], shape, 2.0f + i);
  }
  EXPECT_TRUE(spec.layers[4].weights.empty());  // dropout's seed_generator is not a weight
  EXPECT_EQ(ref_string(spec.layers[5].inbound_nodes.at(0)), "bidirectional:0:0 dropout:0:0 ");
  expect_array(spec.layers[6].weights.at(0), {7, 2}, 8);  // float16 in the file
  expect_array(spec.layers[7].weights.at(1), {1}, 11);
  EXPECT_EQ(spec.layers[6].weights[0].name, "layers/dense/vars/0");
}

TEST_F(SyntheticTest, Keras3ZipFunctional) {
  Result<ModelSpec> spec = read("keras3.keras");
  ASSERT_OK(spec);
  expect_keras3_functional(*spec);
}

TEST_F(SyntheticTest, WindowsBackslashGroupNames) {
  Result<ModelSpec> spec = read("windows.keras");
  ASSERT_OK(spec);
  expect_keras3_functional(*spec);
}

TEST_F(SyntheticTest, TfKeras213CheckpointDependenciesWithCounterGaps) {
  Result<ModelSpec> spec = read("tfkeras213.keras");
  ASSERT_OK(spec);
  EXPECT_EQ(spec->keras_major, 2);
  EXPECT_EQ(names_of(*spec), (std::vector<std::string>{"embedding_input", "embedding", "flatten",
                                                       "dense", "dense_1"}));
  expect_array(spec->layers[1].weights.at(0), {5, 2}, 1);
  EXPECT_TRUE(spec->layers[2].weights.empty());
  expect_array(spec->layers[3].weights.at(0), {6, 2}, 2);
  expect_array(spec->layers[4].weights.at(0), {2, 1}, 4);  // group "dense_2"
  expect_array(spec->layers[4].weights.at(1), {1}, 5);
}

TEST_F(SyntheticTest, Keras3SequentialZipWithoutInputLayer) {
  Result<ModelSpec> spec = read("keras3_seq.keras");
  ASSERT_OK(spec);
  EXPECT_EQ(names_of(*spec), (std::vector<std::string>{"input_1", "embedding", "time_distributed",
                                                       "global_max_pooling1d", "dense_1"}));
  EXPECT_EQ(spec->layers[0].config["batch_input_shape"], nlohmann::json::parse("[null, 5]"));
  expect_array(spec->layers[1].weights.at(0), {4, 3}, 1);  // opaque bfloat16 in the file
  const LayerSpec& td = spec->layers[2];
  EXPECT_EQ(td.config["layer"]["class_name"], "Dense");
  ASSERT_EQ(td.weights.size(), 2u);  // time_distributed/layer/vars
  expect_array(td.weights[0], {3, 2}, 2);
  expect_array(spec->layers[4].weights.at(0), {2, 1}, 4);  // group "dense": first Dense
}

TEST_F(SyntheticTest, Keras3WeightsH5WithConfigJson) {
  Result<ModelSpec> spec = read("keras3.weights.h5", "keras3_config.json");
  ASSERT_OK(spec);
  EXPECT_EQ(spec->format, "weights-h5");
  EXPECT_EQ(spec->keras_major, 3);
  ASSERT_EQ(spec->layers.size(), 8u);
  expect_array(spec->layers[1].weights.at(0), {6, 3}, 1);
  expect_array(spec->layers[2].weights.at(5), {8}, 7);
}

TEST_F(SyntheticTest, ChunkedCompressedWeightsLoad) {
  Result<ModelSpec> spec = read("chunked.h5");
  ASSERT_OK(spec);
  expect_array(spec->layers[1].weights.at(0), {10, 4}, 1);
}

TEST_F(SyntheticTest, Hdf5AfterUserBlockIsDetected) {
  Result<ModelSpec> spec = read("userblock.h5");
  ASSERT_OK(spec);
  EXPECT_EQ(spec->format, "keras2-h5");
  expect_array(spec->layers[2].weights.at(0), {4, 12}, 2);
}

void expect_weights_only(const ModelSpec& spec) {
  EXPECT_EQ(spec.format, "weights-h5");
  EXPECT_EQ(spec.keras_version, "2.1.6");
  EXPECT_EQ(names_of(spec),
            (std::vector<std::string>{"input_1", "embedding_1", "simple_rnn_1", "dense_1"}));
  EXPECT_EQ(spec.layers[0].config["batch_input_shape"], nlohmann::json::parse("[null, 3]"));
  expect_array(spec.layers[1].weights.at(0), {7, 2}, 1);
  expect_array(spec.layers[2].weights.at(1), {1, 4}, 3);
  expect_array(spec.layers[3].weights.at(1), {1}, 6);
}

TEST_F(SyntheticTest, WeightsOnlyWithDoubleEncodedJson) {
  Result<ModelSpec> spec = read("weights_json.h5", "weights_json.json");
  ASSERT_OK(spec);
  expect_weights_only(*spec);
}

TEST_F(SyntheticTest, WeightsOnlyWithYamlTuplesAndOtherLayerNames) {
  Result<ModelSpec> spec = read("weights_yaml.h5", "weights_yaml.yml");
  ASSERT_OK(spec);
  expect_weights_only(*spec);  // paired by order: the file says embedding_4, ...
  EXPECT_EQ(spec->backend, "tensorflow");
}

TEST_F(SyntheticTest, WeightsOnlyWithoutArchitectureIsInvalidArgument) {
  EXPECT_STATUS(read("weights_json.h5"), kInvalidArgument, "weights_json.h5: no model_config");
}

TEST_F(SyntheticTest, Keras1LstmKeepsTwelveArraysInStoredOrder) {
  Result<ModelSpec> spec = read("keras1.h5", "keras1.json");
  ASSERT_OK(spec);
  EXPECT_EQ(spec->keras_major, 1);
  const LayerSpec& lstm = spec->layers[2];
  ASSERT_EQ(lstm.weights.size(), 12u);
  for (int gate = 0; gate < 4; ++gate) {  // stored i, c, f, o: W, U, b each
    expect_array(lstm.weights[3 * gate], {2, 3}, 10.0f + 3 * gate);
    expect_array(lstm.weights[3 * gate + 1], {3, 3}, 11.0f + 3 * gate);
    expect_array(lstm.weights[3 * gate + 2], {3}, 12.0f + 3 * gate);
  }
  EXPECT_EQ(lstm.weights[3].name, "lstm_1_W_c");
  EXPECT_EQ(spec->layers[0].config["dtype"], "int32");  // from Keras 1's input_dtype
}

}  // namespace
}  // namespace quiver::keras_io
