#include "serve/registry.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <functional>
#include <thread>

namespace quiver::serve {
namespace {

constexpr size_t kMaxVersionHistory = 5;

// Every failed load is visible in the log, whatever asked for it (start, reload, admin
// load, polling): model, file, version and reason, and what serves instead.
void log_load_failure(const ModelConfig& m, int64_t version, const Status& error,
                      int64_t serving) {
  const std::string instead =
      serving > 0 ? "version " + std::to_string(serving) + " keeps serving" : "no version serves";
  std::fprintf(stderr, "quiver serve: model '%s' version %lld (file %s) failed to load: %s; %s\n",
               m.name.c_str(), static_cast<long long>(version), m.model_path.c_str(),
               error.to_string().c_str(), instead.c_str());
}

}  // namespace

void parallel_for(size_t n, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) fn(i);
  };
  size_t threads_wanted = std::min<size_t>(n, std::max(2u, std::thread::hardware_concurrency()));
  std::vector<std::thread> threads;
  for (size_t t = 1; t < threads_wanted; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
}

const char* version_state_name(VersionState state) {
  switch (state) {
    case VersionState::kStart:
      return "START";
    case VersionState::kLoading:
      return "LOADING";
    case VersionState::kAvailable:
      return "AVAILABLE";
    case VersionState::kUnavailable:
      return "UNAVAILABLE";
    case VersionState::kEnd:
      return "END";
  }
  return "UNKNOWN";
}


Registry::Registry(ServeConfig config, PredictorLoader loader, TrainingHooks hooks,
                   Metrics* metrics)
    : loader_(std::move(loader)),
      hooks_(std::move(hooks)),
      metrics_(metrics),
      config_(std::move(config)) {
  base::MutexLock lock(mu_);
  (void)set_groups_locked(config_.groups);  // no model serves yet: nothing to refuse
  // Every configured eager model is LOADING from the start (readiness is false until it
  // serves); on-demand ones are registered.
  for (const ModelConfig& m : config_.models) {
    if (m.load == LoadMode::kOnDemand) {
      (void)register_locked(m);
    } else {
      begin_load_locked(m);
    }
    entry_locked(m.name).configured = true;
  }
  background_ = make_background();
}

Registry::~Registry() {
  stop_loading();  // no load or sweep runs past here
  std::vector<std::shared_ptr<Batcher>> batchers;
  {
    base::MutexLock lock(mu_);
    for (auto& [name, e] : entries_) batchers.push_back(e->batcher);
  }
  for (auto& b : batchers) b->stop();
}

BatcherOptions Registry::batcher_options(const ModelConfig& m) const {
  BatcherOptions o;
  o.max_batch_size = m.max_batch_size.value_or(config_.server.max_batch_size);
  o.max_queue_delay_us = m.max_queue_delay_us.value_or(config_.server.max_queue_delay_us);
  o.max_queue = m.max_queue.value_or(config_.server.max_queue);
  return o;
}

Registry::Entry& Registry::entry_locked(const std::string& name) {
  auto& slot = entries_[name];
  if (!slot) {
    slot = std::make_unique<Entry>();
    slot->name = name;
    std::function<void(int64_t)> on_batch;
    if (metrics_ != nullptr) {
      ModelMetrics* mm = &metrics_->for_model(name);
      on_batch = [mm](int64_t rows) { mm->batch_rows.observe(static_cast<double>(rows)); };
    }
    const ModelConfig* m = config_.find(name);
    slot->batcher = std::make_shared<Batcher>(name, m ? batcher_options(*m) : BatcherOptions{},
                                              std::move(on_batch));
  }
  return *slot;
}

int64_t Registry::begin_load_locked(const ModelConfig& m) {
  Entry& e = entry_locked(m.name);
  const int64_t version = e.next_version++;
  e.versions.push_front(VersionStatus{version, VersionState::kLoading, Status()});
  if (e.versions.size() > kMaxVersionHistory) e.versions.pop_back();
  return version;
}

Result<std::shared_ptr<const Servable>> Registry::build(const ModelConfig& m, int64_t version) {
  ModelConfig effective;
  {
    base::MutexLock lock(mu_);
    effective = effective_locked(m);
  }
  return make_servable(effective, version, loader_, hooks_, &segmenters_);
}

