#include "serve/metrics.h"

#include <cstdio>

namespace quiver::serve {
namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void append_help(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

// Model names are [A-Za-z0-9_.-]+, so they need no escaping inside a label value.
std::string model_label(const std::string& name) { return "model=\"" + name + "\""; }

// Prometheus label values escape backslash, double quote and newline.
std::string label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string group_label(const std::string& name) { return "group=\"" + name + "\""; }

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::render(const std::string& name, const std::string& labels, std::string& out) const {
  uint64_t cumulative = 0;
  const std::string sep = labels.empty() ? "" : ",";
  const std::string own = labels.empty() ? "" : "{" + labels + "}";  // none: no braces
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    std::string le = i < bounds_.size() ? number(bounds_[i]) : "+Inf";
    out += name + "_bucket{" + labels + sep + "le=\"" + le + "\"} " + std::to_string(cumulative) +
           "\n";
  }
  out += name + "_sum" + own + " " + number(sum_.load(std::memory_order_relaxed)) + "\n";
  out += name + "_count" + own + " " + std::to_string(count_.load(std::memory_order_relaxed)) +
         "\n";
}

ModelMetrics::ModelMetrics()
    : latency_seconds({0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                       0.5, 1, 2.5, 5, 10}),
      queue_seconds({0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05,
                     0.1, 0.5, 1}),
      batch_rows({1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}) {}

ModelMetrics& Metrics::for_model(const std::string& model) {
  base::MutexLock lock(mu_);
  auto& slot = models_[model];
  if (!slot) slot = std::make_unique<ModelMetrics>();
  return *slot;
}

CategoryCounters& GroupMetrics::category(const std::string& name) {
  base::MutexLock lock(mu);
  auto& slot = categories[name];
  if (!slot) slot = std::make_unique<CategoryCounters>();
  return *slot;
}

GroupMetrics& Metrics::for_group(const std::string& group) {
  base::MutexLock lock(mu_);
  auto& slot = groups_[group];
  if (!slot) slot = std::make_unique<GroupMetrics>();
  return *slot;
}

void Metrics::render_groups(const std::vector<GroupFacts>& groups, std::string& out) const {
  auto each = [&](const char* name, const char* type, const char* help, auto value) {
    mu_.assert_held();  // called only below, under render()'s lock
    append_help(out, name, type, help);
    for (const auto& [group, g] : groups_)
      out += std::string(name) + "{" + group_label(group) + "} " + std::to_string(value(*g)) + "\n";
  };
  each("quiver_group_requests_total", "counter", "Requests answered by a group.",
       [](const GroupMetrics& g) { return g.requests.load(); });
  each("quiver_group_request_failures_total", "counter", "Group requests that failed.",
       [](const GroupMetrics& g) { return g.failures.load(); });
  each("quiver_shadow_requests_total", "counter", "Group requests also sent to the shadow.",
       [](const GroupMetrics& g) { return g.shadow_requests.load(); });
  each("quiver_shadow_dropped_total", "counter", "Shadow requests dropped (queue full).",
       [](const GroupMetrics& g) { return g.shadow_dropped.load(); });
  each("quiver_shadow_failures_total", "counter", "Shadow requests that failed.",
       [](const GroupMetrics& g) { return g.shadow_failures.load(); });
  append_help(out, "quiver_group_switches_total", "counter", "Switches of a group's side.");
  for (const auto& g : groups)
    out += "quiver_group_switches_total{" + group_label(g.name) + "} " +
           std::to_string(g.switches) + "\n";
  append_help(out, "quiver_shadow_compared_total", "counter",
              "Sentences both the serving side and the shadow answered, per category.");
  append_help(out, "quiver_shadow_disagreements_total", "counter",
              "Sentences whose decision differs between serving side and shadow, per category.");
  for (const auto& [group, g] : groups_) {
    base::MutexLock lock(g->mu);
    for (const auto& [category, c] : g->categories) {
      const std::string labels = group_label(group) + ",category=\"" + label_value(category) + "\"";
      out += "quiver_shadow_compared_total{" + labels + "} " + std::to_string(c->compared.load()) +
             "\n";
      out += "quiver_shadow_disagreements_total{" + labels + "} " +
             std::to_string(c->disagreements.load()) + "\n";
    }
  }
}

void Metrics::render_training(std::string& out) const {
  std::vector<std::pair<std::string, const TrainingGauges*>> trained;
  for (const auto& [name, m] : models_) {
    if (m->training.epochs.load() > 0) trained.emplace_back(name, &m->training);
  }
  if (trained.empty()) return;
  auto each = [&](const char* name, const char* help, auto value) {
    append_help(out, name, "gauge", help);
    for (const auto& [model, t] : trained) {
      out += std::string(name) + "{" + model_label(model) + "} ";
      out += number(value(*t)) + "\n";
    }
  };
  each("quiver_training_active", "1 while the model trains on start (train_if_missing).",
       [](const TrainingGauges& t) { return t.active.load() ? 1.0 : 0.0; });
  each("quiver_training_epoch", "Training epochs finished.",
       [](const TrainingGauges& t) { return static_cast<double>(t.epoch.load()); });
  each("quiver_training_epochs", "Training epochs planned.",
       [](const TrainingGauges& t) { return static_cast<double>(t.epochs.load()); });
  each("quiver_training_step", "Batches done in the current epoch.",
       [](const TrainingGauges& t) { return static_cast<double>(t.step.load()); });
  each("quiver_training_steps", "Batches per epoch.",
       [](const TrainingGauges& t) { return static_cast<double>(t.steps.load()); });
  each("quiver_training_loss", "Training loss (running mean over the current epoch).",
       [](const TrainingGauges& t) { return t.loss.load(); });
  each("quiver_training_accuracy", "Training accuracy (running, current epoch).",
       [](const TrainingGauges& t) { return t.accuracy.load(); });
  each("quiver_training_val_loss", "Validation loss of the last finished epoch.",
       [](const TrainingGauges& t) { return t.val_loss.load(); });
  each("quiver_training_val_accuracy", "Validation accuracy of the last finished epoch.",
       [](const TrainingGauges& t) { return t.val_accuracy.load(); });
}

void Metrics::count_http(int status) {
  size_t cls = status >= 100 && status < 600 ? static_cast<size_t>(status / 100) : 0;
  http_by_class_[cls].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::render_on_demand(const std::vector<ModelFacts>& facts, const MemoryFacts& memory,
                               std::string& out) const {
  auto sample = [&out](const char* name, const char* type, const char* help, auto value) {
    append_help(out, name, type, help);
    out += std::string(name) + " " + std::to_string(value) + "\n";
  };
  sample("quiver_memory_budget_bytes", "gauge", "server.memory_budget_mb in bytes (0: no budget).",
         memory.budget_bytes);
  sample("quiver_memory_loaded_bytes", "gauge",
         "Bytes held by every serving version (eager and on-demand).", memory.loaded_bytes);
  sample("quiver_on_demand_loads_total", "counter",
         "Loads of load: on_demand models started by a request.", memory.on_demand_loads);
  sample("quiver_evictions_total", "counter",
         "On-demand models unloaded to stay within the budget or after idle_unload_s.",
         memory.evictions);
  append_help(out, "quiver_cold_load_seconds", "histogram",
              "Time of one on-demand load (the first request of an unloaded model waits it).");
  cold_load_seconds_.render("quiver_cold_load_seconds", "", out);
  append_help(out, "quiver_model_evictions_total", "counter",
              "Evictions of one on-demand model.");
  for (const auto& f : facts) {
    if (!f.on_demand) continue;
    out += "quiver_model_evictions_total{" + model_label(f.name) + "} " +
           std::to_string(f.evictions) + "\n";
  }
}

std::string Metrics::render(const std::vector<ModelFacts>& facts,
                            const std::vector<GroupFacts>& groups,
                            const MemoryFacts& memory) const {
  std::string out;
  base::MutexLock lock(mu_);
  append_help(out, "quiver_requests_total", "counter", "Inference requests per model.");
  for (const auto& [name, m] : models_) {
    out += "quiver_requests_total{" + model_label(name) + "} " +
           std::to_string(m->requests.load()) + "\n";
  }
  append_help(out, "quiver_request_failures_total", "counter", "Inference requests that failed.");
  for (const auto& [name, m] : models_) {
    out += "quiver_request_failures_total{" + model_label(name) + "} " +
           std::to_string(m->failures.load()) + "\n";
  }
  append_help(out, "quiver_unknown_inputs_total", "counter",
              "Texts with no token the model knows (known_tokens 0), answered or refused.");
  for (const auto& [name, m] : models_) {
    out += "quiver_unknown_inputs_total{" + model_label(name) + "} " +
           std::to_string(m->unknown_inputs.load()) + "\n";
  }
  append_help(out, "quiver_in_flight_requests", "gauge", "Inference requests being served.");
  for (const auto& [name, m] : models_) {
    out += "quiver_in_flight_requests{" + model_label(name) + "} " +
           std::to_string(m->in_flight.load()) + "\n";
  }
  append_help(out, "quiver_request_latency_seconds", "histogram", "Time from request to answer.");
  for (const auto& [name, m] : models_)
    m->latency_seconds.render("quiver_request_latency_seconds", model_label(name), out);
  append_help(out, "quiver_queue_seconds", "histogram", "Time a request waited for its batch.");
  for (const auto& [name, m] : models_)
    m->queue_seconds.render("quiver_queue_seconds", model_label(name), out);
  append_help(out, "quiver_batch_size", "histogram", "Rows per predict call.");
  for (const auto& [name, m] : models_)
    m->batch_rows.render("quiver_batch_size", model_label(name), out);
  // The total per model, and the serving version's bytes by part under a name of their own:
  // one family holds one set of label names, so sum() over either never counts twice.
  append_help(out, "quiver_model_memory_bytes", "gauge", "Bytes held by the serving version.");
  for (const auto& f : facts) {
    out += "quiver_model_memory_bytes{" + model_label(f.name) + "} " +
           std::to_string(f.memory_bytes) + "\n";
  }
  append_help(out, "quiver_model_memory_part_bytes", "gauge",
              "Bytes held by the serving version, by part (they add up to "
              "quiver_model_memory_bytes).");
  for (const auto& f : facts) {
    if (f.version <= 0) continue;
    const std::pair<const char*, int64_t> parts[] = {
        {"weights", f.memory.weights},           {"tables", f.memory.tables},
        {"trajectories", f.memory.trajectories}, {"tokenizer", f.memory.tokenizer},
        {"other", f.memory.other}};
    for (const auto& [part, bytes] : parts) {
      out += "quiver_model_memory_part_bytes{" + model_label(f.name) + ",version=\"" +
             std::to_string(f.version) + "\",part=\"" + part + "\"} " + std::to_string(bytes) +
             "\n";
    }
  }
  append_help(out, "quiver_model_loads_total", "counter",
              "Successful loads (start, reload, load).");
  for (const auto& f : facts)
    out +=
        "quiver_model_loads_total{" + model_label(f.name) + "} " + std::to_string(f.loads) + "\n";
  append_help(out, "quiver_model_load_failures_total", "counter", "Failed loads.");
  for (const auto& f : facts)
    out += "quiver_model_load_failures_total{" + model_label(f.name) + "} " +
           std::to_string(f.load_failures) + "\n";
  append_help(out, "quiver_model_available", "gauge", "1 when a version is serving.");
  for (const auto& f : facts)
    out +=
        "quiver_model_available{" + model_label(f.name) + "} " + (f.available ? "1" : "0") + "\n";
  append_help(out, "quiver_model_loading", "gauge", "1 while a version is being built.");
  int64_t loading = 0;
  for (const auto& f : facts) {
    out += "quiver_model_loading{" + model_label(f.name) + "} " + (f.loading ? "1" : "0") + "\n";
    loading += f.loading ? 1 : 0;
  }
  append_help(out, "quiver_models_loading", "gauge", "Models with a version being built.");
  out += "quiver_models_loading " + std::to_string(loading) + "\n";
  render_training(out);
  render_on_demand(facts, memory, out);
  append_help(out, "quiver_http_responses_total", "counter", "HTTP responses by status class.");
  for (size_t i = 1; i < http_by_class_.size(); ++i) {
    out += "quiver_http_responses_total{code=\"" + std::to_string(i) + "xx\"} " +
           std::to_string(http_by_class_[i].load()) + "\n";
  }
  if (!groups_.empty() || !groups.empty()) render_groups(groups, out);
  return out;
}

}  // namespace quiver::serve
