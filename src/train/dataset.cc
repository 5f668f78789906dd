#include "train/dataset.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "text/csv.h"

namespace quiver::train {
namespace {

bool is_integer(const std::string& s) {
  long long v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::vector<std::string> split_labels(const std::string& cell, bool multi) {
  std::vector<std::string> out;
  if (!multi) {
    out.push_back(trim(cell));
    return out;
  }
  size_t start = 0;
  while (true) {
    size_t bar = cell.find('|', start);
    std::string part = trim(cell.substr(start, bar == std::string::npos ? bar : bar - start));
    if (!part.empty()) out.push_back(part);
    if (bar == std::string::npos) return out;
    start = bar + 1;
  }
}

struct Columns {
  size_t text = 0;
  std::vector<size_t> labels;  // one (label column) or several (0/1 columns)
};

Result<Columns> find_columns(const text::CsvTable& table, const TrainOptions& o,
                             const std::string& path) {
  Columns c;
  QUIVER_ASSIGN_OR_RETURN(c.text, table.column(o.text_column, path));
  if (o.label_columns.empty()) {
    QUIVER_ASSIGN_OR_RETURN(size_t l, table.column(o.label_column, path));
    c.labels.push_back(l);
  }
  for (const auto& name : o.label_columns) {
    QUIVER_ASSIGN_OR_RETURN(size_t l, table.column(name, path));
    c.labels.push_back(l);
  }
  return c;
}

// The labels of one row, or a message saying why the row is bad.
Result<std::vector<std::string>> row_labels(const text::CsvRow& row, size_t width,
                                            const Columns& cols, const TrainOptions& o, bool multi,
                                            const std::vector<std::string>* known) {
  QUIVER_RETURN_IF_ERROR(check_text_row(row, width, cols.text, o.text_column));
  std::vector<std::string> labels;
  if (!o.label_columns.empty()) {
    for (size_t i = 0; i < cols.labels.size(); ++i) {
      std::string v = trim(row.fields[cols.labels[i]]);
      if (v != "0" && v != "1") {
        return invalid_argument("column '" + o.label_columns[i] + "': expected 0 or 1, got '" + v + "'");
      }
      if (v == "1") labels.push_back(o.label_columns[i]);
    }
  } else {
    labels = split_labels(row.fields[cols.labels[0]], multi);
    if (labels.empty() || labels[0].empty()) {
      if (!multi) return invalid_argument("column '" + o.label_column + "': empty label");
    }
  }
  if (known != nullptr) {
    for (const auto& l : labels) {
      if (std::find(known->begin(), known->end(), l) == known->end()) {
        return invalid_argument("label '" + l + "' does not occur in the training data");
      }
    }
  }
  return labels;
}

}  // namespace

Status check_text_row(const text::CsvRow& row, size_t width, size_t text_index,
                      const std::string& text_column, bool allow_empty_text) {
  if (row.fields.size() != width) {
    return invalid_argument("record has " + std::to_string(row.fields.size()) +
                            " fields, header has " + std::to_string(width));
  }
  if (!allow_empty_text && trim(row.fields[text_index]).empty()) {
    return invalid_argument("column '" + text_column + "': empty text");
  }
  return Status();
}

Status bad_row(const std::string& path, const text::CsvRow& row, const Status& why) {
  return invalid_argument(path + ":" + std::to_string(row.line) + ": " + why.message() +
                          " (to skip such rows: --skip-bad-rows, or skip_bad_rows: true under training:)");
}

Result<LabeledTexts> read_labeled_csv(const std::string& path, const TrainOptions& o,
                                      bool multi_label_hint,
                                      const std::vector<std::string>* known) {
  text::CsvOptions csv_options;
  csv_options.require_header_width = false;  // checked per row: a bad row may be skipped
  QUIVER_ASSIGN_OR_RETURN(text::CsvTable table, text::read_csv_file(path, csv_options));
  QUIVER_ASSIGN_OR_RETURN(Columns cols, find_columns(table, o, path));
  LabeledTexts out;
  out.multi_label = multi_label_hint || o.multi_label || !o.label_columns.empty();
  if (!out.multi_label) {
    for (const auto& row : table.rows) {
      if (row.fields.size() > cols.labels[0] &&
          row.fields[cols.labels[0]].find('|') != std::string::npos) {
        out.multi_label = true;
        break;
      }
    }
  }
  for (const auto& row : table.rows) {
    auto labels = row_labels(row, table.header.size(), cols, o, out.multi_label, known);
    if (!labels.ok()) {
      if (!o.skip_bad_rows) return bad_row(path, row, labels.status());
      ++out.skipped;
      continue;
    }
    out.texts.push_back(row.fields[cols.text]);
    out.labels.push_back(std::move(labels).value());
    out.lines.push_back(row.line);
  }
  if (out.texts.empty()) return invalid_argument(path + ": no usable rows");
  return out;
}

Result<std::vector<std::string>> label_set(const LabeledTexts& data) {
  std::set<std::string> unique;
  for (const auto& ls : data.labels) unique.insert(ls.begin(), ls.end());
  std::vector<std::string> labels(unique.begin(), unique.end());
  if (std::all_of(labels.begin(), labels.end(), is_integer)) {
    std::stable_sort(labels.begin(), labels.end(), [](const std::string& a, const std::string& b) {
      return std::stoll(a) < std::stoll(b);
    });
  }
  if (labels.size() < 2 && !data.multi_label) {
    return invalid_argument("the data has " + std::to_string(labels.size()) +
                            " distinct label(s); a classifier needs at least two");
  }
  if (labels.empty()) return invalid_argument("the data has no labels");
  return labels;
}

std::vector<float> encode_targets(const LabeledTexts& data, const std::vector<std::string>& labels,
                                  bool single_sigmoid) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < labels.size(); ++i) index[labels[i]] = i;
  const size_t outs = single_sigmoid ? 1 : labels.size();
  std::vector<float> t(data.labels.size() * outs, 0.0f);
  for (size_t r = 0; r < data.labels.size(); ++r) {
    for (const auto& l : data.labels[r]) {
      const size_t k = index.at(l);
      if (single_sigmoid) {
        t[r] = k == 1 ? 1.0f : 0.0f;
      } else {
        t[r * outs + k] = 1.0f;
      }
    }
  }
  return t;
}

std::vector<float> balanced_weights(const LabeledTexts& data, const std::vector<std::string>& labels) {
  std::map<std::string, int64_t> counts;
  for (const auto& ls : data.labels) ++counts[ls[0]];
  std::vector<float> w;
  const double n = static_cast<double>(data.labels.size());
  for (const auto& ls : data.labels) {
    w.push_back(static_cast<float>(n / (static_cast<double>(labels.size()) * counts[ls[0]])));
  }
  return w;
}

Status segment_texts(const Segmenter* segmenter, const std::string& split, const std::string& source,
                     LabeledTexts* data) {
  if (segmenter == nullptr) return Status();
  for (size_t i = 0; i < data->texts.size(); ++i) {
    auto s = segment_for_tokenizer(*segmenter, data->texts[i], split);
    if (!s.ok()) {
      return s.status().with_context(source + ":" + std::to_string(data->lines[i]) + ": segmenter");
    }
    data->texts[i] = std::move(s).value();
  }
  return Status();
}

}  // namespace quiver::train
