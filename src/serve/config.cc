// Parses the serve config with yaml-cpp. yaml-cpp throws; every call into it is inside
// parse_config_text's try block, so nothing escapes this file.
#include "serve/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <set>
#include <vector>

#include "base/file.h"
#include "base/suggest.h"
#include "quiver/classifier.h"
#include "quiver/segmenter.h"
#include "train/option_table.h"

namespace quiver::serve {
namespace {

// Reads the keys of one YAML map, remembering which were used so that unknown keys
// can be reported. Errors carry "origin: path.key: ...".
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string origin, std::string path)
      : node_(node), origin_(std::move(origin)), path_(std::move(path)) {}

  Status check_is_map() const {
    if (node_.IsMap()) return Status();
    return error(path_, "expected a mapping");
  }
  // Declares every key this map may hold and reports any other one first, so a misspelt
  // required key reads "unknown key 'modle' (did you mean 'model'?)", not "model: missing".
  Status check_keys(std::initializer_list<const char*> keys) {
    for (const char* k : keys) known_.insert(k);
    return check_no_unknown_keys();
  }
  Status check_keys(const std::vector<std::string>& keys) {
    known_.insert(keys.begin(), keys.end());
    return check_no_unknown_keys();
  }
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& kv : node_) out.push_back(kv.first.Scalar());
    return out;
  }
  // The mapping under `key` as a reader of its own that allows exactly `keys` (checked
  // here), or an empty `out` when the key is absent.
  Status child(const std::string& key, const std::vector<std::string>& keys,
               std::optional<MapReader>& out) {
    out.reset();
    if (!has(key)) return Status();
    out.emplace(get(key), origin_, key_path(key));
    QUIVER_RETURN_IF_ERROR(out->check_is_map());
    return out->check_keys(keys);
  }
  Status check_no_unknown_keys() const {
    for (const auto& kv : node_) {
      std::string key = kv.first.Scalar();
      if (!known_.count(key)) {
        const std::vector<std::string> names(known_.begin(), known_.end());
        return error(key_path(key), "unknown key '" + key + "'" + base::did_you_mean(key, names));
      }
    }
    return Status();
  }
  bool has(const std::string& key) {
    known_.insert(key);
    return node_[key].IsDefined() && !node_[key].IsNull();
  }
  YAML::Node get(const std::string& key) {
    known_.insert(key);
    return node_[key];
  }
  std::string key_path(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  Status error(const std::string& where, const std::string& what) const {
    return invalid_argument(origin_ + ": " + where + ": " + what);
  }

  Status read(const std::string& key, std::string& out) {
    if (!has(key)) return Status();
    YAML::Node n = node_[key];
    if (!n.IsScalar()) return error(key_path(key), "expected a string");
    out = n.Scalar();
    return Status();
  }
  Status read(const std::string& key, int64_t& out, int64_t min_value) {
    if (!has(key)) return Status();
    YAML::Node n = node_[key];
    const std::string s = n.IsScalar() ? n.Scalar() : "";
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (!n.IsScalar() || ec != std::errc() || end != s.data() + s.size() || v < min_value) {
      return error(key_path(key), "expected an integer >= " + std::to_string(min_value) +
                                      ", got '" + (n.IsScalar() ? s : "(not a scalar)") + "'");
    }
    out = v;
    return Status();
  }
  Status read(const std::string& key, std::optional<int64_t>& out, int64_t min_value) {
    if (!has(key)) return Status();
    int64_t v = 0;
    QUIVER_RETURN_IF_ERROR(read(key, v, min_value));
    out = v;
    return Status();
  }
  Status read(const std::string& key, int& out, int64_t min_value, int64_t max_value) {
    int64_t v = out;
    QUIVER_RETURN_IF_ERROR(read(key, v, min_value));
    if (v > max_value) {
      return error(key_path(key), "expected an integer <= " + std::to_string(max_value) +
                                      ", got '" + std::to_string(v) + "'");
    }
    out = static_cast<int>(v);
    return Status();
  }
  Status read(const std::string& key, double& out) {
    if (!has(key)) return Status();
    YAML::Node n = node_[key];
    const std::string s = n.IsScalar() ? n.Scalar() : "";
    char* end = nullptr;
    double v = s.empty() ? 0 : std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) {
      return error(key_path(key), "expected a number, got '" + s + "'");
    }
    out = v;
    return Status();
  }
  Status read(const std::string& key, bool& out) {
    if (!has(key)) return Status();
    YAML::Node n = node_[key];
    const std::string s = n.IsScalar() ? n.Scalar() : "";
    if (s == "true" || s == "True" || s == "yes") {
      out = true;
      return Status();
    }
    if (s == "false" || s == "False" || s == "no") {
      out = false;
      return Status();
    }
    return error(key_path(key), "expected true or false, got '" + s + "'");
  }
  Status read(const std::string& key, std::optional<PadMode>& out) {
    if (!has(key)) return Status();
    std::string s;
    QUIVER_RETURN_IF_ERROR(read(key, s));
    if (s == "pre") {
      out = PadMode::kPre;
      return Status();
    }
    if (s == "post") {
      out = PadMode::kPost;
      return Status();
    }
    return error(key_path(key), "expected 'pre' or 'post', got '" + s + "'");
  }
  // A list of strings (or one string) as "a,b,c".
  Status read_joined(const std::string& key, std::string& out) {
    if (has(key) && node_[key].IsScalar()) return read(key, out);
    std::vector<std::string> items;
    QUIVER_RETURN_IF_ERROR(read(key, items));
    out.clear();
    for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
    return Status();
  }
  Status read(const std::string& key, std::vector<std::string>& out) {
    if (!has(key)) return Status();
    YAML::Node n = node_[key];
    if (!n.IsSequence()) return error(key_path(key), "expected a list of strings");
    out.clear();
    for (size_t i = 0; i < n.size(); ++i) {
      if (!n[i].IsScalar()) return error(key_path(key), "expected a list of strings");
      out.push_back(n[i].Scalar());
    }
    return Status();
  }

 private:
  YAML::Node node_;
  std::string origin_;
  std::string path_;
  std::set<std::string> known_;
};

