// Registry: the configured models, each with its serving version and its Batcher.
//
// Each model name has an entry: the Servable now serving (shared_ptr<const Servable>),
// a version history for TensorFlow Serving's status API, its Batcher and counters.
// Loads build the new version beside the old one (see servable.h for the lifecycle and
// the checks) and swap the pointer under a short lock; a request that already holds the
// old pointer finishes on it, and the old version is freed when its last request ends.
// A failed load keeps the old version serving and records the error.
//
// Load on demand (`load: on_demand`, serve/config.h): such a model is registered (its
// config checked, its model file a regular file) but not loaded. acquire_or_load() starts
// its load on the first request; every request that arrives meanwhile waits for that one
// load (each at most server.load_timeout_ms, then 503 while the load goes on). Loaded, it
// is an ordinary serving version; within server.memory_budget_mb the least recently used
// on-demand models that no request holds are evicted to make room (a request holding a
// version keeps it alive, so an eviction never breaks one), and with
// server.idle_unload_s a model unused that long is unloaded. One that loads again from
// the same entry and files comes back as the same version number (TensorFlow Serving's
// versions are what is on disk, not how often it was loaded). A failed load answers its
// waiters with the reason and is retried by the next request (at once when the files
// changed, else after kFailedLoadRetry).
//
//   (config) --register--> UNLOADED --first request--> LOADING --ok--> AVAILABLE
//                             ^   ^                      '--fails--> UNLOADED (error)
//                             |   '----- evicted (LRU, budget) / idle / admin unload --'
//
// Threads: loads run on the registry's loader threads (2), timeouts and the idle / budget
// sweep on its timer thread; neither holds mu_ while building a model.
//
// Thread-safety: thread-safe. Lookups (acquire) take mu_ for a pointer copy only. Loads,
// unloads and config swaps are serialised by control_mu_ and run outside mu_, so serving
// never waits for a load. On-demand loads do not take control_mu_: a config change that
// lands while one is building makes it build again from the new entry.
#ifndef QUIVER_SERVE_REGISTRY_H_
#define QUIVER_SERVE_REGISTRY_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/thread_annotations.h"
#include "quiver/segmenter.h"
#include "quiver/status.h"
#include "serve/batcher.h"
#include "serve/config.h"
#include "serve/memory_plan.h"
#include "serve/metrics.h"
#include "serve/servable.h"

namespace quiver::serve {

// kStart: an on-demand model's next version, tracked but not loaded (TensorFlow Serving's
// ModelVersionStatus.State START: "tracking this servable, but has not initiated any
// action pertaining to it"). Only statuses() reports it.
enum class VersionState { kStart, kLoading, kAvailable, kUnavailable, kEnd };

// "START", "LOADING", "AVAILABLE", "UNAVAILABLE", "END" (TensorFlow Serving's names).
const char* version_state_name(VersionState state);

struct VersionStatus {
  int64_t version = 0;
  VersionState state = VersionState::kLoading;
  Status error;  // why it failed or ended badly (OK otherwise)
};

struct ModelStatus {
  std::string name;
  bool configured = false;              // in the current config
  int64_t serving_version = 0;          // 0 when none serves
  std::vector<VersionStatus> versions;  // newest first, at most a few
  Status last_error;                    // the last failed load, OK if none since success
  uint64_t loads = 0;
  uint64_t load_failures = 0;
  int64_t memory_bytes = 0;  // memory.total()
  MemoryUsage memory;        // the serving version's bytes now, by part (0 when none serves)
  bool on_demand = false;  // load: on_demand
  uint64_t evictions = 0;  // on-demand unloads by the budget or idle time
  bool rebuilding = false;  // its serving version is rebuilt for a new memory plan
};

// Server-wide memory facts (server.memory_budget_mb) and on-demand counters.
struct MemoryStatus {
  int64_t budget_bytes = 0;  // 0 = no budget
  int64_t loaded_bytes = 0;  // memory_bytes of every serving version
  int64_t eager_bytes = 0;   // of those, eager models'
  uint64_t on_demand_loads = 0;
  uint64_t evictions = 0;
};

// A model ready to take a request: the version and the batcher that runs it.
struct ModelHandle {
  std::shared_ptr<const Servable> servable;
  std::shared_ptr<Batcher> batcher;
};

// A group's serving side (GroupConfig): binary members, or one multi-label model.
struct GroupSide {
  std::vector<std::string> members;
  std::string model;
  bool operator==(const GroupSide&) const = default;
};

// A group ready to take one request: every model it needs, pinned together under one
// lock, so that a request runs entirely on one side of a switch.
struct GroupHandle {
  std::string name;
  int64_t generation = 0;            // +1 at every switch of the serving side
  std::vector<ModelHandle> members;  // the members side, in config order
  ModelHandle model;                 // the model side (servable null on the members side)
  ModelHandle shadow;                // servable null: no shadow, or it is not serving
  std::vector<std::string> labels;   // GroupConfig::labels
  int64_t shadow_max_queue = 0;
};

// One model that failed to build during a config reload.
struct ReloadFailure {
  std::string model;
  Status error;
};

struct GroupStatus {
  std::string name;
  GroupSide side;
  std::string shadow;
  bool is_default = false;
  int64_t generation = 0;
  uint64_t switches = 0;
  Status last_error;  // why the last switch (admin or config) was refused
};

// Runs fn(0) .. fn(n - 1) on up to max(2, cores) threads (models load in parallel).
void parallel_for(size_t n, const std::function<void(size_t)>& fn);

class Registry {
 public:
  Registry(ServeConfig config, PredictorLoader loader, TrainingHooks hooks, Metrics* metrics);
  ~Registry();  // stops every batcher (queued requests finish)
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Loads every configured model, several in parallel; each serves as soon as it is built
  // (every configured model is LOADING from construction until then). Returns the first
  // failure (the other models still load; failed ones are UNAVAILABLE with their error).
  Status load_all();

