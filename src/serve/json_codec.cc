#include "serve/json_codec.h"

#include <cmath>
#include <cstdio>

#include "base/json_depth.h"
#include "quiver/limits.h"

namespace quiver::serve {

int http_status_for(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kCancelled:
      return 499;
    default:
      return 500;
  }
}

std::string error_body(std::string_view message) {
  std::string out = "{\"error\":";
  append_json_string(out, message);
  out += "}";
  return out;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else
      return false;
    if (i + len > n) return false;
    for (int k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

Result<nlohmann::json> parse_json_object(const std::string& body) {
  if (!valid_utf8(body)) return invalid_argument("request body is not valid UTF-8");
  if (Status s = base::check_json_depth(body, limits::kMaxRequestDepth, "request body");
      !s.ok()) {
    return invalid_argument(s.message());  // a bad request (400), not a full server
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    // Parse again with exceptions for the position and reason; caught right here.
    try {
      nlohmann::json unused = nlohmann::json::parse(body);
    } catch (const nlohmann::json::parse_error& e) {
      return invalid_argument(std::string("malformed JSON: ") + e.what());
    }
    return invalid_argument("malformed JSON");
  }
  if (!j.is_object()) return invalid_argument("expected a JSON object");
  return j;
}

void append_json_string(std::string& out, std::string_view s) {
  out +=
      nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void append_float(std::string& out, float v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  out += buf;
}

namespace {

void append_block(std::string& out, const float* data, const std::vector<int64_t>& shape,
                  size_t dim) {
  out += '[';
  int64_t stride = 1;
  for (size_t d = dim + 1; d < shape.size(); ++d) stride *= shape[d];
  for (int64_t i = 0; i < shape[dim]; ++i) {
    if (i) out += ',';
    if (dim + 1 == shape.size()) {
      append_float(out, data[i]);
    } else {
      append_block(out, data + i * stride, shape, dim + 1);
    }
  }
  out += ']';
}

}  // namespace

void append_tensor_rows(std::string& out, const Tensor& t, int64_t first, int64_t rows) {
  int64_t per_row = 1;
  for (size_t d = 1; d < t.shape.size(); ++d) per_row *= t.shape[d];
  for (int64_t r = first; r < first + rows; ++r) {
    if (r != first) out += ',';
    if (t.shape.size() == 1) {
      append_float(out, t.data[static_cast<size_t>(r)]);
    } else {
      append_block(out, t.data.data() + r * per_row, t.shape, 1);
    }
  }
}

void append_flat(std::string& out, const Tensor& t) {
  out += '[';
  for (size_t i = 0; i < t.data.size(); ++i) {
    if (i) out += ',';
    append_float(out, t.data[i]);
  }
  out += ']';
}

Status read_int_array(const nlohmann::json& j, const std::string& what, bool flatten,
                      std::vector<int64_t>& out) {
  if (!j.is_array()) return invalid_argument(what + ": expected an array of integer ids");
  for (const auto& e : j) {
    if (flatten && e.is_array()) {
      QUIVER_RETURN_IF_ERROR(read_int_array(e, what, true, out));
    } else if (e.is_number_unsigned() && e.get<uint64_t>() > uint64_t{INT64_MAX}) {
      // get<int64_t>() would wrap it to a negative id in the range message
      return invalid_argument(what + ": id " + e.dump() + " is outside any vocabulary");
    } else if (e.is_number_integer()) {
      out.push_back(e.get<int64_t>());
    } else if (e.is_number_float() && std::floor(e.get<double>()) == e.get<double>() &&
               std::fabs(e.get<double>()) < 9e15) {
      out.push_back(static_cast<int64_t>(e.get<double>()));
    } else {
      return invalid_argument(what + ": expected integer ids, got " + std::string(e.type_name()));
    }
  }
  return Status();
}

}  // namespace quiver::serve
