// tokenizer_from_json() (keras_preprocessing 1.1.x text.py) and the variants people save:
// the document encoded as a JSON string once or twice more (json.dumps(tokenizer.to_json())),
// a bare get_config() object, inner maps stored as objects instead of strings, and a bare
// word_index object. Python's loader takes word_index as stored; when it is missing it is
// rebuilt from word_counts exactly as fit_on_texts builds it.
#include <charconv>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>

#include "quiver/tokenizer.h"
#include "text/python_json.h"
#include "text/tokenizer_state.h"

namespace quiver {
namespace {

using nlohmann::json;
using text::FlatObject;

constexpr size_t kMaxJsonBytes = size_t{1} << 30;
constexpr int kMaxDepth = 64;
const std::string kWhat = "tokenizer JSON";

// Parses `text` (nesting limited to kMaxDepth), decoding JSON strings that hold JSON.
Result<json> parse_document(std::string_view text) {
  std::string holder;
  for (int level = 0; level < 4; ++level) {
    bool too_deep = false;
    json doc;
    try {
      doc = json::parse(text.begin(), text.end(), [&](int depth, json::parse_event_t, json&) {
        if (depth > kMaxDepth) too_deep = true;
        return !too_deep;
      });
    } catch (const std::exception& e) {
      if (too_deep) break;
      return corruption(kWhat + ": malformed JSON: " + e.what());
    }
    if (too_deep) break;
    if (!doc.is_string()) return doc;
    holder = doc.get<std::string>();
    text = holder;
    if (level == 3) return corruption(kWhat + ": JSON string encoded more than 3 times");
  }
  return resource_exhausted(kWhat + ": nested deeper than " + std::to_string(kMaxDepth) +
                            " levels");
}

Status field_error(const char* key, const std::string& expected, const json& v) {
  return corruption(kWhat + ": config." + key + ": expected " + expected + ", found " +
                    v.type_name());
}

Status read_bool(const json& cfg, const char* key, bool* out) {
  auto it = cfg.find(key);
  if (it == cfg.end()) return {};
  if (!it->is_boolean()) return field_error(key, "true or false", *it);
  *out = it->get<bool>();
  return {};
}

Status read_string(const json& cfg, const char* key, std::string* out) {
  auto it = cfg.find(key);
  if (it == cfg.end()) return {};
  if (!it->is_string()) return field_error(key, "a string", *it);
  *out = it->get<std::string>();
  return {};
}

Status read_optional_string(const json& cfg, const char* key, std::optional<std::string>* out) {
  auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return {};
  if (!it->is_string()) return field_error(key, "a string or null", *it);
  *out = it->get<std::string>();
  return {};
}

Status read_int(const json& cfg, const char* key, std::optional<int64_t>* out) {
  auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return {};
  if (it->is_number_unsigned() && it->get<uint64_t>() > uint64_t{INT64_MAX}) {
    return corruption(kWhat + ": config." + key + ": integer out of range");
  }
  if (!it->is_number_integer()) return field_error(key, "an integer or null", *it);
  *out = it->get<int64_t>();
  return {};
}

// An inner map: a JSON-encoded string (Keras), an object, or absent (nullopt).
Result<std::optional<FlatObject>> read_map(const json& cfg, const char* key) {
  auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return std::optional<FlatObject>();
  std::string what = kWhat + ": config." + key;
  if (it->is_string()) {
    QUIVER_ASSIGN_OR_RETURN(FlatObject m, text::parse_flat_object(it->get_ref<const std::string&>(), what));
    return std::optional<FlatObject>(std::move(m));
  }
  if (!it->is_object()) return field_error(key, "a JSON-encoded object", *it);
  FlatObject m;
  for (const auto& [k, v] : it->items()) {
    text::FlatValue value;
    if (v.is_string()) {
      value.is_string = true;
      value.text = v.get<std::string>();
    } else if (v.is_number_integer() && !(v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{INT64_MAX})) {
      value.number = v.get<int64_t>();
    } else {
      return corruption(what + ": value of '" + k + "' is a " + v.type_name());
    }
    m.emplace_back(k, std::move(value));
  }
  return std::optional<FlatObject>(std::move(m));
}

Status entry_error(const char* key, const std::string& entry, const std::string& problem) {
  return corruption(kWhat + ": config." + key + ": entry '" + entry + "': " + problem);
}

Result<int64_t> number_of(const char* key, const std::pair<std::string, text::FlatValue>& e) {
  if (e.second.is_string) return entry_error(key, e.first, "expected an integer value");
  return e.second.number;
}

// Python's int(k) for the string keys of index_docs / index_word.
Result<int64_t> int_key(const char* key, const std::string& k) {
  int64_t v = 0;
  const char* first = k.data() + (k.size() > 1 && k[0] == '+' ? 1 : 0);
  auto [end, ec] = std::from_chars(first, k.data() + k.size(), v);
  if (ec != std::errc() || end != k.data() + k.size() || first == end) {
    return entry_error(key, k, "key is not an integer");
  }
  return v;
}

Status load_counts(const char* key, const std::optional<FlatObject>& m,
                   text::OrderedMap<std::string, int64_t>* out) {
  if (!m) return {};
  for (const auto& e : *m) {
    QUIVER_ASSIGN_OR_RETURN(int64_t n, number_of(key, e));
    out->assign(e.first, n);
  }
  return {};
}

Status load_index_maps(const std::optional<FlatObject>& index_docs,
                       const std::optional<FlatObject>& index_word, Tokenizer::State* s) {
  if (index_docs) {
    for (const auto& e : *index_docs) {
      QUIVER_ASSIGN_OR_RETURN(int64_t id, int_key("index_docs", e.first));
      QUIVER_ASSIGN_OR_RETURN(int64_t n, number_of("index_docs", e));
      s->index_docs.assign(id, n);
    }
  }
  if (!index_word) {
    s->derive_index_word();
    return {};
  }
  text::OrderedMap<int64_t, std::string> dict;
  for (const auto& e : *index_word) {
    QUIVER_ASSIGN_OR_RETURN(int64_t id, int_key("index_word", e.first));
    if (!e.second.is_string) return entry_error("index_word", e.first, "expected a string value");
    dict.assign(id, e.second.text);
  }
  s->index_word = dict.items();
  return {};
}

Status load_word_index(const FlatObject& m, Tokenizer::State* s) {
  std::vector<std::pair<std::string, int32_t>> items;
  items.reserve(m.size());
  for (const auto& e : m) {
    QUIVER_ASSIGN_OR_RETURN(int64_t id, number_of("word_index", e));
    if (id < 0 || id > std::numeric_limits<int32_t>::max()) {
      return entry_error("word_index", e.first, "id " + std::to_string(id) +
                                                    " outside 0..2147483647");
    }
    items.emplace_back(e.first, static_cast<int32_t>(id));
  }
  s->set_word_index(items);
  return {};
}

Status read_config(const json& cfg, TokenizerConfig* c, int64_t* document_count) {
  QUIVER_RETURN_IF_ERROR(read_int(cfg, "num_words", &c->num_words));
  QUIVER_RETURN_IF_ERROR(read_string(cfg, "filters", &c->filters));
  QUIVER_RETURN_IF_ERROR(read_bool(cfg, "lower", &c->lower));
  QUIVER_RETURN_IF_ERROR(read_string(cfg, "split", &c->split));
  QUIVER_RETURN_IF_ERROR(read_bool(cfg, "char_level", &c->char_level));
  QUIVER_RETURN_IF_ERROR(read_optional_string(cfg, "oov_token", &c->oov_token));
  std::optional<int64_t> count;
  QUIVER_RETURN_IF_ERROR(read_int(cfg, "document_count", &count));
  *document_count = count.value_or(0);
  QUIVER_RETURN_IF_ERROR(validate_tokenizer_config(*c).with_context(kWhat));
  return {};
}

// The object holding the tokenizer fields: doc["config"], doc itself (a bare
// get_config()), or nullptr for a bare word_index object.
Result<const json*> find_config(const json& doc) {
  if (!doc.is_object()) return corruption(kWhat + ": expected an object, found " + doc.type_name());
  auto name = doc.find("class_name");
  if (name != doc.end() && !(name->is_string() && name->get<std::string>() == "Tokenizer")) {
    return invalid_argument(kWhat + ": class_name is " + name->dump() + ", expected \"Tokenizer\"");
  }
  auto cfg = doc.find("config");
  if (cfg != doc.end()) {
    if (!cfg->is_object()) return corruption(kWhat + ": config: expected an object, found " + cfg->type_name());
    return &*cfg;
  }
  if (doc.contains("word_index") || doc.contains("word_counts")) return &doc;
  return static_cast<const json*>(nullptr);
}

}  // namespace

Result<Tokenizer> Tokenizer::from_json(std::string_view text) try {
  if (text.size() > kMaxJsonBytes) {
    return resource_exhausted(kWhat + ": " + std::to_string(text.size()) +
                              " bytes exceeds the limit of " + std::to_string(kMaxJsonBytes));
  }
  QUIVER_ASSIGN_OR_RETURN(json doc, parse_document(text));
  QUIVER_ASSIGN_OR_RETURN(const json* cfg, find_config(doc));
  TokenizerConfig config;
  int64_t document_count = 0;
  if (cfg) QUIVER_RETURN_IF_ERROR(read_config(*cfg, &config, &document_count));
  auto state = std::make_shared<State>(std::move(config));
  state->document_count = document_count;
  if (!cfg) {  // a bare {"word": id, ...} object
    QUIVER_ASSIGN_OR_RETURN(FlatObject m, text::parse_flat_object(doc.dump(), kWhat));
    QUIVER_RETURN_IF_ERROR(load_word_index(m, state.get()));
    QUIVER_RETURN_IF_ERROR(load_index_maps(std::nullopt, std::nullopt, state.get()));
    return Tokenizer(std::move(state));
  }
  QUIVER_ASSIGN_OR_RETURN(auto word_counts, read_map(*cfg, "word_counts"));
  QUIVER_ASSIGN_OR_RETURN(auto word_docs, read_map(*cfg, "word_docs"));
  QUIVER_ASSIGN_OR_RETURN(auto index_docs, read_map(*cfg, "index_docs"));
  QUIVER_ASSIGN_OR_RETURN(auto index_word, read_map(*cfg, "index_word"));
  QUIVER_ASSIGN_OR_RETURN(auto word_index, read_map(*cfg, "word_index"));
  QUIVER_RETURN_IF_ERROR(load_counts("word_counts", word_counts, &state->word_counts));
  QUIVER_RETURN_IF_ERROR(load_counts("word_docs", word_docs, &state->word_docs));
  if (word_index) {
    QUIVER_RETURN_IF_ERROR(load_word_index(*word_index, state.get()));
    QUIVER_RETURN_IF_ERROR(load_index_maps(index_docs, index_word, state.get()));
    if (!index_docs) state->update_index_docs();
  } else {
    QUIVER_RETURN_IF_ERROR(load_index_maps(index_docs, std::nullopt, state.get()));
    QUIVER_RETURN_IF_ERROR(state->rebuild_index(/*update_index_docs=*/!index_docs));
  }
  return Tokenizer(std::move(state));
} catch (const std::exception& e) {  // bad_alloc and anything nlohmann throws unexpectedly
  return internal_error(kWhat + ": " + e.what());
}

}  // namespace quiver
