// POST /v1/classify — the users' own call, for one model (groups: routes_group.cc):
//   {"category": "B", "sentences": ["...", ...]}
// -> {"category": "B", "version": 1, "results": [{"label": "Positive",
//     "scores": {"Negative": 0.1, "Positive": 0.9}}, ...]}
// Multi-label models (threshold(s) in the config) add "labels": every label whose score is
// above its threshold. Every result has "known_tokens": how many of the text's tokens the
// model knew (0: none; see `unknown_input` in README.md). With "return_ids": true each result adds "ids": the padded id row
// the model saw (after segmentation and tokenization).
#include "serve/classify_codec.h"
#include "serve/json_codec.h"
#include "serve/service.h"

namespace quiver::serve {
namespace {

HttpResponse format_results(const Servable& s, const std::vector<Tensor>& out,
                            const std::vector<int32_t>* ids, const std::vector<int64_t>& known) {
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
    append_known_tokens(json, known[static_cast<size_t>(r)]);
    if (ids != nullptr) {
      json += ',';
      append_ids(json, ids->data() + r * s.seq_len, s.seq_len);
    }
    json += '}';
  }
  json += "]}";
  return json_response(200, std::move(json));
}

void classify_on(Service& service, ClassifyRequest& req, const ModelHandle& handle,
                 const Responder& respond);

void classify(Service& service, const HttpRequest& request, const Responder& respond) {
  auto body = parse_json_object(request.body);
  if (!body.ok()) return respond(error_response(body.status()));
  ClassifyRequest req;
  Status st = read_classify_request(*body, req);
  if (!st.ok()) return respond(error_response(st));
  if (!req.by_category) return classify_group(service, req, respond);
  auto shared = std::make_shared<ClassifyRequest>(std::move(req));
  with_model(service, shared->category, std::nullopt, respond,
             [&service, shared, respond](const ModelHandle& handle) {
               classify_on(service, *shared, handle, respond);
             });
}

void classify_on(Service& service, ClassifyRequest& req, const ModelHandle& handle,
                 const Responder& respond) {
  if (req.sentences.empty())
    return respond(error_response(invalid_argument("sentences: no texts given")));
  ModelInputs inputs;
  inputs.texts = std::move(req.sentences);
  std::shared_ptr<std::vector<int32_t>> ids;
  if (req.return_ids) ids = std::make_shared<std::vector<int32_t>>();
  auto known = std::make_shared<std::vector<int64_t>>();
  run_model(
      service, handle, std::move(inputs), "sentences",
      [ids, known](const Servable& s, const std::vector<Tensor>& out) {
        return format_results(s, out, ids.get(), *known);
      },
      respond, ids, known);
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
