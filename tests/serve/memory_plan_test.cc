// plan_eager_memory (serve/memory_plan.h): the policies eager models get under
// server.memory_budget_mb. Every expected number is worked out by hand below from the
// models' facts (weights, fp32 table bytes and rows, trajectories): no tables = weights;
// fp32 = weights + tables + trajectories; lazy with budget B = weights + 4 bytes per row +
// trajectories + the fraction (B - weights - trajectories - 4 * rows) / tables of the tables.
#include "serve/memory_plan.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace quiver::serve {
namespace {

PlanItem item(const std::string& name, int64_t weights, int64_t table, int64_t rows,
              int64_t trajectories, int64_t tokenizer = 0) {
  PlanItem p;
  p.name = name;
  p.info.memory.weights = weights;
  p.info.table_fp32_bytes = table;
  p.info.table_rows = rows;
  p.info.trajectory_bytes = trajectories;
  p.tokenizer_bytes = tokenizer;
  return p;
}

// a: none 110 (with its tokenizer's 10), fp32 1160 (+1050), lazy at least 200 (+90).
// b: none 200, fp32 620 (+420), lazy at least 300 (+100). c: no tables, 50 whatever the policy.
std::vector<PlanItem> three() {
  return {item("a", 100, 1000, 10, 50, 10), item("b", 200, 400, 20, 20), item("c", 50, 0, 0, 0)};
}

constexpr int64_t kNone = 110 + 200 + 50;

TEST(MemoryPlanTest, RoomForEveryTableGivesFp32ToAll) {
  auto plan = plan_eager_memory(10000, three());
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0], (PlannedMemory{MemoryPolicy::kTablesFp32, 0, 1160}));
  EXPECT_EQ(plan[1], (PlannedMemory{MemoryPolicy::kTablesFp32, 0, 620}));
  EXPECT_EQ(plan[2], (PlannedMemory{MemoryPolicy::kTablesFp32, 0, 50}));
}

TEST(MemoryPlanTest, CheapestTablesFirstAndTheRestWithoutWhenLazyDoesNotFit) {
  // Room for b's tables (420) but not a's (1050), nor a's lazy minimum (90) after b's.
  auto plan = plan_eager_memory(kNone + 420 + 89, three());
  EXPECT_EQ(plan[0], (PlannedMemory{MemoryPolicy::kNoTables, 0, 110}));
  EXPECT_EQ(plan[1], (PlannedMemory{MemoryPolicy::kTablesFp32, 0, 620}));
  EXPECT_EQ(plan[2].policy, MemoryPolicy::kTablesFp32);
}

TEST(MemoryPlanTest, TheRestGetLazyTablesWithWhatRemains) {
  // After b's fp32 tables, a's lazy minimum (90) and 30 more: a's budget 190 + 30 = 220
  // keeps 30 of its 1000 table bytes (3%); with its tokenizer, 100 + 40 + 30 + 50 + 10.
  auto plan = plan_eager_memory(kNone + 420 + 90 + 30, three());
  EXPECT_EQ(plan[0], (PlannedMemory{MemoryPolicy::kTablesLazy, 220, 230}));
  EXPECT_EQ(plan[1], (PlannedMemory{MemoryPolicy::kTablesFp32, 0, 620}));
}

TEST(MemoryPlanTest, WithoutRoomForMoreFp32TablesTheRestAllGetLazyTablesOrNone) {
  // No room for b's fp32 tables (420): a and b both get lazy tables once their minimums
  // (90 + 100) fit, else both hold none; below the weights every plan is still no tables.
  for (int64_t room : {int64_t{0}, kNone - 1, kNone, kNone + 189, kNone + 190, kNone + 419}) {
    auto plan = plan_eager_memory(room, three());
    const MemoryPolicy want = room >= kNone + 190 ? MemoryPolicy::kTablesLazy : MemoryPolicy::kNoTables;
    EXPECT_EQ(plan[0].policy, want) << room;
    EXPECT_EQ(plan[1].policy, want) << room;
    EXPECT_EQ(plan[2].policy, MemoryPolicy::kTablesFp32) << room;  // c has no tables to drop
  }
}

TEST(MemoryPlanTest, ThePlanDoesNotDependOnTheOrderOfTheModels) {
  // Two identical models and room for one's tables: the first by name gets them.
  std::vector<PlanItem> items = {item("y", 100, 1000, 10, 50), item("x", 100, 1000, 10, 50)};
  auto plan = plan_eager_memory(200 + 1050, items);
  EXPECT_EQ(plan[0].policy, MemoryPolicy::kNoTables);
  EXPECT_EQ(plan[1].policy, MemoryPolicy::kTablesFp32);
  std::reverse(items.begin(), items.end());
  auto reversed = plan_eager_memory(200 + 1050, items);
  EXPECT_EQ(reversed[0].policy, MemoryPolicy::kTablesFp32);
  EXPECT_EQ(reversed[1].policy, MemoryPolicy::kNoTables);
}

}  // namespace
}  // namespace quiver::serve
