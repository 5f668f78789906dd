#include "multilabel/train_multilabel.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "multilabel/agreement.h"
#include "multilabel/scorer.h"
#include "train/h5_writer.h"

namespace quiver::multilabel {
namespace {

using BinaryModels = std::map<std::string, std::unique_ptr<const ScoringModel>>;

Status check_options(const TrainMultilabelOptions& o) {
  if (o.unlabelled != "auto" && o.unlabelled != "binary" && o.unlabelled != "drop") {
    return invalid_argument("--unlabelled must be binary or drop, not '" + o.unlabelled + "'");
  }
  if (o.thresholds != "f1" && o.thresholds != "precision") {
    return invalid_argument("--thresholds must be f1 or precision, not '" + o.thresholds + "'");
  }
  if (!o.train.validation_path.empty()) {
    return invalid_argument("train-multilabel validates on --validation-split of the merged rows; "
                            "--validation FILE is not supported");
  }
  for (const auto& c : o.categories) {
    if (c.name == kMergedTextColumn) return invalid_argument("category name '" + c.name + "' is reserved");
  }
  for (const auto& [name, path] : o.binary_models) {
    // clang 14 (the fuzz tree) cannot capture a structured binding: compare with a copy.
    const std::string& wanted = name;
    auto it = std::find_if(o.categories.begin(), o.categories.end(),
                           [&](const CategorySource& c) { return c.name == wanted; });
    if (it == o.categories.end()) {
      return invalid_argument("--binary-model " + name + "=" + path + ": no --category " + name);
    }
  }
  return Status();
}

Result<BinaryModels> load_binaries(const TrainMultilabelOptions& o) {
  BinaryModels out;
  for (const auto& [name, path] : o.binary_models) {
    QUIVER_ASSIGN_OR_RETURN(auto m, ScoringModel::load(path));
    if (m->multi_label()) return invalid_argument(path + ": category '" + name + "' needs a binary model");
    out[name] = std::move(m);
  }
  return out;
}

std::vector<std::string> texts_at(const MergedSet& set, const std::vector<int64_t>& rows) {
  std::vector<std::string> out;
  for (int64_t r : rows) out.push_back(set.texts[r]);
  return out;
}

// Labels the unknown cells with the binary models, or drops their sentences.
Status resolve_unknown(const BinaryModels& binaries, const TrainOptions& t, std::string* mode,
                       MergedSet* set) {
  if (*mode == "auto") mode->assign(binaries.size() == set->categories.size() ? "binary" : "drop");
  if (*mode == "binary") {
    for (size_t c = 0; c < set->categories.size(); ++c) {
      const std::vector<int64_t> rows = rows_missing(*set, c);
      if (rows.empty()) continue;
      auto it = binaries.find(set->categories[c]);
      if (it == binaries.end()) {
        return invalid_argument("category '" + set->categories[c] + "': " + std::to_string(rows.size()) +
                                " sentences lack its label; give --binary-model " +
                                set->categories[c] + "=FILE or --unlabelled drop");
      }
      QUIVER_ASSIGN_OR_RETURN(Scores s, it->second->score(texts_at(*set, rows), t.threads));
      std::vector<bool> yes;
      for (int64_t i = 0; i < s.rows; ++i) yes.push_back(decide(s.at(i, 0), kDefaultThreshold));
      fill_unknown(set, c, rows, yes);
    }
  }
  drop_unknown(set);
  if (set->texts.empty()) {
    return invalid_argument("no sentence is labelled for every category (the CSVs share no "
                            "sentences); give --binary-model for each category");
  }
  for (size_t c = 0; c < set->categories.size(); ++c) {
    if (std::none_of(set->cells.begin(), set->cells.end(), [c](const auto& r) { return r[c] == 1; })) {
      return invalid_argument("category '" + set->categories[c] + "' has no positive sentence left");
    }
  }
  return Status();
}

struct Validation {
  int64_t begin = 0;  // first validation row of the merged set
  Scores scores;      // the multi-label model's scores of rows [begin, n)
};

Result<LabelThreshold> pick_one(const TrainMultilabelOptions& o, const MergedSet& set,
                                const Validation& v, int label, size_t c,
                                const BinaryModels& binaries) {
  LabelThreshold lt;
  lt.label = set.categories[c];
  std::vector<double> scores;
  std::vector<bool> truth;
  std::vector<std::string> texts;
  for (int64_t r = v.begin; r < static_cast<int64_t>(set.texts.size()); ++r) {
    if (!set.known[r][c]) continue;
    scores.push_back(v.scores.at(r - v.begin, label));
    truth.push_back(set.cells[r][c] == 1);
    texts.push_back(set.texts[r]);
  }
  lt.validation_rows = static_cast<int64_t>(scores.size());
  if (o.thresholds == "f1") {
    lt.choice = threshold_max_f1(scores, truth);
    return lt;
  }
  QUIVER_ASSIGN_OR_RETURN(Scores b, binaries.at(lt.label)->score(texts, o.train.threads));
  std::vector<bool> yes;
  for (int64_t i = 0; i < b.rows; ++i) yes.push_back(decide(b.at(i, 0), kDefaultThreshold));
  lt.target_precision = binary_metrics(yes, truth).precision;
  lt.choice = threshold_for_precision(scores, truth, lt.target_precision);
  return lt;
}

Result<std::vector<LabelThreshold>> pick_thresholds(const std::string& model_path,
                                                    const TrainMultilabelOptions& o,
                                                    const MergedSet& set, double split,
                                                    const BinaryModels& binaries) {
  QUIVER_ASSIGN_OR_RETURN(auto model, ScoringModel::load(model_path));
  const size_t n = set.texts.size();
  Validation v;
  v.begin = static_cast<int64_t>(std::floor(n * (1.0 - split)));  // as train_model splits
  std::vector<std::string> texts(set.texts.begin() + v.begin, set.texts.end());
  QUIVER_ASSIGN_OR_RETURN(v.scores, model->score(texts, o.train.threads));
  std::vector<LabelThreshold> out;
  const auto& labels = model->info().labels;
  for (int j = 0; j < static_cast<int>(labels.size()); ++j) {
    auto it = std::find(set.categories.begin(), set.categories.end(), labels[j]);
    if (it == set.categories.end()) return internal_error(model_path + ": unexpected label " + labels[j]);
    QUIVER_ASSIGN_OR_RETURN(LabelThreshold lt,
                            pick_one(o, set, v, j, it - set.categories.begin(), binaries));
    out.push_back(std::move(lt));
  }
  return out;
}

Status write_thresholds(const std::string& model_path, const std::string& method,
                        const std::vector<LabelThreshold>& thresholds) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& t : thresholds) list.push_back(t.choice.threshold);
  return train::set_root_string_attributes(
      model_path, {{"quiver_thresholds", list.dump()}, {"quiver_threshold_method", method}});
}

