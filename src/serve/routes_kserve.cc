// KServe v2 / Open Inference Protocol (kserve docs/predict-api/v2/required_api.md,
// open-inference-protocol specification/protocol/inference_rest.md) and Triton's model
// repository extension (triton-inference-server/server docs/protocol/
// extension_model_repository.md):
//   GET  /v2/health/live, /v2/health/ready, /v2
//   GET  /v2/models/{name}[/versions/{v}]          model metadata: inputs of serving_default
//   GET  /v2/models/{name}[/versions/{v}]/ready
//   POST /v2/models/{name}[/versions/{v}]/infer    the inputs the metadata lists (a text
//                                                  model: `text` BYTES [-1]; with parameter
//                                                  "signature_name": "ids", `input_ids`
//                                                  INT32 [-1, T]); optional `outputs`
//   POST /v2/repository/index                      (admin token, as the admin endpoints)
//   POST /v2/repository/models/{name}/load|unload  (admin token)
// Health answers 200 for true and 400 for false ("A 200 status code indicates true and a
// 4xx status code indicates false"). Outputs are FP32, named output_0, output_1, ...
#include <algorithm>
#include <charconv>
#include <climits>

#include "quiver/version.h"
#include "serve/json_codec.h"
#include "serve/service.h"
#include "serve/signatures.h"

