// TensorFlow Serving's REST API, as tensorflow/serving g3doc/api_rest.md specifies it:
//   GET  /v1/models/{name}[/versions/{v}|/labels/{l}]            GetModelStatusResponse
//   GET  /v1/models/{name}[/versions/{v}|/labels/{l}]/metadata   GetModelMetadataResponse
//   POST /v1/models/{name}[/versions/{v}|/labels/{l}]:predict    row ("instances") or
//                                                                columnar ("inputs") format
//   POST /v1/models/{name}[/versions/{v}|/labels/{l}]:classify   {"examples": [...]}
//   POST .../:regress   400: quiver's models are classifiers (no regression signature)
// Inputs are named by the model's signatures (signatures.h): a text model's
// serving_default takes `text`, its `ids` signature takes `input_ids`. Errors are
// {"error": "..."} ("In case of error, all APIs will return a JSON object in the response
// body with `error` as key and the error message as the value").
#include <charconv>

#include "serve/json_codec.h"
#include "serve/service.h"
#include "serve/signatures.h"

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
  } else if (rest.size() >= 3 && rest[1] == "labels") {
    // quiver assigns no version labels: every label is unknown.
    error = not_found("model '" + t.name + "' has no version label '" + rest[2] + "'");
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

// GetModelMetadataResponse: model_spec and the SignatureDefMap (one entry per signature).
HttpResponse metadata(const Servable& s) {
  std::string out = "{\"model_spec\":{\"name\":";
  append_json_string(out, s.name);
  out += ",\"signature_name\":\"\",\"version\":\"" + std::to_string(s.version) + "\"}";
  out += ",\"metadata\":{\"signature_def\":{\"@type\":"
         "\"type.googleapis.com/tensorflow.serving.SignatureDefMap\",\"signature_def\":{";
  const auto& shapes = s.predictor->info().output_shapes;
  const std::vector<std::string> outputs = output_names(s);
  bool first = true;
  for (const Signature& sig : signatures_of(s)) {
    out += (first ? "\"" : ",\"") + sig.name + "\":{\"inputs\":{";
    first = false;
    for (size_t i = 0; i < sig.inputs.size(); ++i) {
      out += (i ? "," : "") +
             tensor_info(sig.inputs[i].name, sig.inputs[i].tf_dtype(), sig.inputs[i].shape());
    }
    out += "},\"outputs\":{";
    for (size_t i = 0; i < shapes.size(); ++i) {
      out += (i ? "," : "") + tensor_info(outputs[i], "DT_FLOAT", shapes[i]);
    }
    out += "},\"method_name\":\"tensorflow/serving/predict\"}";
  }
  return json_response(200, out + "}}}}");
}

// The request's signature: "signature_name" ("If unspecifed default serving signature is
// used"); an unknown name is an error, as is a non-string.
Result<Signature> request_signature(const Servable& s, const nlohmann::json& body) {
  auto it = body.find("signature_name");
  if (it == body.end()) return find_signature(s, "");
  if (!it->is_string()) return invalid_argument("signature_name: expected a string");
  return find_signature(s, it->get<std::string>());
}

// Row format: "instances" is a list; each item is the value of the only input, or an
// object with one value per named input ("each item is expected to be an object
// containing input name/tensor value pair, one for each named input").
Result<ModelInputs> read_rows(const Signature& sig, const nlohmann::json& list) {
  if (!list.is_array()) return invalid_argument("instances: expected a list");
  if (list.empty()) return invalid_argument("instances: no instances given");
  const bool named = list[0].is_object() && !list[0].contains("b64");
  NamedInputs inputs;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "instances[" + std::to_string(i) + "]";
    const nlohmann::json& item = list[i];
    if (named != (item.is_object() && !item.contains("b64"))) {
      return invalid_argument(where + ": mixes objects of named inputs with plain values");
    }
    if (!named) {
      if (sig.inputs.size() != 1) {
        return invalid_argument(where + ": signature '" + sig.name + "' has several inputs (" +
                                sig.input_names() + "): send an object naming each");
      }
      QUIVER_RETURN_IF_ERROR(read_row_value(sig.inputs[0], item, where, inputs[sig.inputs[0].name]));
      continue;
    }
    for (const auto& [name, value] : item.items()) {
      const InputSpec* spec = sig.find(name);
      if (spec == nullptr) return unknown_input(sig, name, where);
      QUIVER_RETURN_IF_ERROR(read_row_value(*spec, value, where + "." + name, inputs[name]));
    }
    for (const InputSpec& spec : sig.inputs) {
      if (!item.contains(spec.name)) {
        return invalid_argument(where + ": missing input '" + spec.name + "' (signature '" +
                                sig.name + "' has: " + sig.input_names() + ")");
      }
    }
  }
  return bind_inputs(sig, std::move(inputs), "instances");
}