std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty()) return p;
  std::filesystem::path path(p);
  if (path.is_absolute()) return path.lexically_normal().string();
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

Status parse_limits(MapReader& parent, ServerLimits& out) {
  std::optional<MapReader> r;
  QUIVER_RETURN_IF_ERROR(
      parent.child("limits", {"max_body_bytes", "max_instances", "max_text_bytes"}, r));
  if (!r) return Status();
  QUIVER_RETURN_IF_ERROR(r->read("max_body_bytes", out.max_body_bytes, 1));
  QUIVER_RETURN_IF_ERROR(r->read("max_instances", out.max_instances, 1));
  return r->read("max_text_bytes", out.max_text_bytes, 1);
}

Status parse_validation(MapReader& parent, ValidationConfig& out) {
  std::string mode = out.sandbox ? "sandbox" : "off";
  QUIVER_RETURN_IF_ERROR(parent.read("validate_models", mode));
  if (mode != "sandbox" && mode != "off") {
    return parent.error(parent.key_path("validate_models"),
                        "expected sandbox or off, got '" + mode + "'");
  }
  out.sandbox = mode == "sandbox";
  std::optional<MapReader> r;
  QUIVER_RETURN_IF_ERROR(parent.child(
      "validate_limits", {"address_space_mb", "cpu_seconds", "timeout_ms"}, r));
  if (!r) return Status();
  QUIVER_RETURN_IF_ERROR(r->read("address_space_mb", out.address_space_mb, 64));
  QUIVER_RETURN_IF_ERROR(r->read("cpu_seconds", out.cpu_seconds, 1));
  return r->read("timeout_ms", out.timeout_ms, 100);
}

Status read_load_mode(MapReader& r, LoadMode& out) {
  if (!r.has("load")) return Status();
  std::string name;
  QUIVER_RETURN_IF_ERROR(r.read("load", name));
  if (name == "eager") {
    out = LoadMode::kEager;
  } else if (name == "on_demand") {
    out = LoadMode::kOnDemand;
  } else {
    return r.error(r.key_path("load"), "expected eager or on_demand, got '" + name + "'");
  }
  return Status();
}

