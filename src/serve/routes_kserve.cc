// KServe v2 / Triton inference protocol (REST):
//   GET  /v2/health/live, /v2/health/ready, /v2
//   GET  /v2/models/{name}[/versions/{v}]          model metadata
//   GET  /v2/models/{name}[/versions/{v}]/ready
//   POST /v2/models/{name}[/versions/{v}]/infer    one input: BYTES texts, shape [N] or
//                                                  [N,1]; or INT32 / INT64 ids, shape [N,T]
//   POST /v2/repository/index
//   POST /v2/repository/models/{name}/load|unload  (admin token, as the admin endpoints)
// Outputs are FP32, named output_0, output_1, ... with data flattened row-major.
#include <charconv>

#include "quiver/version.h"
#include "serve/json_codec.h"
#include "serve/service.h"

namespace quiver::serve {
namespace {

constexpr const char* kVersion = QUIVER_VERSION;

std::string dims_json(const std::vector<int64_t>& dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) out += (i ? "," : "") + std::to_string(dims[i]);
  return out + "]";
}

HttpResponse model_metadata(const Servable& s) {
  std::string out = "{\"name\":";
  append_json_string(out, s.name);
  out += ",\"versions\":[\"" + std::to_string(s.version) + "\"],\"platform\":\"quiver_keras\"";
  out += ",\"inputs\":[";
  if (s.tokenizer) out += "{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[-1]},";
  out += "{\"name\":\"input_ids\",\"datatype\":\"INT32\",\"shape\":" +
         dims_json({-1, s.input_length}) + "}],\"outputs\":[";
  const auto& shapes = s.predictor->info().output_shapes;
  for (size_t i = 0; i < shapes.size(); ++i) {
    out += (i ? ",{\"name\":\"output_" : "{\"name\":\"output_") + std::to_string(i) +
           "\",\"datatype\":\"FP32\",\"shape\":" + dims_json(shapes[i]) + "}";
  }
  return json_response(200, out + "]}");
}

Status read_shape(const nlohmann::json& input, std::vector<int64_t>& shape) {
  auto it = input.find("shape");
  if (it == input.end()) return invalid_argument("inputs[0].shape: missing");
  return read_int_array(*it, "inputs[0].shape", false, shape);
}

// Nested data arrays are allowed; their leaves in row-major order.
void flatten_values(const nlohmann::json& j, std::vector<const nlohmann::json*>& out) {
  if (!j.is_array()) {
    out.push_back(&j);
    return;
  }
  for (const auto& e : j) flatten_values(e, out);
}

// Parses the one input tensor into texts or id rows, checking datatype and shape.
Status read_input(const nlohmann::json& body, ModelInputs& in) {
  auto inputs = body.find("inputs");
  if (inputs == body.end() || !inputs->is_array() || inputs->size() != 1) {
    return invalid_argument("inputs: expected a list with exactly one input tensor");
  }
  const nlohmann::json& input = (*inputs)[0];
  if (!input.is_object()) return invalid_argument("inputs[0]: expected an object");
  auto dt = input.find("datatype");
  std::string datatype = dt != input.end() && dt->is_string() ? dt->get<std::string>() : "";
  std::vector<int64_t> shape;
  QUIVER_RETURN_IF_ERROR(read_shape(input, shape));
  auto data = input.find("data");
  if (data == input.end() || !data->is_array())
    return invalid_argument("inputs[0].data: expected a list");
  int64_t elements = 1;
  for (int64_t d : shape) elements *= d < 0 ? 0 : d;
  if (datatype == "BYTES") {
    std::vector<const nlohmann::json*> flat;
    flatten_values(*data, flat);
    if (shape.empty() || shape.size() > 2 || (shape.size() == 2 && shape[1] != 1)) {
      return invalid_argument("inputs[0].shape: expected [N] or [N,1] for BYTES, got " +
                              dims_json(shape));
    }
    if (static_cast<int64_t>(flat.size()) != elements) {
      return invalid_argument("inputs[0].data: " + std::to_string(flat.size()) +
                              " elements for shape " + dims_json(shape));
    }
    for (size_t i = 0; i < flat.size(); ++i) {
      if (!flat[i]->is_string()) {
        return invalid_argument("inputs[0].data[" + std::to_string(i) + "]: expected a string");
      }
      in.texts.push_back(flat[i]->get<std::string>());
    }
    return Status();
  }
  if (datatype != "INT32" && datatype != "INT64") {
    return invalid_argument("inputs[0].datatype: expected BYTES, INT32 or INT64, got '" + datatype +
                            "'");
  }
  if (shape.size() != 2 || shape[0] <= 0 || shape[1] <= 0) {
    return invalid_argument("inputs[0].shape: expected [N,T] for " + datatype + ", got " +
                            dims_json(shape));
  }
  std::vector<int64_t> ids;
  QUIVER_RETURN_IF_ERROR(read_int_array(*data, "inputs[0].data", true, ids));
  if (static_cast<int64_t>(ids.size()) != elements) {
    return invalid_argument("inputs[0].data: " + std::to_string(ids.size()) +
                            " elements for shape " + dims_json(shape));
  }
  for (int64_t r = 0; r < shape[0]; ++r) {
    in.rows.emplace_back(ids.begin() + r * shape[1], ids.begin() + (r + 1) * shape[1]);
  }
  return Status();
}

HttpResponse format_infer(const Servable& s, const std::vector<Tensor>& out,
                          const std::string& id) {
  std::string json = "{\"model_name\":";
  append_json_string(json, s.name);
  json += ",\"model_version\":\"" + std::to_string(s.version) + "\"";
  if (!id.empty()) {
    json += ",\"id\":";
    append_json_string(json, id);
  }
  json += ",\"outputs\":[";
  for (size_t k = 0; k < out.size(); ++k) {
    json += (k ? ",{\"name\":\"output_" : "{\"name\":\"output_") + std::to_string(k) +
            "\",\"datatype\":\"FP32\",\"shape\":" + dims_json(out[k].shape) + ",\"data\":";
    append_flat(json, out[k]);
    json += '}';
  }
  return json_response(200, json + "]}");
}

void infer(Service& service, const std::string& name, std::optional<int64_t> version,
           const HttpRequest& request, Responder& respond) {
  auto body = parse_json_object(request.body);
  if (!body.ok()) return respond(error_response(body.status()));
  auto handle = service.registry().acquire(name, version);
  if (!handle.ok()) return respond(error_response(handle.status()));
  ModelInputs inputs;
  Status st = read_input(*body, inputs);
  if (!st.ok()) {
    service.count_rejected(name);
    return respond(error_response(st));
  }
  std::string id;
  if (auto it = body->find("id"); it != body->end() && it->is_string()) id = it->get<std::string>();
  run_model(
      service, *handle, std::move(inputs), "inputs[0].data",
      [id](const Servable& s, const std::vector<Tensor>& out) { return format_infer(s, out, id); },
      respond);
}

HttpResponse repository_index(Service& service) {
  std::string out = "[";
  bool first = true;
  for (const ModelStatus& s : service.registry().statuses()) {
    if (!first) out += ',';
    first = false;
    const char* state =
        s.serving_version > 0 ? "READY"
        : (!s.versions.empty() && s.versions.front().state == VersionState::kLoading)
            ? "LOADING"
            : "UNAVAILABLE";
    out += "{\"name\":";
    append_json_string(out, s.name);
    out += ",\"version\":\"" + std::to_string(s.serving_version) + "\",\"state\":\"" + state +
           "\",\"reason\":";
    append_json_string(out, s.last_error.message());
    out += '}';
  }
  return json_response(200, out + "]");
}

bool route_models(Service& service, const std::vector<std::string>& seg, HttpRequest& request,
                  Responder& respond) {
  // seg: v2 models {name} [versions {v}] [ready|infer]
  const std::string& name = seg[2];
  size_t i = 3;
  std::optional<int64_t> version;
  if (seg.size() >= 5 && seg[3] == "versions") {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(seg[4].data(), seg[4].data() + seg[4].size(), v);
    if (ec != std::errc() || end != seg[4].data() + seg[4].size()) {
      respond(error_response(invalid_argument("version '" + seg[4] + "' is not an integer")));
      return true;
    }
    version = v;
    i = 5;
  }
  const std::string action = i < seg.size() ? seg[i] : "";
  if (i + 1 < seg.size() || (action != "" && action != "ready" && action != "infer")) return false;
  if (action == "infer") {
    if (request.method != "POST")
      respond(json_response(405, error_body("use POST for infer")));
    else
      infer(service, name, version, request, respond);
    return true;
  }
  if (request.method != "GET") {
    respond(json_response(405, error_body("use GET for model metadata and readiness")));
    return true;
  }
  auto handle = service.registry().acquire(name, version);
  if (action == "ready") {
    if (!handle.ok() && handle.status().code() == StatusCode::kNotFound) {
      respond(error_response(handle.status()));
    } else {
      std::string out = "{\"name\":";
      append_json_string(out, name);
      out += std::string(",\"ready\":") + (handle.ok() ? "true}" : "false}");
      respond(json_response(handle.ok() ? 200 : 503, out));
    }
  } else {
    respond(handle.ok() ? model_metadata(*handle->servable) : error_response(handle.status()));
  }
  return true;
}

bool route_repository(Service& service, const std::vector<std::string>& seg, HttpRequest& request,
                      Responder& respond) {
  if (request.method != "POST") {
    respond(json_response(405, error_body("use POST for the repository API")));
  } else if (seg.size() == 3 && seg[2] == "index") {
    respond(repository_index(service));
  } else if (seg.size() == 5 && seg[2] == "models" && (seg[4] == "load" || seg[4] == "unload")) {
    if (auto denied = check_admin(service, request)) {
      respond(*denied);
      return true;
    }
    run_model_op(service, seg[3], seg[4] == "unload", respond);
  } else {
    return false;
  }
  return true;
}

}  // namespace

