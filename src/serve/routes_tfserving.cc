// TensorFlow Serving's REST API (https://www.tensorflow.org/tfx/serving/api_rest):
//   GET  /v1/models/{name}[/versions/{v}]            model_version_status
//   GET  /v1/models/{name}[/versions/{v}]/metadata   signature_def of the serving version
//   POST /v1/models/{name}[/versions/{v}]:predict    {"instances": [...]} row format or
//                                                    {"inputs": [...]} columnar format
//   POST /v1/models/{name}[/versions/{v}]:classify   {"examples": [...]} -> {"result": ...}
// Instances are raw strings (tokenized with the model's tokenizer) or id lists; an object
// with one named input ({"text": ...} or {"input_ids": [...]}) is unwrapped.
#include <charconv>

#include "serve/json_codec.h"
#include "serve/service.h"

namespace quiver::serve {
namespace {

struct Target {
  std::string name;
  std::optional<int64_t> version;
  std::string tail;  // "", "metadata"
  std::string verb;  // "", "predict", "classify", ...
};

// Parses the path after /v1/models/. False when it is not a TF Serving path.
bool parse_target(const std::vector<std::string>& seg, Target& t, Status& error) {
  std::vector<std::string> rest(seg.begin() + 2, seg.end());
  if (rest.empty()) return false;
  std::string& last = rest.back();
  if (auto colon = last.find(':'); colon != std::string::npos) {
    t.verb = last.substr(colon + 1);
    last.resize(colon);
  }
  t.name = rest[0];
  size_t i = 1;
  if (rest.size() >= 3 && rest[1] == "versions") {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(rest[2].data(), rest[2].data() + rest[2].size(), v);
    if (ec != std::errc() || end != rest[2].data() + rest[2].size() || v <= 0) {
      error = invalid_argument("version '" + rest[2] + "' is not a positive integer");
    }
    t.version = v;
    i = 3;
  }
  if (i < rest.size()) t.tail = rest[i++];
  return i == rest.size() && (t.tail.empty() || t.tail == "metadata");
}

const char* error_code_name(StatusCode c) {
  switch (c) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kCancelled:
      return "CANCELLED";
    case StatusCode::kCorruption:
      return "DATA_LOSS";
    default:
      return "UNKNOWN";
  }
}

HttpResponse version_status(Service& service, const Target& t) {
  auto s = service.registry().status(t.name);
  if (!s) return error_response(not_found("model '" + t.name + "' not found"));
  std::string out = "{\"model_version_status\":[";
  bool first = true;
  for (const VersionStatus& v : s->versions) {
    if (t.version && v.version != *t.version) continue;
    if (!first) out += ',';
    first = false;
    out += "{\"version\":\"" + std::to_string(v.version) + "\",\"state\":\"" +
           version_state_name(v.state) + "\",\"status\":{\"error_code\":\"" +
           error_code_name(v.error.code()) + "\",\"error_message\":";
    append_json_string(out, v.error.message());
    out += "}}";
  }
  if (first && t.version) {
    return error_response(
        not_found("model '" + t.name + "' has no version " + std::to_string(*t.version)));
  }
  return json_response(200, out + "]}");
}

std::string tensor_info(const std::string& name, const char* dtype,
                        const std::vector<int64_t>& dims) {
  std::string out = "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"tensor_shape\":{\"dim\":[";
  for (size_t i = 0; i < dims.size(); ++i) {
    out += (i ? ",{\"size\":\"" : "{\"size\":\"") + std::to_string(dims[i]) + "\",\"name\":\"\"}";
  }
  return out + "],\"unknown_rank\":false},\"name\":\"" + name + "\"}";
}

HttpResponse metadata(const Servable& s) {
  std::string out = "{\"model_spec\":{\"name\":";
  append_json_string(out, s.name);
  out += ",\"signature_name\":\"\",\"version\":\"" + std::to_string(s.version) + "\"}";
  out += ",\"metadata\":{\"signature_def\":{\"signature_def\":{\"serving_default\":{\"inputs\":{";
  out += tensor_info("input_ids", "DT_INT32", {-1, s.input_length});
  if (s.tokenizer) out += "," + tensor_info("text", "DT_STRING", {-1});
  out += "},\"outputs\":{";
  const auto& shapes = s.predictor->info().output_shapes;
  for (size_t i = 0; i < shapes.size(); ++i) {
    out += (i ? "," : "") + tensor_info("output_" + std::to_string(i), "DT_FLOAT", shapes[i]);
  }
  out += "},\"method_name\":\"tensorflow/serving/predict\"}}},\"labels\":[";
  for (size_t i = 0; i < s.labels.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, s.labels[i]);
  }
  return json_response(200, out + "]}}");
}

// One instance: a string, an id list, or an object with exactly one such field.
Status read_instance(const nlohmann::json& e, const std::string& where, ModelInputs& in) {
  const nlohmann::json* v = &e;
  if (e.is_object()) {
    if (e.size() != 1) return invalid_argument(where + ": expected an object with one input");
    v = &e.begin().value();
  }
  if (v->is_string()) {
    if (!in.rows.empty()) return invalid_argument(where + ": mixes texts and id lists");
    in.texts.push_back(v->get<std::string>());
    return Status();
  }
  if (v->is_array()) {
    if (!in.texts.empty()) return invalid_argument(where + ": mixes texts and id lists");
    std::vector<int64_t> row;
    QUIVER_RETURN_IF_ERROR(read_int_array(*v, where, false, row));
    in.rows.push_back(std::move(row));
    return Status();
  }
  return invalid_argument(where + ": expected a string or a list of ids, got " + v->type_name());
}