// server.memory_budget_mb, load, load_timeout_ms, idle_unload_s (serve/registry.h).
Status parse_load_keys(MapReader& r, ServerConfig& out) {
  if (r.has("memory_budget_mb")) {  // a number of MiB: 512, or 0.5 for small tests
    double mb = 0;
    QUIVER_RETURN_IF_ERROR(r.read("memory_budget_mb", mb));
    if (!(mb > 0) || mb > double(int64_t{1} << 30)) {
      return r.error(r.key_path("memory_budget_mb"),
                     "expected a number of MiB > 0 and <= 1073741824, got '" +
                         r.get("memory_budget_mb").Scalar() + "'");
    }
    out.memory_budget_bytes = static_cast<int64_t>(std::llround(mb * (1 << 20)));
  }
  QUIVER_RETURN_IF_ERROR(read_load_mode(r, out.load));
  QUIVER_RETURN_IF_ERROR(r.read("load_timeout_ms", out.load_timeout_ms, 1));
  return r.read("idle_unload_s", out.idle_unload_s, 0);
}

// memory_policy: auto | fp32 | bf16 | lazy | none (server- or model-level).
Status read_memory_policy(MapReader& r, MemoryPolicy& out) {
  if (!r.has("memory_policy")) return Status();
  std::string name;
  QUIVER_RETURN_IF_ERROR(r.read("memory_policy", name));
  auto policy = parse_memory_policy(name);
  if (!policy.ok()) {
    return r.error(r.key_path("memory_policy"),
                   "expected auto, fp32, bf16, lazy or none, got '" + name + "'");
  }
  out = *policy;
  return Status();
}

// memory_budget_mb: this model's budget in MiB (a number >= 0; 0 = none).
Status read_memory_budget(MapReader& r, int64_t& bytes) {
  if (!r.has("memory_budget_mb")) return Status();
  double mb = 0;
  QUIVER_RETURN_IF_ERROR(r.read("memory_budget_mb", mb));
  if (!(mb >= 0) || mb > 1e9) {
    return r.error(r.key_path("memory_budget_mb"), "expected a number of MiB >= 0");
  }
  bytes = static_cast<int64_t>(mb * 1048576.0);
  return Status();
}

Status parse_server(const YAML::Node& node, const std::string& origin, ServerConfig& out) {
  MapReader r(node, origin, "server");
  QUIVER_RETURN_IF_ERROR(r.check_is_map());
  QUIVER_RETURN_IF_ERROR(r.check_keys({"host", "port", "threads", "max_batch_size",
                                       "max_queue_delay_us", "max_queue", "request_timeout_ms",
                                       "poll_interval_ms", "admin_token", "limits",
                                       "validate_models", "validate_limits", "memory_budget_mb",
                                       "load", "load_timeout_ms", "idle_unload_s", "memory_policy"}));
  QUIVER_RETURN_IF_ERROR(r.read("host", out.host));
  QUIVER_RETURN_IF_ERROR(r.read("port", out.port, 0, 65535));
  QUIVER_RETURN_IF_ERROR(r.read("threads", out.threads, 1, 256));
  QUIVER_RETURN_IF_ERROR(r.read("max_batch_size", out.max_batch_size, 1));
  QUIVER_RETURN_IF_ERROR(r.read("max_queue_delay_us", out.max_queue_delay_us, 0));
  QUIVER_RETURN_IF_ERROR(r.read("max_queue", out.max_queue, 1));
  QUIVER_RETURN_IF_ERROR(r.read("request_timeout_ms", out.request_timeout_ms, 1));
  QUIVER_RETURN_IF_ERROR(r.read("poll_interval_ms", out.poll_interval_ms, 0));
  QUIVER_RETURN_IF_ERROR(r.read("admin_token", out.admin_token));
  QUIVER_RETURN_IF_ERROR(read_memory_policy(r, out.memory_policy));
  QUIVER_RETURN_IF_ERROR(parse_limits(r, out.limits));
  QUIVER_RETURN_IF_ERROR(parse_validation(r, out.validation));
  QUIVER_RETURN_IF_ERROR(parse_load_keys(r, out));
  return r.check_no_unknown_keys();
}