// Columnar format: "inputs" is the only input's tensor, or an object mapping each input
// name to its tensor ("a map of input name to tensors"). A tensor with a batch dimension
// is a list of rows.
Result<ModelInputs> read_columns(const Signature& sig, const nlohmann::json& value) {
  NamedInputs inputs;
  auto read_tensor = [&](const InputSpec& spec, const nlohmann::json& tensor,
                         const std::string& where) -> Status {
    if (!tensor.is_array()) {
      return invalid_argument(where + ": input '" + spec.name + "' has shape " +
                              (spec.kind == InputKind::kText ? "[-1]" : "[-1, T]") +
                              ": expected a list of rows");
    }
    InputValues& values = inputs[spec.name];
    for (size_t i = 0; i < tensor.size(); ++i) {
      QUIVER_RETURN_IF_ERROR(
          read_row_value(spec, tensor[i], where + "[" + std::to_string(i) + "]", values));
    }
    return Status();
  };
  if (value.is_object() && !value.contains("b64")) {
    for (const auto& [name, tensor] : value.items()) {
      const InputSpec* spec = sig.find(name);
      if (spec == nullptr) return unknown_input(sig, name, "inputs");
      QUIVER_RETURN_IF_ERROR(read_tensor(*spec, tensor, "inputs." + name));
    }
  } else {
    if (sig.inputs.size() != 1) {
      return invalid_argument("inputs: signature '" + sig.name + "' has several inputs (" +
                              sig.input_names() + "): send an object naming each");
    }
    QUIVER_RETURN_IF_ERROR(read_tensor(sig.inputs[0], value, "inputs"));
  }
  return bind_inputs(sig, std::move(inputs), "inputs");
}

// Classify: "examples" is a list of objects, one feature per named input, plus "context"
// features shared by all examples ("Features that appear here MUST NOT appear in
// examples"). A feature's value is a value or a list of values (tf.Example features are
// lists): a text feature is a string or a one-string list; an ids feature a list of ids.
Result<ModelInputs> read_examples(const Signature& sig, const nlohmann::json& body) {
  auto list = body.find("examples");
  if (list == body.end() || !list->is_array()) {
    return invalid_argument("examples: expected a list of Example objects");
  }
  if (list->empty()) return invalid_argument("examples: no examples given");
  nlohmann::json context = nlohmann::json::object();
  if (auto c = body.find("context"); c != body.end()) {
    if (!c->is_object()) return invalid_argument("context: expected an object of features");
    context = *c;
  }
  NamedInputs inputs;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string where = "examples[" + std::to_string(i) + "]";
    const nlohmann::json& example = (*list)[i];
    if (!example.is_object()) return invalid_argument(where + ": expected an object of features");
    nlohmann::json features = context;
    for (const auto& [name, value] : example.items()) {
      if (context.contains(name)) {
        return invalid_argument(where + ": feature '" + name + "' is also in context");
      }
      features[name] = value;
    }
    for (const auto& [name, value] : features.items()) {
      const InputSpec* spec = sig.find(name);
      if (spec == nullptr) return unknown_input(sig, name, where);
      const bool one_string_list = spec->kind == InputKind::kText && value.is_array() &&
                                   value.size() == 1;
      QUIVER_RETURN_IF_ERROR(read_row_value(*spec, one_string_list ? value[0] : value,
                                            where + "." + name, inputs[name]));
    }
  }
  return bind_inputs(sig, std::move(inputs), "examples");
}

