// Config parsing: architecture text decoding, normalisation, Sequential/Functional graphs.
// Expected graphs are written by hand from the Keras config formats (shared/KERAS.md §1.5).
#include "keras_io/config_parser.h"

#include "testutil.h"

namespace quiver::keras_io {
namespace {

using nlohmann::json;

std::string refs(const std::vector<InboundRef>& list) {
  std::string out;
  for (const InboundRef& r : list) {
    out +=
        r.layer + ":" + std::to_string(r.node_index) + ":" + std::to_string(r.tensor_index) + " ";
  }
  return out;
}

TEST(ArchitectureTextTest, ParsesJsonAndDoubleEncodedJson) {
  const std::string inner = R"({"class_name": "Sequential", "config": []})";
  Result<json> plain = parse_architecture_text(inner);
  ASSERT_OK(plain);
  EXPECT_EQ((*plain)["class_name"], "Sequential");
  Result<json> twice = parse_architecture_text(json(inner).dump());
  ASSERT_OK(twice);
  EXPECT_EQ(*twice, *plain);
  Result<json> thrice = parse_architecture_text(json(json(inner).dump()).dump());
  ASSERT_OK(thrice);
  EXPECT_EQ(*thrice, *plain);
}

TEST(ArchitectureTextTest, YamlPythonTagsBecomePlainData) {
  const std::string yaml =
      "backend: !!python/unicode 'tensorflow'\n"
      "class_name: Sequential\n"
      "config:\n"
      "- class_name: Embedding\n"
      "  config:\n"
      "    batch_input_shape: !!python/tuple [null, 100]\n"
      "    mask_zero: true\n"
      "    rate: 0.5\n"
      "    small: 1.0e-05\n"
      "    name: embedding_1\n"
      "    quoted: '123'\n"
      "    tilde: ~\n"
      "keras_version: 2.1.1\n";
  Result<json> parsed = parse_architecture_text(yaml);
  ASSERT_OK(parsed);
  const json& c = (*parsed)["config"][0]["config"];
  EXPECT_EQ(c["batch_input_shape"], json::parse("[null, 100]"));
  EXPECT_EQ(c["mask_zero"], true);
  EXPECT_EQ(c["rate"], 0.5);
  EXPECT_EQ(c["small"], 1.0e-05);
  EXPECT_EQ(c["quoted"], "123");
  EXPECT_TRUE(c["tilde"].is_null());
  EXPECT_EQ((*parsed)["backend"], "tensorflow");
  EXPECT_EQ((*parsed)["keras_version"], "2.1.1");  // not a valid float: stays text
  // to_yaml() output saved again as a YAML string (as in shared k2.1.1_edward_lstm_weights).
  Result<json> wrapped = parse_architecture_text(json(yaml).dump());
  ASSERT_OK(wrapped);
  EXPECT_EQ(*wrapped, *parsed);
}

TEST(ArchitectureTextTest, RejectsTextThatIsNoArchitecture) {
  EXPECT_STATUS(parse_architecture_text("hello world"), kInvalidArgument,
                "not a Keras model architecture");
  EXPECT_STATUS(parse_architecture_text("[1, 2]"), kInvalidArgument, "not a Keras model");
  EXPECT_STATUS(parse_architecture_text("a: [unclosed"), kInvalidArgument, "neither JSON nor YAML");
  EXPECT_STATUS(parse_config_json("{oops"), kCorruption, "not valid JSON");
}

TEST(NormaliseConfigTest, UnwrapsKeras3WrappersAndDtypePolicies) {
  json in = json::parse(R"({
    "name": "bidirectional", "batch_shape": [null, 7],
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"},
              "registered_name": null},
    "layer": {"module": "keras.layers", "class_name": "LSTM", "registered_name": null,
              "config": {"units": 3, "kernel_initializer": {"module": "keras.initializers",
                         "class_name": "GlorotUniform", "config": {"seed": null},
                         "registered_name": null}}},
    "unknown_key": 5})");
  json out = normalise_config(in);
  EXPECT_EQ(out["dtype"], "mixed_float16");
  EXPECT_EQ(out["batch_input_shape"], json::parse("[null, 7]"));
  EXPECT_EQ(out["batch_shape"], json::parse("[null, 7]"));
  EXPECT_EQ(out["layer"], json::parse(R"({"class_name": "LSTM", "config": {"units": 3,
      "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}}})"));
  EXPECT_EQ(out["unknown_key"], 5);
}