// The `training:` section: every key is an option of the CLI's training table, read and
// validated by it (same names, defaults and messages as the flags).
Status parse_training(MapReader& parent, TrainOptions& out) {
  std::optional<MapReader> child;
  QUIVER_RETURN_IF_ERROR(parent.child("training", train::training_keys(), child));
  if (!child) return Status();
  MapReader& r = *child;
  std::set<const train::TrainingOption*> seen;
  for (const auto& key : r.keys()) {
    const train::TrainingOption* option = train::find_training_key(key);
    if (!seen.insert(option).second) {
      return r.error(r.key_path(key), "'" + option->name + "' is given twice (also as an alias)");
    }
    std::string value;
    QUIVER_RETURN_IF_ERROR(option->kind == train::OptionKind::kList ? r.read_joined(key, value)
                                                                  : r.read(key, value));
    Status set = option->set(value, out);
    if (!set.ok()) return r.error(r.key_path(key), set.message());
  }
  return Status();
}

Status parse_thresholds(MapReader& r, ModelConfig& m) {
  if (r.has("threshold")) {
    double t = 0;
    QUIVER_RETURN_IF_ERROR(r.read("threshold", t));
    m.thresholds = {t};
    m.multi_label = true;
  }
  if (r.has("thresholds")) {
    if (m.multi_label)
      return r.error(r.key_path("thresholds"), "give threshold or thresholds, not both");
    std::vector<std::string> items;
    QUIVER_RETURN_IF_ERROR(r.read("thresholds", items));
    for (const auto& s : items) {
      char* end = nullptr;
      double v = std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size()) {
        return r.error(r.key_path("thresholds"), "expected a list of numbers, got '" + s + "'");
      }
      m.thresholds.push_back(v);
    }
    m.multi_label = true;
  }
  if (r.has("multi_label")) QUIVER_RETURN_IF_ERROR(r.read("multi_label", m.multi_label));
  return Status();
}

Status parse_paths(MapReader& r, const std::string& base_dir, ModelConfig& m) {
  QUIVER_RETURN_IF_ERROR(r.read("model", m.model_path));
  if (m.model_path.empty()) return r.error(r.key_path("model"), "missing (the model file)");
  // architecture_file: the JSON / YAML architecture of a weights-only .h5; `architecture`
  // is its older name (not the network type: that is training.model_type).
  if (r.has("architecture_file") && r.has("architecture")) {
    return r.error(r.key_path("architecture"), "give architecture_file or architecture, not both");
  }
  QUIVER_RETURN_IF_ERROR(r.read("architecture_file", m.architecture_path));
  QUIVER_RETURN_IF_ERROR(r.read("architecture", m.architecture_path));
  QUIVER_RETURN_IF_ERROR(r.read("tokenizer", m.tokenizer_path));
  QUIVER_RETURN_IF_ERROR(r.read("train_data", m.train_data_path));
  QUIVER_RETURN_IF_ERROR(r.read("golden", m.golden_path));
  QUIVER_RETURN_IF_ERROR(r.read("user_dict", m.user_dict_path));
  m.model_path = resolve(base_dir, m.model_path);
  m.architecture_path = resolve(base_dir, m.architecture_path);
  m.tokenizer_path = resolve(base_dir, m.tokenizer_path);
  m.train_data_path = resolve(base_dir, m.train_data_path);
  m.golden_path = resolve(base_dir, m.golden_path);
  m.user_dict_path = resolve(base_dir, m.user_dict_path);
  return Status();
}

Status parse_segmenter(MapReader& r, ModelConfig& m) {
  if (r.has("segmenter")) {
    std::string name;
    QUIVER_RETURN_IF_ERROR(r.read("segmenter", name));
    auto mode = parse_segmenter_mode(name);
    if (!mode.ok()) return r.error(r.key_path("segmenter"), mode.status().message());
    m.segmenter = name;
  }
  const bool jieba = m.segmenter && m.segmenter->rfind("jieba", 0) == 0;
  if (!m.user_dict_path.empty() && m.segmenter && !jieba) {
    return r.error(r.key_path("user_dict"), "needs segmenter jieba, jieba-nohmm or jieba-search");
  }
  return Status();
}

Status parse_weights(MapReader& r, ModelConfig& m) {
  if (!r.has("weights")) return Status();
  std::string name;
  QUIVER_RETURN_IF_ERROR(r.read("weights", name));
  auto mode = parse_weight_mode(name);
  if (!mode.ok()) {
    return r.error(r.key_path("weights"), "expected fp32, bf16 or int8, got '" + name + "'");
  }
  m.weights = *mode;
  if (m.weights != WeightMode::kFp32 && !r.has("golden_tolerance")) {
    m.golden_tolerance = kReducedGoldenTolerance;
  }
  return Status();
}

