#include "serve/server.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <ctime>

#include "serve/model_sandbox.h"

namespace quiver::serve {
namespace {

void log_line(const std::string& line) { std::fprintf(stderr, "quiver serve: %s\n", line.c_str()); }

void log_statuses(Registry& registry) {
  for (const ModelStatus& s : registry.statuses()) {
    if (s.serving_version > 0) {
      log_line("model '" + s.name + "' serving version " + std::to_string(s.serving_version) +
               (s.last_error.ok() ? "" : " (its last load failed: " + s.last_error.message() + ")"));
    } else if (!s.last_error.ok()) {
      log_line("model '" + s.name + "' unavailable: " + s.last_error.message());
    }
  }
}

}  // namespace

FilePoller::Signature FilePoller::stat_file(const std::string& path) {
  struct stat st {};
  Signature s;
  if (::stat(path.c_str(), &st) != 0) return s;
  s.exists = true;
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  s.size = static_cast<int64_t>(st.st_size);
  return s;
}

void FilePoller::track(const std::string& path) {
  if (path.empty()) return;
  Signature s = stat_file(path);
  files_[path] = State{s, s};
}

std::vector<std::string> FilePoller::poll() {
  std::vector<std::string> changed;
  for (auto& [path, state] : files_) {
    Signature now = stat_file(path);
    if (now != state.acted && now == state.pending && now.exists) {
      state.acted = now;
      changed.push_back(path);
    }
    state.pending = now;
  }
  return changed;
}

Result<std::unique_ptr<Server>> Server::start(ServeConfig config, ServerDeps deps,
                                              std::optional<int> port_override) {
  std::unique_ptr<Server> server(new Server());
  server->config_path_ = config.path;
  server->memory_overrides_ = deps.memory;
  server->host_ = config.server.host;
  HttpServerOptions http;
  http.host = config.server.host;
  http.port = port_override.value_or(config.server.port);
  http.threads = config.server.threads;
  http.max_body_bytes = config.server.limits.max_body_bytes;
  http.request_timeout_ms = config.server.request_timeout_ms;
  ServerConfig server_config = config.server;
  if (!deps.hooks.validate) {
    deps.hooks.validate = model_validator(config.server.validation, deps.validator);
  }
  Server* self = server.get();
  server->training_ = std::move(deps.training);
  if (server->training_) {
    server->training_->set_listener(
        [self](const std::string& model, const TrainProgress& p) { self->report_training(model, p); });
  }
  // The registry marks every model LOADING before the port opens.
  server->registry_ = std::make_unique<Registry>(std::move(config), std::move(deps.loader),
                                                 std::move(deps.hooks), &server->metrics_);
  server->service_ = std::make_unique<Service>(
      server->registry_.get(), &server->metrics_, server_config,
      [self](std::vector<ReloadFailure>* failures) { return self->reload_config(failures); });
  Service* service = server->service_.get();
  server->http_ = std::make_unique<HttpServer>(http, [service](HttpRequest&& r, Responder respond) {
    service->handle(std::move(r), std::move(respond));
  });
  // Bind first: a taken port fails now, not after minutes of loading or training.
  QUIVER_RETURN_IF_ERROR(server->http_->start());
  server->track_files();
  server->loader_ = std::thread([self] {
    Status loaded = self->registry_->load_all();
    log_statuses(*self->registry_);
    if (!loaded.ok()) log_line("some models failed to load; they answer 503 until reloaded");
    if (Status budget = self->registry_->check_eager_budget(); !budget.ok()) {
      log_line(budget.message());
      base::MutexLock lock(self->fatal_mu_);
      self->fatal_ = budget;
    }
    self->track_files();  // files trained on start exist now
  });
  return server;
}

Status Server::fatal() const {
  base::MutexLock lock(fatal_mu_);
  return fatal_;
}

void Server::wait_loaded() {
  if (loader_.joinable()) loader_.join();
}

void Server::report_training(const std::string& model, const TrainProgress& p) {
  TrainingGauges& g = metrics_.for_model(model).training;
  g.active = true;
  g.epochs = p.epochs;
  g.steps = p.steps;
  g.step = p.step;
  g.loss = p.stats.loss;
  g.accuracy = p.stats.acc;
  if (!p.done) return;
  g.epoch = p.epoch;
  g.has_validation = p.stats.has_validation;
  if (p.stats.has_validation) g.val_loss = p.stats.val_loss, g.val_accuracy = p.stats.val_acc;
  char line[256];
  std::snprintf(line, sizeof line, "model '%s': training epoch %d/%d: loss %.4f, accuracy %.4f",
                model.c_str(), p.epoch, p.epochs, p.stats.loss, p.stats.acc);
  std::string text = line;
  if (p.stats.has_validation) {
    std::snprintf(line, sizeof line, ", val_loss %.4f, val_accuracy %.4f", p.stats.val_loss,
                  p.stats.val_acc);
    text += line;
  }
  if (p.epoch == p.epochs) g.active = false;
  log_line(text);
}

Server::~Server() { shutdown(); }

int Server::port() const { return http_ ? http_->port() : 0; }

std::string Server::url() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port());
}

