// Architecture text (JSON / PyYAML output) -> nlohmann::json. Declared in config_parser.h.
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <regex>

#include "base/json_depth.h"
#include "keras_io/config_parser.h"
#include "quiver/limits.h"

namespace quiver::keras_io {
namespace {

using nlohmann::json;

constexpr int kMaxDecodeLevels = 4;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Plain (untagged, unquoted) scalars resolve as PyYAML's YAML 1.1 loader does.
json resolve_plain_scalar(const std::string& v) {
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL") return nullptr;
  if (v == "true" || v == "True" || v == "TRUE" || v == "yes" || v == "Yes" || v == "on") {
    return true;
  }
  if (v == "false" || v == "False" || v == "FALSE" || v == "no" || v == "No" || v == "off") {
    return false;
  }
  if (std::regex_match(v, kInt)) {
    int64_t i = 0;
    const char* begin = v.data() + (v[0] == '+' ? 1 : 0);
    auto [ptr, ec] = std::from_chars(begin, v.data() + v.size(), i);
    if (ec == std::errc() && ptr == v.data() + v.size()) return i;
  }
  if (std::regex_match(v, kFloat)) {
    try {
      return std::stod(v);
    } catch (...) {  // out of range: keep the text
      return v;
    }
  }
  if (v == ".inf" || v == ".Inf" || v == "+.inf") return std::numeric_limits<double>::infinity();
  if (v == "-.inf" || v == "-.Inf") return -std::numeric_limits<double>::infinity();
  if (v == ".nan" || v == ".NaN") return std::nan("");
  return v;
}

json yaml_scalar(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  const std::string& v = node.Scalar();
  if (tag == "!" || ends_with(tag, ":str") || ends_with(tag, "python/unicode") ||
      ends_with(tag, "python/str") || ends_with(tag, "python/bytes")) {
    return v;  // quoted or explicitly a string
  }
  if (ends_with(tag, ":null")) return nullptr;
  json resolved = resolve_plain_scalar(v);
  if (ends_with(tag, ":float") && resolved.is_number()) return resolved.get<double>();
  return resolved;
}

// `budget` counts the values still allowed: aliases share nodes in yaml-cpp but are
// expanded here, so a few kB of nested aliases would otherwise expand to gigabytes.
Result<json> yaml_to_json(const YAML::Node& node, int depth, int64_t& budget) {
  if (depth > limits::kMaxConfigDepth) {
    return resource_exhausted("YAML nested more than " + std::to_string(limits::kMaxConfigDepth) +
                              " levels deep");
  }
  if (--budget < 0) {
    return resource_exhausted("YAML document expands to more than " +
                              std::to_string(limits::kMaxYamlValues) +
                              " values (anchors and aliases included)");
  }
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return yaml_scalar(node);
    case YAML::NodeType::Sequence: {  // includes !!python/tuple
      json out = json::array();
      for (const YAML::Node& item : node) {
        QUIVER_ASSIGN_OR_RETURN(json value, yaml_to_json(item, depth + 1, budget));
        out.push_back(std::move(value));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) return invalid_argument("YAML map key is not a scalar");
        QUIVER_ASSIGN_OR_RETURN(json value, yaml_to_json(kv.second, depth + 1, budget));
        out[kv.first.Scalar()] = std::move(value);
      }
      return out;
    }
    default:
      return json(nullptr);
  }
}

Result<json> parse_yaml(const std::string& text) {
  try {
    YAML::Node root = YAML::Load(text);  // yaml-cpp stops at 2000 levels (DeepRecursion)
    int64_t budget = limits::kMaxYamlValues;
    return yaml_to_json(root, 0, budget);
  } catch (const std::exception& e) {
    return invalid_argument(std::string("neither JSON nor YAML (") + e.what() + ")");
  }
}

}  // namespace

Result<nlohmann::json> parse_architecture_text(const std::string& text) {
  std::string current = text;
  for (int level = 0; level < kMaxDecodeLevels; ++level) {
    QUIVER_RETURN_IF_ERROR(
        base::check_json_depth(current, limits::kMaxConfigDepth, "model architecture"));
    json parsed = json::parse(current, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
      QUIVER_ASSIGN_OR_RETURN(parsed, parse_yaml(current));
    }
    if (parsed.is_string() && parsed.get<std::string>() != current) {
      current = parsed.get<std::string>();  // a saved string that holds the real document
      continue;
    }
    if (!parsed.is_object() || !parsed.contains("class_name")) {
      return invalid_argument(
          "not a Keras model architecture (expected an object with "
          "\"class_name\" and \"config\")");
    }
    return parsed;
  }
  return invalid_argument("not a Keras model architecture (a string nested too deeply)");
}

Result<nlohmann::json> parse_config_json(const std::string& text) {
  std::string current = text;
  for (int level = 0; level < 2; ++level) {
    QUIVER_RETURN_IF_ERROR(base::check_json_depth(current, limits::kMaxConfigDepth, "model config"));
    json parsed = json::parse(current, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return corruption("model config is not valid JSON");
    if (parsed.is_string()) {
      current = parsed.get<std::string>();
      continue;
    }
    if (!parsed.is_object()) return corruption("model config is not a JSON object");
    return parsed;
  }
  return corruption("model config is not a JSON object");
}

}  // namespace quiver::keras_io
