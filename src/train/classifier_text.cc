// Classifier after load: encoding texts, running the model, the decision rule; and the
// merge of explicit options over a config's.
#include <algorithm>

#include "quiver/classifier.h"

namespace quiver {
namespace {

template <typename T>
void prefer(std::optional<T>& out, const std::optional<T>& explicit_value) {
  if (explicit_value) out = explicit_value;
}

}  // namespace

ClassifierOptions ClassifierOptions::merge(const ClassifierOptions& e, const ClassifierOptions& config) {
  ClassifierOptions o = config;
  if (!e.model_path.empty()) o.model_path = e.model_path;
  prefer(o.architecture_path, e.architecture_path);
  prefer(o.hard_sigmoid, e.hard_sigmoid);
  prefer(o.weights, e.weights);
  prefer(o.memory_policy, e.memory_policy);
  prefer(o.memory_budget_bytes, e.memory_budget_bytes);
  if (e.tokenizer || e.tokenizer_path) {  // one tokenizer source replaces the other
    o.tokenizer = e.tokenizer;
    o.tokenizer_path = e.tokenizer_path;
  }
  prefer(o.labels, e.labels);
  prefer(o.maxlen, e.maxlen);
  prefer(o.padding, e.padding);
  prefer(o.truncating, e.truncating);
  prefer(o.segmenter, e.segmenter);
  prefer(o.user_dict, e.user_dict);
  prefer(o.jieba_dir, e.jieba_dir);
  prefer(o.multi_label, e.multi_label);
  prefer(o.thresholds, e.thresholds);
  prefer(o.train_data, e.train_data);
  prefer(o.train_if_missing, e.train_if_missing);
  prefer(o.training, e.training);
  if (e.segmenters) o.segmenters = e.segmenters;
  if (e.load_model) o.load_model = e.load_model;
  if (e.train) o.train = e.train;
  if (e.fit_tokenizer) o.fit_tokenizer = e.fit_tokenizer;
  return o;
}

LoadOptions ClassifierOptions::load_options() const {
  LoadOptions lo;
  lo.architecture_path = architecture_path.value_or("");
  lo.hard_sigmoid = hard_sigmoid.value_or(HardSigmoidMode::kAuto);
  lo.weights = weights.value_or(WeightMode::kFp32);
  lo.memory_policy = memory_policy.value_or(MemoryPolicy::kAuto);
  lo.memory_budget_bytes = memory_budget_bytes.value_or(0);
  return lo;
}

Result<EncodedText> Classifier::encode(std::string_view text) const {
  if (takes_raw_text()) {  // the model's TextVectorization encodes it in predict_texts
    EncodedText out;
    out.known_tokens = model_->text_known_tokens(text);
    return out;
  }
  if (!tokenizer_) {
    return invalid_argument(info_.model.path + ": no tokenizer (give one, or send id rows)");
  }
  std::vector<int32_t> seq;
  if (segmenter_) {
    QUIVER_ASSIGN_OR_RETURN(std::string joined,
                            segment_for_tokenizer(*segmenter_, text, tokenizer_->config().split));
    seq = tokenizer_->text_to_sequence(joined);
  } else {
    seq = tokenizer_->text_to_sequence(text);
  }
  const int64_t len =
      info_.seq_len > 0 ? info_.seq_len : std::max<int64_t>(static_cast<int64_t>(seq.size()), 1);
  EncodedText out;
  out.ids = pad_sequence(seq, len, info_.padding, info_.truncating);
  out.known_tokens = std::count_if(out.ids.begin(), out.ids.end(),
                                   [this](int32_t id) { return id != 0 && id != oov_index_; });
  return out;
}

Result<std::vector<Tensor>> Classifier::predict(std::span<const int32_t> ids, int64_t rows,
                                                int64_t seq_len,
                                                const PredictOptions& options) const {
  const ModelInfo& m = info_.model;
  if (rows < 0 || seq_len < 1 || static_cast<int64_t>(ids.size()) != rows * seq_len) {
    return invalid_argument(std::to_string(ids.size()) + " ids for " + std::to_string(rows) +
                            " rows of " + std::to_string(seq_len));
  }
  if (m.input_length > 0 && seq_len != m.input_length) {
    return invalid_argument(std::to_string(seq_len) + " ids per row, the model takes " +
                            std::to_string(m.input_length));
  }
  for (size_t k = 0; k < ids.size(); ++k) {
    if (m.vocab_size > 0 && (ids[k] < 0 || ids[k] >= m.vocab_size)) {
      return invalid_argument("row " + std::to_string(k / seq_len) + ": token id " +
                              std::to_string(ids[k]) + " is outside the vocabulary [0, " +
                              std::to_string(m.vocab_size) + ")");
    }
  }
  return model_->predict(ids, rows, seq_len, options);
}

Result<std::vector<Tensor>> Classifier::predict_texts(std::span<const std::string> texts,
                                                      const PredictOptions& options) const {
  if (!takes_raw_text()) {
    return invalid_argument(info_.model.path + ": the model takes token ids: encode() the texts");
  }
  return model_->predict_texts(texts, options);
}

Result<std::vector<Tensor>> Classifier::predict_inputs(std::span<const Tensor> inputs,
                                                       const PredictOptions& options) const {
  return model_->predict_inputs(inputs, options);
}

Status Classifier::warm_up() const {
  Result<std::vector<Tensor>> out = std::vector<Tensor>{};
  const ModelInfo& m = info_.model;
  if (takes_raw_text()) {
    const std::string text = "warm up";
    out = predict_texts(std::span<const std::string>(&text, 1));
  } else if (m.inputs.size() > 1) {  // one zero row per input (unknown sizes: 1)
    std::vector<Tensor> inputs;
    for (const InputInfo& in : m.inputs) {
      Tensor t;
      t.shape = {1};
      for (int64_t d : in.shape) t.shape.push_back(d > 0 ? d : 1);
      if (in.text) {
        t.strings = {"warm up"};
      } else {
        t.data.assign(static_cast<size_t>(t.size()), 0.0f);
      }
      inputs.push_back(std::move(t));
    }
    out = predict_inputs(inputs);
  } else {
    const int64_t len = std::max<int64_t>(info_.seq_len, 1);
    std::vector<int32_t> ids(static_cast<size_t>(len), 0);
    out = predict(ids, 1, len);
  }
  return out.ok() ? Status() : out.status().with_context("warm-up prediction");
}

std::vector<float> Classifier::label_scores(const float* row) const {
  if (info_.output_units == 1 && info_.labels.size() == 2) return {1.0f - row[0], row[0]};
  return std::vector<float>(row, row + info_.output_units);
}

Decision Classifier::decide(const float* row) const {
  Decision d;
  const int64_t units = info_.output_units;
  if (units == 1 && !info_.multi_label) {
    d.label = row[0] > 0.5f ? 1 : 0;  // Keras: (model.predict(x) > 0.5).astype("int32")
    return d;
  }
  const std::vector<float> scores = label_scores(row);
  for (size_t i = 1; i < scores.size(); ++i) {
    if (scores[i] > scores[d.label]) d.label = i;  // numpy.argmax: the first on ties
  }
  if (info_.multi_label) {
    for (size_t i = 0; i < scores.size() && i < info_.thresholds.size(); ++i) {
      if (scores[i] > info_.thresholds[i]) d.chosen.push_back(i);
    }
  }
  return d;
}

Result<PadMode> parse_pad_mode(std::string_view name) {
  if (name == "pre") return PadMode::kPre;
  if (name == "post") return PadMode::kPost;
  return invalid_argument("expected pre or post, got '" + std::string(name) + "'");
}

Result<HardSigmoidMode> parse_hard_sigmoid_mode(std::string_view name) {
  if (name == "auto") return HardSigmoidMode::kAuto;
  if (name == "keras2") return HardSigmoidMode::kKeras2;
  if (name == "keras3") return HardSigmoidMode::kKeras3;
  return invalid_argument("expected auto, keras2 or keras3, got '" + std::string(name) + "'");
}

}  // namespace quiver
