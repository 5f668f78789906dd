// Options and output formatting shared by `quiver inspect` and `quiver predict`.
#ifndef QUIVER_CLI_MODEL_ARGS_H_
#define QUIVER_CLI_MODEL_ARGS_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "quiver/model.h"

namespace quiver::cli {

// --memory-policy auto|fp32|bf16|lazy|none and --memory-budget-mb N (LoadOptions).
struct MemoryArgs {
  std::string policy = "auto";
  double budget_mb = 0;
};

struct ModelArgs {
  std::string model;
  std::string architecture;
  std::string hard_sigmoid = "auto";
  std::string weights = "fp32";
  MemoryArgs memory;
};

// Adds --architecture FILE, --hard-sigmoid auto|keras2|keras3, --weights fp32|bf16|int8 and
// the memory options (the model path is added by the caller, positional or --model).
void add_model_options(CLI::App* cmd, ModelArgs* args);

// --architecture-file FILE (older spelling --architecture, hidden from --help).
void add_architecture_file_option(CLI::App* cmd, std::string* path);

// Adds only --weights fp32|bf16|int8 (for commands with their own model options).
void add_weights_option(CLI::App* cmd, std::string* weights);

// Adds --memory-policy and --memory-budget-mb.
// `policy_help` / `budget_help` replace the per-model help texts (serve's flags apply to
// every model that sets none).
void add_memory_options(CLI::App* cmd, MemoryArgs* args, const char* policy_help = nullptr,
                        const char* budget_help = nullptr);
// The policy and the budget in bytes they give.
Result<MemoryPolicy> memory_policy_of(const MemoryArgs& args);
int64_t memory_budget_of(const MemoryArgs& args);

// Loads the model with those options.
Result<std::shared_ptr<const Model>> load_model(const ModelArgs& args);

// Appends `v` as JSON with round-trip precision (%.9g); NaN and infinities as Python's json
// writes them (NaN, Infinity, -Infinity).
void append_float(float v, std::string* out);

// Appends row `row` of `t` as JSON: a flat array for [B, n], nested arrays for higher ranks,
// a bare number for [B].
void append_row(const Tensor& t, int64_t row, std::string* out);

// Appends row `row` of the model outputs: the single output's row, or an array of them.
void append_outputs_row(const std::vector<Tensor>& outputs, int64_t row, std::string* out);

// "[None,100,64]" style shape text with -1 shown as None.
std::string shape_text(const std::vector<int64_t>& shape);

}  // namespace quiver::cli

#endif  // QUIVER_CLI_MODEL_ARGS_H_
