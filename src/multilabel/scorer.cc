#include "multilabel/scorer.h"

#include <algorithm>
#include <chrono>

namespace quiver::multilabel {
namespace {
constexpr int64_t kBatch = 256;
}  // namespace

Result<std::unique_ptr<const ScoringModel>> ScoringModel::load(const std::string& path) {
  std::unique_ptr<ScoringModel> m(new ScoringModel());
  m->path_ = path;
  QUIVER_ASSIGN_OR_RETURN(m->model_, Model::load(path));
  QUIVER_ASSIGN_OR_RETURN(m->info_, read_trained_model_info(path));
  if (m->info_.tokenizer_json.empty()) return corruption(path + ": no quiver_tokenizer attribute");
  auto tok = Tokenizer::from_json(m->info_.tokenizer_json);
  if (!tok.ok()) return tok.status().with_context(path + ": quiver_tokenizer");
  m->tokenizer_ = std::make_shared<const Tokenizer>(std::move(tok).value());
  if (m->info_.segmenter != "none" && !m->info_.segmenter.empty()) {
    auto seg = Segmenter::create(m->info_.segmenter,
                                 with_recorded_user_dict({}, m->info_.segmenter, m->info_.user_dict));
    if (!seg.ok()) return seg.status().with_context(path + ": quiver_segmenter");
    m->segmenter_ = std::move(seg).value();
  }
  if (!m->multi_label() && m->info_.labels.size() != 2) {
    return invalid_argument(path + ": a " + m->info_.task + " model with " +
                            std::to_string(m->info_.labels.size()) +
                            " labels; expected a binary or a multi-label model");
  }
  m->thresholds_.assign(m->columns(), 0.5);
  if (m->multi_label() && !m->info_.thresholds.empty()) m->thresholds_ = m->info_.thresholds;
  return std::unique_ptr<const ScoringModel>(std::move(m));
}

Status ScoringModel::check_outputs(int outputs) const {
  const int k = static_cast<int>(info_.labels.size());
  if (outputs == k || (!multi_label() && outputs == 1)) return Status();
  return corruption(path_ + ": the model has " + std::to_string(outputs) + " outputs for " +
                    std::to_string(k) + " labels");
}

Result<Scores> ScoringModel::score(const std::vector<std::string>& texts, int threads) const {
  const auto start = std::chrono::steady_clock::now();
  Scores s;
  s.rows = static_cast<int64_t>(texts.size());
  s.columns = columns();
  s.values.reserve(s.rows * s.columns);
  const int64_t len = info_.maxlen;
  PredictOptions po;
  po.threads = std::max(1, threads);
  for (int64_t begin = 0; begin < s.rows; begin += kBatch) {
    const int64_t n = std::min(kBatch, s.rows - begin);
    std::vector<int32_t> ids;
    ids.reserve(n * len);
    for (int64_t r = begin; r < begin + n; ++r) {
      std::string segmented;
      if (segmenter_) {
        auto seg = segment_for_tokenizer(*segmenter_, texts[r], tokenizer_->config().split);
        if (!seg.ok()) return seg.status().with_context("row " + std::to_string(r + 1));
        segmented = std::move(seg).value();
      }
      auto seq = tokenizer_->text_to_sequence(segmenter_ ? segmented : texts[r]);
      auto padded = pad_sequence(seq, len, info_.padding, info_.truncating);
      ids.insert(ids.end(), padded.begin(), padded.end());
    }
    QUIVER_ASSIGN_OR_RETURN(std::vector<Tensor> out, model_->predict(ids, n, len, po));
    if (out.empty() || out[0].shape.size() != 2) {
      return invalid_argument(path_ + ": expected one [batch, classes] output");
    }
    const int outputs = static_cast<int>(out[0].shape[1]);
    QUIVER_RETURN_IF_ERROR(check_outputs(outputs));
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