void Registry::commit_locked(const ModelConfig& m, int64_t version,
                             std::shared_ptr<const Servable> servable,
                             std::vector<std::shared_ptr<const Servable>>& retired) {
  Entry& e = entry_locked(m.name);
  e.configured = true;
  e.batcher->set_options(batcher_options(m));
  for (auto& s : e.versions) {
    if (s.state == VersionState::kAvailable) s.state = VersionState::kEnd;
  }
  if (VersionStatus* vs = e.find(version)) vs->state = VersionState::kAvailable;
  retired.push_back(std::move(e.serving));
  e.serving = std::move(servable);
  e.loads++;
  e.last_error = Status();
}

void Registry::fail_locked(const ModelConfig& m, int64_t version, const Status& error) {
  Entry& e = entry_locked(m.name);
  if (VersionStatus* vs = e.find(version)) vs->state = VersionState::kUnavailable, vs->error = error;
  e.load_failures++;
  e.last_error = error;
  log_load_failure(m, version, error, e.serving ? e.serving->version : 0);
}

void Registry::abandon_locked(const std::string& name, int64_t version) {
  Entry& e = entry_locked(name);
  std::erase_if(e.versions, [version](const VersionStatus& v) { return v.version == version; });
  if (e.next_version == version + 1) e.next_version = version;
}

Status Registry::load_one(const ModelConfig& m) {
  int64_t version = 0;
  {
    base::MutexLock lock(mu_);
    version = begin_load_locked(m);
    entry_locked(m.name).configured = true;
  }
  auto loaded = build(m, version);
  std::vector<std::shared_ptr<const Servable>> retired;  // freed after the lock is released
  base::MutexLock lock(mu_);
  if (!loaded.ok()) {
    fail_locked(m, version, loaded.status());
    return loaded.status();
  }
  if (m.load == LoadMode::kOnDemand) make_room_locked((*loaded)->memory_bytes, m.name, retired);
  commit_locked(m, version, std::move(loaded).value(), retired);
  return Status();
}

Status Registry::load_all() {
  base::MutexLock control(control_mu_);
  std::vector<ModelConfig> models;
  std::vector<int64_t> versions;
  {
    base::MutexLock lock(mu_);
    for (const ModelConfig& m : config_.models) {
      if (m.load == LoadMode::kEager) models.push_back(m);
    }
    for (const ModelConfig& m : models) {
      Entry& e = entry_locked(m.name);
      e.rebuilding = planned_locked(m);  // loading until the plan is applied
      if (e.rebuilding) first_plan_pending_ = true;
      // The version the constructor marked LOADING, unless something else ran since.
      const bool pending = !e.versions.empty() && e.versions.front().state == VersionState::kLoading;
      versions.push_back(pending ? e.versions.front().version : begin_load_locked(m));
    }
  }
  // Each model serves as soon as it is built (start-up: readiness per model).
  std::vector<Status> results(models.size());
  parallel_for(models.size(), [&](size_t i) {
    auto loaded = build(models[i], versions[i]);
    std::vector<std::shared_ptr<const Servable>> retired;  // freed after the lock
    base::MutexLock lock(mu_);
    if (loaded.ok()) {
      commit_locked(models[i], versions[i], std::move(loaded).value(), retired);
    } else {
      fail_locked(models[i], versions[i], loaded.status());
      results[i] = loaded.status();
    }
  });
  replan_eager_memory();
  for (auto& s : results) {
    if (!s.ok()) return s;
  }
  base::MutexLock lock(mu_);
  for (const ModelConfig& m : config_.models) {
    const Entry& e = *entries_.at(m.name);
    if (e.on_demand && !e.registration.ok()) return e.registration;
  }
  return Status();
}

Result<ModelHandle> Registry::acquire(const std::string& name,
                                      std::optional<int64_t> version) const {
  base::MutexLock lock(mu_);
  return acquire_locked(name, version);
}

