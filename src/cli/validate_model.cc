// quiver validate-model --model F [--architecture A] [--tokenizer T] [--weights W] [--maxlen N]
// Hidden: the child process that `quiver serve` starts under resource limits to open a
// model file before the server parses it itself (src/serve/model_sandbox.h). It does what
// a server load does with the file — the quiver_* attributes, the tokenizer file, the
// complete Model::load and a warm-up prediction — and exits 0, or prints one line and
// exits with the usual code. An allocation refused by RLIMIT_AS prints "out of memory"
// and exits 7, which the server reports as the address-space limit.
#include <unistd.h>

#include <new>
#include <optional>
#include <string>
#include <vector>

#include "base/fault.h"
#include "base/file.h"
#include "cli/commands.h"
#include "quiver/model.h"
#include "quiver/tokenizer.h"
#include "quiver/train.h"

namespace quiver::cli {
namespace {

struct ValidateArgs {
  std::string model, architecture, tokenizer, weights = "fp32";
  std::optional<int64_t> maxlen;
};

void out_of_memory() {
  static const char kLine[] = "quiver validate-model: out of memory\n";
  (void)!::write(2, kLine, sizeof kLine - 1);
  ::_exit(7);
}

Status run_validate(const ValidateArgs& a) {
  std::set_new_handler(out_of_memory);
  auto trained = read_trained_model_info(a.model);
  if (!trained.ok() && trained.status().code() != StatusCode::kNotFound) return trained.status();
  if (!a.tokenizer.empty()) {
    QUIVER_ASSIGN_OR_RETURN(std::string json, base::read_file(a.tokenizer, size_t{1} << 30));
    auto t = Tokenizer::from_bytes(json);  // JSON or pickle
    if (!t.ok()) return t.status().with_context(a.tokenizer);
    QUIVER_RETURN_IF_ERROR(check_tokenizer_belongs(trained.ok() ? trained->tokenizer_json : "",
                                                   a.model, json, a.tokenizer));
  }
  LoadOptions options;
  options.architecture_path = a.architecture;
  QUIVER_ASSIGN_OR_RETURN(options.weights, parse_weight_mode(a.weights));
  QUIVER_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, Model::load(a.model, options));
  base::fault_point("validate-model: loaded " + a.model);
  const ModelInfo& info = model->info();
  Result<std::vector<Tensor>> out = std::vector<Tensor>{};
  if (info.text_input) {  // TextVectorization first: the model takes the text itself
    const std::string text = "warm up";
    out = model->predict_texts(std::span<const std::string>(&text, 1));
  } else if (info.inputs.size() > 1) {  // one zero row per input (unknown sizes: 1)
    std::vector<Tensor> inputs;
    for (const InputInfo& in : info.inputs) {
      Tensor t;
      t.shape = {1};
      for (int64_t d : in.shape) t.shape.push_back(d > 0 ? d : 1);
      t.data.assign(static_cast<size_t>(t.size()), 0.0f);
      inputs.push_back(std::move(t));
    }
    out = model->predict_inputs(inputs);
  } else {
    int64_t len = a.maxlen.value_or(info.input_length);
    if (len <= 0 && trained.ok()) len = trained->maxlen;
    if (len <= 0) len = 1;
    std::vector<int32_t> ids(static_cast<size_t>(len), 0);
    out = model->predict(ids, 1, len);
  }
  return out.ok() ? Status() : out.status().with_context(a.model + ": warm-up prediction");
}

}  // namespace

void add_validate_model_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<ValidateArgs>();
  CLI::App* cmd = app.add_subcommand("validate-model", "Load and check a model file (used by serve)");
  cmd->group("");  // hidden from --help: an internal command of `quiver serve`
  cmd->add_option("--model", args->model, "model file")->required();
  cmd->add_option("--architecture", args->architecture, "architecture file");
  cmd->add_option("--tokenizer", args->tokenizer, "tokenizer JSON");
  cmd->add_option("--weights", args->weights, "fp32, bf16 or int8");
  cmd->add_option("--maxlen", args->maxlen, "input length of the warm-up prediction");
  cmd->callback([&ctx, args] {
    run_command(ctx, "validate-model", [&] { return run_validate(*args); });
  });
}

}  // namespace quiver::cli
