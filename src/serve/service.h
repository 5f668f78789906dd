// Service: the request-facing side of `quiver serve` — the router and what every route
// group shares (registry, metrics, limits, the admin executor, the inference path).
//
// Path of one inference request: HttpServer (I/O thread) -> Service::handle -> a route
// group parses JSON into texts or id rows -> encode (tokenize + pad on the I/O thread) ->
// Registry::acquire pins the serving version -> Batcher::submit -> the batcher thread
// runs one predict for the gathered batch -> the route's completion formats JSON -> the
// responder posts the answer back to the connection's strand.
//
// Thread-safety: thread-safe; handle() runs on many I/O threads at once and never throws
// (an escaped exception becomes a 500).
#ifndef QUIVER_SERVE_SERVICE_H_
#define QUIVER_SERVE_SERVICE_H_

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "serve/config.h"
#include "serve/http_server.h"
#include "serve/metrics.h"
#include "serve/registry.h"

namespace quiver::serve {

// Inputs ready for the model: `rows` padded id rows of `seq_len`.
struct EncodedInput {
  std::vector<int32_t> ids;
  std::vector<std::string> texts;  // a TextVectorization model's texts (then seq_len is -1)
  std::vector<Tensor> tensors;     // or a several-input model's inputs (seq_len -1)
  int64_t rows = 0;
  int64_t seq_len = 0;
  // Per text row: the tokens the model knew (Classifier::encode); empty for id inputs.
  std::vector<int64_t> known_tokens;
};

// Tokenizes and pads texts for `s` (a model that takes texts itself gets them checked and
// passed through). InvalidArgument for empty / whitespace-only or over-long texts, or a
// model without a tokenizer; `what` names the field in messages.
Result<EncodedInput> encode_texts(const Servable& s, const std::vector<std::string>& texts,
                                  const ServerLimits& limits, const std::string& what);
// A several-input model's tensors (checked by bind_inputs); its text inputs' strings are
// held to limits.max_text_bytes and UTF-8. An empty text is allowed (Keras gives it the
// padding id alone; another input may carry the row's information).
Result<EncodedInput> encode_tensors(std::vector<Tensor> tensors, const ServerLimits& limits,
                                    const std::string& what);
// Checks id rows (all the same length, the model's length if fixed, ids in range).
Result<EncodedInput> encode_ids(const Servable& s, const std::vector<std::vector<int64_t>>& rows,
                                const std::string& what);

class Service {
 public:
  // `reload_config` re-reads the config file and applies it (the admin reload-all route);
  // it fills the list of models that failed (nothing changes then).
  using ReloadConfig = std::function<Status(std::vector<ReloadFailure>* failures)>;
  Service(Registry* registry, Metrics* metrics, ServerConfig server, ReloadConfig reload_config);
  ~Service();  // waits for admin work in progress

  void handle(HttpRequest&& request, Responder respond) noexcept;

  Registry& registry() { return *registry_; }
  Metrics& metrics() { return *metrics_; }
  const ServerConfig& server() const { return server_; }

  // Runs `encoded` on `handle`'s version through its batcher and calls `done` with the
  // model's outputs for exactly these rows. Records request metrics for `model`.
  using InferenceDone = std::function<void(Result<std::vector<Tensor>>)>;
  void infer(const ModelHandle& handle, EncodedInput encoded, InferenceDone done);
  // Counts a request for `model` refused before inference (bad input).
  void count_rejected(const std::string& model);

  // Runs a slow control operation (load, reload, unload) off the I/O threads and
  // answers with `make_response(status)`.
  void run_admin(std::function<Status()> op,
                 std::function<HttpResponse(const Status&)> make_response, Responder respond);
  Status reload_config(std::vector<ReloadFailure>* failures) { return reload_config_(failures); }

