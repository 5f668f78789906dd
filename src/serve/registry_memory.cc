// The memory plan of eager models under server.memory_budget_mb (serve/memory_plan.h):
// which models a load gives tables, and the rebuilds when the plan changes.
#include <algorithm>
#include <cstdio>

#include "serve/registry.h"

namespace quiver::serve {

bool Registry::planned_locked(const ModelConfig& m) const {
  return config_.server.memory_budget_bytes > 0 && m.load == LoadMode::kEager &&
         m.memory_policy == MemoryPolicy::kAuto && m.memory_budget_bytes == 0;
}

ModelConfig Registry::effective_locked(const ModelConfig& m) const {
  if (!planned_locked(m)) return m;
  PlannedMemory plan;  // before the first plan: no tables, the least any policy holds
  auto it = entries_.find(m.name);
  if (it != entries_.end() && it->second->plan) plan = *it->second->plan;
  ModelConfig c = m;
  c.memory_policy = plan.policy;
  c.memory_budget_bytes = plan.budget_bytes;
  return c;
}

void Registry::replan_eager_memory() {
  struct Rebuild {
    ModelConfig config;  // effective: with the new plan
    std::shared_ptr<const Servable> from;
    bool shrinks = false;
  };
  std::vector<Rebuild> rebuilds;
  {
    base::MutexLock lock(mu_);
    const int64_t budget = config_.server.memory_budget_bytes;
    for (auto& [name, e] : entries_) {
      e->rebuilding = false;  // load_all's "awaiting the plan"
      e->plan.reset();        // set again below for the models the budget plans
    }
    if (budget > 0) {
      std::vector<PlanItem> items;
      std::vector<Entry*> planned;
      int64_t room = budget;
      bool on_demand = false;
      for (const ModelConfig& m : config_.models) {
        if (m.load == LoadMode::kOnDemand) {
          on_demand = true;
          continue;
        }
        auto it = entries_.find(m.name);
        if (it == entries_.end() || !it->second->serving) continue;  // failed: nothing to plan
        const Servable& s = *it->second->serving;
        if (!planned_locked(m)) {
          room -= s.memory_bytes;
          continue;
        }
        items.push_back(PlanItem{m.name, s.classifier->info().model, s.tokenizer_bytes});
        planned.push_back(it->second.get());
      }
      // On-demand models share the budget (LRU): the eager tables take at most half of what
      // the eager models leave.
      const std::vector<PlannedMemory> plan = plan_eager_memory(room, items, on_demand);
      for (size_t i = 0; i < planned.size(); ++i) planned[i]->plan = plan[i];
    }
    // Every eager serving version not built with the memory its entry and the plan now give
    // it is rebuilt.
    for (const ModelConfig& m : config_.models) {
      auto it = entries_.find(m.name);
      if (m.load != LoadMode::kEager || it == entries_.end() || !it->second->serving) continue;
      Entry& e = *it->second;
      ModelConfig target = effective_locked(m);
      const ModelConfig& built = e.serving->config;
      if (built.memory_policy == target.memory_policy &&
          built.memory_budget_bytes == target.memory_budget_bytes) {
        continue;
      }
      // Lazy tables whose share grew by at most a quarter keep their version: its smaller
      // cap stays within the plan, and a reload of any model (which moves every lazy share
      // a little) does not rebuild all of them. A share that shrinks is always rebuilt.
      if (built.memory_policy == MemoryPolicy::kTablesLazy &&
          target.memory_policy == MemoryPolicy::kTablesLazy &&
          target.memory_budget_bytes >= built.memory_budget_bytes &&
          target.memory_budget_bytes - built.memory_budget_bytes <=
              built.memory_budget_bytes / 4) {
        continue;
      }
      const bool shrinks = e.plan && e.plan->bytes < e.serving->memory_bytes;
      rebuilds.push_back(Rebuild{std::move(target), e.serving, shrinks});
      e.rebuilding = true;
    }
    if (rebuilds.empty()) first_plan_pending_ = false;
  }
  if (rebuilds.empty()) return;
  // Shrinking models first, so the budget is not overrun while tables are built.
  std::stable_partition(rebuilds.begin(), rebuilds.end(), [](const Rebuild& r) { return r.shrinks; });
  TrainingHooks hooks = hooks_;
  hooks.validate = nullptr;  // the files the sandbox checked, or no rebuild at all (below)
  auto rebuild = [&](const Rebuild& r) {
    // A file changed since its version was built: the polling reload loads it (sandbox
    // first) with this plan; nothing is built from it here.
    if (model_files_identity(r.config) != r.from->files) return;
    auto built = make_servable(r.config, r.from->version, loader_, hooks, &segmenters_);
    std::shared_ptr<const Servable> retired;  // freed after the lock
    base::MutexLock lock(mu_);
    auto it = entries_.find(r.config.name);
    if (!built.ok()) {
      std::fprintf(stderr, "quiver serve: model '%s': rebuilding with memory policy %s failed: "
                   "%s; the version built with %s keeps serving\n", r.config.name.c_str(),
                   memory_policy_name(r.config.memory_policy), built.status().to_string().c_str(),
                   memory_policy_name(r.from->config.memory_policy));
      return;
    }
    if (it == entries_.end() || it->second->serving != r.from) return;  // replaced meanwhile
    retired = std::move(it->second->serving);
    it->second->serving = std::move(built).value();
  };
  const size_t shrinking = static_cast<size_t>(std::count_if(
      rebuilds.begin(), rebuilds.end(), [](const Rebuild& r) { return r.shrinks; }));
  parallel_for(shrinking, [&](size_t i) { rebuild(rebuilds[i]); });
  parallel_for(rebuilds.size() - shrinking, [&](size_t i) { rebuild(rebuilds[shrinking + i]); });
  base::MutexLock lock(mu_);
  for (auto& [name, e] : entries_) e->rebuilding = false;
  first_plan_pending_ = false;
}

}  // namespace quiver::serve
