#include "cli/model_args.h"

#include <cmath>
#include <cstdio>

#include "cli/usage_errors.h"

namespace quiver::cli {

void add_architecture_file_option(CLI::App* cmd, std::string* path) {
  cmd->add_option("--architecture-file", *path,
                  "model.to_json() / to_yaml() file for a weights-only .h5");
  // The older spelling, kept working but out of --help (serve's key: architecture_file,
  // alias architecture; the network type of training is --model-type).
  cmd->add_option("--architecture", *path, "older name of --architecture-file")->group("");
}

void add_model_options(CLI::App* cmd, ModelArgs* args) {
  add_architecture_file_option(cmd, &args->architecture);
  cmd->add_option("--hard-sigmoid", args->hard_sigmoid,
                  "hard_sigmoid formula: auto (from the file's Keras version), keras2 "
                  "(clip(0.2x+0.5)) or keras3 (clip(x/6+0.5))")
      ->check(one_of({"auto", "keras2", "keras3"}));
  add_weights_option(cmd, &args->weights);
  add_memory_options(cmd, &args->memory);
}

void add_memory_options(CLI::App* cmd, MemoryArgs* args, const char* policy_help,
                        const char* budget_help) {
  cmd->add_option("--memory-policy", args->policy,
                  policy_help != nullptr
                      ? policy_help
                      : "what recurrent layers precompute: auto (default; fp32 tables, or what "
                        "fits --memory-budget-mb), fp32, bf16 (tables rounded: outputs change "
                        "slightly), lazy (table rows on first use), none (least memory, slowest)")
      ->check(one_of({"auto", "fp32", "bf16", "lazy", "none"}));
  cmd->add_option("--memory-budget-mb", args->budget_mb,
                  budget_help != nullptr
                      ? budget_help
                      : "this model's memory budget in MiB for --memory-policy auto / lazy (0: none)")
      ->check(CLI::Range(0.0, 1e9));
}

Result<MemoryPolicy> memory_policy_of(const MemoryArgs& args) {
  return parse_memory_policy(args.policy);
}

int64_t memory_budget_of(const MemoryArgs& args) {
  return static_cast<int64_t>(args.budget_mb * 1048576.0);
}

void add_weights_option(CLI::App* cmd, std::string* weights) {
  cmd->add_option("--weights", *weights,
                  "recurrent kernel storage: fp32 (exact, default), bf16 or int8 (per-column "
                  "symmetric); the reduced modes change outputs slightly")
      ->check(one_of({"fp32", "bf16", "int8"}));
}

Result<std::shared_ptr<const Model>> load_model(const ModelArgs& args) {
  LoadOptions options;
  options.architecture_path = args.architecture;
  options.hard_sigmoid = args.hard_sigmoid == "keras2"   ? HardSigmoidMode::kKeras2
                         : args.hard_sigmoid == "keras3" ? HardSigmoidMode::kKeras3
                                                         : HardSigmoidMode::kAuto;
  QUIVER_ASSIGN_OR_RETURN(options.weights, parse_weight_mode(args.weights));
  QUIVER_ASSIGN_OR_RETURN(options.memory_policy, memory_policy_of(args.memory));
  options.memory_budget_bytes = memory_budget_of(args.memory);
  return Model::load(args.model, options);
}

void append_float(float v, std::string* out) {
  if (std::isnan(v)) {
    *out += "NaN";
  } else if (std::isinf(v)) {
    *out += v > 0 ? "Infinity" : "-Infinity";
  } else {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(v));
    *out += buf;
  }
}

namespace {

void append_block(const Tensor& t, size_t axis, const float* data, std::string* out) {
  if (axis == t.shape.size()) {
    append_float(*data, out);
    return;
  }
  int64_t stride = 1;
  for (size_t a = axis + 1; a < t.shape.size(); ++a) stride *= t.shape[a];
  out->push_back('[');
  for (int64_t i = 0; i < t.shape[axis]; ++i) {
    if (i) out->push_back(',');
    append_block(t, axis + 1, data + i * stride, out);
  }
  out->push_back(']');
}

}  // namespace

void append_row(const Tensor& t, int64_t row, std::string* out) {
  const int64_t per_row = t.shape[0] ? t.size() / t.shape[0] : 0;
  append_block(t, 1, t.data.data() + row * per_row, out);
}

void append_outputs_row(const std::vector<Tensor>& outputs, int64_t row, std::string* out) {
  if (outputs.size() == 1) return append_row(outputs[0], row, out);
  out->push_back('[');
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (i) out->push_back(',');
    append_row(outputs[i], row, out);
  }
  out->push_back(']');
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i] < 0 ? "None" : std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace quiver::cli