  // The serving version of `name` (or exactly `version` when given).
  // NotFound: unknown name or version. Unavailable: loading, failed or unloaded.
  Result<ModelHandle> acquire(const std::string& name, std::optional<int64_t> version = {}) const;

  // Like acquire(), but an on-demand model that is not loaded is loaded first (see the
  // top of this file). `done` runs exactly once: here when nothing needs loading, else on
  // a loader thread (or the timer thread when server.load_timeout_ms passes first:
  // Unavailable "... is still loading ..."). A failed load: Unavailable with the reason.
  using AcquireDone = std::function<void(Result<ModelHandle>)>;
  void acquire_or_load(const std::string& name, std::optional<int64_t> version, AcquireDone done);

  // ResourceExhausted when the eager models' bytes exceed server.memory_budget_mb (the
  // message names both and each model), else OK. `quiver serve` checks it after load_all.
  Status check_eager_budget() const;
  // Stops the on-demand loader and timer threads: a load in progress finishes and answers
  // its requests, any other waiting request is answered now (Unavailable). Call it before
  // what the requests' continuations use goes away (Server::shutdown). Idempotent.
  void stop_loading();
  MemoryStatus memory() const;

  // Loads a new version of a configured model and swaps it in (also when it is unloaded).
  Status reload(const std::string& name);
  // A file of `name` changed (polling): reload() when it serves or is eager; an on-demand
  // model that is not loaded is only registered again (its file checked; a remembered
  // failed load forgotten), and its next request loads the new file.
  Status refresh(const std::string& name);
  // Stops serving `name` (state END); queued requests finish first.
  Status unload(const std::string& name);
  // Applies a new config, all or nothing: first every model of it is built and checked
  // beside the serving versions (new models and a new version of the others, in
  // parallel). Only when all succeed are they swapped in together with the config and the
  // groups' new definitions, in one step under mu_; then models no longer configured nor
  // used by a group unload. When any fails nothing changes (the config, groups and
  // serving versions stay; the failed models' attempts show as UNAVAILABLE versions with
  // their error) and the result is InvalidArgument "config reload refused, nothing
  // changed: ..." listing each error; `failures` (optional) receives them one by one.
  // A group whose new side does not serve keeps its old side (its error is returned).
  // A model whose entry (ModelConfig::entry) and files (model_files_identity) are what its
  // serving version was built from is not rebuilt: it keeps its version and instance.
  Status apply_config(ServeConfig config, std::vector<ReloadFailure>* failures = nullptr);

