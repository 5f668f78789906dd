// POST /v1/classify — the users' own call:
//   {"category": "B", "sentences": ["...", ...]}
// -> {"category": "B", "version": 1, "results": [{"label": "Positive",
//     "scores": {"Negative": 0.1, "Positive": 0.9}}, ...]}
// Multi-label models (threshold(s) in the config) add "labels": every label whose score is
// above its threshold.
#include "serve/json_codec.h"
#include "serve/service.h"

namespace quiver::serve {
namespace {

void append_result(std::string& out, const Servable& s, const float* row) {
  std::vector<float> scores = label_scores(s, row);
  size_t best = 0;
  for (size_t i = 1; i < scores.size(); ++i) {
    if (scores[i] > scores[best]) best = i;
  }
  out += "{\"label\":";
  append_json_string(out, s.labels[best]);
  if (!s.thresholds.empty()) {
    out += ",\"labels\":[";
    bool first = true;
    for (size_t i = 0; i < scores.size(); ++i) {
      if (!(scores[i] > s.thresholds[i])) continue;
      if (!first) out += ',';
      first = false;
      append_json_string(out, s.labels[i]);
    }
    out += ']';
  }
  out += ",\"scores\":{";
  for (size_t i = 0; i < scores.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, s.labels[i]);
    out += ':';
    append_float(out, scores[i]);
  }
  out += "}}";
}

Status read_sentences(const nlohmann::json& body, std::string& category,
                      std::vector<std::string>& sentences) {
  auto c = body.find("category");
  if (c == body.end() || !c->is_string()) {
    return invalid_argument("category: expected a string (the model name)");
  }
  category = c->get<std::string>();
  auto s = body.find("sentences");
  if (s == body.end() || !s->is_array()) {
    return invalid_argument("sentences: expected an array of strings");
  }
  for (size_t i = 0; i < s->size(); ++i) {
    const auto& e = (*s)[i];
    if (!e.is_string()) {
      return invalid_argument("sentences[" + std::to_string(i) + "]: expected a string, got " +
                              e.type_name());
    }
    sentences.push_back(e.get<std::string>());
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "category" && key != "sentences")
      return invalid_argument("unknown field '" + key + "'");
  }
  return Status();
}

HttpResponse format_results(const Servable& s, const std::vector<Tensor>& out) {
  if (s.output_shape.size() != 1) {
    return error_response(
        unimplemented("model '" + s.name + "' does not output one score vector per text"));
  }
  const Tensor& t = out[0];
  std::string json = "{\"category\":";
  append_json_string(json, s.name);
  json += ",\"version\":" + std::to_string(s.version) + ",\"results\":[";
  for (int64_t r = 0; r < t.shape[0]; ++r) {
    if (r) json += ',';
    append_result(json, s, t.data.data() + r * s.output_units);
  }
  json += "]}";
  return json_response(200, std::move(json));
}

void classify(Service& service, const HttpRequest& request, Responder& respond) {
  auto body = parse_json_object(request.body);
  if (!body.ok()) return respond(error_response(body.status()));
  std::string category;
  ModelInputs inputs;
  Status st = read_sentences(*body, category, inputs.texts);
  if (!st.ok()) return respond(error_response(st));
  auto handle = service.registry().acquire(category);
  if (!handle.ok()) return respond(error_response(handle.status()));
  if (inputs.texts.empty())
    return respond(error_response(invalid_argument("sentences: no texts given")));
  run_model(service, *handle, std::move(inputs), "sentences", format_results, respond);
}

}  // namespace

bool route_classify(Service& service, HttpRequest& request, Responder& respond) {
  if (request.path != "/v1/classify") return false;
  if (request.method != "POST") {
    respond(json_response(405, error_body("use POST for /v1/classify")));
    return true;
  }
  classify(service, request, respond);
  return true;
}

}  // namespace quiver::serve
