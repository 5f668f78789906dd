// TextVectorization's config and vocabulary (the rules are in text/text_vectorization.h).
#include "nn/text_vectorization.h"

#include "base/check.h"

namespace quiver::nn {
namespace {

using Config = text::TextVectorizationConfig;

// A string option among `names` (null allowed when `none` is given).
template <typename E>
Status read_choice(ConfigReader& r, const LayerContext& ctx, const char* key,
                   std::initializer_list<std::pair<const char*, E>> names, E* out) {
  // Not r.get(): it reads null as absent, but here null is Keras' None (no standardize /
  // no split), not the default.
  const nlohmann::json& c = ctx.spec.config;
  if (!c.is_object() || !c.contains(key)) return Status();  // *out keeps the Keras default
  const nlohmann::json* v = &c[key];
  for (const auto& [name, value] : names) {
    if ((v->is_null() && name == nullptr) || (v->is_string() && name && *v == name)) {
      *out = value;
      return Status();
    }
  }
  return ctx.unimplemented(std::string(key) + " " + json_text(*v) + " is not supported");
}

// The name a config gives a Python callable: tf.keras writes the function's __name__
// (json_utils.get_json_type: "misc functions ... return obj.__name__"), Keras 3
// serialize_keras_object {"class_name": "function", "config": name} (module and
// registered_name are dropped by normalise_config); "" when `v` is not one.
std::string callable_in_config(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.value("class_name", "") == "function" && v.contains("config") &&
      v["config"].is_string()) {
    return v["config"].get<std::string>();
  }
  if (v.is_object() && v.value("class_name", "") == "__lambda__") return "<lambda>";
  return "";
}

// standardize / split given as a Python callable: its registered C++ implementation, or a
// refusal naming the callable (ctx.where() names the file and the layer).
template <typename Fn>
Status read_callable(const LayerContext& ctx, const char* key, const Fn* (*find)(std::string_view),
                     const char* register_fn, bool* is_callable, Fn* out) {
  const nlohmann::json& c = ctx.spec.config;
  *is_callable = false;
  if (!c.is_object() || !c.contains(key) || c[key].is_null()) return Status();
  const std::string name = callable_in_config(c[key]);
  static const char* const kBuiltins[] = {"lower_and_strip_punctuation", "lower",
                                          "strip_punctuation", "whitespace", "character"};
  for (const char* b : kBuiltins) {
    if (name == b) return Status();
  }
  if (name.empty()) return Status();  // not a name: read_choice refuses it
  *is_callable = true;
  if (const Fn* fn = find(name)) {
    *out = *fn;
    return Status();
  }
  return ctx.unimplemented(
      std::string(key) + " is the Python callable '" + name +
      "', which cannot run here; register a C++ implementation under that name with "
      "quiver::" + register_fn + " before loading the model (include/quiver/layer_registry.h, "
      "docs/nn.md \"TextVectorization\")");
}

Status read_ngrams(ConfigReader& r, Config* c) {
  const nlohmann::json* v = r.get("ngrams");
  if (!v || v->is_null()) return Status();
  if (v->is_number_integer()) {
    for (int w = 1; w <= v->get<int>() && w <= 64; ++w) c->ngrams.push_back(w);
    if (v->get<int64_t>() < 1 || v->get<int64_t>() > 64) r.fail("ngrams " + json_text(*v) + " is not in [1, 64]");
    return Status();
  }
  for (int64_t w : r.int_list("ngrams")) c->ngrams.push_back(static_cast<int>(std::clamp<int64_t>(w, 0, 65)));
  return Status();
}

// The vocabulary: the config's list (a vocabulary given at construction, which Keras then
// keeps out of the assets: index_lookup.py::save_assets lines 939-943), else the archive's
// vocabulary.txt (TextVectorization.save_assets delegates to its StringLookup with the same
// folder; Keras 3 also walks `_lookup_layer` and writes it again there).
Status read_vocabulary(const LayerContext& ctx, ConfigReader& r, Config* c) {
  const nlohmann::json* v = r.get("vocabulary");
  if (v && v->is_array()) {
    for (const auto& term : *v) {
      if (!term.is_string()) return ctx.corrupt("vocabulary holds a non-string " + json_text(term));
      c->vocabulary.push_back(term.get<std::string>());
    }
    return Status();
  }
  if (v && v->is_string()) {
    return ctx.unimplemented("vocabulary is a file path (" + json_text(*v) +
                             ") outside the model file; save the model as .keras after adapt()");
  }
  for (const char* name : {"vocabulary.txt", "_lookup_layer/vocabulary.txt"}) {
    auto it = ctx.spec.assets.find(name);
    if (it != ctx.spec.assets.end()) {
      c->vocabulary = text::TextVectorizer::parse_vocabulary_file(it->second, ctx.meta.keras_major);
      return Status();
    }
  }
  return ctx.corrupt(ctx.spec.object_path.empty()
                         ? "no vocabulary in the config (an adapted TextVectorization is only "
                           "saved with its vocabulary in a .keras archive)"
                         : "no vocabulary: assets/" + ctx.spec.object_path +
                               "/vocabulary.txt is missing from the archive");
}

Status read_idf(const LayerContext& ctx, ConfigReader& r, Config* c) {
  if (c->output_mode != Config::OutputMode::kTfIdf) return Status();
  const nlohmann::json* v = r.get("idf_weights");
  if (v && v->is_array()) {
    for (const auto& x : *v) {
      if (!x.is_number()) return ctx.corrupt("idf_weights holds " + json_text(x));
      c->idf_weights.push_back(x.get<double>());
    }
    return Status();
  }
  // Saved as a variable: .keras vars/idf_weights (index_lookup.py::save_own_variables).
  if (ctx.spec.weights.size() != 1 || ctx.spec.weights[0].shape.size() != 1) {
    return ctx.corrupt("tf_idf mode without idf_weights (config or vars/idf_weights)");
  }
  for (float x : ctx.spec.weights[0].values) c->idf_weights.push_back(x);
  return Status();
}

}  // namespace

