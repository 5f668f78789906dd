// Weight layout of .keras archives and Keras 3 .weights.h5 (shared/KERAS.md §1.4).
//
// keras@v3.8.0:keras/src/saving/saving_lib.py::_save_container_state keys each layer by
// to_snake_case(class name) plus a per-class counter ("dense", "dense_1", ...) in
// model.layers order, not by layer.name. tf.keras 2.13 wrote the same keys under
// _layer_checkpoint_dependencies/ and counted a layer once per dependency entry, skipping
// layers already saved, so its counters can have gaps. Taking a class's groups in
// counter order and pairing them with that class's layers in config order covers both.
// A Sequential's model.layers omits its InputLayer, so InputLayers may have no group.
#include <algorithm>
#include <map>

#include "keras_io/config_parser.h"
#include "keras_io/weights_reader.h"

namespace quiver::keras_io {
namespace {

// Sub-objects that hold a layer's weights, in get_weights() order (own vars first;
// Bidirectional: forward then backward; MultiHeadAttention: its query, key, value and output
// EinsumDense, under their public property names in Keras 3 (saving_lib walks dir(), which
// visits them before the private attributes) and the private ones in tf.keras 2.13).
// Others (seed_generator, _lookup_layer, ...) hold no weights.
constexpr const char* kWeightChildren[] = {
    "cell",         "forward_layer", "backward_layer", "layer",         "query_dense",
    "key_dense",    "value_dense",   "output_dense",   "_query_dense",  "_key_dense",
    "_value_dense", "_output_dense"};
constexpr int kMaxNesting = 8;

std::string layer_context(const LayerSpec& layer) {
  return "layer '" + layer.name + "' (" + layer.class_name + ")";
}

// Parses "dense" -> 0, "dense_12" -> 12 for class key "dense"; -1 if not this class.
long key_counter(const std::string& key, const std::string& snake) {
  if (key == snake) return 0;
  if (key.size() <= snake.size() + 1 || key.compare(0, snake.size(), snake) != 0 ||
      key[snake.size()] != '_') {
    return -1;
  }
  std::string digits = key.substr(snake.size() + 1);
  if (digits.size() > 9 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return -1;
  return std::stol(digits);
}

Status read_vars(hid_t file, const h5::TreeNode& object, const std::string& path,
                 std::vector<WeightArray>& out, int depth, h5::WeightBudget& budget) {
  if (depth > kMaxNesting) return corruption("objects nested too deeply at '" + path + "'");
  if (const h5::TreeNode* vars = object.find("vars")) {
    // Layer variables are "0".."n-1"; named entries (index_lookup.py::save_own_variables
    // writes "idf_weights") follow them in name order.
    size_t numbered = 0;
    while (vars->children.count(std::to_string(numbered))) ++numbered;
    std::vector<std::string> keys;
    for (size_t i = 0; i < numbered; ++i) keys.push_back(std::to_string(i));
    for (const auto& [key, child] : vars->children) {
      if (key.empty() || !std::all_of(key.begin(), key.end(), ::isdigit)) {
        keys.push_back(key);
      } else if (std::stoul(key.substr(0, 9)) >= numbered) {
        return corruption("'" + path + "/vars' has no dataset '" + std::to_string(numbered) + "'");
      }
    }
    for (const std::string& key : keys) {
      const h5::TreeNode& node = vars->children.at(key);
      if (!node.is_dataset) return corruption("'" + path + "/vars/" + key + "' is not a dataset");
      QUIVER_ASSIGN_OR_RETURN(WeightArray array,
                              h5::read_float_dataset(file, node.actual_path, path + "/vars/" + key,
                                                     budget));
      out.push_back(std::move(array));
    }
  }
  for (const char* child : kWeightChildren) {
    if (const h5::TreeNode* node = object.find(child)) {
      QUIVER_RETURN_IF_ERROR(read_vars(file, *node, path + "/" + child, out, depth + 1, budget));
    }
  }
  return Status();
}

const h5::TreeNode* find_container(const h5::TreeNode& tree, std::string& name) {
  for (const char* candidate : {"layers", "_layer_checkpoint_dependencies"}) {
    const h5::TreeNode* node = tree.find(candidate);
    if (node && !node->children.empty()) {
      name = candidate;
      return node;
    }
  }
  return nullptr;
}

}  // namespace

namespace {

// One saveable of a container level: a layer, or a nested model (its layers one level down).
struct Entry {
  std::string snake;
  LayerSpec* layer = nullptr;
  std::string model;
};

Status assign_level(hid_t file, const h5::TreeNode& container, const std::string& path,
                    const std::vector<LayerSpec*>& members, size_t level,
                    const NestedModels& nested, h5::WeightBudget& budget) {
  std::vector<Entry> entries;
  std::map<std::string, std::vector<LayerSpec*>> model_members;
  for (LayerSpec* l : members) {
    auto sc = nested.scope.find(l->name);
    if (sc == nested.scope.end() || sc->second.size() <= level) {
      entries.push_back(Entry{to_snake_case(l->class_name), l, ""});
      continue;
    }
    const std::string& model = sc->second[level];
    if (!model_members.count(model)) {
      auto cls = nested.class_of.find(model);
      std::string c = cls == nested.class_of.end() || cls->second == "Model" ? "Functional"
                                                                             : cls->second;
      entries.push_back(Entry{to_snake_case(c), nullptr, model});
    }
    model_members[model].push_back(l);
  }
  // Group the container's keys by class, in counter order.
  std::map<std::string, std::vector<std::pair<long, std::string>>> keys_by_class;
  std::map<std::string, size_t> used;
  for (const Entry& e : entries) {
    if (keys_by_class.count(e.snake)) continue;
    auto& keys = keys_by_class[e.snake];
    for (const auto& [key, node] : container.children) {
      long counter = key_counter(key, e.snake);
      if (counter >= 0) keys.emplace_back(counter, key);
    }
    std::sort(keys.begin(), keys.end());
  }
  for (const Entry& e : entries) {
    auto& keys = keys_by_class[e.snake];
    size_t index = used[e.snake]++;
    const std::string what = e.layer ? layer_context(*e.layer) : "nested model '" + e.model + "'";
    if (index >= keys.size()) {
      // InputLayers (a Sequential's model.layers omits them) and preprocessing layers
      // written by Keras versions that gave them no vars group hold no weights.
      if (e.layer && (e.layer->class_name == "InputLayer" ||
                      e.layer->class_name == "TextVectorization")) {
        continue;
      }
      return corruption(what + ": weight group '" + path + "/" + e.snake +
                        (index ? "_" + std::to_string(index) : "") + "' missing");
    }
    const std::string& key = keys[index].second;
    const h5::TreeNode& node = container.children.at(key);
    if (e.layer) {
      e.layer->object_path = path + "/" + key;
      Status s = read_vars(file, node, path + "/" + key, e.layer->weights, 0, budget);
      if (!s.ok()) return s.with_context(what);
      continue;
    }
    const h5::TreeNode* inner = node.find("layers");
    if (!inner || level >= static_cast<size_t>(kMaxNesting)) {
      return corruption(what + ": '" + path + "/" + key + "/layers' missing");
    }
    QUIVER_RETURN_IF_ERROR(assign_level(file, *inner, path + "/" + key + "/layers",
                                        model_members[e.model], level + 1, nested, budget));
  }
  return Status();
}

}  // namespace

Status read_saveable_weights(hid_t file, const h5::TreeNode& tree, std::vector<LayerSpec>& layers,
                             h5::WeightBudget& budget, const NestedModels& nested) {
  std::string container_name;
  const h5::TreeNode* container = find_container(tree, container_name);
  if (!container) return corruption("weights file has no 'layers' group");
  std::vector<LayerSpec*> members;
  for (LayerSpec& l : layers) members.push_back(&l);
  return assign_level(file, *container, container_name, members, 0, nested, budget);
}

}  // namespace quiver::keras_io
