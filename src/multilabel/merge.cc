#include "multilabel/merge.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "base/check.h"
#include "serve/config.h"
#include "train/dataset.h"

namespace quiver::multilabel {
namespace {

Result<std::string> positive_of(const train::LabeledTexts& data, const CategorySource& src,
                                const MergeOptions& o) {
  if (!o.positive_label.empty()) return o.positive_label;
  auto labels = train::label_set(data);
  if (!labels.ok() || labels->size() != 2) {
    return invalid_argument(src.csv + ": category '" + src.name + "' needs a binary CSV (two labels" +
                            (labels.ok() ? ", found " + std::to_string(labels->size()) : "") +
                            "); or name the positive one with --positive-label");
  }
  return (*labels)[1];
}

Status check_names(const std::vector<CategorySource>& sources) {
  if (sources.size() < 2) return invalid_argument("need at least two categories");
  std::set<std::string> seen;
  for (const auto& s : sources) {
    // serve's rule (it also keeps | , " and newlines out of the merged CSV's header).
    Status name = serve::check_name(s.name);
    if (!name.ok()) return name.with_context("category for " + s.csv);
    if (!seen.insert(s.name).second) return invalid_argument("category '" + s.name + "' given twice");
  }
  return Status();
}

}  // namespace

Result<MergedSet> merge_category_csvs(const std::vector<CategorySource>& sources,
                                      const MergeOptions& o) {
  QUIVER_RETURN_IF_ERROR(check_names(sources));
  MergedSet m;
  const size_t k = sources.size();
  std::unordered_map<std::string, size_t> row_of;
  TrainOptions read;
  read.text_column = o.text_column;
  read.label_column = o.label_column;
  read.skip_bad_rows = o.skip_bad_rows;
  for (size_t c = 0; c < k; ++c) {
    m.categories.push_back(sources[c].name);
    QUIVER_ASSIGN_OR_RETURN(train::LabeledTexts data,
                            train::read_labeled_csv(sources[c].csv, read, false, nullptr));
    QUIVER_ASSIGN_OR_RETURN(std::string positive, positive_of(data, sources[c], o));
    m.counts.input_rows += static_cast<int64_t>(data.texts.size());
    m.counts.skipped_rows += data.skipped;
    for (size_t i = 0; i < data.texts.size(); ++i) {
      const int8_t v = data.labels[i][0] == positive ? 1 : 0;
      auto [it, added] = row_of.emplace(data.texts[i], m.texts.size());
      if (added) {
        m.texts.push_back(data.texts[i]);
        m.cells.emplace_back(k, int8_t{-1});
        m.known.emplace_back(k, false);
      }
      int8_t& cell = m.cells[it->second][c];
      if (cell >= 0) {
        ++m.counts.duplicate_rows;
        if (cell != v) ++m.counts.conflicting_rows;
        cell = std::max(cell, v);
        continue;
      }
      cell = v;
      m.known[it->second][c] = true;
    }
  }
  m.counts.sentences = static_cast<int64_t>(m.texts.size());
  for (const auto& row : m.cells) {
    if (std::find(row.begin(), row.end(), int8_t{-1}) == row.end()) ++m.counts.complete;
  }
  return m;
}

std::vector<int64_t> rows_missing(const MergedSet& set, size_t category) {
  std::vector<int64_t> rows;
  for (size_t r = 0; r < set.cells.size(); ++r) {
    if (set.cells[r][category] < 0) rows.push_back(static_cast<int64_t>(r));
  }
  return rows;
}

void fill_unknown(MergedSet* set, size_t category, const std::vector<int64_t>& rows,
                  const std::vector<bool>& decisions) {
  QUIVER_CHECK(rows.size() == decisions.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    auto& row = set->cells[rows[i]];
    const bool was_complete = std::find(row.begin(), row.end(), int8_t{-1}) == row.end();
    QUIVER_CHECK(!was_complete && row[category] < 0);
    row[category] = decisions[i] ? 1 : 0;
    ++set->counts.filled_cells;
    if (std::find(row.begin(), row.end(), int8_t{-1}) == row.end()) ++set->counts.filled_sentences;
  }
}

void drop_unknown(MergedSet* set) {
  size_t out = 0;
  for (size_t r = 0; r < set->cells.size(); ++r) {
    const auto& row = set->cells[r];
    if (std::find(row.begin(), row.end(), int8_t{-1}) != row.end()) {
      ++set->counts.dropped;
      continue;
    }
    if (out != r) {
      set->texts[out] = std::move(set->texts[r]);
      set->cells[out] = std::move(set->cells[r]);
      set->known[out] = std::move(set->known[r]);
    }
    ++out;
  }
  set->texts.resize(out);
  set->cells.resize(out);
  set->known.resize(out);
}

void shuffle_rows(MergedSet* set, uint64_t seed) {
  uint64_t state = seed;
  auto next = [&state] {  // splitmix64
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  for (size_t i = set->texts.size(); i > 1; --i) {
    const size_t j = next() % i;
    std::swap(set->texts[i - 1], set->texts[j]);
    std::swap(set->cells[i - 1], set->cells[j]);
    std::swap(set->known[i - 1], set->known[j]);
  }
}

std::string to_csv(const MergedSet& set, const std::string& text_column) {
  auto quote = [](const std::string& s) {
    std::string q = "\"";
    for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return q + "\"";
  };
  std::string out = quote(text_column);
  for (const auto& c : set.categories) out += "," + quote(c);
  out += "\n";
  for (size_t r = 0; r < set.texts.size(); ++r) {
    out += quote(set.texts[r]);
    for (int8_t v : set.cells[r]) {
      QUIVER_CHECK(v >= 0);
      out += v ? ",1" : ",0";
    }
    out += "\n";
  }
  return out;
}

}  // namespace quiver::multilabel
