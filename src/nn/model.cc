// quiver::Model: load (keras_io::read_model + build_model) and the graph runner.
#include <algorithm>
#include <cstdio>

#include "nn/embedding.h"
#include "nn/model_impl.h"

namespace quiver {
namespace nn {

ModelMeta model_meta(const keras_io::ModelSpec& spec, HardSigmoidMode hard_sigmoid) {
  ModelMeta m;
  m.path = spec.path;
  m.format = spec.format;
  m.keras_version = spec.keras_version;
  m.backend = spec.backend;
  m.keras_major = spec.keras_major;
  m.hard_sigmoid_keras3 = hard_sigmoid == HardSigmoidMode::kKeras3 ||
                          (hard_sigmoid == HardSigmoidMode::kAuto && spec.keras_major >= 3);
  // Standalone Keras is 1.x and 2.0-2.3 without the "-tf" suffix of tf.keras' version.
  int major = 0, minor = 0;
  const std::string& v = spec.keras_version;
  if (!v.empty() && std::sscanf(v.c_str(), "%d.%d", &major, &minor) == 2) {
    m.standalone_keras =
        v.find("-tf") == std::string::npos && (major == 1 || (major == 2 && minor < 4));
  } else {
    m.standalone_keras = spec.keras_major == 1 || spec.format == "keras2-h5";
  }
  return m;
}

namespace {

// The dense form of a lazy value: an Embedding lookup, or the raw ids as floats.
std::shared_ptr<const Tensor> materialize(const Value& v) {
  if (v.embedding) return std::make_shared<const Tensor>(v.embedding->lookup(*v.ids));
  Tensor t;
  t.shape = {v.ids->batch, v.ids->seq_len};
  t.data.assign(v.ids->ids.begin(), v.ids->ids.end());
  return std::make_shared<const Tensor>(std::move(t));
}

}  // namespace
}  // namespace nn

Status ModelImpl::check_input(std::span<const int32_t> ids, int64_t batch, int64_t seq_len) const {
  if (batch < 0 || seq_len < 1) {
    return invalid_argument("batch " + std::to_string(batch) + " and sequence length " +
                            std::to_string(seq_len) + " must be >= 0 and >= 1");
  }
  if (static_cast<int64_t>(ids.size()) != batch * seq_len) {
    return invalid_argument(std::to_string(ids.size()) + " ids given for batch " +
                            std::to_string(batch) + " x length " + std::to_string(seq_len));
  }
  if (info.input_length >= 0 && seq_len != info.input_length) {
    return invalid_argument("sequence length " + std::to_string(seq_len) + ", the model takes " +
                            std::to_string(info.input_length));
  }
  if (info.vocab_size <= 0) return Status();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= info.vocab_size) {
      return invalid_argument("token id " + std::to_string(ids[i]) + " (row " +
                              std::to_string(i / static_cast<size_t>(seq_len)) +
                              ") is outside the vocabulary [0, " + std::to_string(info.vocab_size) +
                              ")");
    }
  }
  return Status();
}

Result<std::vector<Tensor>> ModelImpl::predict(std::span<const int32_t> ids, int64_t batch,
                                               int64_t seq_len,
                                               const PredictOptions& options) const {
  QUIVER_RETURN_IF_ERROR(check_input(ids, batch, seq_len));
  nn::RunContext run;
  run.threads = std::clamp(options.threads, 1, 256);
  nn::TokenIds tokens{ids, batch, seq_len};
  std::vector<std::vector<nn::Value>> values(nodes.size());
  values[input_node].push_back(nn::Value{nullptr, nullptr, &tokens, nullptr});
  std::vector<const nn::Value*> in;
  for (size_t n = 0; n < nodes.size(); ++n) {
    const Node& node = nodes[n];
    if (n == input_node) continue;
    in.clear();
    for (const Ref& r : node.inputs) {
      nn::Value& v = values[r.node][r.index];
      if (!v.is_dense() && !node.layer->accepts_lazy(v.embedding)) v.dense = nn::materialize(v);
      in.push_back(&v);
    }
    node.layer->forward(in, run, &values[n]);
    for (size_t done : node.release_after) values[done].clear();
  }
  std::vector<Tensor> result;
  for (const Ref& r : outputs) {
    nn::Value& v = values[r.node][r.index];
    if (!v.is_dense()) v.dense = nn::materialize(v);
    result.push_back(v.tensor());
  }
  return result;
}

const char* weight_mode_name(WeightMode mode) {
  switch (mode) {
    case WeightMode::kBf16:
      return "bf16";
    case WeightMode::kInt8:
      return "int8";
    case WeightMode::kFp32:
      break;
  }
  return "fp32";
}

Result<WeightMode> parse_weight_mode(const std::string& name) {
  for (WeightMode m : {WeightMode::kFp32, WeightMode::kBf16, WeightMode::kInt8}) {
    if (name == weight_mode_name(m)) return m;
  }
  return invalid_argument("weights '" + name + "': expected fp32, bf16 or int8");
}

Model::Model(std::unique_ptr<ModelImpl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

const ModelInfo& Model::info() const { return impl_->info; }

Result<std::vector<Tensor>> Model::predict(std::span<const int32_t> ids, int64_t batch,
                                           int64_t seq_len, const PredictOptions& options) const {
  return impl_->predict(ids, batch, seq_len, options);
}

Result<std::shared_ptr<const Model>> Model::load(const std::string& path,
                                                 const LoadOptions& options) {
  keras_io::ReadOptions read;
  read.architecture_path = options.architecture_path;
  QUIVER_ASSIGN_OR_RETURN(keras_io::ModelSpec spec, keras_io::read_model(path, read));
  QUIVER_ASSIGN_OR_RETURN(std::unique_ptr<ModelImpl> impl, nn::build_model(spec, options));
  return std::shared_ptr<const Model>(std::make_shared<Model>(std::move(impl)));
}

}  // namespace quiver
