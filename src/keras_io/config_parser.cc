// Keras model config -> layer graph. See config_parser.h and shared/KERAS.md §1.5.
#include "keras_io/config_parser.h"

#include <algorithm>
#include <regex>
#include <set>

#include "quiver/limits.h"

namespace quiver::keras_io {
namespace {

using nlohmann::json;

std::string layer_context(const std::string& name) { return "layer '" + name + "'"; }

// For messages: never throws (YAML input may carry invalid UTF-8, which dump() rejects).
std::string short_dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 80);
}

Status check_layer_count(const json& list) {
  if (static_cast<int64_t>(list.size()) <= limits::kMaxLayers) return Status();
  return resource_exhausted("the config lists " + std::to_string(list.size()) +
                            " layers, more than the limit of " +
                            std::to_string(limits::kMaxLayers));
}

std::string string_or(const json& j, const char* key, const std::string& fallback) {
  if (j.is_object() && j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
  return fallback;
}

// One [layer, node_index, tensor_index(, kwargs)] entry (Keras 1/2 list form, Keras 3
// keras_history, input_layers / output_layers).
Result<InboundRef> parse_ref(const json& j) {
  if (!j.is_array() || j.size() < 3 || !j[0].is_string() || !j[1].is_number_integer() ||
      !j[2].is_number_integer()) {
    return corruption("malformed tensor reference " + short_dump(j));
  }
  InboundRef ref{j[0].get<std::string>(), j[1].get<int>(), j[2].get<int>()};
  if (ref.node_index < 0 || ref.tensor_index < 0) {
    return corruption("negative index in tensor reference " + short_dump(j));
  }
  return ref;
}

bool looks_like_ref(const json& j) {
  return j.is_array() && j.size() >= 3 && j.size() <= 4 && j[0].is_string() &&
         j[1].is_number_integer() && j[2].is_number_integer();
}

// input_layers / output_layers: a list of refs, or (Keras 3) a single ref, or nested lists.
Status collect_refs(const json& j, std::vector<InboundRef>& out, int depth = 0) {
  if (depth > 8) return corruption("tensor list nested too deeply");
  if (looks_like_ref(j)) {
    QUIVER_ASSIGN_OR_RETURN(InboundRef ref, parse_ref(j));
    out.push_back(std::move(ref));
    return Status();
  }
  if (j.is_array()) {
    for (const json& item : j) QUIVER_RETURN_IF_ERROR(collect_refs(item, out, depth + 1));
    return Status();
  }
  if (j.is_object()) {  // a dict of named inputs: values in key order
    for (const auto& [key, item] : j.items()) {
      QUIVER_RETURN_IF_ERROR(collect_refs(item, out, depth + 1));
    }
    return Status();
  }
  return corruption("malformed tensor list " + short_dump(j));
}

// Keras 3 node arguments: every __keras_tensor__ found, in order.
Status collect_keras_tensors(const json& j, std::vector<InboundRef>& out, int depth = 0) {
  if (depth > 16) return corruption("node arguments nested too deeply");
  if (j.is_object()) {
    if (string_or(j, "class_name", "") == "__keras_tensor__") {
      const json& config = j.contains("config") ? j["config"] : json();
      if (!config.is_object() || !config.contains("keras_history")) {
        return corruption("__keras_tensor__ without keras_history");
      }
      QUIVER_ASSIGN_OR_RETURN(InboundRef ref, parse_ref(config["keras_history"]));
      out.push_back(std::move(ref));
      return Status();
    }
    for (const auto& [key, item] : j.items()) {
      QUIVER_RETURN_IF_ERROR(collect_keras_tensors(item, out, depth + 1));
    }
  } else if (j.is_array()) {
    for (const json& item : j) QUIVER_RETURN_IF_ERROR(collect_keras_tensors(item, out, depth + 1));
  }
  return Status();
}

// The attention layers take query / value / key by keyword too (`mha(query=x, value=y)`);
// such tensors follow the positional ones in this order, which is the call's signature order.
constexpr const char* kTensorKeywords[] = {"query", "value", "key"};

// One call's inputs, and its non-tensor keyword arguments (`use_causal_mask`, ...) in
// `kwargs` (an object).
Result<std::vector<InboundRef>> parse_node(const json& node, json& kwargs) {
  std::vector<InboundRef> refs;
  kwargs = json::object();
  if (node.is_object()) {  // Keras 3: {"args": [...], "kwargs": {...}}
    if (node.contains("args")) QUIVER_RETURN_IF_ERROR(collect_keras_tensors(node["args"], refs));
    if (!node.contains("kwargs") || !node["kwargs"].is_object()) return refs;
    for (const char* key : kTensorKeywords) {
      if (node["kwargs"].contains(key)) {
        QUIVER_RETURN_IF_ERROR(collect_keras_tensors(node["kwargs"][key], refs));
      }
    }
    for (const auto& [key, value] : node["kwargs"].items()) {
      if (std::find(std::begin(kTensorKeywords), std::end(kTensorKeywords), key) !=
          std::end(kTensorKeywords)) {
        continue;
      }
      std::vector<InboundRef> tensors;
      QUIVER_RETURN_IF_ERROR(collect_keras_tensors(value, tensors));
      if (!tensors.empty()) {
        return unimplemented("tensors passed as keyword arguments (mask=, initial_state=, ...) "
                             "are not supported");
      }
      kwargs[key] = value;
    }
    return refs;
  }
  if (!node.is_array()) return corruption("malformed inbound node " + short_dump(node));
  for (const json& entry : node) {  // Keras 1/2: [[name, node, tensor(, kwargs)], ...]
    QUIVER_ASSIGN_OR_RETURN(InboundRef ref, parse_ref(entry));
    refs.push_back(std::move(ref));
  }
  // tf.keras writes the call's other arguments in the first entry's kwargs, tensors as
  // [layer, node, tensor] (keras@v2.11.0 keras/engine/node.py::Node.serialize).
  if (!node.empty() && node[0].is_array() && node[0].size() >= 4 && node[0][3].is_object()) {
    const json& extra = node[0][3];
    for (const char* key : kTensorKeywords) {
      if (extra.contains(key) && looks_like_ref(extra[key])) {
        QUIVER_ASSIGN_OR_RETURN(InboundRef ref, parse_ref(extra[key]));
        refs.push_back(std::move(ref));
      }
    }
    for (const auto& [key, value] : extra.items()) {
      if (std::find(std::begin(kTensorKeywords), std::end(kTensorKeywords), key) ==
          std::end(kTensorKeywords)) {
        kwargs[key] = value;
      }
    }
  }
  return refs;
}

// Common part of Sequential and Functional layer entries.
Result<LayerSpec> parse_layer_entry(const json& raw, size_t index) {
  if (!raw.is_object() || !raw.contains("class_name") || !raw["class_name"].is_string()) {
    return corruption("layer #" + std::to_string(index) + " has no class_name");
  }
  json entry = raw;  // one copy per layer entry, normalised in place
  normalise_config_in_place(entry);
  LayerSpec layer;
  layer.class_name = entry["class_name"].get<std::string>();
  // A nested model keeps its own model config here; flatten_nested_models expands it.
  layer.config = entry.contains("config") ? std::move(entry["config"]) : json::object();
  if (!layer.config.is_object()) {
    return corruption("layer #" + std::to_string(index) + " (" + layer.class_name +
                      "): config is not an object");
  }
  layer.name = string_or(entry, "name", string_or(layer.config, "name", ""));
  if (layer.name.empty()) {
    return corruption("layer #" + std::to_string(index) + " (" + layer.class_name +
                      ") has no name");
  }
  return layer;
}

// The InputLayer Keras would create for a Sequential whose first layer carries the shape.
LayerSpec synthesise_input(const LayerSpec& first, const json& seq_config,
                           const std::set<std::string>& taken) {
  const json& c = first.config;
  json shape = json::array({nullptr, nullptr});
  if (c.contains("batch_input_shape") && c["batch_input_shape"].is_array()) {
    shape = c["batch_input_shape"];
  } else if (c.contains("input_shape") && c["input_shape"].is_array()) {
    shape = json::array({nullptr});
    for (const json& d : c["input_shape"]) shape.push_back(d);
  } else if (seq_config.is_object() && seq_config.contains("build_input_shape") &&
             seq_config["build_input_shape"].is_array()) {
    shape = seq_config["build_input_shape"];
  } else if (c.contains("input_length") && !c["input_length"].is_null()) {
    shape = json::array({nullptr, c["input_length"]});
  }
  std::string dtype = string_or(c, "dtype", string_or(c, "input_dtype", "float32"));
  std::string name = "input_1";
  for (int i = 1; taken.count(name); ++i) name = "input_1_" + std::to_string(i);
  LayerSpec input;
  input.name = name;
  input.class_name = "InputLayer";
  input.config = {
      {"batch_input_shape", shape}, {"dtype", dtype}, {"sparse", false}, {"name", name}};
  return input;
}

Result<ModelGraph> parse_sequential(const json& config) {
  const json* list = &config;
  if (config.is_object()) {
    if (!config.contains("layers")) return corruption("Sequential config has no \"layers\"");
    list = &config["layers"];
  }
  if (!list->is_array() || list->empty()) return corruption("Sequential config has no layers");
  QUIVER_RETURN_IF_ERROR(check_layer_count(*list));
  std::vector<LayerSpec> layers;
  std::set<std::string> names;
  for (size_t i = 0; i < list->size(); ++i) {
    QUIVER_ASSIGN_OR_RETURN(LayerSpec layer, parse_layer_entry((*list)[i], i));
    if (layer.class_name == "InputLayer" && i != 0) {
      return corruption(layer_context(layer.name) + ": InputLayer inside a Sequential");
    }
    if (!names.insert(layer.name).second) {
      return corruption("two layers are named '" + layer.name + "'");
    }
    layers.push_back(std::move(layer));
  }
  ModelGraph graph;
  if (layers.front().class_name != "InputLayer") {
    graph.layers.push_back(synthesise_input(layers.front(), config, names));
  }
  for (LayerSpec& layer : layers) {
    if (!graph.layers.empty()) layer.inbound_nodes = {{InboundRef{graph.layers.back().name}}};
    graph.layers.push_back(std::move(layer));
  }
  graph.inputs = {InboundRef{graph.layers.front().name}};
  graph.outputs = {InboundRef{graph.layers.back().name}};
  return graph;
}

Status check_refs_exist(const std::vector<InboundRef>& refs, const std::set<std::string>& names,
                        const std::string& where) {
  for (const InboundRef& ref : refs) {
    if (!names.count(ref.layer)) {
      return corruption(where + " refers to unknown layer '" + ref.layer + "'");
    }
  }
  return Status();
}

Result<ModelGraph> parse_functional(const json& config) {
  if (!config.is_object() || !config.contains("layers") || !config["layers"].is_array()) {
    return corruption("Functional config has no \"layers\" list");
  }
  ModelGraph graph;
  std::set<std::string> names;
  const json& list = config["layers"];
  QUIVER_RETURN_IF_ERROR(check_layer_count(list));
  for (size_t i = 0; i < list.size(); ++i) {
    QUIVER_ASSIGN_OR_RETURN(LayerSpec layer, parse_layer_entry(list[i], i));
    if (!names.insert(layer.name).second) {
      return corruption("two layers are named '" + layer.name + "'");
    }
    const json& nodes = list[i].contains("inbound_nodes") ? list[i]["inbound_nodes"] : json();
    if (!nodes.is_null() && !nodes.is_array()) {
      return corruption(layer_context(layer.name) + ": inbound_nodes is not a list");
    }
    for (const json& node : nodes.is_array() ? nodes : json::array()) {
      json kwargs;
      Result<std::vector<InboundRef>> refs = parse_node(node, kwargs);
      if (!refs.ok()) return refs.status().with_context(layer_context(layer.name));
      layer.inbound_nodes.push_back(std::move(refs).value());
      layer.call_kwargs.push_back(std::move(kwargs));
    }
    graph.layers.push_back(std::move(layer));
  }
  for (const LayerSpec& layer : graph.layers) {
    for (const auto& node : layer.inbound_nodes) {
      QUIVER_RETURN_IF_ERROR(check_refs_exist(node, names, layer_context(layer.name)));
    }
  }
  for (auto [key, refs] :
       {std::pair{"input_layers", &graph.inputs}, std::pair{"output_layers", &graph.outputs}}) {
    if (!config.contains(key)) return corruption(std::string("Functional config has no ") + key);
    QUIVER_RETURN_IF_ERROR(collect_refs(config[key], *refs));
    if (refs->empty()) return corruption(std::string("Functional config: empty ") + key);
    QUIVER_RETURN_IF_ERROR(check_refs_exist(*refs, names, key));
  }
  return graph;
}

}  // namespace