Status read_instances(const nlohmann::json& body, const char* key, bool columnar, ModelInputs& in) {
  const nlohmann::json* list = &body.at(key);
  if (columnar && list->is_object()) {
    if (list->size() != 1) return invalid_argument(std::string(key) + ": expected one named input");
    list = &list->begin().value();
  }
  if (!list->is_array()) return invalid_argument(std::string(key) + ": expected a list");
  if (list->empty()) return invalid_argument(std::string(key) + ": no instances given");
  for (size_t i = 0; i < list->size(); ++i) {
    QUIVER_RETURN_IF_ERROR(
        read_instance((*list)[i], std::string(key) + "[" + std::to_string(i) + "]", in));
  }
  return Status();
}

HttpResponse format_predict(const Servable& s, const std::vector<Tensor>& out, bool columnar) {
  std::string json = columnar ? "{\"outputs\":" : "{\"predictions\":";
  const int64_t rows = out[0].shape[0];
  if (out.size() == 1) {
    json += '[';
    append_tensor_rows(json, out[0], 0, rows);
    return json_response(200, json + "]}");
  }
  json += '[';  // several outputs: one object per row, keyed by output name
  for (int64_t r = 0; r < rows; ++r) {
    json += r ? ",{" : "{";
    for (size_t k = 0; k < out.size(); ++k) {
      json += (k ? ",\"output_" : "\"output_") + std::to_string(k) + "\":";
      append_tensor_rows(json, out[k], r, 1);
    }
    json += '}';
  }
  return json_response(200, json + "]}");
}

HttpResponse format_classify(const Servable& s, const std::vector<Tensor>& out) {
  if (s.output_shape.size() != 1) {
    return error_response(unimplemented("model '" + s.name + "' does not output class scores"));
  }
  std::string json = "{\"result\":[";
  for (int64_t r = 0; r < out[0].shape[0]; ++r) {
    json += r ? ",[" : "[";
    std::vector<float> scores = label_scores(s, out[0].data.data() + r * s.output_units);
    for (size_t i = 0; i < scores.size(); ++i) {
      json += i ? ",[" : "[";
      append_json_string(json, s.labels[i]);
      json += ',';
      append_float(json, scores[i]);
      json += ']';
    }
    json += ']';
  }
  return json_response(200, json + "]}");
}

void run_verb(Service& service, const Target& t, const HttpRequest& request, Responder& respond) {
  auto body = parse_json_object(request.body);
  if (!body.ok()) return respond(error_response(body.status()));
  const bool classify = t.verb == "classify";
  const char* key = classify ? (body->contains("examples") ? "examples" : "instances")
                             : (body->contains("instances") ? "instances" : "inputs");
  if (!body->contains(key)) {
    return respond(
        error_response(invalid_argument(classify ? "expected \"examples\" (or \"instances\")"
                                                 : "expected \"instances\" or \"inputs\"")));
  }
  const bool columnar = std::string(key) == "inputs";
  auto handle = service.registry().acquire(t.name, t.version);
  if (!handle.ok()) return respond(error_response(handle.status()));
  ModelInputs inputs;
  Status st = read_instances(*body, key, columnar, inputs);
  if (!st.ok()) return respond(error_response(st));
  OutputFormatter format = classify
                               ? OutputFormatter(format_classify)
                               : [columnar](const Servable& s, const std::vector<Tensor>& out) {
                                   return format_predict(s, out, columnar);
                                 };
  run_model(service, *handle, std::move(inputs), key, std::move(format), respond);
}

}  // namespace

bool route_tfserving(Service& service, HttpRequest& request, Responder& respond) {
  std::vector<std::string> seg = split_path(request.path);
  if (seg.size() < 3 || seg[0] != "v1" || seg[1] != "models") return false;
  Target t;
  Status error;
  if (!parse_target(seg, t, error)) {
    respond(error_response(not_found("no route for " + request.method + " " + request.path)));
    return true;
  }
  if (!error.ok()) {
    respond(error_response(error));
  } else if (!t.verb.empty()) {
    if (request.method != "POST" || !t.tail.empty()) {
      respond(json_response(405, error_body("use POST for :" + t.verb)));
    } else if (t.verb != "predict" && t.verb != "classify") {
      respond(error_response(
          unimplemented("':" + t.verb + "' is not supported (use :predict or :classify)")));
    } else {
      run_verb(service, t, request, respond);
    }
  } else if (request.method != "GET") {
    respond(json_response(405, error_body("use GET for model status and metadata")));
  } else if (t.tail.empty()) {
    respond(version_status(service, t));
  } else {
    auto handle = service.registry().acquire(t.name, t.version);
    respond(handle.ok() ? metadata(*handle->servable) : error_response(handle.status()));
  }
  return true;
}

}  // namespace quiver::serve
