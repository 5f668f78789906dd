// Merges per-category binary CSVs into one multi-label set: a sentence's labels are the
// categories whose CSV marks it positive. Sentences are matched by their exact text.
// A cell is "known" when the sentence occurs in that category's CSV, else unknown (-1)
// until fill_unknown() labels it with the category's binary model or drop_unknown()
// removes the row. Thread-compatible values; functions are thread-safe.
#ifndef QUIVER_MULTILABEL_MERGE_H_
#define QUIVER_MULTILABEL_MERGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "quiver/status.h"

namespace quiver::multilabel {

struct CategorySource {
  std::string name;  // the category (becomes a label of the multi-label model)
  std::string csv;   // its binary CSV
};

struct MergeOptions {
  std::string text_column = "text", label_column = "label";
  // The value meaning "positive" in every CSV. Empty: each CSV must have exactly two
  // labels and the positive one is the second in quiver's label order (1 of 0/1, yes of
  // no/yes, pos of neg/pos, positive of negative/positive).
  std::string positive_label;
  bool skip_bad_rows = false;
};

struct MergeCounts {
  int64_t input_rows = 0;         // rows read from all CSVs
  int64_t duplicate_rows = 0;     // a sentence repeated within one CSV (first one kept)
  int64_t conflicting_rows = 0;   // ... with a different label (positive wins)
  int64_t skipped_rows = 0;       // bad rows skipped (skip_bad_rows)
  int64_t sentences = 0;          // unique sentences
  int64_t complete = 0;           // sentences labelled by every category's CSV
  int64_t filled_sentences = 0;   // sentences completed by binary models
  int64_t filled_cells = 0;       // (sentence, category) cells labelled by binary models
  int64_t dropped = 0;            // sentences left out for an unknown cell
};

struct MergedSet {
  std::vector<std::string> categories;  // as given
  std::vector<std::string> texts;
  std::vector<std::vector<int8_t>> cells;  // [row][category]: 1, 0, or -1 (unknown)
  std::vector<std::vector<bool>> known;    // [row][category]: label came from the CSV
  MergeCounts counts;
};

// Reads every CSV. Errors: InvalidArgument for duplicate / invalid category names, a CSV
// without exactly two labels (unless positive_label is set) or bad rows (file:line).
Result<MergedSet> merge_category_csvs(const std::vector<CategorySource>& sources,
                                      const MergeOptions& options);

// The rows with an unknown cell in `category`.
std::vector<int64_t> rows_missing(const MergedSet& set, size_t category);

// Sets the unknown cells of `category` at `rows` to `decisions` (same length).
void fill_unknown(MergedSet* set, size_t category, const std::vector<int64_t>& rows,
                  const std::vector<bool>& decisions);

// Removes every row that still has an unknown cell; updates counts.
void drop_unknown(MergedSet* set);

// Fisher-Yates shuffle of the rows with a splitmix64 stream from `seed` (the same order on
// every platform).
void shuffle_rows(MergedSet* set, uint64_t seed);

// RFC 4180 CSV: a column `text_column`, then one 0/1 column per category. Every cell must
// be known.
std::string to_csv(const MergedSet& set, const std::string& text_column);

}  // namespace quiver::multilabel

#endif  // QUIVER_MULTILABEL_MERGE_H_