void normalise_config_in_place(nlohmann::json& config) {
  // Iterative (an explicit stack of nodes still to visit), so no input depth can exhaust
  // the call stack; each node is rewritten before its children are pushed, and rewriting
  // an object's keys never moves its other values (std::map), so the pointers stay valid.
  std::vector<json*> pending = {&config};
  while (!pending.empty()) {
    json& node = *pending.back();
    pending.pop_back();
    if (node.is_array()) {
      for (json& item : node) pending.push_back(&item);
      continue;
    }
    if (!node.is_object()) continue;
    if (node.contains("class_name")) {
      node.erase("module");
      node.erase("registered_name");
    }
    auto dtype = node.find("dtype");
    if (dtype != node.end() && dtype->is_object() && dtype->contains("config") &&
        (*dtype)["config"].is_object() && (*dtype)["config"].contains("name") &&
        (*dtype)["config"]["name"].is_string()) {
      json name = std::move((*dtype)["config"]["name"]);  // DTypePolicy / Policy -> its name
      *dtype = std::move(name);
    }
    if (node.contains("batch_shape") && !node.contains("batch_input_shape")) {
      node["batch_input_shape"] = node["batch_shape"];
    }
    for (auto& [key, value] : node.items()) pending.push_back(&value);
  }
}

nlohmann::json normalise_config(const nlohmann::json& config) {
  json out = config;
  normalise_config_in_place(out);
  return out;
}

