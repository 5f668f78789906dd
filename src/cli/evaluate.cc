// quiver evaluate --model B.h5 --data test.csv [--json] [--text-column text]
//                 [--label-column label | --label-columns a,b] [--tokenizer FILE]
//                 [--segmenter MODE] [--user-dict FILE] [--weights fp32|bf16|int8]
//                 [--memory-policy P] [--memory-budget-mb N]
// Runs a model trained by quiver (Model::load + its quiver_* attributes + tokenizer) on a
// labelled CSV and prints accuracy, per-class precision / recall / F1, the confusion
// matrix and ROC AUC (binary), or per-label metrics and the exact-match ratio
// (multi-label).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "train/evaluate.h"

namespace quiver::cli {
namespace {

struct EvaluateArgs {
  std::string model, data, weights = "fp32";
  MemoryArgs memory;
  bool json = false;
  train::EvalOptions options;
};

nlohmann::json to_json(const train::EvalResult& r) {
  const auto& m = r.metrics;
  nlohmann::json classes = nlohmann::json::array();
  for (const auto& c : m.classes) {
    classes.push_back({{"label", c.label}, {"precision", c.precision}, {"recall", c.recall},
                       {"f1", c.f1}, {"support", c.support}});
  }
  nlohmann::json j = {{"task", r.task}, {"rows", m.rows}, {"skipped_rows", r.skipped_rows},
                      {"accuracy", m.accuracy}, {"macro_f1", m.macro_f1}};
  j[m.multi_label ? "labels" : "classes"] = classes;
  if (m.multi_label) j["exact_match"] = m.exact_match;
  if (!m.multi_label) j["confusion_matrix"] = m.confusion;
  if (m.has_auc) j["roc_auc"] = m.roc_auc;
  return j;
}

void print_text(const train::EvalResult& r) {
  const auto& m = r.metrics;
  std::printf("rows: %lld (skipped %lld), task: %s\naccuracy: %.4f\n", static_cast<long long>(m.rows),
              static_cast<long long>(r.skipped_rows), r.task.c_str(), m.accuracy);
  if (m.multi_label) std::printf("exact match ratio: %.4f\n", m.exact_match);
  if (m.has_auc) std::printf("roc auc: %.4f\n", m.roc_auc);
  std::printf("%-20s %9s %9s %9s %9s\n", m.multi_label ? "label" : "class", "precision", "recall",
              "f1", "support");
  for (const auto& c : m.classes) {
    std::printf("%-20s %9.4f %9.4f %9.4f %9lld\n", c.label.c_str(), c.precision, c.recall, c.f1,
                static_cast<long long>(c.support));
  }
  std::printf("macro f1: %.4f\n", m.macro_f1);
  if (m.multi_label) return;
  std::printf("confusion matrix (rows: true, columns: predicted)\n");
  for (size_t i = 0; i < m.confusion.size(); ++i) {
    std::printf("%-20s", m.classes[i].label.c_str());
    for (auto v : m.confusion[i]) std::printf(" %8lld", static_cast<long long>(v));
    std::printf("\n");
  }
}

Status run_evaluate(EvaluateArgs& a) {
  QUIVER_ASSIGN_OR_RETURN(a.options.weights, parse_weight_mode(a.weights));
  QUIVER_ASSIGN_OR_RETURN(a.options.memory_policy, memory_policy_of(a.memory));
  a.options.memory_budget_bytes = memory_budget_of(a.memory);
  QUIVER_ASSIGN_OR_RETURN(train::EvalResult r, train::evaluate_model(a.model, a.data, a.options));
  if (a.json) {
    std::printf("%s\n", to_json(r).dump().c_str());
  } else {
    print_text(r);
  }
  return Status();
}

}  // namespace

void add_evaluate_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<EvaluateArgs>();
  CLI::App* cmd = app.add_subcommand("evaluate", "Evaluate a quiver-trained model on a labelled CSV");
  cmd->add_option("--model", args->model, "model trained by quiver train")->required();
  cmd->add_option("--data", args->data, "labelled CSV")->required();
  cmd->add_flag("--json", args->json, "print the metrics as JSON");
  auto& o = args->options;
  cmd->add_option("--text-column", o.text_column, "CSV column with the text")->default_val("text");
  cmd->add_option("--label-column", o.label_column, "CSV column with the label(s)")->default_val("label");
  cmd->add_option("--label-columns", o.label_columns, "multi-label 0/1 columns")->delimiter(',');
  cmd->add_flag("--skip-bad-rows", o.skip_bad_rows, "skip malformed rows");
  cmd->add_option("--tokenizer", o.tokenizer_path, "tokenizer JSON or pickle (default: the one in the model)");
  cmd->add_option("--segmenter", o.segmenter,
                  "none, jieba, jieba-nohmm, jieba-search, cjk-chars (default: the model's)");
  cmd->add_option("--user-dict", o.user_dict, "jieba user dictionary the model was trained with");
  cmd->add_option("--threads", o.threads, "threads for predict")->default_val(1);
  add_weights_option(cmd, &args->weights);
  add_memory_options(cmd, &args->memory);
  cmd->callback([&ctx, args] { run_command(ctx, "evaluate", [&] { return run_evaluate(*args); }); });
}

}  // namespace quiver::cli
