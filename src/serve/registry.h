// Registry: the configured models, each with its serving version and its Batcher.
//
// Each model name has an entry: the Servable now serving (shared_ptr<const Servable>),
// a version history for TensorFlow Serving's status API, its Batcher and counters.
// Loads build the new version beside the old one (see servable.h for the lifecycle and
// the checks) and swap the pointer under a short lock; a request that already holds the
// old pointer finishes on it, and the old version is freed when its last request ends.
// A failed load keeps the old version serving and records the error.
//
// Thread-safety: thread-safe. Lookups (acquire) take mu_ for a pointer copy only. Loads,
// unloads and config swaps are serialised by control_mu_ and run outside mu_, so serving
// never waits for a load.
#ifndef QUIVER_SERVE_REGISTRY_H_
#define QUIVER_SERVE_REGISTRY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "quiver/status.h"
#include "serve/batcher.h"
#include "serve/config.h"
#include "serve/metrics.h"
#include "serve/servable.h"

namespace quiver::serve {

enum class VersionState { kLoading, kAvailable, kUnavailable, kEnd };

// "LOADING", "AVAILABLE", "UNAVAILABLE", "END" (TensorFlow Serving's names).
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
  int64_t memory_bytes = 0;
};

// A model ready to take a request: the version and the batcher that runs it.
struct ModelHandle {
  std::shared_ptr<const Servable> servable;
  std::shared_ptr<Batcher> batcher;
};

class Registry {
 public:
  Registry(ServeConfig config, PredictorLoader loader, TrainingHooks hooks, Metrics* metrics);
  ~Registry();  // stops every batcher (queued requests finish)
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Loads every configured model, several in parallel. Returns the first failure (the
  // other models still load; failed ones are UNAVAILABLE with their error).
  Status load_all();

  // The serving version of `name` (or exactly `version` when given).
  // NotFound: unknown name or version. Unavailable: loading, failed or unloaded.
  Result<ModelHandle> acquire(const std::string& name, std::optional<int64_t> version = {}) const;

  // Loads a new version of a configured model and swaps it in (also when it is unloaded).
  Status reload(const std::string& name);
  // Stops serving `name` (state END); queued requests finish first.
  Status unload(const std::string& name);
  // Applies a new config: new models load, removed ones unload, the rest reload.
  // Returns the first failure; every model that loaded serves its new version.
  Status apply_config(ServeConfig config);

  std::vector<ModelStatus> statuses() const;
  std::optional<ModelStatus> status(const std::string& name) const;
  ServeConfig config() const;
  // True when every configured model has a serving version.
  bool all_ready() const;

 private:
  struct Entry;
  Entry& entry_locked(const std::string& name);                // REQUIRES(mu_)
  BatcherOptions batcher_options(const ModelConfig& m) const;  // REQUIRES(mu_)
  Status load_one(const ModelConfig& m);                       // REQUIRES(control_mu_)
  Status load_many(const std::vector<ModelConfig>& models);    // REQUIRES(control_mu_)
  void unload_locked(Entry& e);                                // REQUIRES(mu_)

  const PredictorLoader loader_;
  const TrainingHooks hooks_;
  Metrics* const metrics_;
  std::mutex control_mu_;
  mutable std::mutex mu_;
  ServeConfig config_;                                     // GUARDED_BY(mu_)
  std::map<std::string, std::unique_ptr<Entry>> entries_;  // GUARDED_BY(mu_)
};

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_REGISTRY_H_
