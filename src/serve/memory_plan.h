// The memory plan of eager models under server.memory_budget_mb (issue 18).
//
// An eager model whose entry sets neither memory_policy nor memory_budget_mb (policy auto)
// gets the policy that lets every eager model fit the server's budget: each first loads
// with no tables (its weights only: the least any policy holds), then plan_eager_memory()
// spends the room left on tables — fp32 tables for the models whose tables cost least
// first, as many as fit; then, when the rest fit with lazy tables' fixed part, lazy tables
// sharing what remains equally; else no tables. fp32, lazy and none give the same bits
// (nn_isolation_test), so a plan that depends on the other models never changes an answer.
//
// Thread-safety: pure functions.
#ifndef QUIVER_SERVE_MEMORY_PLAN_H_
#define QUIVER_SERVE_MEMORY_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "quiver/model.h"

namespace quiver::serve {

struct PlanItem {
  std::string name;
  ModelInfo info;              // from any load of the model (its policy-independent facts)
  int64_t tokenizer_bytes = 0;  // held beside the model (Servable::tokenizer_bytes)
};

// What one model loads with: LoadOptions::memory_policy and memory_budget_bytes.
struct PlannedMemory {
  MemoryPolicy policy = MemoryPolicy::kNoTables;
  int64_t budget_bytes = 0;  // lazy: the model's budget (its rows fill what it leaves)
  int64_t bytes = 0;         // the model's bytes with it, tokenizer included (an estimate
                             // for lazy: every row filled)
  bool operator==(const PlannedMemory&) const = default;
};

// Plans `items` (in any order; ties break by name, so the plan does not depend on it) into
// `room` bytes. The result is in `items`' order. Each item costs at least its no-table
// bytes, whatever `room` is: the caller reports a budget that cannot hold even those.
// `share_with_on_demand`: on-demand models use the same budget, so tables take at most half
// of what the items' no-table bytes leave.
std::vector<PlannedMemory> plan_eager_memory(int64_t room, const std::vector<PlanItem>& items,
                                             bool share_with_on_demand = false);

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_MEMORY_PLAN_H_
