// Server: `quiver serve` wired together — registry, batchers, metrics, routes and the
// HTTP server — plus the process-level controls: SIGHUP reload, polling, SIGTERM drain.
//
// Threads: I/O threads (server.threads) run every connection; one batcher thread per
// model runs its predict calls; one admin thread runs loads asked for over HTTP; the
// thread that called run_serve waits for signals and polls files.
//
// Thread-safety: start() and shutdown() from one thread; reload_config() and poll_files()
// are thread-safe (the registry serialises loads).
#ifndef QUIVER_SERVE_SERVER_H_
#define QUIVER_SERVE_SERVER_H_

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/thread_annotations.h"
#include "quiver/status.h"
#include "serve/config.h"
#include "serve/http_server.h"
#include "serve/metrics.h"
#include "serve/registry.h"
#include "serve/service.h"
#include "serve/training_hooks.h"

namespace quiver::serve {

// Watches files for complete writes: a change counts once the file's (mtime, size) has
// stayed the same over two consecutive polls, so a half-written file is never acted on.
// Thread-compatible.
class FilePoller {
 public:
  void track(const std::string& path);  // records the current state as "seen"
  void clear() { files_.clear(); }
  // The tracked paths whose change became stable at this poll.
  std::vector<std::string> poll();

 private:
  struct Signature {
    bool exists = false;
    int64_t mtime_ns = 0;
    int64_t size = 0;
    bool operator==(const Signature&) const = default;
  };
  struct State {
    Signature acted;    // the state last acted on (or first seen)
    Signature pending;  // the state seen at the previous poll
  };
  static Signature stat_file(const std::string& path);
  std::map<std::string, State> files_;
};

struct ServerDeps {
  PredictorLoader loader = model_file_loader();
  TrainingHooks hooks;
  // A quiver binary with the validate-model subcommand: new model files are opened there
  // first, under limits (server.validate_models, serve/model_sandbox.h). "" = no sandbox
  // (in-process tests with fake loaders); non-regular files are refused either way.
  std::string validator;
  // The monitor `hooks` report training progress to (optional): the server logs it,
  // exports it to /metrics and stops trainings at shutdown.
  std::shared_ptr<TrainingMonitor> training;
  // `quiver serve --memory-policy / --memory-budget-mb`, applied to every config loaded.
  MemoryOverrides memory;
};

class Server {
 public:
  // Listens first (a bad address or a taken port is an IOError / InvalidArgument at once),
  // then loads every model in the background, several in parallel: /v2/health/live is
  // true from the start, each model is LOADING (not ready) until it is built (trained if
  // missing), then AVAILABLE, or UNAVAILABLE with its error (logged to stderr).
  static Result<std::unique_ptr<Server>> start(ServeConfig config, ServerDeps deps,
                                               std::optional<int> port_override = {});
  ~Server();  // shutdown()

  int port() const;
  std::string url() const;
  Registry& registry() { return *registry_; }

  // Re-reads the config file and applies it, all or nothing (SIGHUP, POST /admin/reload,
  // polling; see Registry::apply_config). `failures` receives each model that failed.
  Status reload_config(std::vector<ReloadFailure>* failures = nullptr);
  // Blocks until the start-up load has finished (tests, tools).
  void wait_loaded();
  // One polling round: reloads the config on a stable change of its file, else each
  // model whose model / architecture / tokenizer file changed.
  void poll_files();
  // Not OK when the server must not go on: the eager models, loaded, exceed
  // server.memory_budget_mb (Registry::check_eager_budget; run_serve exits with it).
  Status fatal() const;
  // Stops accepting, waits up to `grace` for requests in flight, stops. Idempotent.
  void shutdown(std::chrono::milliseconds grace = std::chrono::seconds(30));

 private:
  Server() = default;
  void track_files();
  void report_training(const std::string& model, const TrainProgress& p);

  std::string config_path_;
  MemoryOverrides memory_overrides_;
  std::string host_;
  Metrics metrics_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<Service> service_;
  std::shared_ptr<TrainingMonitor> training_;
  std::thread loader_;  // the start-up load; joined by shutdown()
  base::Mutex poll_mu_;
  FilePoller poller_ GUARDED_BY(poll_mu_);
  mutable base::Mutex fatal_mu_;
  Status fatal_ GUARDED_BY(fatal_mu_);
};

// `quiver serve --config FILE [--port N]`: blocks SIGTERM, SIGINT and SIGHUP in the
// calling thread before any thread starts, starts the server (listening first, models
// loading in the background), writes "listening on http://HOST:PORT" as the first line
// of `out`, then waits: SIGHUP reloads the config, SIGTERM / SIGINT drain (stopping
// trainings in progress) and return OK, server.poll_interval_ms > 0 polls files.
Status run_serve(const std::string& config_path, std::optional<int> port, ServerDeps deps,
                 std::FILE* out = stdout);

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_SERVER_H_
