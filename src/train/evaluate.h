// Evaluates a model trained by quiver (its quiver_* attributes give labels, maxlen,
// padding and tokenizer) on a labelled CSV, running quiver::Model::load + predict.
#ifndef QUIVER_TRAIN_EVALUATE_H_
#define QUIVER_TRAIN_EVALUATE_H_

#include <string>

#include "quiver/train.h"
#include "train/metrics.h"

namespace quiver::train {

struct EvalOptions {
  std::string text_column = "text", label_column = "label";
  std::vector<std::string> label_columns;
  bool skip_bad_rows = false;
  std::string tokenizer_path;  // overrides the model's quiver_tokenizer attribute
  std::string segmenter;       // overrides the model's quiver_segmenter attribute ("" = keep)
  std::string user_dict;       // overrides the model's quiver_user_dict ("" = keep)
  WeightMode weights = WeightMode::kFp32;  // LoadOptions::weights
  MemoryPolicy memory_policy = MemoryPolicy::kAuto;  // LoadOptions::memory_policy
  int64_t memory_budget_bytes = 0;                   // LoadOptions::memory_budget_bytes
  int threads = 1;
};

struct EvalResult {
  EvalMetrics metrics;
  int64_t skipped_rows = 0;
  std::string task;
};

Result<EvalResult> evaluate_model(const std::string& model_path, const std::string& csv_path,
                                  const EvalOptions& options);

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_EVALUATE_H_
