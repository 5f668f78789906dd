#include "serve/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace quiver::serve {

std::vector<PlannedMemory> plan_eager_memory(int64_t room, const std::vector<PlanItem>& items,
                                             bool share_with_on_demand) {
  const size_t n = items.size();
  std::vector<PlannedMemory> plan(n);
  std::vector<int64_t> none(n), fp32(n), lazy_min(n);
  for (size_t i = 0; i < n; ++i) {
    const ModelInfo& info = items[i].info;
    none[i] = estimate_memory(info, MemoryPolicy::kNoTables).total() + items[i].tokenizer_bytes;
    fp32[i] = estimate_memory(info, MemoryPolicy::kTablesFp32).total() + items[i].tokenizer_bytes;
    // Lazy with no row kept: its trajectories and row index (a budget of its fixed bytes).
    const int64_t fixed = info.memory.weights + info.memory.tokenizer + info.memory.other;
    lazy_min[i] = estimate_memory(info, MemoryPolicy::kTablesLazy, fixed > 0 ? fixed : 1).total() +
                  items[i].tokenizer_bytes;
    plan[i] = PlannedMemory{MemoryPolicy::kNoTables, 0, none[i]};
    room -= none[i];
  }
  if (share_with_on_demand && room > 0) room -= room / 2;
  // fp32 tables, cheapest first.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const int64_t ca = fp32[a] - none[a], cb = fp32[b] - none[b];
    return ca != cb ? ca < cb : items[a].name < items[b].name;
  });
  std::vector<size_t> rest;
  for (size_t i : order) {
    const int64_t cost = fp32[i] - none[i];
    if (cost == 0 || cost <= room) {  // 0: no tables, fp32 is its only form
      plan[i] = PlannedMemory{MemoryPolicy::kTablesFp32, 0, fp32[i]};
      room -= cost;
    } else {
      rest.push_back(i);
    }
  }
  // Lazy tables for all the rest, or for none of them.
  int64_t lazy_cost = 0;
  for (size_t i : rest) lazy_cost += lazy_min[i] - none[i];
  if (rest.empty() || lazy_cost > room) return plan;
  const int64_t share = (room - lazy_cost) / static_cast<int64_t>(rest.size());
  for (size_t i : rest) {
    const int64_t budget = lazy_min[i] - items[i].tokenizer_bytes + share;
    plan[i] = PlannedMemory{MemoryPolicy::kTablesLazy, budget,
                            estimate_memory(items[i].info, MemoryPolicy::kTablesLazy, budget)
                                    .total() +
                                items[i].tokenizer_bytes};
  }
  return plan;
}

}  // namespace quiver::serve
