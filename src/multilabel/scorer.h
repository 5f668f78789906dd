// A model trained by quiver, ready to score raw texts: the loaded Model plus what its
// quiver_* attributes say (labels, maxlen, padding, tokenizer, segmenter, and for a
// multi-label model quiver_thresholds). Thread-safety: immutable after load(); score() is
// const and may run concurrently.
#ifndef QUIVER_MULTILABEL_SCORER_H_
#define QUIVER_MULTILABEL_SCORER_H_

#include <memory>
#include <string>
#include <vector>

#include "quiver/model.h"
#include "quiver/segmenter.h"
#include "quiver/tokenizer.h"
#include "quiver/train.h"

namespace quiver::multilabel {

// Scores of `rows` texts, row-major [rows, columns].
struct Scores {
  int64_t rows = 0;
  int columns = 0;
  std::vector<double> values;
  double seconds = 0;  // wall time of segmentation + tokenization + predict
  double at(int64_t r, int c) const { return values[r * columns + c]; }
};

class ScoringModel {
 public:
  // Loads a quiver-trained model. Errors name the file: NotFound when it has no quiver_*
  // attributes, Corruption for malformed ones, anything Model::load reports.
  static Result<std::unique_ptr<const ScoringModel>> load(const std::string& path);

  const std::string& path() const { return path_; }
  const TrainedModelInfo& info() const { return info_; }
  bool multi_label() const { return info_.task == "multilabel"; }
  // The score columns: a multi-label model's labels, or one column for a binary model
  // (P(labels[1]), from a 2-way softmax or a single sigmoid unit).
  int columns() const { return multi_label() ? static_cast<int>(info_.labels.size()) : 1; }
  // quiver_thresholds (one per label) of a multi-label model; 0.5 each when absent.
  const std::vector<double>& thresholds() const { return thresholds_; }

  // Scores every text. Errors: a segmenter failure (invalid UTF-8, naming the row).
  Result<Scores> score(const std::vector<std::string>& texts, int threads = 1) const;

 private:
  ScoringModel() = default;
  Status check_outputs(int outputs) const;

  std::string path_;
  std::shared_ptr<const Model> model_;
  TrainedModelInfo info_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  std::shared_ptr<const Segmenter> segmenter_;  // null for "none"
  std::vector<double> thresholds_;
};

}  // namespace quiver::multilabel

#endif  // QUIVER_MULTILABEL_SCORER_H_