// hard_sigmoid: auto | keras2 | keras3; unknown_input: answer | refuse.
Status parse_hard_sigmoid_and_unknown_input(MapReader& r, ModelConfig& m) {
  if (r.has("hard_sigmoid")) {
    std::string name;
    QUIVER_RETURN_IF_ERROR(r.read("hard_sigmoid", name));
    auto mode = parse_hard_sigmoid_mode(name);
    if (!mode.ok()) return r.error(r.key_path("hard_sigmoid"), mode.status().message());
    m.hard_sigmoid = *mode;
  }
  if (r.has("unknown_input")) {
    std::string policy;
    QUIVER_RETURN_IF_ERROR(r.read("unknown_input", policy));
    if (policy != "answer" && policy != "refuse") {
      return r.error(r.key_path("unknown_input"), "expected answer or refuse, got '" + policy + "'");
    }
    m.refuse_unknown_input = policy == "refuse";
  }
  return Status();
}

Status parse_model(const YAML::Node& node, const std::string& origin, const std::string& base_dir,
                   size_t index, ModelConfig& m) {
  MapReader r(node, origin, "models[" + std::to_string(index) + "]");
  QUIVER_RETURN_IF_ERROR(r.check_is_map());
  QUIVER_RETURN_IF_ERROR(r.check_keys(
      {"name", "model", "architecture_file", "architecture", "tokenizer", "train_data", "golden", "user_dict",
       "num_words", "golden_tolerance", "train_if_missing", "training", "labels", "maxlen",
       "padding", "truncating", "threshold", "thresholds", "multi_label", "segmenter",
       "weights", "hard_sigmoid", "unknown_input", "max_batch_size", "max_queue_delay_us",
       "max_queue", "load", "memory_policy", "memory_budget_mb"}));
  QUIVER_RETURN_IF_ERROR(r.read("name", m.name));
  if (Status st = check_name(m.name); !st.ok()) return r.error(r.key_path("name"), st.message());
  QUIVER_RETURN_IF_ERROR(parse_paths(r, base_dir, m));
  QUIVER_RETURN_IF_ERROR(r.read("num_words", m.num_words, 1));
  QUIVER_RETURN_IF_ERROR(r.read("golden_tolerance", m.golden_tolerance));
  QUIVER_RETURN_IF_ERROR(r.read("train_if_missing", m.train_if_missing));
  QUIVER_RETURN_IF_ERROR(parse_training(r, m.training));
  m.training.validation_path = resolve(base_dir, m.training.validation_path);
  QUIVER_RETURN_IF_ERROR(r.read("labels", m.labels));
  QUIVER_RETURN_IF_ERROR(r.read("maxlen", m.maxlen, 1));
  QUIVER_RETURN_IF_ERROR(r.read("padding", m.padding));
  QUIVER_RETURN_IF_ERROR(r.read("truncating", m.truncating));
  QUIVER_RETURN_IF_ERROR(parse_thresholds(r, m));
  QUIVER_RETURN_IF_ERROR(parse_segmenter(r, m));
  QUIVER_RETURN_IF_ERROR(parse_weights(r, m));
  m.memory_policy_inherited = !r.has("memory_policy");
  m.memory_budget_inherited = !r.has("memory_budget_mb");
  QUIVER_RETURN_IF_ERROR(read_memory_policy(r, m.memory_policy));
  QUIVER_RETURN_IF_ERROR(read_memory_budget(r, m.memory_budget_bytes));
  QUIVER_RETURN_IF_ERROR(parse_hard_sigmoid_and_unknown_input(r, m));
  QUIVER_RETURN_IF_ERROR(r.read("max_batch_size", m.max_batch_size, 1));
  QUIVER_RETURN_IF_ERROR(r.read("max_queue_delay_us", m.max_queue_delay_us, 0));
  QUIVER_RETURN_IF_ERROR(r.read("max_queue", m.max_queue, 1));
  QUIVER_RETURN_IF_ERROR(read_load_mode(r, m.load));
  QUIVER_RETURN_IF_ERROR(r.check_no_unknown_keys());
  if (m.train_if_missing && m.train_data_path.empty()) {
    return r.error(r.key_path("train_if_missing"), "needs train_data");
  }
  if (!m.tokenizer_path.empty() && m.num_words && !m.train_if_missing) {
    return r.error(r.key_path("num_words"), "only applies to a tokenizer fitted from train_data");
  }
  m.entry = YAML::Dump(node) + "\n# relative to: " + base_dir;
  return Status();
}