Result<ModelHandle> Registry::acquire_locked(const std::string& name,
                                             std::optional<int64_t> version) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) return not_found("model '" + name + "' not found");
  const Entry& e = *it->second;
  e.last_used_ns.store(now_ns(), std::memory_order_relaxed);
  if (!e.serving) {
    if (e.on_demand && e.configured && e.registration.ok()) {
      return unavailable("model '" + name + "' is not loaded (load: on_demand)");
    }
    if (!e.versions.empty() && e.versions.front().state == VersionState::kLoading) {
      return unavailable("model '" + name + "' is loading");
    }
    if (!e.last_error.ok()) {
      return unavailable("model '" + name + "' is unavailable: " + e.last_error.message());
    }
    return unavailable("model '" + name + "' is unloaded");
  }
  if (version && *version != e.serving->version) {
    return not_found("model '" + name + "' has no available version " + std::to_string(*version) +
                     " (serving version " + std::to_string(e.serving->version) + ")");
  }
  return ModelHandle{e.serving, e.batcher};
}

Status Registry::reload(const std::string& name) {
  base::MutexLock control(control_mu_);
  std::optional<ModelConfig> m;
  {
    base::MutexLock lock(mu_);
    if (const ModelConfig* c = config_.find(name)) m = *c;
  }
  if (!m) return not_found("model '" + name + "' is not in the config");
  Status loaded = load_one(*m);
  if (loaded.ok()) replan_eager_memory();
  return loaded;
}

void Registry::unload_locked(Entry& e) {
  for (auto& s : e.versions) {
    if (s.state == VersionState::kAvailable) s.state = VersionState::kEnd;
  }
  e.serving.reset();
  e.last_error = Status();
}

Status Registry::unload(const std::string& name) {
  base::MutexLock control(control_mu_);
  std::shared_ptr<const Servable> old;
  base::MutexLock lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return not_found("model '" + name + "' not found");
  old = it->second->serving;
  unload_locked(*it->second);
  return Status();
}

bool Registry::unchanged_locked(const ModelConfig& m, const std::string& files) const {
  auto it = entries_.find(m.name);
  if (it == entries_.end() || !it->second->serving) return false;
  const Servable& s = *it->second->serving;
  return !m.entry.empty() && s.config.entry == m.entry && s.files == files;
}

Status Registry::apply_config(ServeConfig config, std::vector<ReloadFailure>* failures) {
  base::MutexLock control(control_mu_);
  Status applied = apply_config_controlled(std::move(config), failures);
  replan_eager_memory();  // a refused reload changed nothing: the same plan, no rebuild
  return applied;
}

Status Registry::apply_config_controlled(ServeConfig config,
                                         std::vector<ReloadFailure>* failures) {
  const std::vector<ModelConfig>& models = config.models;
  // A model whose entry and files are what its serving version was built from keeps that
  // version: no new version, no sandbox run, no load.
  std::vector<std::string> files(models.size());
  for (size_t i = 0; i < models.size(); ++i) files[i] = model_files_identity(models[i]);
  std::vector<int64_t> versions(models.size(), 0);  // 0: kept (or registered)
  std::vector<Status> registered(models.size());
  {
    base::MutexLock lock(mu_);
    for (size_t i = 0; i < models.size(); ++i) {
      // An on-demand model that is not loaded is only registered again (its file checked).
      auto it = entries_.find(models[i].name);
      const bool serving = it != entries_.end() && it->second->serving;
      if (models[i].load == LoadMode::kOnDemand && !serving) {
        registered[i] = check_registration(models[i]);
      } else if (!unchanged_locked(models[i], files[i])) {
        versions[i] = begin_load_locked(models[i]);
      }
    }
  }
  // Build and check every changed model beside the serving versions; nothing is swapped yet.
  std::vector<Result<std::shared_ptr<const Servable>>> built(
      models.size(), Result<std::shared_ptr<const Servable>>(std::shared_ptr<const Servable>()));
  parallel_for(models.size(), [&](size_t i) {
    if (versions[i] != 0) built[i] = build(models[i], versions[i]);
  });
  std::vector<std::shared_ptr<const Servable>> retired;  // freed after the lock is released
  base::MutexLock lock(mu_);
  std::string refused;
  for (size_t i = 0; i < models.size(); ++i) {
    if (!registered[i].ok()) built[i] = registered[i];
    if (built[i].ok()) continue;
    if (registered[i].ok()) fail_locked(models[i], versions[i], built[i].status());
    if (failures != nullptr) failures->push_back(ReloadFailure{models[i].name, built[i].status()});
    refused += (refused.empty() ? "" : "; ") + built[i].status().message();
  }
  if (!refused.empty()) {  // all or nothing: drop the versions that did build
    for (size_t i = 0; i < models.size(); ++i) {
      if (built[i].ok() && versions[i] != 0) abandon_locked(models[i].name, versions[i]);
    }
    return invalid_argument("config reload refused, nothing changed: " + refused);
  }
  // Every model built: swap them, the groups and the config in one step under mu_, so a
  // request sees either the old state or the new one, never a mix.
  config_ = std::move(config);
  for (auto& [name, e] : entries_) e->configured = config_.find(name) != nullptr;
  for (size_t i = 0; i < config_.models.size(); ++i) {
    const ModelConfig& m = config_.models[i];
    if (versions[i] != 0) {
      commit_locked(m, versions[i], std::move(built[i]).value(), retired);
    } else {  // kept; the server's batching defaults may have changed
      entry_locked(m.name).batcher->set_options(batcher_options(m));
    }
    Entry& e = entry_locked(m.name);
    if (m.load == LoadMode::kOnDemand) {
      (void)register_locked(m);
    } else {
      e.on_demand = false;
    }
  }
  Status grouped = set_groups_locked(config_.groups);
  for (auto& [name, e] : entries_) {
    if (e->configured || used_by_group_locked(name)) continue;
    retired.push_back(e->serving);
    unload_locked(*e);
  }
  return grouped;
}

