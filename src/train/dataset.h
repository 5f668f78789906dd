// Labelled texts from a CSV (src/text/csv.h, RFC 4180 on libcsv) and their label encoding.
//   single-label: a text column and a label column;
//   multi-label:  labels joined by '|' in the label column, or several 0/1 columns.
// Label order = sorted unique labels (numerically when every label is an integer, as
// pandas.get_dummies sorts an integer column; else by code point).
#ifndef QUIVER_TRAIN_DATASET_H_
#define QUIVER_TRAIN_DATASET_H_

#include <string>
#include <vector>

#include "quiver/train.h"
#include "text/csv.h"

namespace quiver::train {

struct LabeledTexts {
  std::vector<std::string> texts;
  std::vector<std::vector<std::string>> labels;  // the label names of each row
  std::vector<int64_t> lines;                    // the CSV line each row starts on
  int64_t skipped = 0;                           // bad rows skipped (--skip-bad-rows)
  bool multi_label = false;
};

// A row training can use: as many fields as the header (`width`) and, unless
// allow_empty_text, a text that is not empty or all white space. InvalidArgument "record
// has 3 fields, header has 2" or "column 'text': empty text" otherwise.
Status check_text_row(const text::CsvRow& row, size_t width, size_t text_index,
                      const std::string& text_column, bool allow_empty_text = false);

// "path:line: <why> (to skip such rows: --skip-bad-rows, ...)": a bad row's error.
Status bad_row(const std::string& path, const text::CsvRow& row, const Status& why);

// Reads `path`; a bad row (check_text_row, a missing or unknown label) is an error naming
// the file and line unless options.skip_bad_rows, which leaves it out and counts it in
// `skipped`. `known_labels` (for a validation / evaluation file) restricts the labels:
// an unknown one makes the row bad. Errors name the file, line and column.
Result<LabeledTexts> read_labeled_csv(const std::string& path, const TrainOptions& options,
                                      bool multi_label_hint,
                                      const std::vector<std::string>* known_labels);

// Replaces each text by what the tokenizer sees after `segmenter` (words joined by `split`);
// a null segmenter leaves the texts alone. Errors name "source:line: segmenter".
Status segment_texts(const Segmenter* segmenter, const std::string& split, const std::string& source,
                     LabeledTexts* data);

// The sorted unique labels of `data`. InvalidArgument when fewer than two (single-label).
Result<std::vector<std::string>> label_set(const LabeledTexts& data);

// Targets [rows, outputs]: one-hot (softmax), the positive class (one sigmoid unit: row
// label == labels[1]) or multi-hot (multi-label).
std::vector<float> encode_targets(const LabeledTexts& data, const std::vector<std::string>& labels,
                                  bool single_sigmoid);

// sklearn's class_weight="balanced": n_rows / (n_classes * count(class)), per row.
std::vector<float> balanced_weights(const LabeledTexts& data, const std::vector<std::string>& labels);

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_DATASET_H_