namespace quiver::serve {
namespace {

constexpr const char* kVersion = QUIVER_VERSION;

std::string dims_json(const std::vector<int64_t>& dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) out += (i ? "," : "") + std::to_string(dims[i]);
  return out + "]";
}

std::string tensor_metadata(const std::string& name, const char* datatype,
                            const std::vector<int64_t>& shape) {
  return "{\"name\":\"" + name + "\",\"datatype\":\"" + datatype + "\",\"shape\":" +
         dims_json(shape) + "}";
}

// "inputs": "The inputs required by the model" — the default signature's.
HttpResponse model_metadata(const Servable& s) {
  std::string out = "{\"name\":";
  append_json_string(out, s.name);
  out += ",\"versions\":[\"" + std::to_string(s.version) + "\"],\"platform\":\"" +
         platform_of(s) + "\",\"inputs\":[";
  const Signature sig = signatures_of(s).front();
  for (size_t i = 0; i < sig.inputs.size(); ++i) {
    const InputSpec& in = sig.inputs[i];
    out += (i ? "," : "") + tensor_metadata(in.name, in.v2_datatype(), in.shape());
  }
  out += "],\"outputs\":[";
  const auto& shapes = s.predictor->info().output_shapes;
  const std::vector<std::string> names = output_names(s);
  for (size_t i = 0; i < shapes.size(); ++i) {
    out += (i ? "," : "") + tensor_metadata(names[i], "FP32", shapes[i]);
  }
  return json_response(200, out + "]}");
}

// $parameters: "zero or more parameters ... where the value is a $string, $number, or
// $boolean".
Status check_parameters(const nlohmann::json& holder, const std::string& what) {
  auto it = holder.find("parameters");
  if (it == holder.end()) return Status();
  if (!it->is_object()) return invalid_argument(what + ".parameters: expected an object");
  for (const auto& [key, value] : it->items()) {
    if (!value.is_string() && !value.is_number() && !value.is_boolean()) {
      return invalid_argument(what + ".parameters." + key +
                              ": expected a string, number or boolean");
    }
  }
  return Status();
}

// Nested data arrays are allowed ("Tensor elements may be presented in their nature
// multi-dimensional representation, or as a flattened one-dimensional representation").
void flatten_values(const nlohmann::json& j, std::vector<const nlohmann::json*>& out) {
  if (!j.is_array()) {
    out.push_back(&j);
    return;
  }
  for (const auto& e : j) flatten_values(e, out);
}

// One $request_input, checked against its InputSpec: datatype as the metadata lists it,
// shape of the metadata's rank (-1 matches any size), data with as many elements.
Status read_input(const InputSpec& spec, const nlohmann::json& input, const std::string& where,
                  NamedInputs& inputs) {
  auto dt = input.find("datatype");
  if (dt == input.end() || !dt->is_string()) return invalid_argument(where + ".datatype: missing");
  if (dt->get<std::string>() != spec.v2_datatype()) {
    return invalid_argument(where + ": input '" + spec.name + "' is " + spec.v2_datatype() +
                            ", got datatype '" + dt->get<std::string>() + "'");
  }
  auto sh = input.find("shape");
  if (sh == input.end()) return invalid_argument(where + ".shape: missing");
  std::vector<int64_t> shape;
  QUIVER_RETURN_IF_ERROR(read_int_array(*sh, where + ".shape", false, shape));
  std::vector<int64_t> want = spec.shape();
  // A several-input model's text input (Keras' Input(shape=(1,), dtype="string")): [n, 1] too.
  if (spec.kind == InputKind::kText && spec.model_input && shape.size() == 2) want = {-1, 1};
  bool fits = shape.size() == want.size();
  for (size_t i = 0; fits && i < shape.size(); ++i) {
    fits = shape[i] >= 0 && (want[i] < 0 || shape[i] == want[i]);
  }
  if (!fits || shape[0] == 0) {
    return invalid_argument(where + ": input '" + spec.name + "' has shape " + dims_json(want) +
                            ", got " + dims_json(shape));
  }
  QUIVER_RETURN_IF_ERROR(check_parameters(input, where));
  auto data = input.find("data");
  if (data == input.end() || !data->is_array()) return invalid_argument(where + ".data: expected a list");
  std::vector<const nlohmann::json*> flat;
  flatten_values(*data, flat);
  int64_t elements = 1;
  for (int64_t d : shape) elements *= d;
  if (static_cast<int64_t>(flat.size()) != elements) {
    return invalid_argument(where + ".data: " + std::to_string(flat.size()) +
                            " elements for shape " + dims_json(shape));
  }
  InputValues& values = inputs[spec.name];
  if (spec.model_input && spec.kind != InputKind::kText) {  // rows of a model input, row-major
    const std::vector<int64_t> row_shape(shape.begin() + 1, shape.end());
    const size_t per_row = flat.size() / static_cast<size_t>(shape[0]);
    for (size_t r = 0; r < static_cast<size_t>(shape[0]); ++r) {
      std::vector<double> row;
      for (size_t k = r * per_row; k < (r + 1) * per_row; ++k) {
        if (!flat[k]->is_number()) {
          return invalid_argument(where + ".data[" + std::to_string(k) + "]: expected a number");
        }
        row.push_back(flat[k]->get<double>());
      }
      QUIVER_RETURN_IF_ERROR(add_model_input_row(spec, std::move(row), row_shape, where, values));
    }
    return Status();
  }
  if (spec.kind == InputKind::kText) {
    for (size_t i = 0; i < flat.size(); ++i) {
      if (!flat[i]->is_string()) {
        return invalid_argument(where + ".data[" + std::to_string(i) + "]: expected a string");
      }
      values.texts.push_back(flat[i]->get<std::string>());
    }
    return Status();
  }
  std::vector<int64_t> ids;
  QUIVER_RETURN_IF_ERROR(read_int_array(*data, where + ".data", true, ids));
  for (int64_t id : ids) {
    if (id < INT32_MIN || id > INT32_MAX) {
      return invalid_argument(where + ".data: " + std::to_string(id) + " is not an INT32");
    }
  }
  for (int64_t r = 0; r < shape[0]; ++r) {
    values.rows.emplace_back(ids.begin() + r * shape[1], ids.begin() + (r + 1) * shape[1]);
  }
  return Status();
}

// The whole $inference_request: its signature (server-specific parameter
// "signature_name", default serving_default), its inputs, the requested outputs.
struct InferRequest {
  ModelInputs inputs;
  std::string id;
  bool has_id = false;
  std::vector<size_t> outputs;  // indices of the outputs to return, in request order
};

Result<InferRequest> read_infer(const Servable& s, const nlohmann::json& body) {
  InferRequest r;
  if (auto it = body.find("id"); it != body.end()) {
    if (!it->is_string()) return invalid_argument("id: expected a string");
    r.id = it->get<std::string>();
    r.has_id = true;
  }
  QUIVER_RETURN_IF_ERROR(check_parameters(body, "request"));
  std::string signature;
  if (auto p = body.find("parameters"); p != body.end() && p->contains("signature_name")) {
    if (!(*p)["signature_name"].is_string()) {
      return invalid_argument("parameters.signature_name: expected a string");
    }
    signature = (*p)["signature_name"].get<std::string>();
  }
  QUIVER_ASSIGN_OR_RETURN(Signature sig, find_signature(s, signature));
  auto list = body.find("inputs");
  if (list == body.end() || !list->is_array() || list->empty()) {
    return invalid_argument("inputs: expected a list of input tensors (model '" + s.name +
                            "' takes: " + sig.input_names() + ")");
  }
  NamedInputs inputs;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string where = "inputs[" + std::to_string(i) + "]";
    const nlohmann::json& input = (*list)[i];
    if (!input.is_object()) return invalid_argument(where + ": expected an object");
    auto name = input.find("name");
    if (name == input.end() || !name->is_string()) return invalid_argument(where + ".name: missing");
    const InputSpec* spec = sig.find(name->get<std::string>());
    if (spec == nullptr) return unknown_input(sig, name->get<std::string>(), where);
    if (inputs.count(spec->name)) {
      return invalid_argument(where + ": input '" + spec->name + "' is given twice");
    }
    QUIVER_RETURN_IF_ERROR(read_input(*spec, input, where, inputs));
  }
  QUIVER_ASSIGN_OR_RETURN(r.inputs, bind_inputs(sig, std::move(inputs), "inputs"));
  const std::vector<std::string> names = output_names(s);
  auto outputs = body.find("outputs");
  if (outputs == body.end()) {  // "if not specified all outputs produced by the model"
    for (size_t k = 0; k < names.size(); ++k) r.outputs.push_back(k);
    return r;
  }
  if (!outputs->is_array()) return invalid_argument("outputs: expected a list");
  for (size_t i = 0; i < outputs->size(); ++i) {
    const std::string where = "outputs[" + std::to_string(i) + "]";
    const nlohmann::json& o = (*outputs)[i];
    if (!o.is_object() || !o.contains("name") || !o["name"].is_string()) {
      return invalid_argument(where + ": expected {\"name\": ...}");
    }
    QUIVER_RETURN_IF_ERROR(check_parameters(o, where));
    const std::string wanted = o["name"].get<std::string>();
    auto k = std::find(names.begin(), names.end(), wanted);
    if (k == names.end()) {
      std::string all;
      for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
      return invalid_argument(where + ": model '" + s.name + "' has no output '" + wanted +
                              "' (its outputs: " + all + ")");
    }
    const size_t index = static_cast<size_t>(k - names.begin());
    if (std::find(r.outputs.begin(), r.outputs.end(), index) != r.outputs.end()) {
      return invalid_argument(where + ": output '" + wanted + "' is requested twice");
    }
    r.outputs.push_back(index);
  }
  if (r.outputs.empty()) return invalid_argument("outputs: no output requested");
  return r;
}

