// The two JSON pieces the Keras tokenizer format needs beyond a DOM parser:
// Python-compatible string escaping (json.dumps with ensure_ascii=True) and an
// order-preserving, streaming parser for flat objects (the inner word maps, which can
// hold millions of entries). Pure functions; thread-safe.
#ifndef QUIVER_TEXT_PYTHON_JSON_H_
#define QUIVER_TEXT_PYTHON_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quiver/status.h"

namespace quiver::text {

// Appends `utf8` as a JSON string literal exactly as Python's json.dumps writes it with
// ensure_ascii=True: \" \\ \b \f \n \r \t, other code points outside U+0020..U+007E as
// lower-case \uXXXX (UTF-16 surrogate pairs above U+FFFF). `utf8` must be well-formed.
void append_python_json_string(std::string_view utf8, std::string* out);

// One value of a flat JSON object: an integer or a string.
struct FlatValue {
  bool is_string = false;
  int64_t number = 0;
  std::string text;
};
using FlatObject = std::vector<std::pair<std::string, FlatValue>>;

// Parses `json`, which must be an object whose values are integers or strings, keeping the
// document's key order (duplicates included; callers apply dict semantics). A top-level
// JSON string is decoded and parsed again (up to 3 times), for maps that were encoded twice.
// Errors are Corruption messages starting with `what`.
Result<FlatObject> parse_flat_object(std::string_view json, const std::string& what);

}  // namespace quiver::text

#endif  // QUIVER_TEXT_PYTHON_JSON_H_
