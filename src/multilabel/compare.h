// quiver compare: a group of binary models (one per category) against one multi-label
// model on the same corpus. Per category: agreement and Cohen's kappa between the two
// sides' decisions, their 2x2 confusion, accuracy / precision / recall / F1 of each side
// against the corpus labels when it has them, the sentences where the sides disagree
// most, and each side's throughput. Decisions: binary score (P(labels[1])) > 0.5;
// multi-label score > the model's quiver_thresholds entry (0.5 when absent).
// Thread-safe (no shared state).
#ifndef QUIVER_MULTILABEL_COMPARE_H_
#define QUIVER_MULTILABEL_COMPARE_H_

#include <string>
#include <vector>

#include "multilabel/agreement.h"
#include "multilabel/group.h"

namespace quiver::multilabel {

// The sentences to compare on: a .txt file (one sentence a line, blank lines skipped) or a
// CSV with a text column and, optionally, labels: a 0/1 column named after a category, or
// a label column holding the positive categories joined by '|'.
struct Corpus {
  std::vector<std::string> texts;
  // [category][row]: 1, 0, or -1 (no label); empty when the corpus has none for it.
  std::vector<std::vector<int8_t>> truth;
};

struct CorpusOptions {
  std::string text_column = "text", label_column = "label";
};

Result<Corpus> read_corpus(const std::string& path, const std::vector<std::string>& categories,
                           const CorpusOptions& options);

struct Disagreement {
  int64_t row = 0;  // 0-based corpus row
  std::string text;
  double binary_score = 0, multilabel_score = 0;
};

struct CategoryComparison {
  std::string category, binary_model;
  double binary_threshold = 0.5, multilabel_threshold = 0.5;
  Agreement agreement;  // a = binary, b = multi-label
  int64_t labelled_rows = 0;  // 0: no labels for this category
  BinaryMetrics binary_vs_truth, multilabel_vs_truth;
  std::vector<Disagreement> top;  // decisions differ; largest |score gap| first
  std::vector<double> binary_scores, multilabel_scores;
  std::vector<int8_t> truth;  // as Corpus::truth (empty without labels)
  double binary_seconds = 0;
};

struct Comparison {
  std::string model_path, data_path;
  int64_t rows = 0;
  std::vector<CategoryComparison> categories;  // in group order
  std::vector<std::string> only_binary, only_multilabel;  // categories one side lacks
  double binary_seconds = 0, multilabel_seconds = 0;  // whole corpus, all members summed
  double binary_per_second = 0, multilabel_per_second = 0;  // sentences / s
};

struct CompareOptions {
  CorpusOptions corpus;
  int threads = 1;
  int top = 5;
};

// Errors: InvalidArgument when the sides share no category or a member is not binary,
// anything loading the models or reading the corpus reports.
Result<Comparison> compare_models(const std::vector<GroupMember>& group, const std::string& model_path,
                                  const std::string& data_path, const CompareOptions& options);

// Most-disagreeing rows: where the decisions differ, ordered by |binary - multi-label|
// descending (then by row), at most `top`.
std::vector<Disagreement> top_disagreements(const std::vector<double>& binary,
                                            const std::vector<double>& multilabel,
                                            const std::vector<bool>& binary_yes,
                                            const std::vector<bool>& multilabel_yes,
                                            const std::vector<std::string>& texts, int top);

}  // namespace quiver::multilabel

#endif  // QUIVER_MULTILABEL_COMPARE_H_
