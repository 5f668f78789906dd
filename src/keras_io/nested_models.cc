// Nested models: a Sequential or Functional model used as a layer of another model, as in
// the Keras tutorials' end-to-end models (`Sequential([vectorize_layer, model])`, or
// `keras.Model(inputs, model(vectorize_layer(inputs)))`). Keras runs the inner model's
// layers on the outer tensors (keras@3422977 keras/src/models/functional.py: a Functional
// is a Layer whose call runs its graph), so the graph is the same with the inner layers
// spliced in: inner InputLayers are replaced by the tensors the model was called on, and
// refs to the model's outputs by its inner outputs.
#include <set>

#include "keras_io/config_parser.h"
#include "quiver/limits.h"

namespace quiver::keras_io {
namespace {

constexpr int kMaxDepth = 8;

bool is_model(const std::string& c) {
  return c == "Sequential" || c == "Functional" || c == "Model";
}

}  // namespace

Status flatten_nested_models(ModelGraph& graph, int depth) {
  bool any = false;
  for (const LayerSpec& l : graph.layers) any = any || is_model(l.class_name);
  if (!any) return Status();
  if (depth >= kMaxDepth) return corruption("models nested more than 8 deep");
  std::set<std::string> names;
  for (const LayerSpec& l : graph.layers) names.insert(l.name);
  std::map<std::string, std::vector<InboundRef>> outputs_of;  // nested model -> inner outputs
  std::vector<LayerSpec> flat;
  for (LayerSpec& l : graph.layers) {
    if (!is_model(l.class_name)) {
      flat.push_back(std::move(l));
      continue;
    }
    const std::string where = "nested model '" + l.name + "' (" + l.class_name + ")";
    if (l.inbound_nodes.size() != 1) {
      return unimplemented(where + ": called " + std::to_string(l.inbound_nodes.size()) +
                           " times (a nested model called once is supported)");
    }
    Result<ModelGraph> inner_r = parse_model_config(
        nlohmann::json{{"class_name", l.class_name}, {"config", std::move(l.config)}}, depth + 1);
    if (!inner_r.ok()) return inner_r.status().with_context(where);
    ModelGraph inner = std::move(inner_r).value();
    const std::vector<InboundRef>& args = l.inbound_nodes[0];
    if (inner.inputs.size() != args.size()) {
      return corruption(where + ": called on " + std::to_string(args.size()) +
                        " tensors, it has " + std::to_string(inner.inputs.size()) + " inputs");
    }
    std::map<std::string, InboundRef> input_ref;
    for (size_t i = 0; i < args.size(); ++i) input_ref[inner.inputs[i].layer] = args[i];
    for (LayerSpec& il : inner.layers) {
      if (input_ref.count(il.name)) continue;  // its InputLayer: the outer tensor instead
      if (!names.insert(il.name).second) {
        return unimplemented(where + ": its layer '" + il.name +
                             "' has the name of another layer of the model");
      }
      for (auto& node : il.inbound_nodes) {
        for (InboundRef& r : node) {
          auto it = input_ref.find(r.layer);
          if (it != input_ref.end()) r = it->second;
        }
      }
      std::vector<std::string>& scope = graph.nested.scope[il.name];
      scope = inner.nested.scope.count(il.name) ? inner.nested.scope[il.name]
                                                 : std::vector<std::string>{};
      scope.insert(scope.begin(), l.name);
      flat.push_back(std::move(il));
    }
    for (auto& [name, cls] : inner.nested.class_of) graph.nested.class_of[name] = cls;
    graph.nested.class_of[l.name] = l.class_name;
    // An inner output that is an inner input passes the outer tensor through.
    for (InboundRef& r : inner.outputs) {
      auto it = input_ref.find(r.layer);
      if (it != input_ref.end()) r = it->second;
    }
    outputs_of[l.name] = std::move(inner.outputs);
  }
  auto redirect = [&](InboundRef& r) -> Status {
    auto it = outputs_of.find(r.layer);
    if (it == outputs_of.end()) return Status();
    if (r.tensor_index < 0 || static_cast<size_t>(r.tensor_index) >= it->second.size()) {
      return corruption("output " + std::to_string(r.tensor_index) + " of nested model '" +
                        r.layer + "' does not exist");
    }
    r = it->second[static_cast<size_t>(r.tensor_index)];
    return Status();
  };
  // Twice: a ref to a nested model may lead to the output of another nested model.
  for (int pass = 0; pass < kMaxDepth; ++pass) {
    for (LayerSpec& l : flat) {
      for (auto& node : l.inbound_nodes) {
        for (InboundRef& r : node) QUIVER_RETURN_IF_ERROR(redirect(r));
      }
    }
    for (InboundRef& r : graph.outputs) QUIVER_RETURN_IF_ERROR(redirect(r));
  }
  if (static_cast<int64_t>(flat.size()) > limits::kMaxLayers) {
    return resource_exhausted("the model and its nested models have " +
                              std::to_string(flat.size()) + " layers, more than the limit of " +
                              std::to_string(limits::kMaxLayers));
  }
  graph.layers = std::move(flat);
  return Status();
}

}  // namespace quiver::keras_io
