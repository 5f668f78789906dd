// quiver::Model: load (keras_io::read_model + build_model) and the graph runner.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "nn/embedding.h"
#include "nn/model_impl.h"
#include "nn/text_vectorization.h"

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
  if (text_input && !text_input->vectorizer().int_output()) {
    return invalid_argument("the model takes text (TextVectorization with a vector output): "
                            "give texts, not token ids");
  }
  if (input_nodes.size() != 1) {
    return invalid_argument("the model has " + std::to_string(input_nodes.size()) +
                            " inputs: give one array per input");
  }
  QUIVER_RETURN_IF_ERROR(check_input(ids, batch, seq_len));
  nn::TokenIds tokens{ids, batch, seq_len};
  std::vector<nn::Value> inputs;
  inputs.push_back(nn::Value{nullptr, nullptr, &tokens, nullptr});
  return run(std::move(inputs), options);
}

std::vector<Tensor> ModelImpl::run(std::vector<nn::Value> inputs,
                                   const PredictOptions& options) const {
  nn::RunContext run;
  run.threads = std::clamp(options.threads, 1, 256);
  std::vector<std::vector<nn::Value>> values(nodes.size());
  for (size_t i = 0; i < input_nodes.size(); ++i) {
    values[input_nodes[i]].push_back(std::move(inputs[i]));
  }
  std::vector<const nn::Value*> in;
  for (size_t n = 0; n < nodes.size(); ++n) {
    const Node& node = nodes[n];
    if (node.inputs.empty()) continue;  // a model input
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

Status ModelImpl::check_model_input(size_t i, const Tensor& t, int64_t batch) const {
  const InputInfo& want = info.inputs[i];
  const std::string where = "input '" + want.name + "'";
  if (text_inputs[i]) {  // one string per row: shape [batch] (or [batch, 1], Keras' Input(shape=(1,)))
    const bool fits = (t.shape == std::vector<int64_t>{batch} ||
                       t.shape == std::vector<int64_t>{batch, 1}) &&
                      static_cast<int64_t>(t.strings.size()) == batch && t.data.empty();
    if (!fits) {
      return invalid_argument(where + " takes text: expected " + std::to_string(batch) +
                              " strings (a string tensor of shape [" + std::to_string(batch) +
                              "]), got shape " + nn::shape_to_string(t.shape) + " with " +
                              std::to_string(t.strings.size()) + " strings");
    }
    return Status();
  }
  if (!t.strings.empty()) return invalid_argument(where + " takes numbers, not strings");
  if (t.shape.size() != want.shape.size() + 1 || t.shape[0] != batch) {
    return invalid_argument(where + ": shape " + nn::shape_to_string(t.shape) + ", expected [" +
                            std::to_string(batch) + "] + " + nn::shape_to_string(want.shape));
  }
  int64_t size = 1;
  for (size_t d = 0; d < want.shape.size(); ++d) {
    const int64_t got = t.shape[d + 1];
    if (got < 1 || (want.shape[d] >= 0 && got != want.shape[d])) {
      return invalid_argument(where + ": shape " + nn::shape_to_string(t.shape) +
                              " does not fit " + nn::shape_to_string(want.shape));
    }
    size *= got;
  }
  if (static_cast<int64_t>(t.data.size()) != batch * size) {
    return invalid_argument(where + ": " + std::to_string(t.data.size()) + " values for shape " +
                            nn::shape_to_string(t.shape));
  }
  if (!want.token_ids) return Status();
  if (t.shape.size() != 2) return invalid_argument(where + ": token ids must be [batch, time]");
  for (size_t k = 0; k < t.data.size(); ++k) {
    const float v = t.data[k];
    if (!(v >= 0.0f) || v != std::floor(v) || (want.vocab_size > 0 && v >= want.vocab_size) ||
        v > 2.0e9f) {
      return invalid_argument(where + ": value " + std::to_string(v) + " (row " +
                              std::to_string(k / static_cast<size_t>(size)) +
                              ") is not a token id in [0, " + std::to_string(want.vocab_size) +
                              ")");
    }
  }
  return Status();
}

std::vector<Tensor> ModelImpl::run_rows(
    std::span<const Tensor> inputs, const std::vector<std::vector<std::vector<int32_t>>>& text_ids,
    std::span<const size_t> rows, const PredictOptions& options) const {
  const auto n = static_cast<int64_t>(rows.size());
  std::vector<std::vector<int32_t>> ids(inputs.size());
  std::vector<nn::TokenIds> tokens(inputs.size());
  std::vector<nn::Value> values;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    const nn::TextVectorizationLayer* text = text_inputs[i];
    if (text && !text->vectorizer().int_output()) {  // multi_hot / count / tf_idf vectors
      const text::TextVectorizer& v = text->vectorizer();
      Tensor dense = nn::zeros({n, v.output_width()});
      for (int64_t k = 0; k < n; ++k) {
        v.encode(t.strings[rows[static_cast<size_t>(k)]], dense.data.data() + k * v.output_width());
      }
      values.push_back(nn::make_value(std::move(dense)));
      continue;
    }
    if (!text && !info.inputs[i].token_ids) {
      const size_t row = t.shape[0] ? t.data.size() / static_cast<size_t>(t.shape[0]) : 0;
      Tensor part;
      part.shape = t.shape;
      part.shape[0] = n;
      for (size_t r : rows) {
        part.data.insert(part.data.end(), t.data.begin() + static_cast<std::ptrdiff_t>(r * row),
                         t.data.begin() + static_cast<std::ptrdiff_t>((r + 1) * row));
      }
      values.push_back(nn::make_value(std::move(part)));
      continue;
    }
    int64_t len = 0;
    if (text) {
      for (size_t r : rows) ids[i].insert(ids[i].end(), text_ids[i][r].begin(), text_ids[i][r].end());
      len = rows.empty() ? std::max<int64_t>(text->vectorizer().output_width(), 1)
                         : static_cast<int64_t>(text_ids[i][rows[0]].size());
    } else {
      len = t.shape[1];
      for (size_t r : rows) {
        for (int64_t k = 0; k < len; ++k) {
          ids[i].push_back(static_cast<int32_t>(t.data[r * static_cast<size_t>(len) + k]));
        }
      }
    }
    tokens[i] = nn::TokenIds{ids[i], n, len};
    values.push_back(nn::Value{nullptr, nullptr, &tokens[i], nullptr});
  }
  return run(std::move(values), options);
}

namespace {

// Copies row `from` of each group output into row `to` of the full outputs.
void scatter_rows(const std::vector<Tensor>& part, size_t from, size_t to, int64_t batch,
                  std::vector<Tensor>* full) {
  for (size_t o = 0; o < part.size(); ++o) {
    const Tensor& p = part[o];
    const size_t row = p.shape[0] ? p.data.size() / static_cast<size_t>(p.shape[0]) : 0;
    if ((*full)[o].shape.empty()) {
      (*full)[o].shape = p.shape;
      (*full)[o].shape[0] = batch;
      (*full)[o].data.resize(row * static_cast<size_t>(batch));
    }
    std::copy_n(p.data.begin() + static_cast<std::ptrdiff_t>(from * row), row,
                (*full)[o].data.begin() + static_cast<std::ptrdiff_t>(to * row));
  }
}

}  // namespace

Result<std::vector<Tensor>> ModelImpl::predict_inputs(std::span<const Tensor> inputs,
                                                      const PredictOptions& options) const {
  if (inputs.size() != input_nodes.size()) {
    return invalid_argument(std::to_string(inputs.size()) + " arrays given, the model has " +
                            std::to_string(input_nodes.size()) + " inputs");
  }
  const int64_t batch = inputs.empty() || inputs[0].shape.empty() ? 0 : inputs[0].shape[0];
  for (size_t i = 0; i < inputs.size(); ++i) {
    QUIVER_RETURN_IF_ERROR(check_model_input(i, inputs[i], batch));
  }
  // Text inputs in int mode: the ids of each row. Without output_sequence_length each text
  // keeps its own length (Keras pads a batch to its longest text, so a row would depend on
  // its batch; this is Keras' answer for the row alone, docs/text.md), and rows whose texts
  // have the same lengths run together.
  std::vector<std::vector<std::vector<int32_t>>> text_ids(inputs.size());
  bool ragged = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const nn::TextVectorizationLayer* text = text_inputs[i];
    if (!text || !text->vectorizer().int_output()) continue;
    const text::TextVectorizer& v = text->vectorizer();
    ragged = ragged || v.output_width() < 0;
    const int64_t vocab = info.inputs[i].vocab_size;
    for (int64_t r = 0; r < batch; ++r) {
      std::vector<int32_t> row = v.ids(inputs[i].strings[static_cast<size_t>(r)]);
      if (row.empty() && v.config().ragged) {
        return invalid_argument("input '" + info.inputs[i].name + "': text " + std::to_string(r) +
                                " has no tokens: a ragged TextVectorization gives Keras an empty "
                                "sequence, which quiver does not run");
      }
      if (row.empty()) row.push_back(0);  // an empty text: one mask/padding id
      for (int32_t id : row) {
        if (vocab > 0 && id >= vocab) {
          return invalid_argument("input '" + info.inputs[i].name + "': text " +
                                  std::to_string(r) + " gives token id " + std::to_string(id) +
                                  ", outside the Embedding's input_dim " + std::to_string(vocab) +
                                  " (the TextVectorization's vocabulary is larger)");
        }
      }
      text_ids[i].push_back(std::move(row));
    }
  }
  std::map<std::vector<size_t>, std::vector<size_t>> groups;  // text lengths -> rows
  for (size_t r = 0; r < static_cast<size_t>(batch); ++r) {
    std::vector<size_t> key;
    for (size_t i = 0; ragged && i < inputs.size(); ++i) {
      if (!text_ids[i].empty()) key.push_back(text_ids[i][r].size());
    }
    groups[key].push_back(r);
  }
  if (groups.size() <= 1) {
    std::vector<size_t> all(static_cast<size_t>(batch));
    for (size_t r = 0; r < all.size(); ++r) all[r] = r;
    return run_rows(inputs, text_ids, all, options);
  }
  std::vector<Tensor> full(outputs.size());
  for (const auto& [key, members] : groups) {
    std::vector<Tensor> part = run_rows(inputs, text_ids, members, options);
    for (size_t o = 0; o < part.size(); ++o) {
      if (!full[o].shape.empty() &&
          !std::equal(part[o].shape.begin() + 1, part[o].shape.end(), full[o].shape.begin() + 1,
                      full[o].shape.end())) {
        return invalid_argument("output " + std::to_string(o) +
                                "'s shape depends on the text length (a sequence output without "
                                "output_sequence_length): give texts of one length");
      }
    }
    for (size_t k = 0; k < members.size(); ++k) scatter_rows(part, k, members[k], batch, &full);
  }
  return full;
}

