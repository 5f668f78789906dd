// JSON at the HTTP edge: parsing request bodies (nlohmann, wrapped so nothing throws),
// writing answers by hand so floats print with round-trip float32 precision (%.9g), and
// the one place where a Status becomes an HTTP status.
//
// Thread-safety: stateless functions.
#ifndef QUIVER_SERVE_JSON_CODEC_H_
#define QUIVER_SERVE_JSON_CODEC_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "quiver/status.h"
#include "quiver/tensor.h"

namespace quiver::serve {

// StatusCode -> HTTP status: InvalidArgument 400, NotFound 404, ResourceExhausted 429,
// Unavailable 503, FailedPrecondition 409, Unimplemented 501, Cancelled 499, others 500.
int http_status_for(const Status& status);

// {"error": "message"} (invalid UTF-8 in the message is replaced, never thrown on).
std::string error_body(std::string_view message);

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool valid_utf8(std::string_view s);

// Parses a request body that must be a JSON object. InvalidArgument names the problem:
// "request body is not valid UTF-8", "malformed JSON: ...", "expected a JSON object".
Result<nlohmann::json> parse_json_object(const std::string& body);

// Appends a JSON string literal.
void append_json_string(std::string& out, std::string_view s);
// Appends a float32 with %.9g (round-trip precision); NaN / Inf as null.
void append_float(std::string& out, float v);
// Appends the rows [first, first + rows) of `t`, each as a (nested) array of floats.
void append_tensor_rows(std::string& out, const Tensor& t, int64_t first, int64_t rows);
// Appends t.data as one flat array.
void append_flat(std::string& out, const Tensor& t);

// Reads a JSON array of integers (nested arrays are flattened when `flatten` is true).
// InvalidArgument names `what` on a wrong element.
Status read_int_array(const nlohmann::json& j, const std::string& what, bool flatten,
                      std::vector<int64_t>& out);

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_JSON_CODEC_H_
