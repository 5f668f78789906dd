#include "train/model_writer.h"

#include <charconv>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "keras_io/hdf5.h"
#include "quiver/tokenizer.h"
#include "quiver/version.h"
#include "train/h5_writer.h"
#include "train/keras_config.h"

namespace quiver {
namespace {
const char* pad_name(PadMode m) { return m == PadMode::kPre ? "pre" : "post"; }
}  // namespace

std::string tokenizer_path_for(const std::string& model_path) {
  const auto slash = model_path.find_last_of('/');
  const auto dot = model_path.find_last_of('.');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  return (has_ext ? model_path.substr(0, dot) : model_path) + ".tokenizer.json";
}

Result<TrainedModelInfo> read_trained_model_info(const std::string& model_path) {
  {  // quiver writes .h5; a .keras archive (a zip) was not trained by quiver
    std::ifstream in(model_path, std::ios::binary);
    char magic[2] = {0, 0};
    if (in.read(magic, 2) && magic[0] == 'P' && magic[1] == 'K') {
      return not_found(model_path + ": a .keras archive (not a model trained by quiver)");
    }
  }
  QUIVER_ASSIGN_OR_RETURN(auto attrs, keras_io::read_root_string_attributes(model_path));
  return trained_model_info(attrs, model_path);
}

Result<TrainedModelInfo> trained_model_info(const std::map<std::string, std::string>& attrs,
                                            const std::string& model_path) {
  auto get = [&](const char* k) -> std::string {
    auto it = attrs.find(k);
    return it == attrs.end() ? "" : it->second;
  };
  if (!attrs.count("quiver_labels")) {
    return not_found(model_path + ": no quiver_labels attribute (not a model trained by quiver)");
  }
  TrainedModelInfo info;
  auto labels = nlohmann::json::parse(get("quiver_labels"), nullptr, false);
  if (!labels.is_array()) return corruption(model_path + ": quiver_labels is not a JSON array");
  for (const auto& l : labels) {
    if (!l.is_string()) return corruption(model_path + ": quiver_labels holds a non-string");
    info.labels.push_back(l.get<std::string>());
  }
  info.task = get("quiver_task");
  info.output = get("quiver_output");
  const std::string m = get("quiver_maxlen");
  auto [p, ec] = std::from_chars(m.data(), m.data() + m.size(), info.maxlen);
  if (ec != std::errc() || p != m.data() + m.size() || info.maxlen < 1) {
    return corruption(model_path + ": quiver_maxlen '" + m + "' is not a positive integer");
  }
  info.padding = get("quiver_padding") == "post" ? PadMode::kPost : PadMode::kPre;
  info.truncating = get("quiver_truncating") == "post" ? PadMode::kPost : PadMode::kPre;
  info.tokenizer_json = get("quiver_tokenizer");
  if (attrs.count("quiver_segmenter")) info.segmenter = get("quiver_segmenter");
  if (attrs.count("quiver_user_dict")) info.user_dict = get("quiver_user_dict");
  if (attrs.count("quiver_thresholds")) {
    auto t = parse_thresholds(get("quiver_thresholds"), info.labels.size());
    if (!t.ok()) return t.status().with_context(model_path);
    info.thresholds = std::move(t).value();
  }
  return info;
}

Status check_tokenizer_belongs(const std::string& recorded_json, const std::string& model_path,
                               const std::string& tokenizer_json,
                               const std::string& tokenizer_path) {
  if (recorded_json.empty() || recorded_json == tokenizer_json) return Status();
  const auto recorded = nlohmann::json::parse(recorded_json, nullptr, false);
  auto given = nlohmann::json::parse(tokenizer_json, nullptr, false);
  if (Tokenizer::is_pickle(tokenizer_json)) {  // compare a pickled tokenizer as its JSON
    auto t = Tokenizer::from_pickle(tokenizer_json);
    if (t.ok()) given = nlohmann::json::parse(t->to_json(), nullptr, false);
  }
  if (!recorded.is_discarded() && recorded == given) return Status();
  return corruption(tokenizer_path + " does not belong to " + model_path +
                    ": it differs from the tokenizer recorded in the model (quiver_tokenizer), so "
                    "the two files come from different training runs");
}

Result<std::vector<double>> parse_thresholds(const std::string& json, size_t labels) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_array() || j.size() != labels) {
    return corruption("quiver_thresholds: expected a JSON array of " + std::to_string(labels) +
                      " numbers, got '" + json + "'");
  }
  std::vector<double> out;
  for (const auto& v : j) {
    if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) {
      return corruption("quiver_thresholds: " + v.dump() + " is not a number in [0, 1]");
    }
    out.push_back(v.get<double>());
  }
  return out;
}

namespace train {

Status write_model_files(const ModelFiles& f) {
  const std::string tok_json = f.tokenizer.to_json();
  H5Model m;
  m.model_config = keras_model_config(f.net);
  for (const auto& slot : f.net.slots()) {
    H5Layer layer{slot.name, {}};
    int64_t offset = slot.offset;
    for (size_t i = 0; i < slot.params.size(); ++i) {
      const auto& p = slot.params[i];
      H5Weight w{slot.weight_names[i], p.shape, {}};
      w.values.assign(f.weights.begin() + offset, f.weights.begin() + offset + p.size());
      offset += p.size();
      layer.weights.push_back(std::move(w));
    }
    m.layers.push_back(std::move(layer));
  }
  nlohmann::json labels = f.labels;
  const bool sigmoid = f.net.spec().output == OutputKind::kSigmoid;
  m.string_attrs = {{"quiver_labels", labels.dump()},
                    {"quiver_task", f.task},
                    {"quiver_output", sigmoid ? "sigmoid" : "softmax"},
                    {"quiver_maxlen", std::to_string(f.net.spec().maxlen)},
                    {"quiver_padding", pad_name(f.options.padding)},
                    {"quiver_truncating", pad_name(f.options.truncating)},
                    {"quiver_tokenizer", tok_json},
                    {"quiver_segmenter", f.options.segmenter
                                             ? std::string(segmenter_mode_name(f.options.segmenter->mode()))
                                             : "none"},
                    {"quiver_version", QUIVER_VERSION}};
  // The user dictionary itself, so that predict, evaluate and serve segment as training did
  // without being given the file again.
  if (f.options.segmenter && !f.options.segmenter->user_dictionary().empty()) {
    m.string_attrs.push_back({"quiver_user_dict", f.options.segmenter->user_dictionary()});
  }
  // The model first: it records the tokenizer, so a crash between the two renames leaves
  // a new model whose own tokenizer is right and a stale side file that every reader
  // refuses (check_tokenizer_belongs).
  QUIVER_RETURN_IF_ERROR(write_keras_h5(f.model_path, m));
  return base::write_file_atomic(tokenizer_path_for(f.model_path), tok_json);
}

}  // namespace train
}  // namespace quiver
