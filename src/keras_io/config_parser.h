// Keras model configs (JSON / YAML) -> the layer graph of a ModelSpec.
//
// Accepts every config shape named in shared/KERAS.md §1.5: Sequential as a list
// (standalone 2.0-2.2.2, Keras 1) or as {"layers": [...]}, with or without an InputLayer
// entry; Functional ("Model" / "Functional") with Keras 1/2 list-form inbound nodes
// [[name, node, tensor(, kwargs)], ...] or Keras 3 dict-form {"args", "kwargs"} nodes
// holding __keras_tensor__ entries. Sequential models come out in functional form: an
// InputLayer (synthesised when absent) followed by a chain of single-input calls.
// Errors carry no file name; the caller adds it. Thread-safe (no shared state).
#ifndef QUIVER_KERAS_IO_CONFIG_PARSER_H_
#define QUIVER_KERAS_IO_CONFIG_PARSER_H_

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "keras_io/model_spec.h"
#include "quiver/status.h"

namespace quiver::keras_io {

// Parses the text of an architecture file: model.to_json() or model.to_yaml() output.
// Documents that are themselves a string holding JSON/YAML (double- or triple-encoded
// saves) are decoded again. YAML tags from PyYAML's Python dumper are mapped to plain
// data: !!python/tuple -> list, !!python/unicode / !!python/str -> string, other tags ->
// the node's own value. InvalidArgument when the text is neither, or is not an object.
Result<nlohmann::json> parse_architecture_text(const std::string& text);

// Parses JSON text that must be an object (config.json, the model_config attribute).
// Also decodes one level of string encoding. Corruption when it is not valid JSON.
Result<nlohmann::json> parse_config_json(const std::string& text);

// Returns `config` normalised for consumers: Keras 3 {"module", "class_name", "config",
// "registered_name"} wrappers lose "module" and "registered_name" (recursively, including
// a wrapper's inner "layer"); a "dtype" that is a policy object becomes the policy name;
// an object with "batch_shape" also gets it as "batch_input_shape". Other keys are kept.
// Iterative: any depth is safe. normalise_config_in_place rewrites `config` itself.
nlohmann::json normalise_config(const nlohmann::json& config);
void normalise_config_in_place(nlohmann::json& config);

// The graph part of a ModelSpec (layers without weights, inputs, outputs), plus the
// keras_version / backend an architecture JSON may carry at its top level.
// Models nested in the model (a Sequential or Functional used as a layer) are flattened
// into the graph; what the weight readers need to find their weights is kept here.
struct NestedModels {
  std::map<std::string, std::string> class_of;  // nested model name -> "Sequential", ...
  // layer name -> the nested models around it, outermost first (absent: top level)
  std::map<std::string, std::vector<std::string>> scope;
};

struct ModelGraph {
  std::vector<LayerSpec> layers;
  std::vector<InboundRef> inputs;
  std::vector<InboundRef> outputs;
  std::string keras_version;
  std::string backend;
  NestedModels nested;
};

// `model_config` is {"class_name": "Sequential" | "Model" | "Functional", "config": ...}.
// A nested model (called once) is replaced by its layers, wired to the outer tensors it was
// called on; refs to its outputs become refs to its inner outputs (nested_models.cc).
// Errors: Corruption (malformed config, unknown layer referenced), Unimplemented (other
// model classes, a nested model called several times or sharing a layer name with the
// outer model, tensors passed as keyword arguments). `depth` is the nesting level of
// `model_config` (0 for the model itself); models nested more than 8 deep are refused.
Result<ModelGraph> parse_model_config(const nlohmann::json& model_config, int depth = 0);

// Flattens the nested models of `graph` (called by parse_model_config; `depth` counts the
// nesting levels above).
Status flatten_nested_models(ModelGraph& graph, int depth);

// Keras' to_snake_case for a class name ("SimpleRNN" -> "simple_rnn", "Conv1D" ->
// "conv1d"), as used to key layers in .keras weight files.
std::string to_snake_case(const std::string& class_name);

}  // namespace quiver::keras_io

#endif  // QUIVER_KERAS_IO_CONFIG_PARSER_H_
