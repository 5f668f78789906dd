// Python json.dumps string escaping (Lib/json/encoder.py, py_encode_basestring_ascii) and
// a SAX-based flat-object reader on nlohmann-json. The SAX interface reports errors
// through parse_error() instead of throwing; the remaining exceptions (bad_alloc) are
// caught here so none leaves the module.
#include "text/python_json.h"

#include <exception>
#include <nlohmann/json.hpp>

#include "text/unicode.h"

namespace quiver::text {
namespace {

void append_u_escape(unsigned unit, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(unit >> shift) & 0xF]);
}

// Collects the entries of one flat object; anything else is an error.
class FlatSax {
 public:
  using json = nlohmann::json;
  FlatObject entries;
  std::string top_string;  // set when the whole document is a JSON string
  bool is_top_string = false;
  std::string error;

  bool null() { return fail("null value"); }
  bool boolean(bool) { return fail("boolean value"); }
  bool number_integer(json::number_integer_t v) { return add_number(v); }
  bool number_unsigned(json::number_unsigned_t v) {
    if (v > static_cast<json::number_unsigned_t>(INT64_MAX)) return fail("integer out of range");
    return add_number(static_cast<int64_t>(v));
  }
  bool number_float(json::number_float_t, const json::string_t&) {
    return fail("non-integer number");
  }
  bool string(json::string_t& s) {
    if (depth_ == 0) {
      is_top_string = true;
      top_string = std::move(s);
      return true;
    }
    if (!expect_value()) return false;
    entries.back().second.is_string = true;
    entries.back().second.text = std::move(s);
    return true;
  }
  bool binary(json::binary_t&) { return fail("binary value"); }
  bool start_object(std::size_t) {
    if (depth_ != 0) return fail("nested object");
    ++depth_;
    return true;
  }
  bool key(json::string_t& k) {
    entries.emplace_back(std::move(k), FlatValue{});
    have_key_ = true;
    return true;
  }
  bool end_object() {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) { return fail("array"); }
  bool end_array() { return false; }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    error = "malformed JSON at byte " + std::to_string(position) + " (" + e.what() + ")";
    return false;
  }

 private:
  bool fail(const std::string& what) {
    error = depth_ == 0 ? "expected a JSON object, found a " + what
                        : "unexpected " + what + (entries.empty() ? "" : " for key '" +
                                                  entries.back().first + "'");
    return false;
  }
  bool expect_value() {
    if (depth_ != 1 || !have_key_) return false;
    have_key_ = false;
    return true;
  }
  bool add_number(int64_t v) {
    if (depth_ == 0) return fail("number");
    if (!expect_value()) return false;
    entries.back().second.number = v;
    return true;
  }

  int depth_ = 0;
  bool have_key_ = false;
};

}  // namespace

void append_python_json_string(std::string_view utf8, std::string* out) {
  out->push_back('"');
  for (char32_t c : decode_utf8_lossy(utf8)) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c >= 0x20 && c <= 0x7E) {
          out->push_back(static_cast<char>(c));
        } else if (c < 0x10000) {
          append_u_escape(c, out);
        } else {
          char32_t v = c - 0x10000;
          append_u_escape(0xD800 | (v >> 10), out);
          append_u_escape(0xDC00 | (v & 0x3FF), out);
        }
    }
  }
  out->push_back('"');
}

Result<FlatObject> parse_flat_object(std::string_view json, const std::string& what) {
  std::string decoded;
  for (int level = 0; level < 4; ++level) {
    FlatSax sax;
    bool ok = false;
    try {
      ok = nlohmann::json::sax_parse(json.begin(), json.end(), &sax);
    } catch (const std::exception& e) {
      return corruption(what + ": " + e.what());
    }
    if (!ok) return corruption(what + ": " + (sax.error.empty() ? "invalid JSON" : sax.error));
    if (!sax.is_top_string) return std::move(sax.entries);
    decoded = std::move(sax.top_string);
    json = decoded;
  }
  return corruption(what + ": JSON string encoded more than 3 times");
}

}  // namespace quiver::text