// A group pins every model of its side together (Registry::acquire_group), so they stay
// loaded: an on-demand model cannot be one of them.
Status check_group_model_is_eager(MapReader& r, const ServeConfig& config, const std::string& key,
                                  const std::string& model) {
  const ModelConfig* m = config.find(model);
  if (m == nullptr || m->load == LoadMode::kEager) return Status();
  return r.error(r.key_path(key), "'" + model +
                                      "' is load: on_demand; a group's models stay loaded, give "
                                      "it load: eager");
}

Status check_group_models(MapReader& r, const ServeConfig& config, const GroupConfig& g) {
  for (const auto& m : g.members) {
    QUIVER_RETURN_IF_ERROR(check_group_model_is_eager(r, config, "members", m));
  }
  QUIVER_RETURN_IF_ERROR(check_group_model_is_eager(r, config, "model", g.model));
  QUIVER_RETURN_IF_ERROR(check_group_model_is_eager(r, config, "shadow", g.shadow));
  std::set<std::string> seen;
  for (const auto& m : g.members) {
    if (config.find(m) == nullptr) {
      return r.error(r.key_path("members"), "'" + m + "' is not in models");
    }
    if (!seen.insert(m).second) return r.error(r.key_path("members"), "'" + m + "' twice");
  }
  if (!g.model.empty() && config.find(g.model) == nullptr) {
    return r.error(r.key_path("model"), "'" + g.model + "' is not in models");
  }
  if (g.members.empty() == g.model.empty()) {
    return r.error(r.key_path(g.model.empty() ? "members" : "model"),
                   "give members (binary models) or model (one multi-label model), not both");
  }
  if (!g.shadow.empty() && config.find(g.shadow) == nullptr) {
    return r.error(r.key_path("shadow"), "'" + g.shadow + "' is not in models");
  }
  if (!g.shadow.empty() && (g.shadow == g.model || seen.count(g.shadow))) {
    return r.error(r.key_path("shadow"), "'" + g.shadow + "' already serves the group");
  }
  return Status();
}

Status parse_group(const YAML::Node& node, const std::string& origin, size_t index,
                   const ServeConfig& config, GroupConfig& g) {
  MapReader r(node, origin, "groups[" + std::to_string(index) + "]");
  QUIVER_RETURN_IF_ERROR(r.check_is_map());
  QUIVER_RETURN_IF_ERROR(r.check_keys({"name", "members", "model", "shadow", "default",
                                       "labels", "shadow_max_queue"}));
  QUIVER_RETURN_IF_ERROR(r.read("name", g.name));
  if (Status st = check_name(g.name); !st.ok()) return r.error(r.key_path("name"), st.message());
  QUIVER_RETURN_IF_ERROR(r.read("members", g.members));
  QUIVER_RETURN_IF_ERROR(r.read("model", g.model));
  QUIVER_RETURN_IF_ERROR(r.read("shadow", g.shadow));
  QUIVER_RETURN_IF_ERROR(r.read("default", g.is_default));
  QUIVER_RETURN_IF_ERROR(r.read("labels", g.labels));
  if (g.labels.size() != 2) {
    return r.error(r.key_path("labels"), "expected 2 names (negative, positive)");
  }
  QUIVER_RETURN_IF_ERROR(r.read("shadow_max_queue", g.shadow_max_queue, 1));
  QUIVER_RETURN_IF_ERROR(r.check_no_unknown_keys());
  return check_group_models(r, config, g);
}

Status parse_groups(MapReader& root, const std::string& origin, ServeConfig& out) {
  if (!root.has("groups")) return Status();
  YAML::Node groups = root.get("groups");
  if (!groups.IsSequence()) return invalid_argument(origin + ": groups: expected a list");
  std::set<std::string> names;
  int defaults = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    GroupConfig g;
    QUIVER_RETURN_IF_ERROR(parse_group(groups[i], origin, i, out, g));
    const std::string where = origin + ": groups[" + std::to_string(i) + "]";
    if (!names.insert(g.name).second) {
      return invalid_argument(where + ".name: duplicate name '" + g.name + "'");
    }
    if (g.is_default && ++defaults > 1) {
      return invalid_argument(where + ".default: only one group can be the default");
    }
    out.groups.push_back(std::move(g));
  }
  return Status();
}

