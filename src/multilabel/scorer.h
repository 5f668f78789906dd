// A binary or multi-label text classifier (quiver::Classifier) ready to score raw texts
// for `quiver compare` and `quiver train-multilabel`. Thread-safety: immutable after load(); score() is
// const and may run concurrently.
#ifndef QUIVER_MULTILABEL_SCORER_H_
#define QUIVER_MULTILABEL_SCORER_H_

#include <memory>
#include <string>
#include <vector>

#include "quiver/classifier.h"

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
  // Loads a quiver-trained model through quiver::Classifier (its recorded tokenizer,
  // segmenter, labels, maxlen, padding and thresholds).
  static Result<std::unique_ptr<const ScoringModel>> load(const std::string& path);
  // The same with explicit settings over the recorded ones (e.g. a serve config's entry:
  // serve::classifier_options). Errors name the file: anything Classifier::load reports,
  // NotFound without a tokenizer, InvalidArgument for a model that is neither binary nor
  // multi-label.
  static Result<std::unique_ptr<const ScoringModel>> load(const ClassifierOptions& options);

  const std::string& path() const { return path_; }
  const ClassifierInfo& info() const { return classifier_->info(); }
  bool multi_label() const { return info().multi_label; }
  // The score columns: a multi-label model's labels, or one column for a binary model
  // (P(labels[1]), from a 2-way softmax or a single sigmoid unit).
  int columns() const { return multi_label() ? static_cast<int>(info().labels.size()) : 1; }
  // A multi-label model's thresholds (one per label; 0.5 each unless set or recorded); a
  // binary model's 0.5.
  const std::vector<double>& thresholds() const { return thresholds_; }

  // Scores every text. Errors: a segmenter failure (invalid UTF-8, naming the row).
  Result<Scores> score(const std::vector<std::string>& texts, int threads = 1) const;

 private:
  ScoringModel() = default;

  std::string path_;
  std::shared_ptr<const Classifier> classifier_;
  std::vector<double> thresholds_;
};

}  // namespace quiver::multilabel

#endif  // QUIVER_MULTILABEL_SCORER_H_
