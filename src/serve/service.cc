#include "serve/service.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <exception>

#include "serve/json_codec.h"

namespace quiver::serve {
namespace {

// Python's str.isspace() for the ASCII and common Unicode spaces (NBSP, ideographic).
bool blank_text(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)) {
      ++i;
      continue;
    }
    if (s.compare(i, 2, "\xC2\xA0") == 0 || s.compare(i, 2, "\xC2\x85") == 0) {
      i += 2;
      continue;
    }
    if (s.compare(i, 3, "\xE3\x80\x80") == 0 || s.compare(i, 3, "\xE2\x80\xA8") == 0 ||
        s.compare(i, 3, "\xE2\x80\xA9") == 0) {
      i += 3;
      continue;
    }
    return false;
  }
  return true;
}

Status check_id_range(const Servable& s, const std::vector<int32_t>& ids, int64_t seq_len,
                      const std::string& what) {
  for (size_t k = 0; k < ids.size(); ++k) {
    if (ids[k] < 0 || ids[k] >= s.vocab_size) {
      return invalid_argument(what + "[" + std::to_string(k / seq_len) + "]: id " +
                              std::to_string(ids[k]) + " is outside the vocabulary of model '" +
                              s.name + "' (ids 0.." + std::to_string(s.vocab_size - 1) + ")");
    }
  }
  return Status();
}

// "3,0,5": the known-token counts of a request's texts ("" for id inputs).
std::string known_tokens_header(const std::vector<int64_t>& known) {
  std::string out;
  for (size_t i = 0; i < known.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(known[i]);
  }
  return out;
}

}  // namespace

Result<EncodedInput> encode_texts(const Servable& s, const std::vector<std::string>& texts,
                                  const ServerLimits& limits, const std::string& what) {
  const bool raw_text = s.classifier->takes_raw_text();
  if (!s.tokenizer && !raw_text) {
    return invalid_argument("model '" + s.name + "' has no tokenizer: send id lists, not texts");
  }
  if (texts.empty()) return invalid_argument(what + ": no texts given");
  if (static_cast<int64_t>(texts.size()) > limits.max_instances) {
    return invalid_argument(what + ": " + std::to_string(texts.size()) +
                            " texts exceed the limit of " + std::to_string(limits.max_instances) +
                            " per request");
  }
  EncodedInput out;
  out.rows = static_cast<int64_t>(texts.size());
  out.seq_len = s.seq_len;
  if (!raw_text) out.ids.reserve(static_cast<size_t>(out.rows * out.seq_len));
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string where = what + "[" + std::to_string(i) + "]";
    if (static_cast<int64_t>(texts[i].size()) > limits.max_text_bytes) {
      return invalid_argument(where + ": " + std::to_string(texts[i].size()) +
                              " bytes exceed the limit of " +
                              std::to_string(limits.max_text_bytes));
    }
    if (blank_text(texts[i])) return invalid_argument(where + ": empty or whitespace-only text");
    if (!valid_utf8(texts[i])) return invalid_argument(where + ": not valid UTF-8");
    auto encoded = s.classifier->encode(texts[i]);
    if (!encoded.ok()) return encoded.status().with_context(where);
    out.known_tokens.push_back(encoded->known_tokens);
    if (raw_text) {  // the model's TextVectorization encodes it on the batcher thread
      out.texts.push_back(texts[i]);
      continue;
    }
    out.ids.insert(out.ids.end(), encoded->ids.begin(), encoded->ids.end());
  }
  if (raw_text) {
    out.seq_len = -1;
    return out;
  }
  QUIVER_RETURN_IF_ERROR(check_id_range(s, out.ids, out.seq_len, what));
  return out;
}

Result<EncodedInput> encode_tensors(std::vector<Tensor> tensors, const ServerLimits& limits,
                                    const std::string& what) {
  for (const Tensor& t : tensors) {  // a text input's strings: as encode_texts checks texts
    for (size_t i = 0; i < t.strings.size(); ++i) {
      const std::string where = what + "[" + std::to_string(i) + "]";
      if (static_cast<int64_t>(t.strings[i].size()) > limits.max_text_bytes) {
        return invalid_argument(where + ": " + std::to_string(t.strings[i].size()) +
                                " bytes exceed the limit of " +
                                std::to_string(limits.max_text_bytes));
      }
      if (!valid_utf8(t.strings[i])) return invalid_argument(where + ": not valid UTF-8");
    }
  }
  EncodedInput out;
  out.rows = tensors.front().shape[0];
  out.seq_len = -1;
  out.tensors = std::move(tensors);
  return out;
}

