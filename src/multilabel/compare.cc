#include "multilabel/compare.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "base/file.h"
#include "multilabel/scorer.h"
#include "multilabel/thresholds.h"
#include "text/csv.h"

namespace quiver::multilabel {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

Result<Corpus> read_lines(const std::string& path) {
  QUIVER_ASSIGN_OR_RETURN(std::string data, base::read_file(path));
  Corpus c;
  size_t start = 0;
  while (start < data.size()) {
    size_t nl = data.find('\n', start);
    if (nl == std::string::npos) nl = data.size();
    std::string line = data.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!trim(line).empty()) c.texts.push_back(std::move(line));
    start = nl + 1;
  }
  return c;
}

// Row labels of one category from a 0/1 column: 1, 0, or -1 for an empty cell.
Result<int8_t> zero_one(const std::string& cell, const std::string& where) {
  const std::string v = trim(cell);
  if (v.empty()) return int8_t{-1};
  if (v == "0" || v == "1") return static_cast<int8_t>(v == "1");
  return invalid_argument(where + ": expected 0 or 1, got '" + v + "'");
}

}  // namespace

Result<Corpus> read_corpus(const std::string& path, const std::vector<std::string>& categories,
                           const CorpusOptions& o) {
  Corpus c;
  if (ends_with(path, ".txt")) {
    QUIVER_ASSIGN_OR_RETURN(c, read_lines(path));
  } else {
    QUIVER_ASSIGN_OR_RETURN(text::CsvTable table, text::read_csv_file(path));
    QUIVER_ASSIGN_OR_RETURN(size_t text_col, table.column(o.text_column, path));
    auto label_col = table.column(o.label_column, path);
    for (const auto& row : table.rows) c.texts.push_back(row.fields[text_col]);
    c.truth.resize(categories.size());
    for (const auto& cat : categories) {
      auto col = table.column(cat, path);
      if (!col.ok() && !label_col.ok()) continue;
      std::vector<int8_t> truth;
      for (const auto& row : table.rows) {
        if (col.ok()) {
          QUIVER_ASSIGN_OR_RETURN(int8_t v, zero_one(row.fields[*col], path + ":" +
                                                     std::to_string(row.line) + ": column '" + cat + "'"));
          truth.push_back(v);
          continue;
        }
        std::set<std::string> labels;
        const std::string& cell = row.fields[*label_col];
        for (size_t s = 0, bar = 0; bar != std::string::npos; s = bar + 1) {
          bar = cell.find('|', s);
          labels.insert(trim(cell.substr(s, bar == std::string::npos ? bar : bar - s)));
        }
        truth.push_back(labels.count(cat) ? 1 : 0);
      }
      c.truth[&cat - categories.data()] = std::move(truth);
    }
  }
  if (c.texts.empty()) return invalid_argument(path + ": no sentences");
  c.truth.resize(categories.size());
  return c;
}

std::vector<Disagreement> top_disagreements(const std::vector<double>& binary,
                                            const std::vector<double>& multilabel,
                                            const std::vector<bool>& binary_yes,
                                            const std::vector<bool>& multilabel_yes,
                                            const std::vector<std::string>& texts, int top) {
  std::vector<int64_t> rows;
  for (size_t r = 0; r < binary.size(); ++r) {
    if (binary_yes[r] != multilabel_yes[r]) rows.push_back(static_cast<int64_t>(r));
  }
  std::stable_sort(rows.begin(), rows.end(), [&](int64_t a, int64_t b) {
    return std::abs(binary[a] - multilabel[a]) > std::abs(binary[b] - multilabel[b]);
  });
  if (static_cast<int64_t>(rows.size()) > top) rows.resize(std::max(0, top));
  std::vector<Disagreement> out;
  for (int64_t r : rows) out.push_back({r, texts[r], binary[r], multilabel[r]});
  return out;
}

