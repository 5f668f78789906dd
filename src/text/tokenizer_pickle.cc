// Tokenizer::from_pickle / from_bytes / load: the Keras Tokenizer as people ship it,
// pickle.dump(tokenizer, f) with protocol 2-5, read by the restricted unpickler (pickle.h)
// that knows exactly the Tokenizer class (by the module paths Keras versions gave it) and
// the plain containers its attributes hold; nothing in the file is executed.
//
// keras_preprocessing 1.1.2 text.py Tokenizer.__init__ sets the attributes a pickle carries:
// word_counts (OrderedDict), word_docs (defaultdict(int)), filters, split, lower, num_words,
// document_count, char_level, oov_token, index_docs (defaultdict(int)), word_index and
// index_word (dicts); tf.keras / Keras 3's copies add analyzer (None unless a callable was
// given). The attributes are written out as the Keras JSON (get_config's fields, maps
// JSON-encoded in dict order) and loaded by from_json, so both forms share one loader.
#include <string>

#include "base/file.h"
#include "quiver/tokenizer.h"
#include "text/pickle.h"
#include "text/python_json.h"

namespace quiver {
namespace {

using text::pickle::Kind;
using text::pickle::Value;

const std::string kWhat = "tokenizer pickle";

// Where the Tokenizer class has lived: keras_preprocessing (Keras 2.0-2.5 and tf.keras
// 2.0-2.3 re-exported it), tf.keras 2.4-2.5, Keras 2.6-2.12, Keras 2.13-2.15 (keras.src),
// tf_keras (TF 2.16+'s Keras 2), Keras 3 (legacy).
const std::vector<std::string> kTokenizerClasses = {
    "keras_preprocessing.text.Tokenizer",
    "keras.preprocessing.text.Tokenizer",
    "tensorflow.keras.preprocessing.text.Tokenizer",
    "tensorflow.python.keras.preprocessing.text.Tokenizer",
    "keras.src.preprocessing.text.Tokenizer",
    "keras.src.legacy.preprocessing.text.Tokenizer",
    "keras.legacy.preprocessing.text.Tokenizer",
    "tf_keras.preprocessing.text.Tokenizer",
    "tf_keras.src.preprocessing.text.Tokenizer",
};

Status type_error(const std::string& field, const std::string& expected, const Value& v) {
  return corruption(kWhat + ": " + field + ": expected " + expected + ", found " +
                    text::pickle::type_name(v));
}

void quote(const std::string& s, std::string* out) { text::append_python_json_string(s, out); }

// A scalar attribute as JSON: kind "int", "int?" (or None), "bool", "str", "str?".
Status append_scalar(const std::string& field, const Value& v, const std::string& kind,
                     std::string* out) {
  const bool nullable = kind.back() == '?';
  if (nullable && v.kind == Kind::kNone) {
    *out += "null";
  } else if (kind.rfind("int", 0) == 0 && v.kind == Kind::kInt) {
    *out += std::to_string(v.integer);
  } else if (kind == "bool" && (v.kind == Kind::kBool || v.kind == Kind::kInt)) {
    *out += (v.kind == Kind::kBool ? v.boolean : v.integer != 0) ? "true" : "false";
  } else if (kind.rfind("str", 0) == 0 && v.kind == Kind::kStr) {
    quote(v.text, out);
  } else {
    const std::string name = kind.substr(0, kind.size() - (nullable ? 1 : 0));
    return type_error(field, nullable ? name + " or None" : name, v);
  }
  return Status();
}

// A map attribute as Keras' JSON-encoded string: keys str or int (written as "123"),
// values int or str, in dict order.
Status append_map(const std::string& field, const Value& v, bool int_keys, bool str_values,
                  std::string* out) {
  if (v.kind != Kind::kDict) return type_error(field, "a dict", v);
  std::string inner = "{";
  for (const auto& [k, val] : v.entries) {
    if (inner.size() > 1) inner += ", ";
    if (int_keys && k->kind == Kind::kInt) {
      inner += "\"" + std::to_string(k->integer) + "\"";
    } else if (!int_keys && k->kind == Kind::kStr) {
      quote(k->text, &inner);
    } else {
      return type_error(field + " key", int_keys ? "int" : "str", *k);
    }
    inner += ": ";
    if (str_values && val->kind == Kind::kStr) {
      quote(val->text, &inner);
    } else if (!str_values && val->kind == Kind::kInt) {
      inner += std::to_string(val->integer);
    } else {
      return type_error(field + " value", str_values ? "str" : "int", *val);
    }
  }
  inner += "}";
  quote(inner, out);
  return Status();
}

struct Field {
  const char* name;
  const char* kind;  // a scalar kind, or "map:KV" with K, V in {s, i}
};
constexpr Field kFields[] = {
    {"num_words", "int?"}, {"filters", "str"}, {"lower", "bool"}, {"split", "str"},
    {"char_level", "bool"}, {"oov_token", "str?"}, {"document_count", "int"},
    {"word_counts", "map:si"}, {"word_docs", "map:si"}, {"index_docs", "map:ii"},
    {"index_word", "map:is"}, {"word_index", "map:si"},
};

// The Keras JSON of a Tokenizer instance's attributes.
Result<std::string> tokenizer_json(const Value& object) {
  if (!object.state || object.state->kind != Kind::kDict) {
    return corruption(kWhat + ": the " + object.text + " has no attributes");
  }
  std::string out = "{\"class_name\": \"Tokenizer\", \"config\": {";
  bool first = true;
  for (const auto& [k, v] : object.state->entries) {
    if (k->kind != Kind::kStr) return type_error("attribute name", "str", *k);
    if (k->text == "analyzer" && v->kind != Kind::kNone) {
      return unimplemented(kWhat + ": the tokenizer has a custom analyzer (Python code)");
    }
    const Field* f = nullptr;
    for (const Field& candidate : kFields) {
      if (k->text == candidate.name) f = &candidate;
    }
    if (!f) continue;  // attributes Keras does not save (analyzer None, later additions)
    out += first ? "\"" : ", \"";
    first = false;
    out += std::string(f->name) + "\": ";
    const std::string kind = f->kind;
    if (kind.rfind("map:", 0) == 0) {
      QUIVER_RETURN_IF_ERROR(append_map(f->name, *v, kind[4] == 'i', kind[5] == 's', &out));
    } else {
      QUIVER_RETURN_IF_ERROR(append_scalar(f->name, *v, kind, &out));
    }
  }
  return out + "}}";
}

// The JSON of what was pickled: a Tokenizer; its to_json() string; or a bare word_index
// dict (both of which Keras users pickle too).
Result<std::string> pickled_json(const Value& root) {
  if (root.kind == Kind::kObject) return tokenizer_json(root);
  if (root.kind == Kind::kStr) return root.text;
  if (root.kind == Kind::kDict) {
    std::string inner;
    QUIVER_RETURN_IF_ERROR(append_map("word_index", root, false, false, &inner));
    return "{\"class_name\": \"Tokenizer\", \"config\": {\"word_index\": " + inner + "}}";
  }
  return corruption(kWhat + ": expected a Keras Tokenizer, found " +
                    text::pickle::type_name(root));
}

}  // namespace

Result<Tokenizer> Tokenizer::from_pickle(std::string_view bytes) {
  if (!text::pickle::looks_like_pickle(bytes)) {
    return corruption(kWhat + ": not a pickle of protocol 2 to 5 (no 0x80 header)");
  }
  QUIVER_ASSIGN_OR_RETURN(text::pickle::Document doc,
                          text::pickle::load(bytes, kTokenizerClasses, kWhat));
  QUIVER_ASSIGN_OR_RETURN(std::string json, pickled_json(*doc.root));
  return from_json(json);
}

bool Tokenizer::is_pickle(std::string_view bytes) { return text::pickle::looks_like_pickle(bytes); }

Result<Tokenizer> Tokenizer::from_bytes(std::string_view bytes) {
  return is_pickle(bytes) ? from_pickle(bytes) : from_json(bytes);
}

Result<Tokenizer> Tokenizer::load(const std::string& path) {
  QUIVER_ASSIGN_OR_RETURN(std::string bytes, base::read_file(path, size_t{1} << 30));
  Result<Tokenizer> t = from_bytes(bytes);
  if (!t.ok()) return t.status().with_context(path);
  return t;
}

}  // namespace quiver
