// Evaluating a model trained by quiver on a labelled CSV: what `quiver evaluate` prints.
//
// The model's quiver_* attributes give its labels, sequence length, padding, tokenizer and
// segmenter (a tokenizer file, segmenter or user dictionary given here wins; a tokenizer file
// that differs from the recorded one is refused, see check_tokenizer_belongs in train.h).
// Thread-safety: evaluate() is thread-safe.
#ifndef QUIVER_EVALUATE_H_
#define QUIVER_EVALUATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "quiver/model.h"
#include "quiver/status.h"

namespace quiver {

struct EvaluateOptions {
  std::string text_column = "text", label_column = "label";
  std::vector<std::string> label_columns;  // multi-label from several 0/1 columns
  bool skip_bad_rows = false;
  std::string tokenizer_path;  // "" = the model's recorded tokenizer (or B.tokenizer.json)
  std::string segmenter;       // "" = the model's quiver_segmenter
  std::string user_dict;       // "" = the model's quiver_user_dict
  WeightMode weights = WeightMode::kFp32;
  MemoryPolicy memory_policy = MemoryPolicy::kAuto;  // LoadOptions::memory_policy
  int64_t memory_budget_bytes = 0;                   // LoadOptions::memory_budget_bytes
  int threads = 1;
};

struct LabelMetrics {
  std::string label;
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;  // rows whose true label(s) include this one
};

struct Evaluation {
  std::string task;  // binary, multiclass, multilabel
  int64_t rows = 0, skipped_rows = 0;
  bool multi_label = false;
  double accuracy = 0;   // single-label: argmax hits; multi-label: mean over labels
  double macro_f1 = 0;
  std::vector<LabelMetrics> classes;            // one per label
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted]; single-label only
  bool has_auc = false;
  double roc_auc = 0;      // binary: the score of labels[1]
  double exact_match = 0;  // multi-label: rows with every label right
};

// Errors: NotFound / IOError for files, Corruption for a model without quiver's attributes
// or a tokenizer that is not the model's, InvalidArgument for bad rows (naming file and line).
Result<Evaluation> evaluate(const std::string& model_path, const std::string& csv_path,
                            const EvaluateOptions& options = {});

}  // namespace quiver

#endif  // QUIVER_EVALUATE_H_