Status parse_root(const YAML::Node& root, const std::string& origin, const std::string& base_dir,
                  ServeConfig& out) {
  MapReader r(root, origin, "");
  if (!root.IsMap())
    return invalid_argument(origin + ": expected a mapping with 'server' and 'models'");
  QUIVER_RETURN_IF_ERROR(r.check_keys({"server", "models", "groups"}));
  if (r.has("server")) QUIVER_RETURN_IF_ERROR(parse_server(r.get("server"), origin, out.server));
  if (!r.has("models")) return invalid_argument(origin + ": models: missing");
  YAML::Node models = r.get("models");
  if (!models.IsSequence()) return invalid_argument(origin + ": models: expected a list");
  std::set<std::string> names;
  for (size_t i = 0; i < models.size(); ++i) {
    ModelConfig m;
    m.load = out.server.load;  // the entry's own `load:` overrides it
    QUIVER_RETURN_IF_ERROR(parse_model(models[i], origin, base_dir, i, m));
    if (!names.insert(m.name).second) {
      return invalid_argument(origin + ": models[" + std::to_string(i) +
                              "].name: duplicate name '" + m.name + "'");
    }
    out.models.push_back(std::move(m));
  }
  QUIVER_RETURN_IF_ERROR(parse_groups(r, origin, out));
  QUIVER_RETURN_IF_ERROR(r.check_no_unknown_keys());
  apply_memory_overrides({}, &out);
  return Status();
}

}  // namespace

const char* load_mode_name(LoadMode mode) {
  return mode == LoadMode::kOnDemand ? "on_demand" : "eager";
}

void apply_memory_overrides(const MemoryOverrides& overrides, ServeConfig* config) {
  if (overrides.policy) config->server.memory_policy = *overrides.policy;
  for (ModelConfig& m : config->models) {
    if (m.memory_policy_inherited) m.memory_policy = config->server.memory_policy;
    if (m.memory_budget_inherited && overrides.budget_bytes) {
      m.memory_budget_bytes = *overrides.budget_bytes;
    }
    const std::string mark = "\n# memory: ";
    const size_t at = m.entry.find(mark);
    if (at != std::string::npos) m.entry.resize(at);
    if (!m.entry.empty()) {
      m.entry += mark + memory_policy_name(m.memory_policy) + " " +
                 std::to_string(m.memory_budget_bytes);
    }
  }
}

const ModelConfig* ServeConfig::find(const std::string& name) const {
  for (const auto& m : models) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const GroupConfig* ServeConfig::find_group(const std::string& name) const {
  for (const auto& g : groups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

const GroupConfig* ServeConfig::default_group() const {
  for (const auto& g : groups) {
    if (g.is_default) return &g;
  }
  return groups.size() == 1 ? &groups[0] : nullptr;
}

bool valid_model_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.size() > 128) return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status check_name(const std::string& name) {
  if (valid_model_name(name)) return Status();
  return invalid_argument("expected a name of [A-Za-z0-9_.-]+, got '" + name + "'");
}

Result<ServeConfig> parse_config_text(const std::string& text, const std::string& origin,
                                      const std::string& base_dir) {
  ServeConfig out;
  try {
    YAML::Node root = YAML::Load(text);
    QUIVER_RETURN_IF_ERROR(parse_root(root, origin, base_dir, out));
  } catch (const YAML::Exception& e) {
    return invalid_argument(origin + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  } catch (const std::exception& e) {
    return invalid_argument(origin + ": " + e.what());
  }
  return out;
}

Result<ServeConfig> load_config(const std::string& path) {
  QUIVER_ASSIGN_OR_RETURN(std::string text, base::read_file(path, 16 << 20));
  std::error_code ec;
  std::string abs = std::filesystem::absolute(path, ec).lexically_normal().string();
  if (ec) abs = path;
  QUIVER_ASSIGN_OR_RETURN(ServeConfig config, parse_config_text(text, path, base::dirname(abs)));
  config.path = abs;
  if (config.server.admin_token.empty()) {
    const char* env = std::getenv("QUIVER_ADMIN_TOKEN");
    if (env != nullptr) config.server.admin_token = env;
  }
  return config;
}

}  // namespace quiver::serve