  // The group `name` ("" = the default group), every model of its serving side pinned.
  // NotFound: no such group (or no default). Unavailable: a model of the side is not
  // serving.
  Result<GroupHandle> acquire_group(const std::string& name) const;
  // Switches a group's serving side; requests already holding the old side finish on it.
  // NotFound: no such group; InvalidArgument: not exactly one of members / model, or a
  // model not in the config; FailedPrecondition: a model of the new side is not serving.
  // A config reload sets the config's side again.
  Status switch_group(const std::string& name, GroupSide side);
  std::vector<GroupStatus> group_statuses() const;

  std::vector<ModelStatus> statuses() const;
  std::optional<ModelStatus> status(const std::string& name) const;
  ServeConfig config() const;
  // True when every configured eager model has a serving version and every on-demand
  // one is registered (its file checked), and load_all's memory plan is applied.
  bool all_ready() const;

 private:
  struct Waiter;
  // One model name: its serving version, history, batcher and on-demand state; under mu_.
  struct Entry {
    std::string name;
    bool configured = false;
    std::shared_ptr<const Servable> serving;
    std::shared_ptr<Batcher> batcher;
    std::deque<VersionStatus> versions;  // newest first
    int64_t next_version = 1;
    Status last_error;
    uint64_t loads = 0;
    uint64_t load_failures = 0;
    // On demand (registry_ondemand.cc).
    bool on_demand = false;
    Status registration;  // the file check of an on-demand model (OK: it may load)
    mutable std::atomic<int64_t> last_used_ns{0};  // steady clock; acquire sets it (LRU)
    std::vector<std::shared_ptr<Waiter>> waiters;  // requests waiting for its load
    bool load_running = false;
    int64_t loading_version = 0;
    int64_t known_bytes = 0;  // memory_bytes of its last load: room made before the next
    // The version an eviction (or idle unload) ended and what it was built from (entry +
    // files): loading the same again brings back that version number, as TensorFlow
    // Serving reloads a version, so a client pinned to it keeps working.
    int64_t evicted_version = 0;
    std::string evicted_key;
    uint64_t evictions = 0;
    std::string failed_key;  // entry + files of the last failed on-demand load, and when
    int64_t failed_at_ns = 0;
    // Eager under server.memory_budget_mb with policy auto (registry_memory.cc): what its
    // loads use; unset until the first plan (a load then holds no tables).
    std::optional<PlannedMemory> plan;
    // replan_eager_memory is rebuilding its serving version (load_all sets it for planned
    // models from the start: they count as loading until the first plan is applied).
    bool rebuilding = false;

    VersionStatus* find(int64_t v) {
      for (auto& s : versions) {
        if (s.version == v) return &s;
      }
      return nullptr;
    }
  };