Result<EncodedInput> encode_ids(const Servable& s, const std::vector<std::vector<int64_t>>& rows,
                                const std::string& what) {
  if (rows.empty()) return invalid_argument(what + ": no instances given");
  EncodedInput out;
  out.rows = static_cast<int64_t>(rows.size());
  out.seq_len = static_cast<int64_t>(rows[0].size());
  const int64_t want = s.input_length > 0 ? s.input_length : out.seq_len;
  for (size_t i = 0; i < rows.size(); ++i) {
    const int64_t len = static_cast<int64_t>(rows[i].size());
    if (len == 0) return invalid_argument(what + "[" + std::to_string(i) + "]: an empty id row");
    if (len != want) {
      return invalid_argument(what + "[" + std::to_string(i) + "]: " + std::to_string(len) +
                              " ids, expected " + std::to_string(want) +
                              (s.input_length > 0 ? " (the model's input length)" : " (as row 0)"));
    }
    for (int64_t id : rows[i]) {
      if (id < 0 || id >= s.vocab_size) {
        return invalid_argument(what + "[" + std::to_string(i) + "]: id " + std::to_string(id) +
                                " is outside the vocabulary of model '" + s.name + "' (ids 0.." +
                                std::to_string(s.vocab_size - 1) + ")");
      }
      out.ids.push_back(static_cast<int32_t>(id));
    }
  }
  return out;
}

Service::Service(Registry* registry, Metrics* metrics, ServerConfig server,
                 ReloadConfig reload_config)
    : registry_(registry),
      metrics_(metrics),
      server_(std::move(server)),
      reload_config_(std::move(reload_config)) {}

Service::~Service() { admin_pool_.join(); }

void Service::handle(HttpRequest&& request, Responder respond) noexcept {
  auto answered = std::make_shared<std::atomic<bool>>(false);
  Responder once = [this, answered, respond = std::move(respond)](HttpResponse r) {
    if (answered->exchange(true)) return;
    metrics_->count_http(r.status);
    respond(std::move(r));
  };
  try {
    for (auto route : {route_classify, route_tfserving, route_kserve, route_metrics, route_admin}) {
      if (route(*this, request, once)) return;
    }
    once(error_response(not_found("no route for " + request.method + " " + request.path)));
  } catch (const std::exception& e) {
    once(json_response(500, error_body(std::string("internal error: ") + e.what())));
  } catch (...) {
    once(json_response(500, error_body("internal error")));
  }
}

void Service::infer(const ModelHandle& handle, EncodedInput encoded, InferenceDone done) {
  ModelMetrics* mm = &metrics_->for_model(handle.servable->name);
  mm->requests++;
  mm->in_flight++;
  const auto start = std::chrono::steady_clock::now();
  BatchRequest request;
  request.servable = handle.servable;
  request.ids = std::move(encoded.ids);
  request.texts = std::move(encoded.texts);
  request.inputs = std::move(encoded.tensors);
  request.rows = encoded.rows;
  request.seq_len = encoded.seq_len;
  request.done = [mm, start, done](Result<BatchResult> r) {
    mm->in_flight--;
    mm->latency_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (!r.ok()) {
      mm->failures++;
      return done(r.status());
    }
    mm->queue_seconds.observe(r->queue_seconds);
    done(std::move(r->outputs));
  };
  Status st = handle.batcher->submit(std::move(request));
  if (!st.ok()) {
    mm->in_flight--;
    mm->failures++;
    done(st);
  }
}

void Service::count_rejected(const std::string& model) {
  ModelMetrics& mm = metrics_->for_model(model);
  mm.requests++;
  mm.failures++;
}

void Service::run_admin(std::function<Status()> op,
                        std::function<HttpResponse(const Status&)> make_response,
                        Responder respond) {
  boost::asio::post(admin_pool_, [op = std::move(op), make_response = std::move(make_response),
                                  respond = std::move(respond)] {
    Status st = op();
    respond(make_response(st));
  });
}

