// quiver compare --group binaries --model AB.h5 --data corpus.csv|txt [--config serve.yaml]
//   [--json] [--html report.html] [--top N] [--threads N] [--text-column text]
//   [--label-column label]
// Compares a group of binary models with one multi-label model on a corpus: agreement,
// Cohen's kappa, the decision confusion, accuracy / F1 against labels when the corpus has
// them, the most disagreeing sentences and each side's throughput. See
// src/multilabel/compare.h and docs/multilabel.md.
#include <cstdio>

#include "base/file.h"
#include "cli/commands.h"
#include "multilabel/report.h"

namespace quiver::cli {
namespace {

struct CompareArgs {
  std::string group, model, data, config, html;
  bool json = false;
  multilabel::CompareOptions options;
};

Status run_compare(const CompareArgs& a) {
  if (a.options.top < 0) return invalid_argument("--top must not be negative");
  QUIVER_ASSIGN_OR_RETURN(auto group, multilabel::resolve_group(a.group, a.config));
  QUIVER_ASSIGN_OR_RETURN(multilabel::Comparison c,
                          multilabel::compare_models(group, a.model, a.data, a.options));
  if (!a.html.empty()) {
    QUIVER_RETURN_IF_ERROR(base::write_file_atomic(a.html, multilabel::comparison_html(c)));
  }
  if (a.json) {
    std::printf("%s\n", multilabel::comparison_json(c).dump().c_str());
  } else {
    std::fputs(multilabel::comparison_text(c).c_str(), stdout);
    if (!a.html.empty()) std::printf("report: %s\n", a.html.c_str());
  }
  return Status();
}

}  // namespace

void add_compare_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand("compare", "Compare binary models with a multi-label model");
  cmd->add_option("--group", args->group, "group name in --config, or A=A.h5,B=B.h5")->required();
  cmd->add_option("--model", args->model, "the multi-label model")->required();
  cmd->add_option("--data", args->data, "corpus: .txt (a sentence a line) or .csv")->required();
  cmd->add_option("--config", args->config, "serve config holding the group");
  cmd->add_flag("--json", args->json, "print the comparison as JSON");
  cmd->add_option("--html", args->html, "write a self-contained HTML report here");
  auto& o = args->options;
  cmd->add_option("--top", o.top, "disagreeing sentences shown per category")->default_val(5);
  cmd->add_option("--threads", o.threads, "threads for predict")->default_val(1);
  cmd->add_option("--text-column", o.corpus.text_column, "CSV text column")->default_val("text");
  cmd->add_option("--label-column", o.corpus.label_column,
                  "CSV column of '|'-joined categories (or 0/1 columns named after them)")
      ->default_val("label");
  cmd->callback([&ctx, args] { run_command(ctx, "compare", [&] { return run_compare(*args); }); });
}

}  // namespace quiver::cli