Result<std::vector<int32_t>> ModelImpl::text_ids(std::string_view text) const {
  if (!text_input || !text_input->vectorizer().int_output()) {
    return invalid_argument("the model has no TextVectorization with output_mode 'int'");
  }
  return text_input->vectorizer().ids(text);
}

Result<std::vector<Tensor>> ModelImpl::predict_texts(std::span<const std::string> texts,
                                                     const PredictOptions& options) const {
  if (!text_input) {
    return invalid_argument("the model takes token ids (no TextVectorization layer): give ids "
                            "or load a tokenizer");
  }
  Tensor t;
  t.shape = {static_cast<int64_t>(texts.size())};
  t.strings.assign(texts.begin(), texts.end());
  return predict_inputs(std::span<const Tensor>(&t, 1), options);
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

Result<std::vector<Tensor>> Model::predict_texts(std::span<const std::string> texts,
                                                 const PredictOptions& options) const {
  return impl_->predict_texts(texts, options);
}

Result<std::vector<Tensor>> Model::predict_inputs(std::span<const Tensor> inputs,
                                                  const PredictOptions& options) const {
  return impl_->predict_inputs(inputs, options);
}

Result<std::vector<int32_t>> Model::text_ids(std::string_view text) const {
  return impl_->text_ids(text);
}

int64_t Model::text_known_tokens(std::string_view text) const {
  return impl_->text_input ? impl_->text_input->vectorizer().known_tokens(text) : 0;
}

Result<std::shared_ptr<const Model>> Model::load(const std::string& path,
                                                 const LoadOptions& options) {
  keras_io::ReadOptions read;
  read.architecture_path = options.architecture_path;
  read.max_memory_bytes = options.max_memory_bytes;
  QUIVER_ASSIGN_OR_RETURN(keras_io::ModelSpec spec, keras_io::read_model(path, read));
  QUIVER_ASSIGN_OR_RETURN(std::unique_ptr<ModelImpl> impl, nn::build_model(spec, options));
  return std::shared_ptr<const Model>(std::make_shared<Model>(std::move(impl)));
}

}  // namespace quiver
