// The `quiver serve` configuration file (YAML), parsed into plain structs.
//
// Every key is checked: an unknown key, a wrong type or an invalid value is an
// InvalidArgument error that names the file and the key path, e.g.
//   "serve.yaml: models[1].maxlen: expected a positive integer, got 'abc'".
// Relative paths resolve against the config file's folder. Model names must match
// [A-Za-z0-9_.-]+ and are never used as file paths. The full key list is in README.md
// ("Serving"). Thread-safety: values.
#ifndef QUIVER_SERVE_CONFIG_H_
#define QUIVER_SERVE_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "quiver/model.h"
#include "quiver/status.h"
#include "quiver/tokenizer.h"
#include "quiver/train.h"

namespace quiver::serve {

struct ServerLimits {
  int64_t max_body_bytes = 1 << 20;   // larger request bodies get 413
  int64_t max_instances = 1024;       // sentences / instances per request
  int64_t max_text_bytes = 64 << 10;  // one sentence
};

// server.validate_models and server.validate_limits (serve/model_sandbox.h): how model
// files are checked before the server parses them.
struct ValidationConfig {
  bool sandbox = true;               // validate_models: sandbox (default) | off
  int64_t address_space_mb = 4096;   // RLIMIT_AS of the validating process
  int64_t cpu_seconds = 60;          // RLIMIT_CPU of the validating process
  int64_t timeout_ms = 60000;        // wall clock, then SIGKILL
};

// When a model is loaded (`load:` per model, `server.load` for every model): at start
// (eager, the default), or on its first request and then kept by LRU within
// server.memory_budget_mb (on_demand; serve/registry.h).
enum class LoadMode { kEager, kOnDemand };

// "eager" | "on_demand".
const char* load_mode_name(LoadMode mode);

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8500;
  int threads = 2;                     // HTTP I/O threads (async; not one per connection)
  int64_t max_batch_size = 64;         // rows per predict call (default for every model)
  int64_t max_queue_delay_us = 0;      // how long an idle model waits for more rows
  int64_t max_queue = 256;             // queued requests per model (default); beyond: 429
  int64_t request_timeout_ms = 30000;  // reading one request, and keep-alive idle time
  int64_t poll_interval_ms = 0;        // polling of config and model files; 0 = off
  std::string admin_token;             // bearer token for admin endpoints; "" = off
  // server.memory_policy: the memory policy of models that set none (LoadOptions).
  MemoryPolicy memory_policy = MemoryPolicy::kAuto;
  ServerLimits limits;
  ValidationConfig validation;
  // The server-wide memory budget (bytes of the loaded models, ModelInfo::memory_bytes);
  // 0 = none. Eager models must fit in it (else the server refuses to start); on-demand
  // models share the rest, least recently used evicted first.
  int64_t memory_budget_bytes = 0;
  LoadMode load = LoadMode::kEager;    // the default of every model's `load:`
  int64_t load_timeout_ms = 30000;     // how long a request waits for an on-demand load
  int64_t idle_unload_s = 0;           // unload an on-demand model unused this long; 0 = never
};

