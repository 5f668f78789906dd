// Tokenizer.to_json() / tokenizer_from_json() (keras_preprocessing 1.1.x text.py).
//
// Keras writes {"class_name": "Tokenizer", "config": get_config()} where get_config()
// json.dumps()es word_counts, word_docs, index_docs, index_word and word_index into
// strings; the outer json.dumps then escapes those strings again. to_json reproduces
// Python's bytes (key order of get_config, ", " / ": " separators, ensure_ascii).
// from_json reads the outer document with nlohmann-json (depth-limited, no exceptions) and
// the inner maps with the streaming parser of python_json.h, keeping their order.
#include "quiver/tokenizer.h"
#include "text/python_json.h"
#include "text/tokenizer_state.h"

namespace quiver {
namespace {

template <typename K, typename V, typename WriteKey, typename WriteValue>
std::string dump_map(const std::vector<std::pair<K, V>>& items, WriteKey write_key,
                     WriteValue write_value) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    write_key(items[i].first, &out);
    out += ": ";
    write_value(items[i].second, &out);
  }
  out += "}";
  return out;
}

void write_string(const std::string& s, std::string* out) {
  text::append_python_json_string(s, out);
}
template <typename T>
void write_int(T v, std::string* out) { *out += std::to_string(v); }
template <typename T>
void write_int_key(T v, std::string* out) {
  // Three appends, not "\"" + ... + "\"": GCC 12 reports a false -Wrestrict on that chain.
  *out += '"';
  *out += std::to_string(v);
  *out += '"';
}

void add_field(const char* key, const std::string& value_json, bool first, std::string* out) {
  if (!first) *out += ", ";
  *out += "\"";
  *out += key;
  *out += "\": ";
  *out += value_json;
}

std::string quoted(const std::string& s) {
  std::string out;
  text::append_python_json_string(s, &out);
  return out;
}

}  // namespace

std::string Tokenizer::to_json() const {
  const State& s = *state_;
  const TokenizerConfig& c = s.config;
  std::string out = "{\"class_name\": \"Tokenizer\", \"config\": {";
  add_field("num_words", c.num_words ? std::to_string(*c.num_words) : "null", true, &out);
  add_field("filters", quoted(c.filters), false, &out);
  add_field("lower", c.lower ? "true" : "false", false, &out);
  add_field("split", quoted(c.split), false, &out);
  add_field("char_level", c.char_level ? "true" : "false", false, &out);
  add_field("oov_token", c.oov_token ? quoted(*c.oov_token) : "null", false, &out);
  add_field("document_count", std::to_string(s.document_count), false, &out);
  auto str_int = [](const auto& items) {
    return quoted(dump_map(items, write_string, write_int<int64_t>));
  };
  add_field("word_counts", str_int(s.word_counts.items()), false, &out);
  add_field("word_docs", str_int(s.word_docs.items()), false, &out);
  add_field("index_docs", quoted(dump_map(s.index_docs.items(), write_int_key<int64_t>,
                                          write_int<int64_t>)), false, &out);
  add_field("index_word", quoted(dump_map(s.index_word, write_int_key<int64_t>, write_string)),
            false, &out);
  add_field("word_index", quoted(dump_map(s.word_index_items, write_string, write_int<int32_t>)),
            false, &out);
  out += "}}";
  return out;
}

}  // namespace quiver