  class Background;  // loader and timer threads (registry_ondemand.cc)
  std::shared_ptr<Background> make_background();
  static int64_t now_ns();  // steady clock
  // OK when an on-demand model may load: its model file is a regular file (or it is
  // trained when missing); else the reason, naming the model.
  static Status check_registration(const ModelConfig& m);
  // Records `m` as registered: its file is checked (on-demand models), never loaded here.
  Status register_locked(const ModelConfig& m) REQUIRES(mu_);
  // The version number an on-demand load of `m` gets, recorded as LOADING: the evicted
  // version when its entry and files are unchanged, else a new one.
  int64_t begin_on_demand_load_locked(Entry& e, const ModelConfig& m) REQUIRES(mu_);
  // The on-demand load of `name` that acquire_or_load started (a loader thread).
  void run_on_demand_load(const std::string& name);
  // Evicts least recently used on-demand models no request holds (never `keep`) until
  // `need_bytes` more fit in the budget; evicted versions go to `retired`.
  void make_room_locked(int64_t need_bytes, const std::string& keep,
                        std::vector<std::shared_ptr<const Servable>>& retired,
                        bool strict_lru = false) REQUIRES(mu_);
  void evict_locked(Entry& e, std::vector<std::shared_ptr<const Servable>>& retired)
      REQUIRES(mu_);
  // Idle unloads and the budget (timer thread, every second when either is set).
  void sweep();
  int64_t loaded_bytes_locked(bool eager_only) const REQUIRES(mu_);
  // One entry's status without its memory (status_memory adds it outside mu_).
  ModelStatus status_locked(const std::string& name, const Entry& e) const REQUIRES(mu_);
  Entry& entry_locked(const std::string& name) REQUIRES(mu_);
  BatcherOptions batcher_options(const ModelConfig& m) const REQUIRES(mu_);
  Status load_one(const ModelConfig& m) REQUIRES(control_mu_);
  Status apply_config_controlled(ServeConfig config, std::vector<ReloadFailure>* failures)
      REQUIRES(control_mu_);
  // A new version number for `m`, recorded as LOADING.
  int64_t begin_load_locked(const ModelConfig& m) REQUIRES(mu_);
  // Builds and checks version `version` of `m` (no lock held; the slow part of a load),
  // with the memory its plan gives it (effective_locked).
  Result<std::shared_ptr<const Servable>> build(const ModelConfig& m, int64_t version);
  // Memory plan (registry_memory.cc, serve/memory_plan.h). True when `m` is eager, the
  // server has a budget and the entry sets neither memory_policy nor memory_budget_mb.
  bool planned_locked(const ModelConfig& m) const REQUIRES(mu_);
  // `m` with its plan's memory policy and budget (no tables before the first plan); its
  // entry text unchanged (a plan is not a config change).
  ModelConfig effective_locked(const ModelConfig& m) const REQUIRES(mu_);
  // Plans every planned model's memory from its serving version's facts and rebuilds those
  // whose plan changed (the same files, so no sandbox run; the same version number: the
  // bits do not change), shrinking ones first. After load_all, apply_config and reload.
  void replan_eager_memory() REQUIRES(control_mu_);
  // Serves `servable` as version `version` of `m`; the replaced one goes to `retired`.
  void commit_locked(const ModelConfig& m, int64_t version,
                     std::shared_ptr<const Servable> servable,
                     std::vector<std::shared_ptr<const Servable>>& retired) REQUIRES(mu_);
  // Records a failed build of `version` (UNAVAILABLE, error, counters, the log).
  void fail_locked(const ModelConfig& m, int64_t version, const Status& error) REQUIRES(mu_);
  // Forgets a built version that was not swapped in (a refused config reload).
  void abandon_locked(const std::string& name, int64_t version) REQUIRES(mu_);
  void unload_locked(Entry& e) REQUIRES(mu_);
  // True when `m` serves a version built from the same entry and files.
  bool unchanged_locked(const ModelConfig& m, const std::string& files) const REQUIRES(mu_);
  Result<ModelHandle> acquire_locked(const std::string& name,
                                     std::optional<int64_t> version) const REQUIRES(mu_);
  Status side_serves_locked(const GroupSide& side) const REQUIRES(mu_);
  Status set_groups_locked(const std::vector<GroupConfig>& groups) REQUIRES(mu_);
  bool used_by_group_locked(const std::string& model) const REQUIRES(mu_);

  struct GroupState {
    GroupConfig config;  // side (members / model) as switched
    int64_t generation = 1;
    uint64_t switches = 0;
    Status last_error;
  };

  const PredictorLoader loader_;
  const TrainingHooks hooks_;
  Metrics* const metrics_;
  SegmenterCache segmenters_;  // thread-safe; models with one jieba dictionary share it
  base::Mutex control_mu_;  // serialises loads, reloads, unloads and config changes
  mutable base::Mutex mu_;  // the maps below; held for pointer copies only
  ServeConfig config_ GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<Entry>> entries_ GUARDED_BY(mu_);
  std::map<std::string, GroupState> groups_ GUARDED_BY(mu_);
  std::string default_group_ GUARDED_BY(mu_);  // "" = none
  uint64_t on_demand_loads_ GUARDED_BY(mu_) = 0;
  bool first_plan_pending_ GUARDED_BY(mu_) = false;  // load_all's plan not applied yet
  uint64_t evictions_ GUARDED_BY(mu_) = 0;
  std::shared_ptr<Background> background_;  // made in registry_ondemand.cc
};

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_REGISTRY_H_
