// Serving metrics, rendered in the Prometheus text exposition format.
//
// Per model: requests and failures (by API), latency and queue-time histograms (seconds),
// batch-size histogram (rows), in-flight requests, training progress on start. Per group: requests, switches, and the
// shadow model's requests, drops and per-category disagreements. Registry facts (memory bytes, load
// counts and failures, state) are passed in at render time.
//
// Thread-safety: thread-safe. Recording is lock-free (atomics); for_model() takes a mutex
// only to find or create a model's entry.
#ifndef QUIVER_SERVE_METRICS_H_
#define QUIVER_SERVE_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/thread_annotations.h"
#include "quiver/model.h"

namespace quiver::serve {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  // Appends "<name>_bucket{labels,le=..} n", _sum and _count lines.
  void render(const std::string& name, const std::string& labels, std::string& out) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // one per bound, plus +Inf
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// Progress of a train_if_missing run on start (gauges; `epochs` 0 = never trained here).
struct TrainingGauges {
  std::atomic<int64_t> epoch{0};   // epochs finished
  std::atomic<int64_t> epochs{0};  // epochs planned
  std::atomic<int64_t> step{0};    // batches done in the current epoch
  std::atomic<int64_t> steps{0};   // batches per epoch
  std::atomic<double> loss{0}, accuracy{0};  // running, over the current epoch
  std::atomic<double> val_loss{0}, val_accuracy{0};  // of the last finished epoch
  std::atomic<bool> has_validation{false};
  std::atomic<bool> active{false};  // training now
};

struct ModelMetrics {
  ModelMetrics();
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> failures{0};
  std::atomic<uint64_t> unknown_inputs{0};  // texts with no token the model knows
  std::atomic<int64_t> in_flight{0};
  Histogram latency_seconds;
  Histogram queue_seconds;
  Histogram batch_rows;
  TrainingGauges training;
};

// Shadow comparisons of one category of a group.
struct CategoryCounters {
  std::atomic<uint64_t> compared{0};       // rows both sides answered
  std::atomic<uint64_t> disagreements{0};  // rows whose decisions differ
};

// Per group: requests, and its shadow model's work. Categories are created on first use.
struct GroupMetrics {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> failures{0};
  std::atomic<uint64_t> shadow_requests{0};  // sent to the shadow model
  std::atomic<uint64_t> shadow_dropped{0};   // not sent: its queue was full
  std::atomic<uint64_t> shadow_failures{0};
  std::atomic<int64_t> shadow_in_flight{0};
  CategoryCounters& category(const std::string& name);

  mutable base::Mutex mu;
  std::map<std::string, std::unique_ptr<CategoryCounters>> categories GUARDED_BY(mu);
};

// What the registry knows about one group when metrics are rendered.
struct GroupFacts {
  std::string name;
  int64_t generation = 0;
  uint64_t switches = 0;
};

// What the registry knows about one model when metrics are rendered.
struct ModelFacts {
  std::string name;
  int64_t memory_bytes = 0;
  int64_t version = 0;  // the serving version (0: none)
  MemoryUsage memory;   // its bytes by part
  uint64_t loads = 0;
  uint64_t load_failures = 0;
  bool available = false;
  bool loading = false;  // a version is being built (start-up, reload, load)
  bool on_demand = false;  // load: on_demand
  uint64_t evictions = 0;  // on-demand unloads by the memory budget or idle time
};

// Server-wide memory facts (Registry::memory()).
struct MemoryFacts {
  int64_t budget_bytes = 0;  // server.memory_budget_mb; 0 = none
  int64_t loaded_bytes = 0;
  uint64_t on_demand_loads = 0;
  uint64_t evictions = 0;
};

class Metrics {
 public:
  // The entry for `model`; created on first use and alive as long as this object.
  ModelMetrics& for_model(const std::string& model);

  // Counts a request answered with an HTTP status (4xx/5xx count as failures).
  void count_http(int status);

  // The entry for `group`; created on first use and alive as long as this object.
  GroupMetrics& for_group(const std::string& group);

  // Seconds one on-demand load took (the request that started it waited as long).
  void observe_cold_load(double seconds) { cold_load_seconds_.observe(seconds); }

  std::string render(const std::vector<ModelFacts>& facts,
                     const std::vector<GroupFacts>& groups = {},
                     const MemoryFacts& memory = {}) const;

 private:
  mutable base::Mutex mu_;
  void render_groups(const std::vector<GroupFacts>& groups, std::string& out) const
      REQUIRES(mu_);
  void render_training(std::string& out) const REQUIRES(mu_);
  void render_on_demand(const std::vector<ModelFacts>& facts, const MemoryFacts& memory,
                        std::string& out) const;

  std::map<std::string, std::unique_ptr<ModelMetrics>> models_ GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<GroupMetrics>> groups_ GUARDED_BY(mu_);
  Histogram cold_load_seconds_{{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}};
  std::array<std::atomic<uint64_t>, 6> http_by_class_{};         // 0: other, 1..5: 1xx..5xx
};

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_METRICS_H_
