// read_model: format detection and the two container formats (HDF5, .keras zip).
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include "base/file.h"
#include "base/json_depth.h"
#include "quiver/limits.h"
#include "keras_io/config_parser.h"
#include "keras_io/h5_objects.h"
#include "keras_io/hdf5.h"
#include "keras_io/quiver_checksum.h"
#include "keras_io/model_spec.h"
#include "keras_io/weights_reader.h"
#include "keras_io/zip_archive.h"

namespace quiver::keras_io {
namespace {

using nlohmann::json;

constexpr char kHdf5Signature[] = "\x89HDF\r\n\x1a\n";

// HDF5 looks for its superblock at 0, 512, 1024, 2048, ... (a user block may precede it).
bool is_hdf5(const std::string& bytes) {
  for (size_t offset = 0; offset + 8 <= bytes.size(); offset = offset ? offset * 2 : 512) {
    if (std::memcmp(bytes.data() + offset, kHdf5Signature, 8) == 0) return true;
  }
  return false;
}

bool is_zip(const std::string& bytes) {
  return bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K' &&
         ((bytes[2] == 3 && bytes[3] == 4) || (bytes[2] == 5 && bytes[3] == 6));
}

int major_of(const std::string& version, int fallback) {
  if (version.empty() || version[0] < '0' || version[0] > '9') return fallback;
  return version[0] - '0';
}

// "2.2.4-tf", 2.4+ (tf.keras) and 3.x are told apart by keras_version.
std::string h5_format(const std::string& version) {
  int major = major_of(version, 2);
  if (major >= 3) return "keras3-h5";
  if (version.find("-tf") != std::string::npos) return "tf.keras-h5";
  int minor = 0;
  if (version.size() > 2 && version[1] == '.') minor = std::atoi(version.c_str() + 2);
  return major == 2 && minor >= 4 ? "tf.keras-h5" : "keras2-h5";
}

// Moves the graph's layers, inputs and outputs (not its version strings) into a spec.
ModelSpec spec_from_graph(ModelGraph&& graph) {
  ModelSpec spec;
  spec.layers = std::move(graph.layers);
  spec.inputs = std::move(graph.inputs);
  spec.outputs = std::move(graph.outputs);
  return spec;
}

Result<ModelGraph> graph_from_architecture(const std::string& architecture_path) {
  QUIVER_ASSIGN_OR_RETURN(std::string text, base::read_file(architecture_path, 1 << 28));
  Result<json> config = parse_architecture_text(text);
  if (!config.ok()) return config.status().with_context(architecture_path);
  Result<ModelGraph> graph = parse_model_config(*config);
  if (!graph.ok()) return graph.status().with_context(architecture_path);
  return graph;
}

// The graph from the file's own model_config attribute, or from the architecture file.
Result<ModelGraph> h5_graph(hid_t file, const ReadOptions& options, bool& weights_only) {
  weights_only = !h5::has_attribute(file, "model_config");
  if (!options.architecture_path.empty()) return graph_from_architecture(options.architecture_path);
  if (weights_only) {
    return invalid_argument(
        "no model_config attribute (weights-only file?); pass the "
        "architecture JSON/YAML file (--architecture)");
  }
  Result<std::vector<std::string>> text = h5::read_string_attribute(file, "model_config");
  if (!text.ok()) return text.status();
  if (text->size() != 1) return corruption("model_config attribute is not one string");
  QUIVER_ASSIGN_OR_RETURN(json config, parse_config_json(text->front()));
  return parse_model_config(config);
}

// The weights' error, or the memory limit's when they would not fit (whatever else failed).
Status within_budget(const h5::WeightBudget& budget, Status read) {
  if (!budget.exceeded()) return read;
  return resource_exhausted("the weights need " + std::to_string(budget.needed) +
                            " bytes as float32, more than the memory limit of " +
                            std::to_string(budget.limit) + " bytes (max_memory_bytes)");
}

Status h5_weights(hid_t file, std::vector<LayerSpec>& layers, const NestedModels& nested,
                  h5::WeightBudget& budget) {
  if (h5::is_group(file, "model_weights")) {
    QUIVER_ASSIGN_OR_RETURN(h5::Handle group, h5::open_group(file, "model_weights"));
    return read_layer_names_weights(group.get(), layers, budget, nested);
  }
  if (h5::has_attribute(file, "layer_names") || h5::has_attribute(file, "layer_names0")) {
    return read_layer_names_weights(file, layers, budget, nested);
  }
  if (h5::is_group(file, "layers") || h5::is_group(file, "_layer_checkpoint_dependencies")) {
    QUIVER_ASSIGN_OR_RETURN(h5::TreeNode tree, h5::build_tree(file));
    return read_saveable_weights(file, tree, layers, budget, nested);
  }
  return corruption(
      "no weights: neither a model_weights group, a layer_names attribute nor "
      "a layers group");
}

Result<ModelSpec> read_h5(std::string bytes, const ReadOptions& options) {
  Hdf5Lock lock;
  QUIVER_ASSIGN_OR_RETURN(h5::Handle file, h5::open_image(bytes));
  std::string().swap(bytes);  // HDF5 holds its own copy of the image now
  bool weights_only = false;
  QUIVER_ASSIGN_OR_RETURN(ModelGraph graph, h5_graph(file.get(), options, weights_only));
  h5::WeightBudget budget{static_cast<uint64_t>(options.max_memory_bytes)};
  QUIVER_RETURN_IF_ERROR(
      within_budget(budget, h5_weights(file.get(), graph.layers, graph.nested, budget)));
  // A file quiver wrote: refused when what it holds is not what quiver recorded.
  QUIVER_RETURN_IF_ERROR(
      verify_checksum(file.get(), static_cast<uint64_t>(options.max_memory_bytes)));
  ModelSpec spec = spec_from_graph(std::move(graph));
  spec.keras_version = h5::string_attribute_or_empty(file.get(), "keras_version");
  spec.backend = h5::string_attribute_or_empty(file.get(), "backend");
  if (spec.keras_version.empty()) spec.keras_version = graph.keras_version;
  if (spec.backend.empty()) spec.backend = graph.backend;
  bool saveable_layout = !h5::is_group(file.get(), "model_weights") &&
                         !h5::has_attribute(file.get(), "layer_names") &&
                         !h5::has_attribute(file.get(), "layer_names0");
  // No version anywhere: Keras 1.0/1.1 wrote none (1.2+ and every 2.x write it); Keras 3
  // .weights.h5 files carry none either.
  spec.keras_major = major_of(spec.keras_version, saveable_layout ? 3 : 1);
  spec.format = weights_only ? "weights-h5" : h5_format(spec.keras_version);
  // quiver's own metadata (quiver_* root attributes), from this same open file.
  QUIVER_ASSIGN_OR_RETURN(auto root_attributes, h5::root_string_attributes(file.get()));
  for (auto& [name, value] : root_attributes) {
    if (name.rfind("quiver_", 0) == 0) spec.metadata.emplace(name, std::move(value));
  }
  return spec;
}

struct ZipMembers {
  std::string config;
  std::string metadata;  // "" when absent
  std::string weights;
  std::map<std::string, std::string> assets;  // members under assets/, by normalised name
};

constexpr uint64_t kMaxAssetBytes = uint64_t{1} << 28;  // all asset files together

// Takes what read_zip needs out of the archive, so the archive's bytes can be dropped
// before HDF5 copies the weights image.
Result<ZipMembers> read_zip_members(std::string bytes, int64_t max_bytes) {
  QUIVER_ASSIGN_OR_RETURN(ZipArchive archive, ZipArchive::open(std::move(bytes)));
  for (const char* member : {"config.json", "model.weights.h5"}) {
    if (!archive.contains(member)) {
      return corruption(std::string(member) + " missing from the .keras archive");
    }
  }
  ZipMembers members;
  QUIVER_ASSIGN_OR_RETURN(members.config, archive.read("config.json", 1 << 28));
  if (archive.contains("metadata.json")) {
    QUIVER_ASSIGN_OR_RETURN(members.metadata, archive.read("metadata.json", 1 << 20));
  }
  QUIVER_ASSIGN_OR_RETURN(members.weights,
                          archive.read("model.weights.h5", static_cast<uint64_t>(max_bytes)));
  const uint64_t max_asset_bytes = std::min(kMaxAssetBytes, static_cast<uint64_t>(max_bytes));
  uint64_t asset_bytes = 0;
  for (const std::string& name : archive.names()) {
    if (name.rfind("assets/", 0) != 0 || name.back() == '/') continue;
    Result<std::string> data = archive.read(name, max_asset_bytes - asset_bytes);
    if (!data.ok()) return data.status().with_context(name);
    asset_bytes += data->size();
    members.assets.emplace(name, std::move(*data));
  }
  return members;
}

struct ZipMetadata {
  std::string keras_version;                   // "" when absent
  std::map<std::string, std::string> quiver;  // see ModelSpec::metadata
};

Result<ZipMetadata> zip_metadata(const std::string& text) {
  ZipMetadata out;
  if (text.empty()) return out;
  QUIVER_RETURN_IF_ERROR(base::check_json_depth(text, limits::kMaxConfigDepth, "metadata.json"));
  json meta = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!meta.is_object()) return corruption("metadata.json is not a JSON object");
  if (meta.contains("keras_version") && meta["keras_version"].is_string()) {
    out.keras_version = meta["keras_version"].get<std::string>();
  }
  if (auto q = meta.find("quiver"); q != meta.end()) {
    if (!q->is_object()) return corruption("metadata.json: \"quiver\" is not a JSON object");
    for (const auto& [key, value] : q->items()) {
      if (key.rfind("quiver_", 0) != 0 || !value.is_string()) {
        return corruption("metadata.json: quiver." + key +
                          ": expected a quiver_* key with a string value");
      }
      out.quiver[key] = value.get<std::string>();
    }
  }
  return out;
}

// saving_lib.py::_save_state calls save_assets(assets_store.make(inner_path)) with the
// same inner path as the layer's weights, so a layer's files sit under
// assets/<object_path>/ (keras@3422977 keras/src/saving/saving_lib.py lines 804-805).
void attach_assets(std::map<std::string, std::string> assets, std::vector<LayerSpec>& layers) {
  for (LayerSpec& layer : layers) {
    if (layer.object_path.empty()) continue;
    const std::string prefix = "assets/" + layer.object_path + "/";
    for (auto it = assets.lower_bound(prefix);
         it != assets.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      layer.assets.emplace(it->first.substr(prefix.size()), it->second);
    }
  }
}

Result<ModelSpec> read_zip(std::string bytes, const ReadOptions& options) {
  QUIVER_ASSIGN_OR_RETURN(ZipMembers members,
                          read_zip_members(std::move(bytes), options.max_memory_bytes));
  Result<json> config = parse_config_json(members.config);
  if (!config.ok()) return config.status().with_context("config.json");
  QUIVER_ASSIGN_OR_RETURN(ModelGraph graph, parse_model_config(*config));
  QUIVER_ASSIGN_OR_RETURN(ZipMetadata meta, zip_metadata(members.metadata));
  {
    Hdf5Lock lock;
    Result<h5::Handle> file = h5::open_image(members.weights);
    if (!file.ok()) return file.status().with_context("model.weights.h5");
    std::string().swap(members.weights);  // HDF5 holds its own copy of the image now
    QUIVER_ASSIGN_OR_RETURN(h5::TreeNode tree, h5::build_tree(file->get()));
    h5::WeightBudget budget{static_cast<uint64_t>(options.max_memory_bytes)};
    Status s = within_budget(
        budget, read_saveable_weights(file->get(), tree, graph.layers, budget, graph.nested));
    if (!s.ok()) return s.with_context("model.weights.h5");
  }
  attach_assets(std::move(members.assets), graph.layers);
  ModelSpec spec = spec_from_graph(std::move(graph));
  spec.format = "keras-zip";
  spec.keras_version = meta.keras_version;
  spec.keras_major = major_of(meta.keras_version, 3);
  spec.metadata = std::move(meta.quiver);
  return spec;
}

}  // namespace

Result<ModelSpec> read_model(const std::string& path, const ReadOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return unimplemented(path +
                         ": a directory (a TensorFlow SavedModel?); quiver reads Keras "
                         ".h5 and .keras files");
  }
  QUIVER_ASSIGN_OR_RETURN(std::string bytes,
                          base::read_file(path, static_cast<size_t>(options.max_memory_bytes)));
  return read_model_bytes(std::move(bytes), path, options);
}

Result<ModelSpec> read_model_bytes(std::string bytes, const std::string& name,
                                   const ReadOptions& options) {
  Result<ModelSpec> spec = corruption("empty file");
  if (is_zip(bytes)) {
    spec = read_zip(std::move(bytes), options);
  } else if (is_hdf5(bytes)) {
    spec = read_h5(std::move(bytes), options);
  } else if (!bytes.empty()) {
    spec = corruption("not a Keras model file (neither HDF5 nor a .keras zip archive)");
  }
  if (!spec.ok()) return spec.status().with_context(name);
  spec->path = name;
  return spec;
}

}  // namespace quiver::keras_io