// "If the output of the model contains only one named tensor, we omit the name"; several
// outputs: row format gives one object per row, columnar one object of whole tensors.
HttpResponse format_predict(const Servable& s, const std::vector<Tensor>& out, bool columnar) {
  std::string json = columnar ? "{\"outputs\":" : "{\"predictions\":";
  const int64_t rows = out[0].shape[0];
  if (out.size() == 1) {
    json += '[';
    append_tensor_rows(json, out[0], 0, rows);
    return json_response(200, json + "]}");
  }
  const std::vector<std::string> names = output_names(s);
  if (columnar) {
    json += '{';
    for (size_t k = 0; k < out.size(); ++k) {
      json += (k ? ",\"" : "\"") + names[k] + "\":[";
      append_tensor_rows(json, out[k], 0, rows);
      json += ']';
    }
    return json_response(200, json + "}}");
  }
  json += '[';
  for (int64_t r = 0; r < rows; ++r) {
    json += r ? ",{" : "{";
    for (size_t k = 0; k < out.size(); ++k) {
      json += (k ? ",\"" : "\"") + names[k] + "\":";
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

void run_verb_on(Service& service, const Target& t, const nlohmann::json* body,
                 const ModelHandle* handle, const Responder& respond) {
  const Servable& s = *handle->servable;
  if (t.verb == "regress") {
    return respond(error_response(invalid_argument(
        "model '" + s.name + "' has no regression signature: it is a classifier (use :classify "
        "or :predict)")));
  }
  auto sig = request_signature(s, *body);
  if (!sig.ok()) return respond(error_response(sig.status()));
  const bool classify = t.verb == "classify";
  const bool rows = body->contains("instances"), columns = body->contains("inputs");
  Result<ModelInputs> inputs = invalid_argument("");
  if (classify) {
    inputs = read_examples(*sig, *body);
  } else if (rows && columns) {
    // "A request can have either of them but NOT both."
    inputs = invalid_argument("give either \"instances\" (row format) or \"inputs\" (columnar "
                              "format), not both");
  } else if (!rows && !columns) {
    inputs = invalid_argument("expected \"instances\" (row format) or \"inputs\" (columnar format)");
  } else {
    inputs = rows ? read_rows(*sig, body->at("instances")) : read_columns(*sig, body->at("inputs"));
  }
  if (!inputs.ok()) {
    service.count_rejected(s.name);
    return respond(error_response(inputs.status()));
  }
  const char* what = classify ? "examples" : (rows ? "instances" : "inputs");
  OutputFormatter format = classify
                               ? OutputFormatter(format_classify)
                               : [columns](const Servable& sv, const std::vector<Tensor>& out) {
                                   return format_predict(sv, out, columns);
                                 };
  run_model(service, *handle, std::move(inputs).value(), what, std::move(format), respond);
}

void run_verb(Service& service, const Target& t, const HttpRequest& request, Responder& respond) {
  auto body = parse_json_object(request.body);
  if (!body.ok()) return respond(error_response(body.status()));
  auto json = std::make_shared<nlohmann::json>(std::move(body).value());
  with_model(service, t.name, t.version, respond,
             [&service, t, json, respond](const ModelHandle& handle) {
               run_verb_on(service, t, json.get(), &handle, respond);
             });
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
    } else if (t.verb != "predict" && t.verb != "classify" && t.verb != "regress") {
      respond(error_response(
          not_found("no route for " + request.method + " " + request.path +
                    " (verbs: :predict, :classify, :regress)")));
    } else {
      run_verb(service, t, request, respond);
    }
  } else if (request.method != "GET") {
    respond(json_response(405, error_body("use GET for model status and metadata")));
  } else if (t.tail.empty()) {
    respond(version_status(service, t));
  } else {
    with_model(service, t.name, t.version, respond,
               [respond](const ModelHandle& handle) { respond(metadata(*handle.servable)); });
  }
  return true;
}

}  // namespace quiver::serve