namespace {

// The bytes a serving version holds now (a lazy table grows as its rows fill), walked
// outside the registry's mutex: requests take that mutex, and a walk over thousands of
// models' layers should not hold them up.
void status_memory(ModelStatus* s, const std::shared_ptr<const Servable>& serving) {
  if (serving) {
    s->memory = serving->predictor->memory_in_use();
    s->memory.tokenizer += serving->tokenizer_bytes;
  }
  s->memory_bytes = s->memory.total();
}

}  // namespace

ModelStatus Registry::status_locked(const std::string& name, const Entry& e) const {
  ModelStatus s;
  s.name = name;
  s.configured = e.configured;
  s.serving_version = e.serving ? e.serving->version : 0;
  s.versions.assign(e.versions.begin(), e.versions.end());
  s.last_error = e.last_error;
  s.loads = e.loads;
  s.load_failures = e.load_failures;
  s.on_demand = e.on_demand;
  s.evictions = e.evictions;
  s.rebuilding = e.rebuilding;
  // An on-demand model not loaded nor loading: its next version, tracked (START) — the
  // evicted one, which its next load brings back when its files are unchanged.
  if (e.on_demand && e.configured && !e.serving && !e.load_running) {
    const int64_t next = e.evicted_version != 0 ? e.evicted_version : e.next_version;
    std::erase_if(s.versions, [next](const VersionStatus& v) { return v.version == next; });
    s.versions.insert(s.versions.begin(), VersionStatus{next, VersionState::kStart, Status()});
  }
  return s;
}

std::vector<ModelStatus> Registry::statuses() const {
  std::vector<ModelStatus> out;
  std::vector<std::shared_ptr<const Servable>> serving;  // released outside mu_
  {
    base::MutexLock lock(mu_);
    for (const auto& [name, e] : entries_) {
      out.push_back(status_locked(name, *e));
      serving.push_back(e->serving);
    }
  }
  for (size_t i = 0; i < out.size(); ++i) status_memory(&out[i], serving[i]);
  return out;
}

std::optional<ModelStatus> Registry::status(const std::string& name) const {
  ModelStatus s;
  std::shared_ptr<const Servable> serving;
  {
    base::MutexLock lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return std::nullopt;
    s = status_locked(name, *it->second);
    serving = it->second->serving;
  }
  status_memory(&s, serving);
  return s;
}

ServeConfig Registry::config() const {
  base::MutexLock lock(mu_);
  return config_;
}

bool Registry::all_ready() const {
  base::MutexLock lock(mu_);
  if (first_plan_pending_) return false;
  for (const auto& m : config_.models) {
    auto it = entries_.find(m.name);
    if (it == entries_.end()) return false;
    const Entry& e = *it->second;
    if (e.on_demand ? !e.registration.ok() : !e.serving) return false;
  }
  return true;
}

}  // namespace quiver::serve
