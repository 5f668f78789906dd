// Nested models: a Sequential or Functional model used as a layer of another model, as in
// the Keras tutorials' end-to-end models (`Sequential([vectorize_layer, model])`, or
// `keras.Model(inputs, model(vectorize_layer(inputs)))`). Keras runs the inner model's
// layers on the outer tensors (keras@3422977 keras/src/models/functional.py: a Functional
// is a Layer whose call runs its graph), so the graph is the same with the inner layers
// spliced in: inner InputLayers are replaced by the tensors the model was called on, and
// refs to the model's outputs by its inner outputs.
#include <algorithm>
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
  // nested model -> per call, its inner outputs
  std::map<std::string, std::vector<std::vector<InboundRef>>> outputs_of;
  std::vector<LayerSpec> flat;
  for (LayerSpec& l : graph.layers) {
    if (!is_model(l.class_name)) {
      flat.push_back(std::move(l));
      continue;
    }
    const std::string where = "nested model '" + l.name + "' (" + l.class_name + ")";
    const size_t calls = l.inbound_nodes.size();
    if (calls == 0) return unimplemented(where + ": never called in the model's graph");
    Result<ModelGraph> inner_r = parse_model_config(
        nlohmann::json{{"class_name", l.class_name}, {"config", std::move(l.config)}}, depth + 1);
    if (!inner_r.ok()) return inner_r.status().with_context(where);
    ModelGraph inner = std::move(inner_r).value();
    for (const std::vector<InboundRef>& args : l.inbound_nodes) {
      if (inner.inputs.size() != args.size()) {
        return corruption(where + ": called on " + std::to_string(args.size()) +
                          " tensors, it has " + std::to_string(inner.inputs.size()) + " inputs");
      }
    }
    // A model called several times shares its layers (as a shared layer: one object, one
    // node per call; functional.py runs the same layers on each call's tensors). Call c of
    // the model is call c * n + k of an inner layer that the inner graph calls n times.
    std::map<std::string, size_t> input_index, inner_calls;
    for (size_t i = 0; i < inner.inputs.size(); ++i) input_index[inner.inputs[i].layer] = i;
    for (const LayerSpec& il : inner.layers) {
      inner_calls[il.name] = std::max<size_t>(il.inbound_nodes.size(), 1);
    }
    auto map_ref = [&](InboundRef r, size_t c) {
      if (auto in = input_index.find(r.layer); in != input_index.end()) {
        return l.inbound_nodes[c][in->second];  // its InputLayer: the outer tensor instead
      }
      const size_t n = inner_calls.count(r.layer) ? inner_calls[r.layer] : 1;
      const size_t node = r.node_index >= 0 && static_cast<size_t>(r.node_index) >= n && n == 1
                              ? 0
                              : static_cast<size_t>(r.node_index);
      r.node_index = static_cast<int>(c * n + node);
      return r;
    };
    for (LayerSpec& il : inner.layers) {
      if (input_index.count(il.name)) continue;  // its InputLayer: the outer tensors instead
      if (!names.insert(il.name).second) {
        return unimplemented(where + ": its layer '" + il.name +
                             "' has the name of another layer of the model");
      }
      std::vector<std::vector<InboundRef>> nodes;
      std::vector<nlohmann::json> kwargs;
      for (size_t c = 0; c < calls; ++c) {
        for (size_t k = 0; k < il.inbound_nodes.size(); ++k) {
          std::vector<InboundRef> node;
          for (const InboundRef& r : il.inbound_nodes[k]) node.push_back(map_ref(r, c));
          nodes.push_back(std::move(node));
          kwargs.push_back(k < il.call_kwargs.size() ? il.call_kwargs[k] : nlohmann::json::object());
        }
      }
      il.inbound_nodes = std::move(nodes);
      il.call_kwargs = std::move(kwargs);
      std::vector<std::string>& scope = graph.nested.scope[il.name];
      scope = inner.nested.scope.count(il.name) ? inner.nested.scope[il.name]
                                                 : std::vector<std::string>{};
      scope.insert(scope.begin(), l.name);
      flat.push_back(std::move(il));
    }
    for (auto& [name, cls] : inner.nested.class_of) graph.nested.class_of[name] = cls;
    graph.nested.class_of[l.name] = l.class_name;
    // Per call: the inner outputs (an inner output that is an inner input passes the
    // outer tensor through).
    std::vector<std::vector<InboundRef>>& outs = outputs_of[l.name];
    for (size_t c = 0; c < calls; ++c) {
      outs.emplace_back();
      for (const InboundRef& r : inner.outputs) outs.back().push_back(map_ref(r, c));
    }
  }
  auto redirect = [&](InboundRef& r) -> Status {
    auto it = outputs_of.find(r.layer);
    if (it == outputs_of.end()) return Status();
    size_t call = static_cast<size_t>(std::max(r.node_index, 0));
    if (call >= it->second.size() && it->second.size() == 1) call = 0;  // counted elsewhere
    if (r.node_index < 0 || call >= it->second.size()) {
      return corruption("call " + std::to_string(r.node_index) + " of nested model '" + r.layer +
                        "' does not exist");
    }
    const std::vector<InboundRef>& outs = it->second[call];
    if (r.tensor_index < 0 || static_cast<size_t>(r.tensor_index) >= outs.size()) {
      return corruption("output " + std::to_string(r.tensor_index) + " of nested model '" +
                        r.layer + "' does not exist");
    }
    r = outs[static_cast<size_t>(r.tensor_index)];
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