HttpResponse format_infer(const Servable& s, const std::vector<Tensor>& out,
                          const InferRequest& r) {
  std::string json = "{\"model_name\":";
  append_json_string(json, s.name);
  json += ",\"model_version\":\"" + std::to_string(s.version) + "\"";
  if (r.has_id) {  // "if specified this identifier must be returned in the response"
    json += ",\"id\":";
    append_json_string(json, r.id);
  }
  json += ",\"outputs\":[";
  const std::vector<std::string> names = output_names(s);
  for (size_t i = 0; i < r.outputs.size(); ++i) {
    const size_t k = r.outputs[i];
    json += (i ? ",{\"name\":\"" : "{\"name\":\"") + names[k] +
            "\",\"datatype\":\"FP32\",\"shape\":" + dims_json(out[k].shape) + ",\"data\":";
    append_flat(json, out[k]);
    json += '}';
  }
  return json_response(200, json + "]}");
}

void infer_on(Service& service, const std::string& name, const nlohmann::json* body,
              const ModelHandle* handle, const Responder& respond) {
  auto parsed = read_infer(*handle->servable, *body);
  if (!parsed.ok()) {
    service.count_rejected(name);
    return respond(error_response(parsed.status()));
  }
  auto r = std::make_shared<InferRequest>(std::move(parsed).value());
  ModelInputs inputs = std::move(r->inputs);
  run_model(
      service, *handle, std::move(inputs), "inputs[0].data",
      [r](const Servable& s, const std::vector<Tensor>& out) { return format_infer(s, out, *r); },
      respond);
}

void infer(Service& service, const std::string& name, std::optional<int64_t> version,
           const HttpRequest& request, Responder& respond) {
  auto body = parse_json_object(request.body);
  if (!body.ok()) return respond(error_response(body.status()));
  auto json = std::make_shared<nlohmann::json>(std::move(body).value());
  with_model(service, name, version, respond,
             [&service, name, json, respond](const ModelHandle& handle) {
               infer_on(service, name, json.get(), &handle, respond);
             });
}

