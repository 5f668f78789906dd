// quiver inspect MODEL [--architecture-file FILE] [--json] [--hard-sigmoid auto|keras2|keras3]
//   [--weights W] [--memory-policy P] [--memory-budget-mb N]
// Loads the model and prints its format, Keras version, layers (output shapes, parameter
// counts), input length, vocabulary size, outputs, and its memory: bytes by part under the
// policy chosen, and what each policy would take (estimate_memory); --json prints one JSON
// object.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "cli/model_args.h"

namespace quiver::cli {
namespace {

struct InspectArgs {
  ModelArgs model;
  bool json = false;
};

nlohmann::json shape_json(const std::vector<int64_t>& shape) {
  nlohmann::json j = nlohmann::json::array();
  for (int64_t d : shape) j.push_back(d < 0 ? nlohmann::json(nullptr) : nlohmann::json(d));
  return j;
}

constexpr MemoryPolicy kConcretePolicies[] = {MemoryPolicy::kTablesFp32, MemoryPolicy::kTablesBf16,
                                              MemoryPolicy::kTablesLazy, MemoryPolicy::kNoTables};

nlohmann::json memory_json(const ModelInfo& info, int64_t budget_bytes) {
  const MemoryUsage& m = info.memory;
  nlohmann::json estimates;
  for (MemoryPolicy p : kConcretePolicies) {
    estimates[memory_policy_name(p)] = estimate_memory(info, p, budget_bytes).total();
  }
  return {{"policy", memory_policy_name(info.memory_policy)},
          {"budget_bytes", budget_bytes},
          {"total", m.total()},
          {"weights", m.weights},
          {"tables", m.tables},
          {"trajectories", m.trajectories},
          {"tokenizer", m.tokenizer},
          {"other", m.other},
          {"estimates", estimates}};
}

std::string memory_text(const ModelInfo& info, int64_t budget_bytes) {
  const MemoryUsage& m = info.memory;
  std::string s = "memory_policy: " + std::string(memory_policy_name(info.memory_policy)) +
                  (budget_bytes > 0 ? " (budget " + std::to_string(budget_bytes) + " bytes)" : "") +
                  "\nmemory: weights " + std::to_string(m.weights) + ", tables " +
                  std::to_string(m.tables) + ", trajectories " + std::to_string(m.trajectories) +
                  ", tokenizer " + std::to_string(m.tokenizer) + ", other " +
                  std::to_string(m.other) + "\nmemory by policy:";
  for (MemoryPolicy p : kConcretePolicies) {
    s += std::string(" ") + memory_policy_name(p) + " " +
         std::to_string(estimate_memory(info, p, budget_bytes).total());
  }
  return s + "\n";
}

std::string info_json(const ModelInfo& info, int64_t budget_bytes) {
  nlohmann::json j;
  j["path"] = info.path;
  j["format"] = info.format;
  j["keras_version"] = info.keras_version;
  j["backend"] = info.backend;
  j["input_length"] =
      info.input_length < 0 ? nlohmann::json(nullptr) : nlohmann::json(info.input_length);
  j["vocab_size"] = info.vocab_size;
  j["input"] = info.text_input ? "text" : "token_ids";  // text: TextVectorization first
  if (info.text_input) j["text_vocab_size"] = info.text_vocab_size;
  j["inputs"] = nlohmann::json::array();
  for (const InputInfo& in : info.inputs) {
    nlohmann::json shape = shape_json(in.shape);  // without the batch dim
    j["inputs"].push_back({{"name", in.name},
                           {"shape", shape},
                           {"kind", in.text ? "text" : in.token_ids ? "token_ids" : "float32"},
                           {"vocab_size", in.vocab_size},
                           {"unmasked_batch_padding", in.unmasked_batch_padding}});
  }
  j["layers"] = nlohmann::json::array();
  for (const LayerInfo& l : info.layers) {
    nlohmann::json shapes = nlohmann::json::array();
    for (const auto& s : l.output_shapes) shapes.push_back(shape_json(s));
    j["layers"].push_back({{"name", l.name},
                           {"class_name", l.class_name},
                           {"output_shapes", shapes},
                           {"params", l.params}});
  }
  j["outputs"] = nlohmann::json::array();
  for (const auto& s : info.output_shapes) j["outputs"].push_back(shape_json(s));
  j["total_params"] = info.total_params;
  j["memory_bytes"] = info.memory_bytes;
  j["memory"] = memory_json(info, budget_bytes);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string info_text(const ModelInfo& info, int64_t budget_bytes) {
  std::string s = "model: " + info.path + "\nformat: " + info.format +
                  "\nkeras_version: " + (info.keras_version.empty() ? "-" : info.keras_version) +
                  "\nbackend: " + (info.backend.empty() ? "-" : info.backend) + "\ninput_length: " +
                  (info.input_length < 0 ? "None" : std::to_string(info.input_length)) +
                  "\nvocab_size: " + std::to_string(info.vocab_size) +
                  (info.text_input ? "\ninput: text (TextVectorization, vocabulary " +
                                         std::to_string(info.text_vocab_size) + ")"
                                   : "\ninput: token ids") +
                  "\ninputs:";
  for (const InputInfo& in : info.inputs) {
    std::vector<int64_t> shape{-1};
    shape.insert(shape.end(), in.shape.begin(), in.shape.end());
    s += " " + in.name + " " + shape_text(shape) + " " +
         (in.text ? "text" : in.token_ids ? "token_ids" : "float32");
  }
  s += "\nlayers:\n";
  char line[512];
  std::snprintf(line, sizeof(line), "  %-28s %-24s %-22s %s\n", "name", "class", "output shape",
                "params");
  s += line;
  for (const LayerInfo& l : info.layers) {
    std::string shapes;
    for (const auto& sh : l.output_shapes) shapes += (shapes.empty() ? "" : " ") + shape_text(sh);
    std::snprintf(line, sizeof(line), "  %-28s %-24s %-22s %lld\n", l.name.c_str(),
                  l.class_name.c_str(), shapes.c_str(), static_cast<long long>(l.params));
    s += line;
  }
  s += "outputs:";
  for (const auto& sh : info.output_shapes) s += " " + shape_text(sh);
  s += "\ntotal_params: " + std::to_string(info.total_params) +
       "\nmemory_bytes: " + std::to_string(info.memory_bytes) + "\n";
  return s + memory_text(info, budget_bytes);
}

Status run_inspect(const InspectArgs& args) {
  QUIVER_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, load_model(args.model));
  const int64_t budget = memory_budget_of(args.model.memory);
  const std::string text =
      args.json ? info_json(model->info(), budget) : info_text(model->info(), budget);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (std::fflush(stdout) != 0) return io_error("stdout: write failed");
  // Once per model: where quiver's answer is Keras' batch-of-one answer, not Keras' answer
  // for a batch padded to its longest text (docs/text.md, "Texts of different lengths").
  std::string unmasked;
  for (const InputInfo& in : model->info().inputs) {
    if (in.unmasked_batch_padding) unmasked += (unmasked.empty() ? "'" : ", '") + in.name + "'";
  }
  if (!unmasked.empty()) {
    std::fprintf(stderr,
                 "warning: %s: text input %s has no output_sequence_length and its padding is "
                 "not masked (no Embedding mask_zero, or a layer that drops the mask): Keras "
                 "pads a batch to its longest text, so its answer for a text depends on the "
                 "other texts of the batch; quiver answers each text as Keras does for a batch "
                 "of one (see docs/text.md)\n",
                 model->info().path.c_str(), unmasked.c_str());
  }
  return Status();
}

}  // namespace

void add_inspect_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = app.add_subcommand("inspect", "Show a Keras model's format, layers and shapes");
  cmd->add_option("model", args->model.model, "model file (.h5 / .keras)")->required();
  add_model_options(cmd, &args->model);
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args, &ctx] { run_command(ctx, "inspect", [&] { return run_inspect(*args); }); });
}

}  // namespace quiver::cli