void Server::track_files() {
  base::MutexLock lock(poll_mu_);
  poller_.clear();
  poller_.track(config_path_);
  for (const ModelConfig& m : registry_->config().models) {
    poller_.track(m.model_path);
    poller_.track(m.architecture_path);
    poller_.track(m.tokenizer_path);
  }
}

Status Server::reload_config(std::vector<ReloadFailure>* failures) {
  if (config_path_.empty())
    return failed_precondition("the server was not started from a config file");
  auto config = load_config(config_path_);
  if (!config.ok()) {
    log_line("config reload refused: " + config.status().message());
    return config.status();
  }
  apply_memory_overrides(memory_overrides_, &config.value());
  log_line("reloading " + config_path_);
  std::vector<ReloadFailure> failed;
  Status st = registry_->apply_config(std::move(config).value(), &failed);
  // Each failed model is logged by the registry; this says what became of the reload.
  if (!failed.empty()) log_line("config reload refused: nothing changed");
  log_statuses(*registry_);
  track_files();
  if (failures != nullptr) *failures = std::move(failed);
  return st;
}

void Server::poll_files() {
  std::vector<std::string> changed;
  {
    base::MutexLock lock(poll_mu_);
    changed = poller_.poll();
  }
  if (changed.empty()) return;
  for (const std::string& path : changed) {
    if (path == config_path_) {
      (void)reload_config();
      return;
    }
  }
  for (const ModelConfig& m : registry_->config().models) {
    for (const std::string& path : changed) {
      if (path == m.model_path || path == m.architecture_path || path == m.tokenizer_path) {
        log_line("reloading model '" + m.name + "': " + path + " changed");
        Status st = registry_->refresh(m.name);
        if (!st.ok()) log_line("reload failed, previous version still serving: " + st.message());
        break;
      }
    }
  }
}

void Server::shutdown(std::chrono::milliseconds grace) {
  if (!http_) return;
  http_->stop_accepting();
  if (training_) training_->request_stop();  // trainings on start end after their batch
  if (!http_->wait_idle(grace)) log_line("requests still in flight after the grace period");
  http_->stop();
  wait_loaded();
  registry_->stop_loading();  // on-demand continuations use the service
  service_.reset();   // waits for a running admin operation
  registry_.reset();  // batchers finish what is queued
  http_.reset();
}

Status run_serve(const std::string& config_path, std::optional<int> port, ServerDeps deps,
                 std::FILE* out) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  // Every thread started below inherits this mask, so only sigtimedwait sees the signals.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  QUIVER_ASSIGN_OR_RETURN(ServeConfig config, load_config(config_path));
  apply_memory_overrides(deps.memory, &config);
  const int64_t poll_ms = config.server.poll_interval_ms;
  QUIVER_ASSIGN_OR_RETURN(std::unique_ptr<Server> server,
                          Server::start(std::move(config), std::move(deps), port));
  std::fprintf(out, "listening on %s\n", server->url().c_str());
  std::fflush(out);
  const int64_t wait_ms = poll_ms > 0 ? poll_ms : 1000;
  Status fatal;
  for (;;) {
    if (fatal = server->fatal(); !fatal.ok()) break;
    timespec ts{static_cast<time_t>(wait_ms / 1000), static_cast<long>((wait_ms % 1000) * 1000000)};
    int sig = sigtimedwait(&signals, nullptr, &ts);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (sig == SIGHUP) {
      (void)server->reload_config();
    } else if (sig < 0 && poll_ms > 0) {
      server->poll_files();
    }
  }
  log_line(fatal.ok() ? "shutting down: finishing requests in flight"
                      : "refusing to serve: " + fatal.message());
  server->shutdown();
  return fatal;
}

}  // namespace quiver::serve