// $repository_index_response: every configured model ("even if it is not currently
// loaded"), state READY / LOADING / UNAVAILABLE; {"ready": true} lists only ready ones.
// An on-demand model that is not loaded is UNAVAILABLE with the reason "unloaded (load:
// on_demand): ..." (Triton's states and its "unloaded" reason; the extension names no
// other state), or its last load's error.
HttpResponse repository_index(Service& service, const HttpRequest& request) {
  bool only_ready = false;
  if (request.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    auto body = parse_json_object(request.body);
    if (!body.ok()) return error_response(body.status());
    if (auto it = body->find("ready"); it != body->end()) {
      if (!it->is_boolean()) return error_response(invalid_argument("ready: expected a boolean"));
      only_ready = it->get<bool>();
    }
  }
  std::string out = "[";
  bool first = true;
  for (const ModelStatus& s : service.registry().statuses()) {
    if (!s.configured && s.serving_version == 0) continue;  // removed from the config
    const bool loading = !s.versions.empty() && s.versions.front().state == VersionState::kLoading;
    const char* state = s.serving_version > 0 ? "READY" : loading ? "LOADING" : "UNAVAILABLE";
    if (only_ready && s.serving_version == 0) continue;
    std::string reason = s.last_error.message();
    if (s.serving_version == 0 && !loading && reason.empty()) {
      reason = s.on_demand ? "unloaded (load: on_demand): loads on its first request" : "unloaded";
    }
    out += first ? "{\"name\":" : ",{\"name\":";
    first = false;
    append_json_string(out, s.name);
    if (s.serving_version > 0) out += ",\"version\":\"" + std::to_string(s.serving_version) + "\"";
    out += std::string(",\"state\":\"") + state + "\",\"reason\":";
    append_json_string(out, reason);
    out += '}';
  }
  return json_response(200, out + "]");
}

// A load / unload body "may be empty or may contain" {"parameters": {...}}. Triton's
// load parameters "config" and "file:..." replace the model's files: not supported here.
Status check_repository_body(const HttpRequest& request, bool load) {
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) return Status();
  QUIVER_ASSIGN_OR_RETURN(nlohmann::json body, parse_json_object(request.body));
  QUIVER_RETURN_IF_ERROR(check_parameters(body, "request"));
  if (!load || !body.contains("parameters")) return Status();
  for (const auto& [key, value] : body["parameters"].items()) {
    if (key == "config" || key.rfind("file:", 0) == 0) {
      return invalid_argument("parameters." + key +
                              ": quiver loads models from its config file; change the config "
                              "and POST /admin/reload instead");
    }
  }
  return Status();
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
  if (action.empty()) {  // metadata: an on-demand model is loaded first
    with_model(service, name, version, respond,
               [respond](const ModelHandle& handle) { respond(model_metadata(*handle.servable)); });
    return true;
  }
  // Ready: loaded and serving. An on-demand model that is not loaded answers false (it is
  // not "ready for inferencing" until its load; docs/deploy.md), without loading it.
  auto handle = service.registry().acquire(name, version);
  {
    if (!handle.ok() && handle.status().code() == StatusCode::kNotFound) {
      respond(error_response(handle.status()));
    } else {
      std::string out = "{\"name\":";
      append_json_string(out, name);
      out += std::string(",\"ready\":") + (handle.ok() ? "true}" : "false}");
      respond(json_response(handle.ok() ? 200 : 400, out));
    }
  }
  return true;
}

bool route_repository(Service& service, const std::vector<std::string>& seg, HttpRequest& request,
                      Responder& respond) {
  const bool index = seg.size() == 3 && seg[2] == "index";
  const bool model_op =
      seg.size() == 5 && seg[2] == "models" && (seg[4] == "load" || seg[4] == "unload");
  if (!index && !model_op) return false;
  if (request.method != "POST") {
    respond(json_response(405, error_body("use POST for the repository API")));
  } else if (auto denied = check_admin(service, request)) {
    respond(*denied);
  } else if (index) {
    respond(repository_index(service, request));
  } else if (Status st = check_repository_body(request, seg[4] == "load"); !st.ok()) {
    respond(error_response(st));
  } else {
    run_model_op(service, seg[3], seg[4] == "unload", respond);
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
      respond(json_response(ready ? 200 : 400, ready ? "{\"ready\":true}" : "{\"ready\":false}"));
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