TEST(ParseModelConfigTest, SequentialListSynthesisesInputLayer) {
  Result<ModelGraph> graph = parse_model_config(json::parse(R"({"class_name": "Sequential",
      "config": [{"class_name": "Embedding", "config": {"name": "input_1", "input_dim": 5,
                  "output_dim": 2, "input_length": 9}},
                 {"class_name": "Dense", "config": {"name": "d", "units": 1}}]})"));
  ASSERT_OK(graph);
  ASSERT_EQ(graph->layers.size(), 3u);
  const LayerSpec& input = graph->layers[0];
  EXPECT_EQ(input.class_name, "InputLayer");
  EXPECT_EQ(input.name, "input_1_1");  // "input_1" is taken by the Embedding here
  EXPECT_EQ(input.config["batch_input_shape"], json::parse("[null, 9]"));
  EXPECT_EQ(refs(graph->layers[1].inbound_nodes.at(0)), "input_1_1:0:0 ");
  EXPECT_EQ(refs(graph->layers[2].inbound_nodes.at(0)), "input_1:0:0 ");
  EXPECT_EQ(refs(graph->inputs), "input_1_1:0:0 ");
  EXPECT_EQ(refs(graph->outputs), "d:0:0 ");
}

TEST(ParseModelConfigTest, SequentialDictUsesBuildInputShape) {
  Result<ModelGraph> graph = parse_model_config(json::parse(R"({"class_name": "Sequential",
      "config": {"name": "s", "build_input_shape": [null, 12],
                 "layers": [{"class_name": "Embedding", "config": {"name": "e"}}]}})"));
  ASSERT_OK(graph);
  EXPECT_EQ(graph->layers[0].name, "input_1");
  EXPECT_EQ(graph->layers[0].config["batch_input_shape"], json::parse("[null, 12]"));
}

TEST(ParseModelConfigTest, FunctionalListAndDictFormNodes) {
  Result<ModelGraph> graph = parse_model_config(json::parse(R"({"class_name": "Functional",
    "config": {"layers": [
      {"name": "a", "class_name": "InputLayer", "config": {"name": "a"}, "inbound_nodes": []},
      {"name": "b", "class_name": "Dense", "config": {"name": "b"},
       "inbound_nodes": [[["a", 0, 0, {}]], [["a", 0, 0]]]},
      {"name": "c", "class_name": "Add", "config": {"name": "c"},
       "inbound_nodes": [{"args": [[
          {"class_name": "__keras_tensor__", "config": {"keras_history": ["b", 0, 0]}},
          {"class_name": "__keras_tensor__", "config": {"keras_history": ["b", 1, 0]}}]],
          "kwargs": {"mask": null}}]}],
    "input_layers": ["a", 0, 0], "output_layers": [["c", 0, 0], ["b", 1, 0]]}})"));
  ASSERT_OK(graph);
  ASSERT_EQ(graph->layers[1].inbound_nodes.size(), 2u);
  EXPECT_EQ(refs(graph->layers[2].inbound_nodes.at(0)), "b:0:0 b:1:0 ");
  EXPECT_EQ(refs(graph->inputs), "a:0:0 ");
  EXPECT_EQ(refs(graph->outputs), "c:0:0 b:1:0 ");
}