void run_model(Service& service, const ModelHandle& handle, ModelInputs inputs,
               const std::string& what, OutputFormatter format, const Responder& respond,
               std::shared_ptr<std::vector<int32_t>> keep_ids,
               std::shared_ptr<std::vector<int64_t>> keep_known) {
  const Servable& s = *handle.servable;
  Result<EncodedInput> encoded = EncodedInput{};
  if (!inputs.tensors.empty()) {  // a several-input model (checked by bind_inputs)
    encoded = encode_tensors(std::move(inputs.tensors), service.server().limits, what);
  } else if (inputs.texts.empty()) {
    encoded = encode_ids(s, inputs.rows, what);
  } else {
    encoded = encode_texts(s, inputs.texts, service.server().limits, what);
  }
  if (encoded.ok() && encoded->rows > service.server().limits.max_instances) {
    encoded = invalid_argument(
        what + ": " + std::to_string(encoded->rows) + " instances exceed the limit of " +
        std::to_string(service.server().limits.max_instances) + " per request");
  }
  if (encoded.ok() && keep_ids && !encoded->texts.empty()) {
    encoded = invalid_argument("return_ids: model '" + s.name +
                               "' takes the texts itself (TextVectorization): it has no id rows");
  }
  if (!encoded.ok()) {
    service.count_rejected(s.name);
    return respond(error_response(encoded.status()));
  }
  if (auto refused = check_coverage(service, s, *encoded, what)) {
    service.count_rejected(s.name);
    return respond(std::move(*refused));
  }
  if (keep_ids) *keep_ids = encoded->ids;
  if (keep_known) *keep_known = encoded->known_tokens;
  std::string known_header = known_tokens_header(encoded->known_tokens);
  std::shared_ptr<const Servable> pinned = handle.servable;
  service.infer(handle, std::move(encoded).value(),
                [pinned, format = std::move(format), respond,
                 known_header = std::move(known_header)](Result<std::vector<Tensor>> out) {
                  if (!out.ok()) return respond(error_response(out.status()));
                  HttpResponse r = format(*pinned, *out);
                  if (r.status == 200 && !known_header.empty()) {
                    r.headers.emplace_back(kKnownTokensHeader, known_header);
                  }
                  respond(std::move(r));
                });
}

void with_model(Service& service, const std::string& name, std::optional<int64_t> version,
                const Responder& respond, std::function<void(const ModelHandle&)> then) {
  service.registry().acquire_or_load(
      name, version, [respond, then = std::move(then)](Result<ModelHandle> handle) {
        if (!handle.ok()) return respond(error_response(handle.status()));
        try {  // on a loader thread nothing above catches it
          then(*handle);
        } catch (const std::exception& e) {
          respond(json_response(500, error_body(std::string("internal error: ") + e.what())));
        }
      });
}

std::optional<HttpResponse> check_coverage(Service& service, const Servable& s,
                                           const EncodedInput& encoded, const std::string& what) {
  const auto& known = encoded.known_tokens;
  const auto unknown = std::count(known.begin(), known.end(), int64_t{0});
  if (unknown == 0) return std::nullopt;
  service.metrics().for_model(s.name).unknown_inputs += static_cast<uint64_t>(unknown);
  if (!s.config.refuse_unknown_input) return std::nullopt;
  const auto first = std::find(known.begin(), known.end(), int64_t{0}) - known.begin();
  return json_response(
      422, error_body(what + "[" + std::to_string(first) + "]: no token of the text is in the "
                      "vocabulary of model '" + s.name + "' (known_tokens 0), and the model "
                      "refuses such inputs (unknown_input: refuse)"));
}

HttpResponse json_response(int status, std::string body) {
  return HttpResponse{status, "application/json", std::move(body)};
}

HttpResponse error_response(const Status& status) {
  return json_response(http_status_for(status), error_body(status.message()));
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::vector<float> label_scores(const Servable& s, const float* row) {
  if (s.output_units == 1 && s.labels.size() == 2) return {1.0f - row[0], row[0]};
  return std::vector<float>(row, row + s.output_units);
}

}  // namespace quiver::serve
