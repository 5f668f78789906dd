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
// Bidirectional: forward then backward). Others (seed_generator, ...) hold no weights.
constexpr const char* kWeightChildren[] = {"cell", "forward_layer", "backward_layer", "layer"};
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
                 std::vector<WeightArray>& out, int depth) {
  if (depth > kMaxNesting) return corruption("objects nested too deeply at '" + path + "'");
  if (const h5::TreeNode* vars = object.find("vars")) {
    for (size_t i = 0; i < vars->children.size(); ++i) {
      auto it = vars->children.find(std::to_string(i));
      if (it == vars->children.end() || !it->second.is_dataset) {
        return corruption("'" + path + "/vars' has no dataset '" + std::to_string(i) + "'");
      }
      QUIVER_ASSIGN_OR_RETURN(WeightArray array,
                              h5::read_float_dataset(file, it->second.actual_path,
                                                     path + "/vars/" + std::to_string(i)));
      out.push_back(std::move(array));
    }
  }
  for (const char* child : kWeightChildren) {
    if (const h5::TreeNode* node = object.find(child)) {
      QUIVER_RETURN_IF_ERROR(read_vars(file, *node, path + "/" + child, out, depth + 1));
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

Status read_saveable_weights(hid_t file, const h5::TreeNode& tree, std::vector<LayerSpec>& layers) {
  std::string container_name;
  const h5::TreeNode* container = find_container(tree, container_name);
  if (!container) return corruption("weights file has no 'layers' group");
  // Group the container's keys by class, in counter order.
  std::map<std::string, std::vector<std::pair<long, std::string>>> keys_by_class;
  std::map<std::string, size_t> used;
  for (const LayerSpec& layer : layers) {
    std::string snake = to_snake_case(layer.class_name);
    if (keys_by_class.count(snake)) continue;
    auto& keys = keys_by_class[snake];
    for (const auto& [key, node] : container->children) {
      long counter = key_counter(key, snake);
      if (counter >= 0) keys.emplace_back(counter, key);
    }
    std::sort(keys.begin(), keys.end());
  }
  for (LayerSpec& layer : layers) {
    std::string snake = to_snake_case(layer.class_name);
    auto& keys = keys_by_class[snake];
    size_t index = used[snake]++;
    if (index >= keys.size()) {
      if (layer.class_name == "InputLayer") continue;
      return corruption(layer_context(layer) + ": weight group '" + container_name + "/" + snake +
                        (index ? "_" + std::to_string(index) : "") + "' missing");
    }
    const std::string& key = keys[index].second;
    Status s =
        read_vars(file, container->children.at(key), container_name + "/" + key, layer.weights, 0);
    if (!s.ok()) return s.with_context(layer_context(layer));
  }
  return Status();
}

}  // namespace quiver::keras_io
