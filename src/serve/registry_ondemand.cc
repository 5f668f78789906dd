// Load on demand: the first request of an unloaded `load: on_demand` model starts one load
// that every request arriving meanwhile shares; least recently used models no request
// holds are evicted to keep the loaded bytes within server.memory_budget_mb; models unused
// for server.idle_unload_s are unloaded. The lifecycle is drawn in registry.h.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <thread>

#include "base/file.h"
#include "serve/registry.h"

namespace quiver::serve {
namespace {

using Clock = std::chrono::steady_clock;

// A failed on-demand load of unchanged files is not tried again for this long: requests
// get its error at once instead of each paying for a load that fails the same way. A
// change of the model's files or config entry retries at once.
constexpr int64_t kFailedLoadRetryNs = 5'000'000'000;
constexpr int kLoaderThreads = 2;
constexpr auto kSweepInterval = std::chrono::seconds(1);

void log_line(const std::string& line) {
  std::fprintf(stderr, "quiver serve: %s\n", line.c_str());
}

std::string mib(int64_t bytes) {
  char buf[32];
  const double m = static_cast<double>(bytes) / (1 << 20);
  std::snprintf(buf, sizeof buf, m >= 10 ? "%.1f MiB" : "%.3f MiB", m);
  return buf;
}

}  // namespace

// A request waiting for an on-demand load. `done` runs once: when the load ends, or when
// server.load_timeout_ms passes first (whichever sets `answered`).
struct Registry::Waiter {
  std::optional<int64_t> version;
  AcquireDone done;
  std::atomic<bool> answered{false};

  void answer(Result<ModelHandle> r) {
    if (!answered.exchange(true)) done(std::move(r));
  }
};

// Loader threads (on-demand loads) and one timer thread (load timeouts and, every second,
// the idle / budget sweep). Thread-safe.
class Registry::Background {
 public:
  Background(Registry* registry, int loaders) : registry_(registry) {
    for (int i = 0; i < loaders; ++i) threads_.emplace_back([this] { run_jobs(); });
    threads_.emplace_back([this] { run_timer(); });
  }
  ~Background() { stop(); }