Result<ModelGraph> parse_model_config(const nlohmann::json& model_config, int depth) {
  if (!model_config.is_object() || !model_config.contains("class_name") ||
      !model_config["class_name"].is_string()) {
    return corruption("model config has no class_name");
  }
  std::string class_name = model_config["class_name"].get<std::string>();
  const json& config = model_config.contains("config") ? model_config["config"] : json();
  Result<ModelGraph> graph = corruption("");
  if (class_name == "Sequential") {
    graph = parse_sequential(config);
  } else if (class_name == "Model" || class_name == "Functional") {
    graph = parse_functional(config);
  } else {
    return unimplemented("model class '" + class_name +
                         "' is not supported (supported: Sequential, Functional/Model)");
  }
  if (!graph.ok()) return graph;
  QUIVER_RETURN_IF_ERROR(flatten_nested_models(*graph, depth));
  graph->keras_version = string_or(model_config, "keras_version", "");
  graph->backend = string_or(model_config, "backend", "");
  return graph;
}

std::string to_snake_case(const std::string& class_name) {
  // keras@v3.8.0 keras/src/utils/naming.py::to_snake_case (Keras 2 differs only for
  // class names with a digit right after a capitalised word; no Keras layer has one).
  static const std::regex kNonWord("\\W+");
  static const std::regex kWord("(.)([A-Z][a-z]+)");
  static const std::regex kLowerUpper("([a-z])([A-Z])");
  std::string name = std::regex_replace(class_name, kNonWord, "");
  name = std::regex_replace(name, kWord, "$1_$2");
  name = std::regex_replace(name, kLowerUpper, "$1_$2");
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

}  // namespace quiver::keras_io