TEST(ParseModelConfigTest, ErrorsNameTheProblem) {
  EXPECT_STATUS(parse_model_config(json::parse(R"({"class_name": "Model", "config": {
      "layers": [{"name": "b", "class_name": "Dense", "config": {},
                  "inbound_nodes": [[["ghost", 0, 0, {}]]]}],
      "input_layers": [], "output_layers": [["b", 0, 0]]}})")),
                kCorruption, "layer 'b' refers to unknown layer 'ghost'");
  EXPECT_STATUS(parse_model_config(json::parse(R"({"class_name": "Model", "config": {
      "layers": [{"name": "b", "class_name": "LSTM", "config": {},
                  "inbound_nodes": [{"args": [], "kwargs": {"initial_state": {
                     "class_name": "__keras_tensor__",
                     "config": {"keras_history": ["b", 0, 0]}}}}]}],
      "input_layers": [], "output_layers": [["b", 0, 0]]}})")),
                kUnimplemented, "layer 'b': tensors passed as keyword arguments");
  EXPECT_STATUS(parse_model_config(json::parse(R"({"class_name": "Sequential", "config": {}})")),
                kCorruption, "Sequential config has no \"layers\"");
  EXPECT_STATUS(parse_model_config(json::parse(R"({"config": {}})")), kCorruption,
                "model config has no class_name");
}

TEST(ParseModelConfigTest, AttentionTensorsByKeywordAndCallOptions) {
  // Keras 3: mha(x, value=y, use_causal_mask=True); tf.keras: value in the first entry's
  // kwargs as [layer, node, tensor] (keras/engine/node.py::Node.serialize).
  auto k3 = parse_model_config(json::parse(R"({"class_name": "Functional", "config": {
      "layers": [{"name": "x", "class_name": "InputLayer", "config": {}, "inbound_nodes": []},
                 {"name": "y", "class_name": "InputLayer", "config": {}, "inbound_nodes": []},
                 {"name": "m", "class_name": "MultiHeadAttention", "config": {},
                  "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__",
                                               "config": {"keras_history": ["x", 0, 0]}}],
                                     "kwargs": {"use_causal_mask": true, "value": {
                                       "class_name": "__keras_tensor__",
                                       "config": {"keras_history": ["y", 0, 0]}}}}]}],
      "input_layers": [["x", 0, 0], ["y", 0, 0]], "output_layers": [["m", 0, 0]]}})"));
  ASSERT_OK(k3);
  const LayerSpec& m = k3->layers[2];
  ASSERT_EQ(m.inbound_nodes.size(), 1u);
  ASSERT_EQ(m.inbound_nodes[0].size(), 2u);
  EXPECT_EQ(m.inbound_nodes[0][0].layer, "x");
  EXPECT_EQ(m.inbound_nodes[0][1].layer, "y");
  ASSERT_EQ(m.call_kwargs.size(), 1u);
  EXPECT_EQ(m.call_kwargs[0], json::parse(R"({"use_causal_mask": true})"));
  auto tf = parse_model_config(json::parse(R"({"class_name": "Functional", "config": {
      "layers": [{"name": "x", "class_name": "InputLayer", "config": {}, "inbound_nodes": []},
                 {"name": "m", "class_name": "MultiHeadAttention", "config": {},
                  "inbound_nodes": [[["x", 0, 0, {"value": ["x", 0, 0],
                                                  "use_causal_mask": false}]]]}],
      "input_layers": [["x", 0, 0]], "output_layers": [["m", 0, 0]]}})"));
  ASSERT_OK(tf);
  ASSERT_EQ(tf->layers[1].inbound_nodes[0].size(), 2u);
  EXPECT_EQ(tf->layers[1].inbound_nodes[0][1].layer, "x");
  EXPECT_EQ(tf->layers[1].call_kwargs[0], json::parse(R"({"use_causal_mask": false})"));
}

TEST(SnakeCaseTest, MatchesKerasNaming) {
  EXPECT_EQ(to_snake_case("SimpleRNN"), "simple_rnn");
  EXPECT_EQ(to_snake_case("Conv1D"), "conv1d");
  EXPECT_EQ(to_snake_case("GlobalMaxPooling1D"), "global_max_pooling1d");
  EXPECT_EQ(to_snake_case("LSTM"), "lstm");
  EXPECT_EQ(to_snake_case("InputLayer"), "input_layer");
  EXPECT_EQ(to_snake_case("CuDNNLSTM"), "cu_dnnlstm");
  EXPECT_EQ(to_snake_case("TimeDistributed"), "time_distributed");
}

}  // namespace
}  // namespace quiver::keras_io