namespace {

// Fills the metrics of one category from both sides' scores.
void fill_category(const Corpus& corpus, size_t truth_index, int top, CategoryComparison* c) {
  std::vector<bool> b_yes, m_yes;
  for (size_t r = 0; r < c->binary_scores.size(); ++r) {
    b_yes.push_back(decide(c->binary_scores[r], c->binary_threshold));
    m_yes.push_back(decide(c->multilabel_scores[r], c->multilabel_threshold));
  }
  c->agreement = agreement(b_yes, m_yes);
  c->top = top_disagreements(c->binary_scores, c->multilabel_scores, b_yes, m_yes, corpus.texts, top);
  c->truth = corpus.truth[truth_index];
  std::vector<bool> bl, ml, truth;
  for (size_t r = 0; r < c->truth.size(); ++r) {
    if (c->truth[r] < 0) continue;
    bl.push_back(b_yes[r]);
    ml.push_back(m_yes[r]);
    truth.push_back(c->truth[r] == 1);
  }
  c->labelled_rows = static_cast<int64_t>(truth.size());
  if (truth.empty()) return;
  c->binary_vs_truth = binary_metrics(bl, truth);
  c->multilabel_vs_truth = binary_metrics(ml, truth);
}

// Scores every text after a short untimed warm-up (first-touch page faults, thread start),
// so that `seconds` measures the steady state.
Result<Scores> timed_score(const ScoringModel& model, const std::vector<std::string>& texts, int threads) {
  const size_t warm = std::min<size_t>(texts.size(), 64);
  QUIVER_RETURN_IF_ERROR(
      model.score(std::vector<std::string>(texts.begin(), texts.begin() + warm), threads).status());
  return model.score(texts, threads);
}

std::string comma_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

Result<Comparison> compare_models(const std::vector<GroupMember>& group, const std::string& model_path,
                                  const std::string& data_path, const CompareOptions& o) {
  QUIVER_ASSIGN_OR_RETURN(auto ml, ScoringModel::load(model_path));
  if (!ml->multi_label()) return invalid_argument(model_path + ": not a multi-label model");
  Comparison cmp;
  cmp.model_path = model_path;
  cmp.data_path = data_path;
  const auto& labels = ml->info().labels;
  std::vector<const GroupMember*> shared;
  for (const auto& m : group) {
    if (std::find(labels.begin(), labels.end(), m.category) == labels.end()) {
      cmp.only_binary.push_back(m.category);
    } else {
      shared.push_back(&m);
    }
  }
  for (const auto& l : labels) {
    if (std::none_of(group.begin(), group.end(), [&](const GroupMember& m) { return m.category == l; })) {
      cmp.only_multilabel.push_back(l);
    }
  }
  if (shared.empty()) {
    return invalid_argument(model_path + ": shares no category with the group (the model's labels: " +
                            comma_list(cmp.only_multilabel) + "; the group's categories: " +
                            comma_list(cmp.only_binary) + ")");
  }
  std::vector<std::string> names;
  for (const auto* m : shared) names.push_back(m->category);
  QUIVER_ASSIGN_OR_RETURN(Corpus corpus, read_corpus(data_path, names, o.corpus));
  cmp.rows = static_cast<int64_t>(corpus.texts.size());
  QUIVER_ASSIGN_OR_RETURN(Scores ms, timed_score(*ml, corpus.texts, o.threads));
  cmp.multilabel_seconds = ms.seconds;
  for (size_t i = 0; i < shared.size(); ++i) {
    CategoryComparison c;
    c.category = shared[i]->category;
    c.binary_model = shared[i]->model_path;
    QUIVER_ASSIGN_OR_RETURN(auto bin, ScoringModel::load(shared[i]->options));
    if (bin->multi_label()) return invalid_argument(c.binary_model + ": not a binary model");
    QUIVER_ASSIGN_OR_RETURN(Scores bs, timed_score(*bin, corpus.texts, o.threads));
    c.binary_seconds = bs.seconds;
    cmp.binary_seconds += bs.seconds;
    const int col = static_cast<int>(std::find(labels.begin(), labels.end(), c.category) - labels.begin());
    c.multilabel_threshold = ml->thresholds()[col];
    c.binary_scores = bs.values;
    for (int64_t r = 0; r < ms.rows; ++r) c.multilabel_scores.push_back(ms.at(r, col));
    fill_category(corpus, i, o.top, &c);
    cmp.categories.push_back(std::move(c));
  }
  cmp.binary_per_second = cmp.binary_seconds > 0 ? cmp.rows / cmp.binary_seconds : 0;
  cmp.multilabel_per_second = cmp.multilabel_seconds > 0 ? cmp.rows / cmp.multilabel_seconds : 0;
  return cmp;
}

}  // namespace quiver::multilabel