// Files trained under a staging name beside the model ("<model>.tmp.<pid>.stage" and its
// tokenizer "<model>.tmp.<pid>.tokenizer.json"): removed when this goes out of scope, and
// by base::remove_stale_temp_files after a killed run.
struct StagedModel {
  std::string model, tokenizer;
  explicit StagedModel(const std::string& model_path)
      : model(model_path + ".tmp." + std::to_string(::getpid()) + ".stage"),
        tokenizer(tokenizer_path_for(model)) {}
  ~StagedModel() {
    std::remove(model.c_str());
    std::remove(tokenizer.c_str());
  }
  // Publishes the finished pair: the model first (it records its tokenizer), then the
  // tokenizer side file, each atomically.
  Status publish(const std::string& model_path) const {
    QUIVER_ASSIGN_OR_RETURN(std::string m, base::read_file(model));
    QUIVER_ASSIGN_OR_RETURN(std::string t, base::read_file(tokenizer));
    QUIVER_RETURN_IF_ERROR(base::write_file_atomic(model_path, m));
    return base::write_file_atomic(tokenizer_path_for(model_path), t);
  }
};

Status check_outputs(const std::string& model_path, const TrainMultilabelOptions& o) {
  QUIVER_RETURN_IF_ERROR(base::check_output_path(model_path));
  QUIVER_RETURN_IF_ERROR(base::check_output_path(tokenizer_path_for(model_path)));
  return o.merged_csv.empty() ? Status() : base::check_output_path(o.merged_csv);
}

}  // namespace

Result<TrainMultilabelReport> train_multilabel(const std::string& model_path,
                                               const TrainMultilabelOptions& o) {
  QUIVER_RETURN_IF_ERROR(check_options(o));
  QUIVER_RETURN_IF_ERROR(check_outputs(model_path, o));
  QUIVER_ASSIGN_OR_RETURN(MergedSet set, merge_category_csvs(o.categories, o.merge));
  QUIVER_ASSIGN_OR_RETURN(BinaryModels binaries, load_binaries(o));
  if (o.thresholds == "precision" && binaries.size() != set.categories.size()) {
    return invalid_argument("--thresholds precision needs --binary-model for every category");
  }
  TrainMultilabelReport report;
  report.unlabelled = o.unlabelled;
  QUIVER_RETURN_IF_ERROR(resolve_unknown(binaries, o.train, &report.unlabelled, &set));
  shuffle_rows(&set, o.train.seed);
  report.counts = set.counts;

  TrainOptions t = o.train;
  t.text_column = kMergedTextColumn;
  t.label_columns = set.categories;
  t.skip_bad_rows = false;
  if (t.validation_split <= 0) t.validation_split = 0.1;
  const bool keep = !o.merged_csv.empty();
  const std::string csv =
      keep ? o.merged_csv : model_path + ".tmp." + std::to_string(::getpid()) + ".merged.csv";
  QUIVER_RETURN_IF_ERROR(base::write_file_atomic(csv, to_csv(set, kMergedTextColumn)));
  // Trained under a staging name and published with its thresholds, so a kill never
  // leaves a multi-label model without them beside a tokenizer of another run.
  const StagedModel staged(model_path);
  auto trained = train_model(csv, staged.model, t);
  if (!keep) std::remove(csv.c_str());
  if (!trained.ok()) return trained.status();
  report.train = std::move(trained).value();
  report.train.tokenizer_path = tokenizer_path_for(model_path);
  report.method = o.thresholds;
  QUIVER_ASSIGN_OR_RETURN(report.thresholds,
                          pick_thresholds(staged.model, o, set, t.validation_split, binaries));
  QUIVER_RETURN_IF_ERROR(write_thresholds(staged.model, o.thresholds, report.thresholds));
  QUIVER_RETURN_IF_ERROR(staged.publish(model_path));
  return report;
}

}  // namespace quiver::multilabel
