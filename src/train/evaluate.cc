#include "train/evaluate.h"

#include "quiver/classifier.h"
#include "train/dataset.h"

namespace quiver::train {
namespace {

constexpr int64_t kEvalBatch = 256;

// The explicit evaluate options over what the model records (the Classifier's rule).
ClassifierOptions eval_classifier_options(const std::string& model_path, const EvalOptions& o) {
  ClassifierOptions c;
  c.model_path = model_path;
  c.weights = o.weights;
  c.memory_policy = o.memory_policy;
  c.memory_budget_bytes = o.memory_budget_bytes;
  if (!o.tokenizer_path.empty()) c.tokenizer_path = o.tokenizer_path;
  if (!o.segmenter.empty()) c.segmenter = o.segmenter;
  if (!o.user_dict.empty()) c.user_dict = o.user_dict;
  return c;
}

std::string task_of(const ClassifierInfo& info) {
  if (info.multi_label) return "multilabel";
  return info.labels.size() == 2 ? "binary" : "multiclass";
}

}  // namespace

Result<EvalResult> evaluate_model(const std::string& model_path, const std::string& csv_path,
                                  const EvalOptions& o) {
  QUIVER_ASSIGN_OR_RETURN(std::shared_ptr<const Classifier> c,
                          Classifier::load(eval_classifier_options(model_path, o)));
  const ClassifierInfo& info = c->info();
  if (!info.trained_by_quiver) {
    return not_found(model_path + ": no quiver_labels attribute (not a model trained by quiver)");
  }
  if (c->tokenizer() == nullptr) return not_found(model_path + ": no quiver_tokenizer attribute");
  TrainOptions read_opts;
  read_opts.text_column = o.text_column;
  read_opts.label_column = o.label_column;
  read_opts.label_columns = o.label_columns;
  read_opts.skip_bad_rows = o.skip_bad_rows;
  QUIVER_ASSIGN_OR_RETURN(LabeledTexts data,
                          read_labeled_csv(csv_path, read_opts, info.multi_label, &info.labels));
  const int64_t rows = static_cast<int64_t>(data.texts.size());
  std::vector<float> scores;
  int outputs = 0;
  PredictOptions po;
  po.threads = std::max(1, o.threads);
  // Without a fixed length each text keeps its own, so each is its own batch.
  const int64_t batch = info.seq_len > 0 ? kEvalBatch : 1;
  for (int64_t begin = 0; begin < rows; begin += batch) {
    const int64_t n = std::min(batch, rows - begin);
    std::vector<int32_t> ids;
    int64_t len = 0;
    for (int64_t r = begin; r < begin + n; ++r) {
      auto encoded = c->encode(data.texts[r]);
      if (!encoded.ok()) return encoded.status().with_context(csv_path + ": row " + std::to_string(r + 1));
      len = static_cast<int64_t>(encoded->ids.size());
      ids.insert(ids.end(), encoded->ids.begin(), encoded->ids.end());
    }
    QUIVER_ASSIGN_OR_RETURN(std::vector<Tensor> out, c->predict(ids, n, len, po));
    if (out.empty() || out[0].shape.size() != 2) {
      return invalid_argument(model_path + ": expected one [batch, classes] output");
    }
    outputs = static_cast<int>(out[0].shape[1]);
    scores.insert(scores.end(), out[0].data.begin(), out[0].data.end());
  }
  EvalResult result;
  result.metrics = compute_metrics(scores, outputs, encode_targets(data, info.labels, false),
                                   info.labels, info.multi_label);
  result.skipped_rows = data.skipped;
  result.task = task_of(info);
  return result;
}

}  // namespace quiver::train