 private:
  Registry* const registry_;
  Metrics* const metrics_;
  const ServerConfig server_;
  const ReloadConfig reload_config_;
  boost::asio::thread_pool admin_pool_{1};
};

// Every text answer (any API) carries this header: the known-token count of each text of
// the request, in order, comma-separated ("3,0,5"). Outside the bodies, so TF Serving and
// KServe responses stay exactly as their specifications define them.
inline constexpr const char* kKnownTokensHeader = "X-Quiver-Known-Tokens";

// Coverage of text inputs: counts the rows of `encoded` with no token the model knows
// (known_tokens 0) in quiver_unknown_inputs_total{model}, and when `s`'s config says
// `unknown_input: refuse` answers 422 naming the first such row (`what[i]`). nullopt:
// go on.
std::optional<HttpResponse> check_coverage(Service& service, const Servable& s,
                                           const EncodedInput& encoded, const std::string& what);

// Helpers for the route groups.
HttpResponse json_response(int status, std::string body);
HttpResponse error_response(const Status& status);
// Scores per label for one output row: [1 - p, p] for one sigmoid unit with two labels,
// else the row itself.
std::vector<float> label_scores(const Servable& s, const float* row);
// Splits "/a/b/c" into {"a","b","c"}.
std::vector<std::string> split_path(const std::string& path);

// Texts or id rows parsed from a request (one of the two is used).
struct ModelInputs {
  std::vector<std::string> texts;
  std::vector<std::vector<int64_t>> rows;
  // Or, for a model with several inputs: one tensor per model input, [rows, dims...].
  std::vector<Tensor> tensors;
};
using OutputFormatter = std::function<HttpResponse(const Servable&, const std::vector<Tensor>&)>;

// The common inference path of every API: encodes `inputs` for `handle`'s version (errors
// name `what`), runs them through the batcher and answers with `format(outputs)`. When
// `keep_ids` is given it receives a copy of the padded id rows before inference (for
// formatters that echo them); `keep_known` likewise the per-text known-token counts
// (empty for id inputs). Texts no token of which the model knows are counted and, when
// the model refuses them, answered with 422 (check_coverage).
void run_model(Service& service, const ModelHandle& handle, ModelInputs inputs,
               const std::string& what, OutputFormatter format, const Responder& respond,
               std::shared_ptr<std::vector<int32_t>> keep_ids = nullptr,
               std::shared_ptr<std::vector<int64_t>> keep_known = nullptr);

// Runs `then` with the serving version of `name` (or exactly `version`): at once when it
// serves, after its load for an on-demand model that is not loaded
// (Registry::acquire_or_load; `then` then runs on a loader thread). When it cannot serve,
// answers the error instead. An exception `then` throws is answered as a 500.
void with_model(Service& service, const std::string& name, std::optional<int64_t> version,
                const Responder& respond, std::function<void(const ModelHandle&)> then);

// The HTTP status of a failed load / reload (README, "Errors"): 404 when the model is not
// in the config (`configured` false), 503 shutting down, 500 internal error, otherwise
// 400 (the config, a model file or its check is bad; nothing changed).
int load_failure_http_status(const Status& status, bool configured);

// Runs a (re)load or an unload of `name` on the admin thread and answers with the model's
// status JSON (200) or the failure (load_failure_http_status).
void run_model_op(Service& service, const std::string& name, bool unload, const Responder& respond);
std::string model_status_json(const ModelStatus& status);

// Route groups: each returns true when it owns the request path (and has answered or
// will answer through `respond`), false to let the next group try.
bool route_classify(Service& service, HttpRequest& request, Responder& respond);
bool route_tfserving(Service& service, HttpRequest& request, Responder& respond);
bool route_kserve(Service& service, HttpRequest& request, Responder& respond);
bool route_metrics(Service& service, HttpRequest& request, Responder& respond);
bool route_admin(Service& service, HttpRequest& request, Responder& respond);

// Admin authorisation shared by routes_admin and KServe's repository routes: nullopt
// when allowed, otherwise the 403 / 401 answer.
std::optional<HttpResponse> check_admin(const Service& service, const HttpRequest& request);

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_SERVICE_H_
