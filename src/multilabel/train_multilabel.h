// quiver train-multilabel: from N per-category binary CSVs (and optionally the N binary
// models trained on them) to one multi-label model with per-label thresholds.
//   1. merge the CSVs (merge.h); cells a CSV does not cover are labelled by the
//      category's binary model (score > 0.5) or their sentences are dropped;
//   2. shuffle the rows (seeded), write them as a CSV with one 0/1 column per category
//      and train on it with quiver's trainer (train_model: one tokenizer, sigmoid
//      outputs, binary cross-entropy); the last validation_split of the rows (default 0.1)
//      is the validation set;
//   3. score the validation rows with the written model and pick each label's threshold
//      on the rows whose label came from a CSV: max F1, or the lowest threshold whose
//      precision reaches the binary model's precision on the same rows;
//   4. store them in the model's root attribute quiver_thresholds (a JSON array of
//      numbers in quiver_labels order; predict a label when score > threshold) and
//      quiver_threshold_method ("f1" or "precision").
// Thread-safe (no shared state); training uses options.train.threads.
#ifndef QUIVER_MULTILABEL_TRAIN_MULTILABEL_H_
#define QUIVER_MULTILABEL_TRAIN_MULTILABEL_H_

#include <map>
#include <string>
#include <vector>

#include "multilabel/merge.h"
#include "multilabel/thresholds.h"
#include "quiver/train.h"

namespace quiver::multilabel {

inline constexpr char kMergedTextColumn[] = "quiver_text";

struct TrainMultilabelOptions {
  std::vector<CategorySource> categories;
  std::map<std::string, std::string> binary_models;  // category -> binary model file
  // "binary": unknown cells from the binary models (each needed one must be given);
  // "drop": sentences with an unknown cell are left out; "auto": binary when every
  // category has a binary model, else drop.
  std::string unlabelled = "auto";
  std::string thresholds = "f1";  // f1 | precision (needs every binary model)
  MergeOptions merge;
  TrainOptions train;        // text / label columns are set here; validation_path unused
  std::string merged_csv;    // keep the merged training CSV at this path ("" = temp file)
};

struct LabelThreshold {
  std::string label;
  ThresholdChoice choice;
  int64_t validation_rows = 0;   // rows the choice was made on (label known from a CSV)
  double target_precision = 0;   // "precision" method: the binary model's precision
};

struct TrainMultilabelReport {
  MergeCounts counts;
  std::string unlabelled;  // the mode used: binary or drop
  TrainReport train;
  std::string method;
  std::vector<LabelThreshold> thresholds;  // in the model's label order
};

// Errors: InvalidArgument for bad options (naming the flag / category), anything
// merge_category_csvs, train_model or loading a binary model reports.
Result<TrainMultilabelReport> train_multilabel(const std::string& model_path,
                                               const TrainMultilabelOptions& options);

}  // namespace quiver::multilabel

#endif  // QUIVER_MULTILABEL_TRAIN_MULTILABEL_H_
