#include "multilabel/scorer.h"

#include <algorithm>
#include <chrono>

namespace quiver::multilabel {
namespace {
constexpr int64_t kBatch = 256;
}  // namespace

Result<std::unique_ptr<const ScoringModel>> ScoringModel::load(const std::string& path) {
  ClassifierOptions options;
  options.model_path = path;
  return load(options);
}

Result<std::unique_ptr<const ScoringModel>> ScoringModel::load(const ClassifierOptions& options) {
  std::unique_ptr<ScoringModel> m(new ScoringModel());
  m->path_ = options.model_path;
  QUIVER_ASSIGN_OR_RETURN(m->classifier_, Classifier::load(options));
  const ClassifierInfo& info = m->info();
  if (m->classifier_->tokenizer() == nullptr) {
    return not_found(m->path_ + ": no tokenizer (no quiver_tokenizer attribute, none configured)");
  }
  if (info.labels.empty() || (!info.multi_label && info.labels.size() != 2)) {
    return invalid_argument(m->path_ + ": a model with " + std::to_string(info.labels.size()) +
                            " labels; expected a binary or a multi-label model");
  }
  m->thresholds_ = info.multi_label ? info.thresholds : std::vector<double>{0.5};
  return std::unique_ptr<const ScoringModel>(std::move(m));
}

Result<Scores> ScoringModel::score(const std::vector<std::string>& texts, int threads) const {
  const auto start = std::chrono::steady_clock::now();
  Scores s;
  s.rows = static_cast<int64_t>(texts.size());
  s.columns = columns();
  s.values.reserve(s.rows * s.columns);
  PredictOptions po;
  po.threads = std::max(1, threads);
  // Without a fixed length each text keeps its own, so each is its own batch.
  const int64_t batch = info().seq_len > 0 ? kBatch : 1;
  for (int64_t begin = 0; begin < s.rows; begin += batch) {
    const int64_t n = std::min(batch, s.rows - begin);
    std::vector<int32_t> ids;
    int64_t len = 0;
    for (int64_t r = begin; r < begin + n; ++r) {
      auto encoded = classifier_->encode(texts[r]);
      if (!encoded.ok()) return encoded.status().with_context("row " + std::to_string(r + 1));
      len = static_cast<int64_t>(encoded->ids.size());
      ids.insert(ids.end(), encoded->ids.begin(), encoded->ids.end());
    }
    QUIVER_ASSIGN_OR_RETURN(std::vector<Tensor> out, classifier_->predict(ids, n, len, po));
    if (out.empty() || out[0].shape.size() != 2) {
      return invalid_argument(path_ + ": expected one [batch, classes] output");
    }
    const int outputs = static_cast<int>(out[0].shape[1]);
    for (int64_t r = 0; r < n; ++r) {
      if (multi_label()) {
        for (int c = 0; c < outputs; ++c) s.values.push_back(out[0].data[r * outputs + c]);
      } else {  // P(labels[1])
        s.values.push_back(out[0].data[r * outputs + outputs - 1]);
      }
    }
  }
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace quiver::multilabel