struct ModelConfig {
  std::string name;                  // the category id: [A-Za-z0-9_.-]+
  std::string model_path;            // absolute
  std::string architecture_path;     // absolute or "" (architecture_file, alias architecture)
  std::string tokenizer_path;        // absolute or ""
  std::string train_data_path;       // absolute or ""
  std::optional<int64_t> num_words;  // for a tokenizer fitted from train_data
  std::string golden_path;           // absolute or "" (then <model folder>/inputs.jsonl +
                                     // expected.jsonl are used when both exist)
  double golden_tolerance = 1e-5;
  bool train_if_missing = false;
  // train_if_missing's options: the `training:` section, read through the one option table
  // (src/train/option_table.h) the CLI's training flags use; TrainOptions' defaults.
  quiver::TrainOptions training;
  std::vector<std::string> labels;  // default: the trained model's, else "0", "1", ...
  std::optional<int64_t> maxlen;    // overrides the model's input length
  std::optional<PadMode> padding;   // default: the trained model's, else pre
  std::optional<PadMode> truncating;
  bool multi_label = false;        // true when threshold(s) are given
  std::vector<double> thresholds;  // one per label, or one for all
  std::optional<int64_t> max_batch_size;
  std::optional<int64_t> max_queue_delay_us;
  std::optional<int64_t> max_queue;
  // Segmentation in front of the tokenizer (include/quiver/segmenter.h): a mode name, or
  // unset = the model file's quiver_segmenter attribute, else "none".
  std::optional<std::string> segmenter;
  std::string user_dict_path;  // absolute or "": jieba user dictionary (jieba modes only)
  // Storage of the recurrent kernels (LoadOptions::weights). The reduced modes change
  // outputs slightly, so their default golden_tolerance is kReducedGoldenTolerance.
  WeightMode weights = WeightMode::kFp32;
  // memory_policy (auto | fp32 | bf16 | lazy | none; unset in the file: server.memory_policy,
  // which the parser fills in) and memory_budget_mb (this model's budget, 0 = none), as
  // LoadOptions::memory_policy / memory_budget_bytes.
  MemoryPolicy memory_policy = MemoryPolicy::kAuto;
  int64_t memory_budget_bytes = 0;
  bool memory_policy_inherited = true;  // the entry has no memory_policy key
  bool memory_budget_inherited = true;  // nor memory_budget_mb
  // hard_sigmoid formula (LoadOptions::hard_sigmoid): auto | keras2 | keras3; unset = auto.
  std::optional<HardSigmoidMode> hard_sigmoid;
  // A text none of whose tokens the model knows (known_tokens 0): answered (default), or
  // refused with 422 (`unknown_input: refuse`).
  bool refuse_unknown_input = false;
  // `load:` (or server.load when the entry has none).
  LoadMode load = LoadMode::kEager;
  // The entry as written (its YAML, emitted again) and the folder its relative paths
  // resolve against: equal for two configs that say the same about this model. Empty for a
  // config made in code (then a config reload always rebuilds the model).
  std::string entry;
};

inline constexpr double kReducedGoldenTolerance = 0.05;

// A group: several categories answered by one request (issue 7). Its serving side is
// either binary `members` (category = model name) or one multi-label `model` (categories
// = the model's labels). `shadow` also answers every group request in the background; its
// disagreements with the serving side are counted per category in /metrics.
struct GroupConfig {
  std::string name;                  // [A-Za-z0-9_.-]+
  std::vector<std::string> members;  // models from `models:`, or empty when `model` is set
  std::string model;                 // a multi-label model from `models:`, or ""
  std::string shadow;                // a model from `models:`, or "" (none)
  bool is_default = false;           // requests without category / group use it
  // The decision names of a multi-label model's categories: label = labels[p > threshold],
  // scores {labels[0]: 1 - p, labels[1]: p} (the shape of a one-sigmoid binary model).
  std::vector<std::string> labels = {"no", "yes"};
  int64_t shadow_max_queue = 64;  // shadow requests in flight; beyond: dropped and counted
};

struct ServeConfig {
  std::string path;  // the config file (absolute), "" when parsed from text
  ServerConfig server;
  std::vector<ModelConfig> models;
  std::vector<GroupConfig> groups;

  const ModelConfig* find(const std::string& name) const;
  const GroupConfig* find_group(const std::string& name) const;
  // The group marked default, else the only group, else null.
  const GroupConfig* default_group() const;
};

// `quiver serve --memory-policy P --memory-budget-mb N`: the server-level memory policy
// (over server.memory_policy) and the budget of every model whose entry sets none. The
// parser applies an empty set; Server applies the command line's to every (re)load. Each
// model's entry then records its effective policy and budget (a change rebuilds it).
struct MemoryOverrides {
  std::optional<MemoryPolicy> policy;
  std::optional<int64_t> budget_bytes;
};
void apply_memory_overrides(const MemoryOverrides& overrides, ServeConfig* config);

// Parses a config file. `origin` names it in messages, `base_dir` resolves relative paths.
Result<ServeConfig> parse_config_text(const std::string& text, const std::string& origin,
                                      const std::string& base_dir);

// Reads and parses `path`; relative paths resolve against its folder. The admin token
// falls back to the QUIVER_ADMIN_TOKEN environment variable when the file sets none.
Result<ServeConfig> load_config(const std::string& path);

// True when `name` is a valid model name ([A-Za-z0-9_.-]+, not "." or "..").
bool valid_model_name(const std::string& name);

// The one rule for model, group and category names (serve config, train-multilabel's
// --category / --binary-model, compare's --group): InvalidArgument "expected a name of
// [A-Za-z0-9_.-]+, got 'bad name'" unless valid_model_name(name).
Status check_name(const std::string& name);

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_CONFIG_H_