bool route_kserve(Service& service, HttpRequest& request, Responder& respond) {
  std::vector<std::string> seg = split_path(request.path);
  if (seg.empty() || seg[0] != "v2") return false;
  bool handled = true;
  if (seg.size() == 1 || (seg.size() == 3 && seg[1] == "health")) {
    if (request.method != "GET") {
      respond(json_response(405, error_body("use GET for " + request.path)));
    } else if (seg.size() == 1) {
      respond(json_response(200, std::string("{\"name\":\"quiver\",\"version\":\"") + kVersion +
                                     "\",\"extensions\":[\"model_repository\"]}"));
    } else if (seg[2] == "live") {
      respond(json_response(200, "{\"live\":true}"));
    } else if (seg[2] == "ready") {
      bool ready = service.registry().all_ready();
      respond(json_response(ready ? 200 : 503, ready ? "{\"ready\":true}" : "{\"ready\":false}"));
    } else {
      handled = false;
    }
  } else if (seg.size() >= 3 && seg[1] == "models") {
    handled = route_models(service, seg, request, respond);
  } else if (seg.size() >= 3 && seg[1] == "repository") {
    handled = route_repository(service, seg, request, respond);
  } else {
    handled = false;
  }
  if (!handled)
    respond(error_response(not_found("no route for " + request.method + " " + request.path)));
  return true;
}

}  // namespace quiver::serve
