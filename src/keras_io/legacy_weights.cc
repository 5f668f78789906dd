// layer_names / weight_names weight layout (.h5 from model.save and save_weights).
//
// keras@2.2.4:keras/engine/saving.py::load_weights_from_hdf5_group goes by order: it keeps
// the file's layers whose weight_names is non-empty and zips them with the model's layers
// that have weights. Weight names are never interpreted (Keras 2.0 Bidirectional names
// cannot be told apart; Keras 2.2 H5Dict appends _1, _2 to duplicates).
#include <map>
#include <set>

#include "keras_io/weights_reader.h"

namespace quiver::keras_io {
namespace {

struct FileLayer {
  std::string name;
  std::vector<WeightArray> weights;
};

std::string layer_context(const std::string& name) { return "layer '" + name + "'"; }

Result<FileLayer> read_file_layer(hid_t group, const std::string& name, h5::WeightBudget& budget) {
  FileLayer layer{name, {}};
  if (!h5::is_group(group, name)) return corruption(layer_context(name) + ": weight group missing");
  Result<h5::Handle> g = h5::open_group(group, name);
  if (!g.ok()) return g.status().with_context(layer_context(name));
  Result<std::vector<std::string>> weight_names = h5::read_string_list(g->get(), "weight_names");
  if (!weight_names.ok()) {
    return corruption(layer_context(name) + ": " + weight_names.status().message());
  }
  for (const std::string& weight_name : *weight_names) {
    Result<WeightArray> array = h5::read_float_dataset(g->get(), weight_name, weight_name, budget);
    if (!array.ok()) return array.status().with_context(layer_context(name));
    layer.weights.push_back(std::move(array).value());
  }
  return layer;
}

// Classes that never own weights (used only to pair layers by order when names differ).
bool weightless_class(const std::string& c) {
  static const std::set<std::string> kWeightless = {"InputLayer",
                                                    "Dropout",
                                                    "SpatialDropout1D",
                                                    "SpatialDropout2D",
                                                    "GaussianNoise",
                                                    "GaussianDropout",
                                                    "AlphaDropout",
                                                    "Activation",
                                                    "Flatten",
                                                    "Reshape",
                                                    "Permute",
                                                    "RepeatVector",
                                                    "Masking",
                                                    "MaxPooling1D",
                                                    "AveragePooling1D",
                                                    "GlobalMaxPooling1D",
                                                    "GlobalAveragePooling1D",
                                                    "MaxPool1D",
                                                    "AvgPool1D",
                                                    "GlobalMaxPool1D",
                                                    "GlobalAvgPool1D",
                                                    "Concatenate",
                                                    "Add",
                                                    "Average",
                                                    "Multiply",
                                                    "Maximum",
                                                    "Minimum",
                                                    "Subtract",
                                                    "Dot",
                                                    "Lambda",
                                                    "ActivityRegularization",
                                                    "LeakyReLU",
                                                    "ReLU",
                                                    "ELU",
                                                    "Softmax",
                                                    "ThresholdedReLU",
                                                    "Cropping1D",
                                                    "ZeroPadding1D",
                                                    "UpSampling1D",
                                                    "TextVectorization"};
  return kWeightless.count(c) > 0;
}

Status assign_by_order(std::vector<FileLayer>& file_layers, std::vector<LayerSpec>& layers) {
  std::vector<FileLayer*> with_weights;
  for (FileLayer& f : file_layers) {
    if (!f.weights.empty()) with_weights.push_back(&f);
  }
  std::vector<LayerSpec*> targets;
  for (LayerSpec& layer : layers) {
    if (!weightless_class(layer.class_name)) targets.push_back(&layer);
  }
  if (targets.size() != with_weights.size()) {
    return corruption("the weights hold " + std::to_string(with_weights.size()) +
                      " layers with weights, the architecture has " +
                      std::to_string(targets.size()) + " (and the layer names differ)");
  }
  for (size_t i = 0; i < targets.size(); ++i)
    targets[i]->weights = std::move(with_weights[i]->weights);
  return Status();
}

// Splits a nested model's weights among its layers by the first name component that names
// one of them (the variable's name scope; Keras 2's loader instead sets them in
// model.weights order, which is the same order within each layer).
Status assign_nested(FileLayer& f, const NestedModels& nested, std::vector<LayerSpec>& layers) {
  std::map<std::string, LayerSpec*> inner;
  for (LayerSpec& l : layers) {
    auto it = nested.scope.find(l.name);
    if (it != nested.scope.end() && !it->second.empty() && it->second[0] == f.name) {
      inner[l.name] = &l;
    }
  }
  for (WeightArray& w : f.weights) {
    LayerSpec* target = nullptr;
    size_t start = 0;
    while (!target && start <= w.name.size()) {
      size_t end = w.name.find('/', start);
      if (end == std::string::npos) end = w.name.size();
      auto it = inner.find(w.name.substr(start, end - start));
      if (it != inner.end()) target = it->second;
      start = end + 1;
    }
    if (!target) {
      return corruption("nested model '" + f.name + "': weight '" + w.name +
                        "' names none of its layers");
    }
    target->weights.push_back(std::move(w));
  }
  return Status();
}

}  // namespace

Status read_layer_names_weights(hid_t group, std::vector<LayerSpec>& layers,
                                h5::WeightBudget& budget, const NestedModels& nested) {
  Result<std::vector<std::string>> names = h5::read_string_list(group, "layer_names");
  if (!names.ok()) return corruption(names.status().message());
  std::vector<FileLayer> file_layers;
  std::map<std::string, size_t> by_name;
  for (const std::string& name : *names) {
    QUIVER_ASSIGN_OR_RETURN(FileLayer layer, read_file_layer(group, name, budget));
    by_name[name] = file_layers.size();
    file_layers.push_back(std::move(layer));
  }
  std::set<std::string> spec_names;
  for (const LayerSpec& layer : layers) spec_names.insert(layer.name);
  bool names_match = true;
  for (const FileLayer& f : file_layers) {
    if (!f.weights.empty() && !spec_names.count(f.name) && !nested.class_of.count(f.name)) {
      names_match = false;
    }
  }
  if (!names_match) return assign_by_order(file_layers, layers);
  for (FileLayer& f : file_layers) {
    if (!spec_names.count(f.name) && nested.class_of.count(f.name)) {
      QUIVER_RETURN_IF_ERROR(assign_nested(f, nested, layers));
    }
  }
  for (LayerSpec& layer : layers) {
    auto it = by_name.find(layer.name);
    if (it != by_name.end()) {
      layer.weights = std::move(file_layers[it->second].weights);
    } else if (nested.scope.count(layer.name)) {
      continue;  // weights from its nested model's group (assign_nested)
    } else if (!weightless_class(layer.class_name)) {
      return corruption(layer_context(layer.name) + " (" + layer.class_name +
                        "): not in the weight file's layer_names");
    }
  }
  return Status();
}

}  // namespace quiver::keras_io
