// quiver train-multilabel --category A=A.csv --category B=B.csv ... --model AB.h5
//   [--binary-model A=A.h5 ...] [--unlabelled binary|drop] [--thresholds f1|precision]
//   [--positive-label L] [--merged-csv FILE] [--json] [every `quiver train` option]
// Merges per-category binary CSVs into one multi-label set, trains one model with sigmoid
// outputs on it and stores per-label thresholds (quiver_thresholds). See
// src/multilabel/train_multilabel.h and docs/multilabel.md.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/train_options.h"
#include "multilabel/group.h"
#include "multilabel/train_multilabel.h"

namespace quiver::cli {
namespace {

using multilabel::TrainMultilabelReport;

struct TrainMultilabelArgs {
  TrainArgs train;
  std::vector<std::string> categories, binary_models;
  std::string model, unlabelled = "auto", thresholds = "f1", positive_label, merged_csv;
  bool json = false;
};

nlohmann::json report_json(const TrainMultilabelReport& r, const std::string& model) {
  const auto& c = r.counts;
  nlohmann::json labels = nlohmann::json::array();
  for (const auto& t : r.thresholds) {
    labels.push_back({{"label", t.label}, {"threshold", t.choice.threshold},
                      {"precision", t.choice.precision}, {"recall", t.choice.recall},
                      {"f1", t.choice.f1}, {"validation_rows", t.validation_rows},
                      {"fallback", t.choice.fallback}, {"target_precision", t.target_precision}});
  }
  return {{"model", model}, {"unlabelled", r.unlabelled}, {"threshold_method", r.method},
          {"merge", {{"input_rows", c.input_rows}, {"sentences", c.sentences},
                     {"complete", c.complete}, {"filled_sentences", c.filled_sentences},
                     {"filled_cells", c.filled_cells}, {"dropped", c.dropped},
                     {"duplicate_rows", c.duplicate_rows}, {"conflicting_rows", c.conflicting_rows},
                     {"skipped_rows", c.skipped_rows}}},
          {"train_rows", r.train.train_rows}, {"validation_rows", r.train.validation_rows},
          {"best_epoch", r.train.best_epoch}, {"epochs", r.train.epochs.size()},
          {"interrupted", r.train.interrupted}, {"labels", labels}};
}

void print_report(const TrainMultilabelReport& r, const std::string& model) {
  const auto& c = r.counts;
  std::printf("merged %lld rows into %lld sentences: %lld labelled by every CSV, %lld completed by "
              "binary models (%lld labels), %lld dropped (--unlabelled %s); %lld duplicate rows "
              "(%lld conflicting), %lld bad rows skipped\n",
              (long long)c.input_rows, (long long)c.sentences, (long long)c.complete,
              (long long)c.filled_sentences, (long long)c.filled_cells, (long long)c.dropped,
              r.unlabelled.c_str(), (long long)c.duplicate_rows, (long long)c.conflicting_rows,
              (long long)c.skipped_rows);
  std::printf("%s%s: %lld training rows, %lld validation rows, %zu epochs (weights of epoch %d)\n",
              r.train.interrupted ? "interrupted: wrote the best model so far to " : "wrote ",
              model.c_str(), (long long)r.train.train_rows, (long long)r.train.validation_rows,
              r.train.epochs.size(), r.train.best_epoch);
  std::printf("thresholds (%s, on validation rows labelled by a CSV):\n%-20s %9s %9s %9s %9s %6s\n",
              r.method.c_str(), "label", "threshold", "precision", "recall", "f1", "rows");
  for (const auto& t : r.thresholds) {
    std::printf("%-20s %9.4f %9.4f %9.4f %9.4f %6lld%s\n", t.label.c_str(), t.choice.threshold,
                t.choice.precision, t.choice.recall, t.choice.f1, (long long)t.validation_rows,
                t.choice.fallback ? "  (no positive row: default 0.5)" : "");
  }
}

Status run_train_multilabel(TrainMultilabelArgs& a) {
  QUIVER_RETURN_IF_ERROR(finish_train_options(&a.train));
  multilabel::TrainMultilabelOptions o;
  for (const auto& c : a.categories) {
    QUIVER_ASSIGN_OR_RETURN(auto m, multilabel::parse_member(c, "--category"));
    o.categories.push_back({m.category, m.model_path});
  }
  for (const auto& b : a.binary_models) {
    QUIVER_ASSIGN_OR_RETURN(auto m, multilabel::parse_member(b, "--binary-model"));
    if (!o.binary_models.emplace(m.category, m.model_path).second) {
      return invalid_argument("--binary-model " + m.category + " given twice");
    }
  }
  o.unlabelled = a.unlabelled;
  o.thresholds = a.thresholds;
  o.merge.text_column = a.train.options.text_column;
  o.merge.label_column = a.train.options.label_column;
  o.merge.positive_label = a.positive_label;
  o.merge.skip_bad_rows = a.train.options.skip_bad_rows;
  o.merged_csv = a.merged_csv;
  InterruptGuard guard;
  a.train.options.stop = guard.flag();
  o.train = a.train.options;
  QUIVER_ASSIGN_OR_RETURN(TrainMultilabelReport r, multilabel::train_multilabel(a.model, o));
  if (a.json) {
    std::printf("%s\n", report_json(r, a.model).dump().c_str());
  } else {
    print_report(r, a.model);
  }
  return Status();
}

}  // namespace

void add_train_multilabel_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<TrainMultilabelArgs>();
  CLI::App* cmd = app.add_subcommand(
      "train-multilabel", "Merge per-category binary CSVs and train one multi-label model");
  cmd->add_option("--category", args->categories, "CATEGORY=binary.csv (two or more)")->required();
  cmd->add_option("--model", args->model, "output multi-label model (.h5)")->required();
  cmd->add_option("--binary-model", args->binary_models,
                  "CATEGORY=binary.h5: labels sentences missing from that CSV; precision targets");
  cmd->add_option("--unlabelled", args->unlabelled,
                  "binary or drop (default: binary when every category has a --binary-model)");
  cmd->add_option("--thresholds", args->thresholds, "f1 or precision")->default_val("f1");
  cmd->add_option("--positive-label", args->positive_label,
                  "the positive label in every CSV (default: the second of two sorted labels)");
  cmd->add_option("--merged-csv", args->merged_csv, "keep the merged training CSV here");
  cmd->add_flag("--json", args->json, "print the report as JSON");
  add_train_options(cmd, &args->train);
  cmd->callback([&ctx, args] {
    run_command(ctx, "train-multilabel", [&] { return run_train_multilabel(*args); });
  });
}

}  // namespace quiver::cli
