// The Keras class_name -> layer factory registry (as in frugally-deep's import_model.hpp).
#include <map>
#include <string>

#include "nn/layer.h"

namespace quiver::nn {

// Factories, one per layer file.
Result<std::unique_ptr<Layer>> make_input_layer(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_embedding(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_masking(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_identity(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_dense(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_activation(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_recurrent(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_bidirectional(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_conv1d(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_pooling1d(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_global_pooling1d(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_flatten(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_reshape(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_permute(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_repeat_vector(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_batch_normalization(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_layer_normalization(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_merge(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_dot(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_prelu(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_time_distributed(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_custom_layer(const LayerContext& ctx);  // custom_layer.cc
Result<std::unique_ptr<Layer>> make_text_vectorization(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_attention(const LayerContext& ctx);
Result<std::unique_ptr<Layer>> make_multi_head_attention(const LayerContext& ctx);

namespace {

// Immutable after its first use (a function-local const: no global mutable state).
const std::map<std::string, LayerFactory, std::less<>>& registry() {
  static const std::map<std::string, LayerFactory, std::less<>> kRegistry = {
      {"InputLayer", make_input_layer},
      {"Embedding", make_embedding},
      {"Masking", make_masking},
      {"Dropout", make_identity},
      {"SpatialDropout1D", make_identity},
      {"GaussianNoise", make_identity},
      {"GaussianDropout", make_identity},
      {"AlphaDropout", make_identity},
      {"ActivityRegularization", make_identity},
      {"Dense", make_dense},
      {"Activation", make_activation},
      {"ReLU", make_activation},
      {"LeakyReLU", make_activation},
      {"ELU", make_activation},
      {"Softmax", make_activation},
      {"LSTM", make_recurrent},
      {"GRU", make_recurrent},
      {"SimpleRNN", make_recurrent},
      {"CuDNNLSTM", make_recurrent},
      {"CuDNNGRU", make_recurrent},
      {"Bidirectional", make_bidirectional},
      {"TimeDistributed", make_time_distributed},
      {"TextVectorization", make_text_vectorization},
      {"Attention", make_attention},
      {"AdditiveAttention", make_attention},
      {"MultiHeadAttention", make_multi_head_attention},
      {"Conv1D", make_conv1d},
      {"Convolution1D", make_conv1d},
      {"MaxPooling1D", make_pooling1d},
      {"MaxPool1D", make_pooling1d},
      {"AveragePooling1D", make_pooling1d},
      {"AvgPool1D", make_pooling1d},
      {"GlobalMaxPooling1D", make_global_pooling1d},
      {"GlobalMaxPool1D", make_global_pooling1d},
      {"GlobalAveragePooling1D", make_global_pooling1d},
      {"GlobalAvgPool1D", make_global_pooling1d},
      {"Flatten", make_flatten},
      {"Reshape", make_reshape},
      {"Permute", make_permute},
      {"RepeatVector", make_repeat_vector},
      {"BatchNormalization", make_batch_normalization},
      {"LayerNormalization", make_layer_normalization},
      {"Concatenate", make_merge},
      {"Add", make_merge},
      {"Subtract", make_merge},
      {"Multiply", make_merge},
      {"Average", make_merge},
      {"Maximum", make_merge},
      {"Minimum", make_merge},
      {"Dot", make_dot},
      {"PReLU", make_prelu},
  };
  return kRegistry;
}

}  // namespace

LayerFactory find_layer_factory(std::string_view class_name) {
  auto it = registry().find(class_name);
  if (it != registry().end()) return it->second;
  return is_custom_layer_class(class_name) ? make_custom_layer : nullptr;
}

bool is_builtin_layer_class(std::string_view class_name) {
  return registry().find(class_name) != registry().end();
}

std::string supported_layer_classes() {
  std::string out;
  for (const auto& [name, factory] : registry()) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace quiver::nn
