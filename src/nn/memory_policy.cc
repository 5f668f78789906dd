// MemoryPolicy names and the memory estimate (include/quiver/model.h, issue 18).
//
// The estimate works from facts every load records whatever policy it used (the weights,
// the float32 bytes and rows of every token table, the trajectories), so a caller can price
// each policy for a model without loading it again.
#include <algorithm>

#include "nn/model_impl.h"
#include "quiver/model.h"

namespace quiver {
namespace {

constexpr MemoryPolicy kAllPolicies[] = {MemoryPolicy::kAuto, MemoryPolicy::kTablesFp32,
                                         MemoryPolicy::kTablesBf16, MemoryPolicy::kTablesLazy,
                                         MemoryPolicy::kNoTables};

// The bytes of a lazy table's row index: one int32 state per token row.
int64_t lazy_index_bytes(const ModelInfo& info) { return info.table_rows * 4; }

// What every policy holds: weights, a TextVectorization's vocabulary, anything else.
int64_t fixed_bytes(const ModelInfo& info) {
  return info.memory.weights + info.memory.tokenizer + info.memory.other;
}

}  // namespace

const char* memory_policy_name(MemoryPolicy policy) {
  switch (policy) {
    case MemoryPolicy::kTablesFp32:
      return "fp32";
    case MemoryPolicy::kTablesBf16:
      return "bf16";
    case MemoryPolicy::kTablesLazy:
      return "lazy";
    case MemoryPolicy::kNoTables:
      return "none";
    case MemoryPolicy::kAuto:
      break;
  }
  return "auto";
}

Result<MemoryPolicy> parse_memory_policy(const std::string& name) {
  for (MemoryPolicy p : kAllPolicies) {
    if (name == memory_policy_name(p)) return p;
  }
  return invalid_argument("memory policy '" + name + "': expected auto, fp32, bf16, lazy or none");
}

namespace nn {
double lazy_table_fraction(const ModelInfo& info, int64_t budget_bytes) {
  if (budget_bytes <= 0 || info.table_fp32_bytes == 0) return 1.0;
  const int64_t room =
      budget_bytes - fixed_bytes(info) - info.trajectory_bytes - lazy_index_bytes(info);
  if (room <= 0) return 0.0;
  return std::min(1.0, static_cast<double>(room) / static_cast<double>(info.table_fp32_bytes));
}

}  // namespace nn

MemoryPolicy choose_memory_policy(const ModelInfo& info, MemoryPolicy policy,
                                  int64_t budget_bytes) {
  if (policy != MemoryPolicy::kAuto) return policy;
  if (info.table_fp32_bytes == 0) return MemoryPolicy::kTablesFp32;  // nothing to decide
  if (budget_bytes <= 0) {
    // Without a budget: tables in fp32 unless they are very large (a 100,000-token
    // vocabulary), where only the rows in use are worth holding.
    return info.table_fp32_bytes <= nn::kAutoMaxTableBytes ? MemoryPolicy::kTablesFp32
                                                        : MemoryPolicy::kTablesLazy;
  }
  if (estimate_memory(info, MemoryPolicy::kTablesFp32).total() <= budget_bytes) {
    return MemoryPolicy::kTablesFp32;
  }
  // bf16 tables change outputs beyond 1e-5 (docs/performance.md): never chosen here.
  if (fixed_bytes(info) + info.trajectory_bytes + lazy_index_bytes(info) <= budget_bytes) {
    return MemoryPolicy::kTablesLazy;
  }
  return MemoryPolicy::kNoTables;
}

MemoryUsage estimate_memory(const ModelInfo& info, MemoryPolicy policy, int64_t budget_bytes) {
  policy = choose_memory_policy(info, policy, budget_bytes);
  MemoryUsage m;
  m.weights = info.memory.weights;
  m.tokenizer = info.memory.tokenizer;
  m.other = info.memory.other;
  if (info.table_fp32_bytes == 0) return m;
  switch (policy) {
    case MemoryPolicy::kTablesFp32:
      m.tables = info.table_fp32_bytes;
      m.trajectories = info.trajectory_bytes;
      break;
    case MemoryPolicy::kTablesBf16:
      m.tables = info.table_fp32_bytes / 2;
      m.trajectories = info.trajectory_bytes;
      break;
    case MemoryPolicy::kTablesLazy:
      m.tables = lazy_index_bytes(info) +
                 static_cast<int64_t>(nn::lazy_table_fraction(info, budget_bytes) *
                                      static_cast<double>(info.table_fp32_bytes));
      m.trajectories = info.trajectory_bytes;
      break;
    case MemoryPolicy::kNoTables:
    case MemoryPolicy::kAuto:
      break;
  }
  return m;
}

MemoryUsage Model::memory_in_use() const { return impl_->memory_in_use(); }

MemoryUsage ModelImpl::memory_in_use() const {
  MemoryUsage m;
  for (const auto& layer : layers) nn::add_memory(&m, layer->memory_in_use());
  return m;
}

}  // namespace quiver
