// Classification metrics for `quiver evaluate`: accuracy, per-class precision / recall /
// F1, confusion matrix and ROC AUC (binary); per-label metrics and exact-match ratio
// (multi-label, threshold 0.5). Pure functions.
#ifndef QUIVER_TRAIN_METRICS_H_
#define QUIVER_TRAIN_METRICS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace quiver::train {

struct ClassMetrics {
  std::string label;
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;  // rows whose true label(s) include this one
};

struct EvalMetrics {
  int64_t rows = 0;
  bool multi_label = false;
  double accuracy = 0;        // single-label: argmax hits; multi-label: per-label mean
  std::vector<ClassMetrics> classes;
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted], single-label
  bool has_auc = false;
  double roc_auc = 0;         // binary: score of labels[1]
  double exact_match = 0;     // multi-label: rows with every label right
  double macro_f1 = 0;
};

// scores: [rows, outputs] model outputs (probabilities). truth: [rows, labels] 0/1.
// outputs == 1 means one sigmoid unit for a binary task (P(labels[1])).
EvalMetrics compute_metrics(const std::vector<float>& scores, int outputs,
                            const std::vector<float>& truth, const std::vector<std::string>& labels,
                            bool multi_label);

// ROC AUC by the rank-sum (Mann-Whitney) formula, ties counted half. 0.5 without both classes.
double roc_auc(const std::vector<double>& scores, const std::vector<int>& positive);

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_METRICS_H_
