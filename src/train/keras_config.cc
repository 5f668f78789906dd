#include "train/keras_config.h"

#include <nlohmann/json.hpp>

namespace quiver::train {
namespace {

using json = nlohmann::ordered_json;

json initializer(const char* cls, json config = json::object()) {
  return {{"class_name", cls}, {"config", std::move(config)}};
}
json glorot() { return initializer("GlorotUniform", {{"seed", nullptr}}); }
json zeros() { return initializer("Zeros"); }

json base(const std::string& name) {
  return {{"name", name}, {"trainable", true}, {"dtype", "float32"}};
}

json rnn_config(const ArchSpec& s, const std::string& name, bool gru) {
  json c = base(name);
  c.update(json{{"return_sequences", false}, {"return_state", false}, {"go_backwards", false},
                {"stateful", false}, {"unroll", false}, {"time_major", false},
                {"units", s.units}, {"activation", "tanh"}, {"recurrent_activation", "sigmoid"},
                {"use_bias", true}, {"kernel_initializer", glorot()},
                {"recurrent_initializer", initializer("Orthogonal", {{"gain", 1.0}, {"seed", nullptr}})},
                {"bias_initializer", zeros()}});
  if (!gru) c["unit_forget_bias"] = true;
  c.update(json{{"kernel_regularizer", nullptr}, {"recurrent_regularizer", nullptr},
                {"bias_regularizer", nullptr}, {"activity_regularizer", nullptr},
                {"kernel_constraint", nullptr}, {"recurrent_constraint", nullptr},
                {"bias_constraint", nullptr}, {"dropout", s.dropout},
                {"recurrent_dropout", s.recurrent_dropout}, {"implementation", 2}});
  if (gru) c["reset_after"] = true;
  return {{"class_name", gru ? "GRU" : "LSTM"}, {"config", c}};
}

json layer_config(const ArchSpec& s, const LayerSlot<float>& slot) {
  json c = base(slot.name);
  const std::string& k = slot.class_name;
  if (k == "Embedding") {
    c.update(json{{"batch_input_shape", {nullptr, s.maxlen}}, {"input_dim", s.vocab_size},
                  {"output_dim", s.embed_dim},
                  {"embeddings_initializer",
                   initializer("RandomUniform", {{"minval", -0.05}, {"maxval", 0.05}, {"seed", nullptr}})},
                  {"embeddings_regularizer", nullptr}, {"activity_regularizer", nullptr},
                  {"embeddings_constraint", nullptr}, {"mask_zero", s.mask_zero},
                  {"input_length", s.maxlen}});
  } else if (k == "SpatialDropout1D" || k == "Dropout") {
    c.update(json{{"rate", k == "Dropout" ? s.dropout : s.spatial_dropout},
                  {"noise_shape", nullptr}, {"seed", nullptr}});
  } else if (k == "LSTM" || k == "GRU") {
    return rnn_config(s, slot.name, k == "GRU");
  } else if (k == "Bidirectional") {
    const bool gru = s.type == "bigru";
    c.update(json{{"layer", rnn_config(s, gru ? "gru" : "lstm", gru)}, {"merge_mode", "concat"}});
  } else if (k == "Conv1D") {
    c.update(json{{"filters", s.filters}, {"kernel_size", {s.kernel_size}}, {"strides", {1}},
                  {"padding", "valid"}, {"data_format", "channels_last"}, {"dilation_rate", {1}},
                  {"groups", 1}, {"activation", "relu"}, {"use_bias", true},
                  {"kernel_initializer", glorot()}, {"bias_initializer", zeros()},
                  {"kernel_regularizer", nullptr}, {"bias_regularizer", nullptr},
                  {"activity_regularizer", nullptr}, {"kernel_constraint", nullptr},
                  {"bias_constraint", nullptr}});
  } else if (k == "GlobalMaxPooling1D") {
    c.update(json{{"data_format", "channels_last"}, {"keepdims", false}});
  } else if (k == "Dense") {
    c.update(json{{"units", s.outputs},
                  {"activation", s.output == OutputKind::kSoftmax ? "softmax" : "sigmoid"},
                  {"use_bias", true}, {"kernel_initializer", glorot()},
                  {"bias_initializer", zeros()}, {"kernel_regularizer", nullptr},
                  {"bias_regularizer", nullptr}, {"activity_regularizer", nullptr},
                  {"kernel_constraint", nullptr}, {"bias_constraint", nullptr}});
  }
  return {{"class_name", k}, {"config", c}};
}

}  // namespace

std::string keras_model_config(const Network<float>& net) {
  const ArchSpec& s = net.spec();
  json layers = json::array();
  layers.push_back({{"class_name", "InputLayer"},
                    {"config", {{"batch_input_shape", {nullptr, s.maxlen}}, {"dtype", "float32"},
                                {"sparse", false}, {"ragged", false}, {"name", "embedding_input"}}}});
  for (const auto& slot : net.slots()) layers.push_back(layer_config(s, slot));
  json model = {{"class_name", "Sequential"},
                {"config", {{"name", "sequential"}, {"layers", layers}}}};
  return model.dump();
}

}  // namespace quiver::train