TextVectorizationLayer::TextVectorizationLayer(const LayerContext& ctx,
                                               text::TextVectorizer vectorizer)
    : Layer(ctx), vectorizer_(std::move(vectorizer)) {
  output_shapes_ = {Shape{vectorizer_.output_width()}};
  output_masked_ = {false};
}

MemoryUsage TextVectorizationLayer::memory_usage() const {
  MemoryUsage m;
  const auto& config = vectorizer_.config();
  for (const std::string& term : config.vocabulary) {
    m.tokenizer += 2 * static_cast<int64_t>(sizeof(std::string) + term.size()) + 16;
  }
  m.tokenizer += static_cast<int64_t>(config.idf_weights.size() * sizeof(float));
  return m;
}

void TextVectorizationLayer::forward(std::span<const Value* const>, const RunContext&,
                                     std::vector<Value>*) const {
  QUIVER_CHECK(false && "TextVectorization runs before the graph (ModelImpl::predict_texts)");
}

Result<std::unique_ptr<Layer>> make_text_vectorization(const LayerContext& ctx) {
  if (!ctx.input_shapes.empty()) {
    return ctx.unimplemented("a TextVectorization must take a model input (a string InputLayer)");
  }
  ConfigReader r(ctx);
  Config c;
  using S = Config::Standardize;
  using P = Config::Split;
  using O = Config::OutputMode;
  bool custom_standardize = false, custom_split = false;
  QUIVER_RETURN_IF_ERROR(read_callable<TextStandardizeFn>(ctx, "standardize",
                                                          &find_text_standardize,
                                                          "register_text_standardize",
                                                          &custom_standardize,
                                                          &c.custom_standardize));
  QUIVER_RETURN_IF_ERROR(read_callable<TextSplitFn>(ctx, "split", &find_text_split,
                                                    "register_text_split", &custom_split,
                                                    &c.custom_split));
  if (!custom_standardize) QUIVER_RETURN_IF_ERROR(read_choice<S>(r, ctx, "standardize",
                 {{"lower_and_strip_punctuation", S::kLowerAndStripPunctuation},
                  {"lower", S::kLower},
                  {"strip_punctuation", S::kStripPunctuation},
                  {nullptr, S::kNone}},
                 &c.standardize));
  if (!custom_split) QUIVER_RETURN_IF_ERROR(read_choice<P>(r, ctx, "split",
                 {{"whitespace", P::kWhitespace}, {"character", P::kCharacter}, {nullptr, P::kNone}},
                 &c.split));
  QUIVER_RETURN_IF_ERROR(read_choice<O>(r, ctx, "output_mode",
                 {{"int", O::kInt},
                  {"multi_hot", O::kMultiHot},
                  {"binary", O::kMultiHot},
                  {"count", O::kCount},
                  {"tf_idf", O::kTfIdf},
                  {"tf-idf", O::kTfIdf}},
                 &c.output_mode));
  QUIVER_RETURN_IF_ERROR(read_ngrams(r, &c));
  const nlohmann::json* len = r.get("output_sequence_length");
  if (len && !len->is_null()) c.output_sequence_length = r.required_integer("output_sequence_length");
  const nlohmann::json* max_tokens = r.get("max_tokens");
  if (max_tokens && !max_tokens->is_null()) c.max_tokens = r.required_integer("max_tokens");
  c.pad_to_max_tokens = r.boolean("pad_to_max_tokens", false);
  // ragged=True (tf.keras; text_vectorization.py __init__ refuses it with
  // output_sequence_length or a vector output_mode): a RaggedTensor of each text's ids. The
  // RNN layers read it row by row at its own length (tf.keras lstm.py / gru.py call: "If a
  // ragged input is fed into the layer, it is padded and the row lengths are used for
  // masking"), which is how quiver runs texts without output_sequence_length.
  c.ragged = r.boolean("ragged", false);
  const std::string encoding = r.string("encoding", "utf-8");
  if (encoding != "utf-8" && encoding != "UTF-8" && encoding != "utf8") {
    r.fail("encoding '" + encoding + "' is not supported (utf-8 is)");
  }
  QUIVER_RETURN_IF_ERROR(r.status());
  if (c.ragged && (c.output_mode != O::kInt || c.output_sequence_length > 0)) {
    return ctx.corrupt("ragged=True needs output_mode 'int' without output_sequence_length "
                       "(as Keras' TextVectorization requires)");
  }
  if (c.output_sequence_length == 0 || c.output_sequence_length > (int64_t{1} << 20) ||
      c.max_tokens == 0 || c.max_tokens > (int64_t{1} << 26)) {
    return ctx.unimplemented("output_sequence_length / max_tokens out of range");
  }
  QUIVER_RETURN_IF_ERROR(read_vocabulary(ctx, r, &c));
  QUIVER_RETURN_IF_ERROR(read_idf(ctx, r, &c));
  Result<text::TextVectorizer> v = text::TextVectorizer::create(std::move(c));
  if (!v.ok()) return ctx.corrupt(v.status().message());
  auto layer = std::make_unique<TextVectorizationLayer>(ctx, std::move(*v));
  return std::unique_ptr<Layer>(std::move(layer));
}

}  // namespace quiver::nn
