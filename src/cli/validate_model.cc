// quiver validate-model --model F [--architecture A] [--tokenizer T] [--weights W] [--maxlen N]
//   [--memory-policy P] [--memory-budget-bytes B]
// Hidden: the child process that `quiver serve` starts under resource limits to open a
// model file before the server parses it itself (src/serve/model_sandbox.h). It does what
// a server load does with the file — the quiver_* attributes, the tokenizer file, the
// complete Model::load and a warm-up prediction — and exits 0, or prints one line and
// exits with the usual code. An allocation refused by RLIMIT_AS prints "out of memory"
// and exits 7, which the server reports as the address-space limit.
#include <unistd.h>

#include <algorithm>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "base/fault.h"
#include "base/file.h"
#include "cli/commands.h"
#include "quiver/classifier.h"

namespace quiver::cli {
namespace {

struct ValidateArgs {
  std::string model, architecture, tokenizer, weights = "fp32", memory_policy = "auto";
  int64_t memory_budget_bytes = 0;
  std::optional<int64_t> maxlen;
};

void out_of_memory() {
  static const char kLine[] = "quiver validate-model: out of memory\n";
  (void)!::write(2, kLine, sizeof kLine - 1);
  ::_exit(7);
}

Status run_validate(const ValidateArgs& a) {
  std::set_new_handler(out_of_memory);
  // The load serve does, through the same Classifier (the quiver_* metadata comes with the
  // model, for .h5 and .keras alike; a tokenizer file must belong to the model), without
  // the segmenter: its dictionary is not part of the model file.
  ClassifierOptions options;
  options.model_path = a.model;
  if (!a.architecture.empty()) options.architecture_path = a.architecture;
  if (!a.tokenizer.empty()) options.tokenizer_path = a.tokenizer;
  QUIVER_ASSIGN_OR_RETURN(options.weights, parse_weight_mode(a.weights));
  QUIVER_ASSIGN_OR_RETURN(options.memory_policy, parse_memory_policy(a.memory_policy));
  options.memory_budget_bytes = a.memory_budget_bytes;
  options.maxlen = a.maxlen;
  options.segmenter = "none";
  QUIVER_ASSIGN_OR_RETURN(std::shared_ptr<const Classifier> c, Classifier::load(options));
  base::fault_point("validate-model: loaded " + a.model);
  return c->warm_up().with_context(a.model);
}

}  // namespace

void add_validate_model_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<ValidateArgs>();
  CLI::App* cmd = app.add_subcommand("validate-model", "Load and check a model file (used by serve)");
  cmd->group("");  // hidden from --help: an internal command of `quiver serve`
  cmd->add_option("--model", args->model, "model file")->required();
  cmd->add_option("--architecture", args->architecture, "architecture file");
  cmd->add_option("--tokenizer", args->tokenizer, "tokenizer JSON or pickle");
  cmd->add_option("--weights", args->weights, "fp32, bf16 or int8");
  cmd->add_option("--memory-policy", args->memory_policy, "auto, fp32, bf16, lazy or none");
  cmd->add_option("--memory-budget-bytes", args->memory_budget_bytes, "the model's budget");
  cmd->add_option("--maxlen", args->maxlen, "input length of the warm-up prediction");
  cmd->callback([&ctx, args] {
    run_command(ctx, "validate-model", [&] { return run_validate(*args); });
  });
}

}  // namespace quiver::cli