  // Loads in progress finish; loads not started are dropped; every pending timeout runs
  // now (its waiter is answered). Idempotent; afterwards post() drops its job and
  // post_at() runs its function at once.
  void stop() {
    {
      base::MutexLock lock(mu_);
      if (stop_) return;
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

  void post(std::function<void()> fn) {
    {
      base::MutexLock lock(mu_);
      if (stop_) return;
      jobs_.push_back(std::move(fn));
    }
    cv_.notify_all();
  }
  void post_at(Clock::time_point when, std::function<void()> fn) {
    {
      base::MutexLock lock(mu_);
      if (!stop_) {
        timed_.emplace(when, std::move(fn));
        fn = nullptr;
      }
    }
    if (fn) return fn();
    cv_.notify_all();
  }

 private:
  void run_jobs() {
    base::UniqueLock lock(mu_);
    for (;;) {
      cv_.wait(lock.native(), [this] {
        mu_.assert_held();
        return stop_ || !jobs_.empty();
      });
      if (stop_) return;
      std::function<void()> job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }

  void run_timer() {
    base::UniqueLock lock(mu_);
    Clock::time_point next_sweep = Clock::now() + kSweepInterval;
    for (;;) {
      Clock::time_point wake = next_sweep;
      if (!timed_.empty()) wake = std::min(wake, timed_.begin()->first);
      cv_.wait_until(lock.native(), wake, [this, wake] {
        mu_.assert_held();
        return stop_ || (!timed_.empty() && timed_.begin()->first < wake);
      });
      const Clock::time_point now = Clock::now();
      std::vector<std::function<void()>> due;
      while (!timed_.empty() && (stop_ || timed_.begin()->first <= now)) {
        due.push_back(std::move(timed_.begin()->second));
        timed_.erase(timed_.begin());
      }
      const bool stop = stop_;
      const bool sweep = !stop && now >= next_sweep;
      lock.unlock();
      for (auto& fn : due) fn();
      if (sweep) {
        registry_->sweep();
        next_sweep = Clock::now() + kSweepInterval;
      }
      if (stop) return;
      lock.lock();
    }
  }

  Registry* const registry_;
  base::Mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_ GUARDED_BY(mu_);
  std::multimap<Clock::time_point, std::function<void()>> timed_ GUARDED_BY(mu_);
  bool stop_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

std::shared_ptr<Registry::Background> Registry::make_background() {
  return std::make_shared<Background>(this, kLoaderThreads);
}

void Registry::stop_loading() { background_->stop(); }

int64_t Registry::now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

Status Registry::check_registration(const ModelConfig& m) {
  if (m.train_if_missing) return Status();  // trained by its first load when missing
  return base::check_regular_file(m.model_path)
      .with_context("model '" + m.name + "' (load: on_demand)");
}

Status Registry::register_locked(const ModelConfig& m) {
  Entry& e = entry_locked(m.name);
  e.on_demand = true;
  e.configured = true;
  e.registration = check_registration(m);
  if (!e.registration.ok()) {
    e.last_error = e.registration;
    log_line(e.registration.message());
  }
  return e.registration;
}

Status Registry::refresh(const std::string& name) {
  {
    base::MutexLock lock(mu_);
    auto it = entries_.find(name);
    const ModelConfig* m = config_.find(name);
    if (it != entries_.end() && m != nullptr && it->second->on_demand && !it->second->serving) {
      it->second->failed_at_ns = 0;
      it->second->evicted_version = 0;  // its files changed: the next load is a new version
      return register_locked(*m);
    }
  }
  return reload(name);
}

void Registry::acquire_or_load(const std::string& name, std::optional<int64_t> version,
                               AcquireDone done) {
  std::optional<Result<ModelHandle>> now;
  std::shared_ptr<Waiter> waiter;  // only when the request waits for a load
  bool start = false;
  int64_t timeout_ms = 0;
  {
    base::MutexLock lock(mu_);
    auto it = entries_.find(name);
    Entry* e = it == entries_.end() ? nullptr : it->second.get();
    const ModelConfig* m = config_.find(name);
    timeout_ms = config_.server.load_timeout_ms;
    if (e == nullptr || m == nullptr || !e->on_demand || e->serving || !e->registration.ok()) {
      now = acquire_locked(name, version);
    } else if (e->failed_at_ns != 0 && now_ns() - e->failed_at_ns < kFailedLoadRetryNs &&
               e->failed_key == m->entry + model_files_identity(*m)) {
      now = unavailable("model '" + name + "' failed to load: " + e->last_error.message());
    } else {
      waiter = std::make_shared<Waiter>();
      waiter->version = version;
      e->waiters.push_back(waiter);
      if (!e->load_running) {
        e->load_running = true;
        e->loading_version = begin_on_demand_load_locked(*e, *m);
        start = true;
      }
    }
  }
  if (now) return done(std::move(*now));
  waiter->done = std::move(done);
  if (start) background_->post([this, name] { run_on_demand_load(name); });
  background_->post_at(Clock::now() + std::chrono::milliseconds(timeout_ms),
                       [waiter, name, timeout_ms] {
                         waiter->answer(unavailable(
                             "model '" + name + "' is still loading after " +
                             std::to_string(timeout_ms) +
                             " ms (server.load_timeout_ms); the load goes on, retry later"));
                       });
}

void Registry::run_on_demand_load(const std::string& name) {
  std::vector<std::shared_ptr<Waiter>> waiters;
  std::vector<Result<ModelHandle>> answers;
  std::vector<std::shared_ptr<const Servable>> retired;  // freed outside mu_
  for (;;) {
    ModelConfig m;
    int64_t version = 0;
    {
      base::MutexLock lock(mu_);
      Entry& e = entry_locked(name);
      const ModelConfig* c = config_.find(name);
      if (c == nullptr || !e.on_demand) {  // removed (or made eager) before its load ran
        abandon_locked(name, e.loading_version);
        e.load_running = false;
        waiters.swap(e.waiters);
        for (auto& w : waiters) answers.push_back(acquire_locked(name, w->version));
        break;
      }
      m = *c;
      version = e.loading_version;
      // Room before the load, so the budget holds at the peak too: the bytes of this
      // model's last load, else of the largest on-demand model loaded so far (the models of
      // one deployment usually share a shape), else its file's size (its weights).
      int64_t expect = e.known_bytes;
      if (expect == 0) {
        for (const auto& [other, o] : entries_) expect = std::max(expect, o->known_bytes);
      }
      if (expect == 0) {
        auto st = base::stat_regular_file(m.model_path);
        if (st.ok()) expect = static_cast<int64_t>(st->st_size);
      }
      // Strict LRU here: the answer that just used the least recently used model may not
      // have released it yet, and evicting the next one instead would break LRU order;
      // what does not fit now is made room for after the load.
      make_room_locked(expect, name, retired, /*strict_lru=*/true);
    }
    retired.clear();
    const auto start = Clock::now();
    auto built = build(m, version);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    base::MutexLock lock(mu_);
    Entry& e = entry_locked(name);
    const ModelConfig* c = config_.find(name);
    if (c != nullptr && e.on_demand && c->entry != m.entry) {  // the config changed meanwhile
      abandon_locked(name, version);
      e.loading_version = begin_load_locked(*c);
      continue;
    }
    const int64_t room = config_.server.memory_budget_bytes - loaded_bytes_locked(true);
    if (built.ok() && config_.server.memory_budget_bytes > 0 && (*built)->memory_bytes > room) {
      built = unavailable("model '" + name + "' needs " + mib((*built)->memory_bytes) +
                          " but server.memory_budget_mb (" +
                          mib(config_.server.memory_budget_bytes) + ") leaves " + mib(room) +
                          " beside the eager models");
    }
    e.load_running = false;
    waiters.swap(e.waiters);
    if (built.ok()) {
      make_room_locked((*built)->memory_bytes, name, retired);
      e.known_bytes = (*built)->memory_bytes;
      e.last_used_ns.store(now_ns());
      commit_locked(m, version, std::move(built).value(), retired);
      e.failed_at_ns = 0;
      on_demand_loads_++;
      if (metrics_ != nullptr) metrics_->observe_cold_load(seconds);
      for (auto& w : waiters) answers.push_back(acquire_locked(name, w->version));
    } else {
      fail_locked(m, version, built.status());
      e.failed_key = m.entry + model_files_identity(m);
      e.failed_at_ns = now_ns();
      const Status failed = unavailable("model '" + name + "' (load: on_demand) failed to load: " +
                                        built.status().message());
      answers.assign(waiters.size(), Result<ModelHandle>(failed));
    }
    break;
  }
  for (size_t i = 0; i < waiters.size(); ++i) waiters[i]->answer(std::move(answers[i]));
}

int64_t Registry::loaded_bytes_locked(bool eager_only) const {
  int64_t total = 0;
  for (const auto& [name, e] : entries_) {
    if (e->serving && (!eager_only || !e->on_demand)) total += e->serving->memory_bytes;
  }
  return total;
}

int64_t Registry::begin_on_demand_load_locked(Entry& e, const ModelConfig& m) {
  if (e.evicted_version == 0 || e.evicted_key != m.entry + model_files_identity(m)) {
    return begin_load_locked(m);
  }
  const int64_t version = e.evicted_version;
  std::erase_if(e.versions, [version](const VersionStatus& v) { return v.version == version; });
  e.versions.push_front(VersionStatus{version, VersionState::kLoading, Status()});
  return version;
}

void Registry::evict_locked(Entry& e, std::vector<std::shared_ptr<const Servable>>& retired) {
  e.evicted_version = e.serving->version;
  e.evicted_key = e.serving->config.entry + e.serving->files;
  retired.push_back(e.serving);
  unload_locked(e);
  e.evictions++;
  evictions_++;
}

void Registry::make_room_locked(int64_t need_bytes, const std::string& keep,
                                std::vector<std::shared_ptr<const Servable>>& retired,
                                bool strict_lru) {
  const int64_t budget = config_.server.memory_budget_bytes;
  if (budget <= 0) return;
  int64_t used = loaded_bytes_locked(false);
  while (used + need_bytes > budget) {
    // The least recently used on-demand model that only the registry holds: a request
    // (or a queued batch) holding its version keeps it, so no answer is ever cut short.
    // strict_lru: only the least recently used one; when something holds it, stop.
    Entry* victim = nullptr;
    for (auto& [name, e] : entries_) {
      if (!e->on_demand || !e->serving || name == keep) continue;
      if (!strict_lru && e->serving.use_count() != 1) continue;
      if (victim == nullptr || e->last_used_ns.load() < victim->last_used_ns.load()) {
        victim = e.get();
      }
    }
    if (victim != nullptr && victim->serving.use_count() != 1) victim = nullptr;
    if (victim == nullptr) return;  // the rest is in use: over budget until it is released
    used -= victim->serving->memory_bytes;
    log_line("model '" + victim->name + "' unloaded to make room (server.memory_budget_mb " +
             mib(budget) + ", least recently used)");
    evict_locked(*victim, retired);
  }
}

void Registry::sweep() {
  std::vector<std::shared_ptr<const Servable>> retired;  // freed outside mu_
  base::MutexLock lock(mu_);
  const int64_t idle_s = config_.server.idle_unload_s;
  if (idle_s > 0) {
    const int64_t cutoff = now_ns() - idle_s * 1'000'000'000;
    for (auto& [name, e] : entries_) {
      if (!e->on_demand || !e->serving || e->serving.use_count() != 1) continue;
      if (e->last_used_ns.load() > cutoff) continue;
      log_line("model '" + name + "' unloaded: unused for " + std::to_string(idle_s) +
               " s (server.idle_unload_s)");
      evict_locked(*e, retired);
    }
  }
  make_room_locked(0, "", retired);  // back within the budget once in-use models are free
}

Status Registry::check_eager_budget() const {
  base::MutexLock lock(mu_);
  const int64_t budget = config_.server.memory_budget_bytes;
  const int64_t eager = loaded_bytes_locked(true);
  if (budget <= 0 || eager <= budget) return Status();
  std::string each;
  bool planned = false;
  for (const auto& [name, e] : entries_) {
    if (!e->serving || e->on_demand) continue;
    each += (each.empty() ? "" : ", ") + name + " " + mib(e->serving->memory_bytes);
    if (const ModelConfig* m = config_.find(name); m != nullptr && planned_locked(*m)) planned = true;
  }
  return resource_exhausted("server.memory_budget_mb: the eager models need " + mib(eager) + " (" +
                            std::to_string(eager) + " bytes: " + each + ")" +
                            (planned ? " with no tables for those without a memory_policy" : "") +
                            " but the budget is " + mib(budget) + " (" + std::to_string(budget) +
                            " bytes); raise it or give models load: on_demand");
}

MemoryStatus Registry::memory() const {
  base::MutexLock lock(mu_);
  MemoryStatus s;
  s.budget_bytes = config_.server.memory_budget_bytes;
  s.loaded_bytes = loaded_bytes_locked(false);
  s.eager_bytes = loaded_bytes_locked(true);
  s.on_demand_loads = on_demand_loads_;
  s.evictions = evictions_;
  return s;
}

}  // namespace quiver::serve
