// LazyTable: a token table whose rows are computed on first use and kept, up to a cap
// (MemoryPolicy::kTablesLazy, issue 18).
//
// Thread-safe: row() may run on any number of threads at once. Each row has an atomic
// state (empty, being filled, kept in slot s, or not kept because the cap was reached).
// The first caller to claim an empty row fills a slot and publishes it with a release
// store; a caller that finds the row being filled, or the cap reached, computes it into
// its own buffer. `fill` must be deterministic (the same bits for a row whoever calls it),
// so a row's bits never depend on which thread or request computed it, or whether it was
// kept. Slots are handed out in order from a reserved, untouched address range, so the
// memory the table holds grows with the rows filled, not with the vocabulary.
#ifndef QUIVER_NN_LAZY_TABLE_H_
#define QUIVER_NN_LAZY_TABLE_H_

#include <atomic>
#include <cstdint>
#include <memory>

namespace quiver::nn {

class LazyTable {
 public:
  // A table of `rows` rows of `width` floats keeping at most `max_rows` of them.
  LazyTable(int64_t rows, int64_t width, int64_t max_rows);
  ~LazyTable();
  LazyTable(const LazyTable&) = delete;
  LazyTable& operator=(const LazyTable&) = delete;

  // Row `id` (< rows): its kept copy, or fill(dst) into a new slot or into `buf` (width
  // floats, the caller's), which is then returned.
  template <class Fill>
  const float* row(int64_t id, float* buf, Fill&& fill) const {
    int32_t state = state_[id].load(std::memory_order_acquire);
    if (state >= 0) return slot(state);
    if (state == kEmpty && state_[id].compare_exchange_strong(state, kFilling,
                                                              std::memory_order_acq_rel)) {
      const int64_t s = claimed_.fetch_add(1, std::memory_order_relaxed);
      if (s < max_rows_) {
        fill(slot(s));
        filled_.fetch_add(1, std::memory_order_relaxed);
        state_[id].store(static_cast<int32_t>(s), std::memory_order_release);
        return slot(s);
      }
      state_[id].store(kNotKept, std::memory_order_relaxed);
    }
    fill(buf);
    return buf;
  }

  int64_t max_rows() const { return max_rows_; }
  int64_t filled_rows() const { return filled_.load(std::memory_order_relaxed); }
  // The most bytes the table can hold (max_rows rows and the row states), and those it
  // holds now (the rows filled so far).
  int64_t reserved_bytes() const { return index_bytes() + max_rows_ * width_ * 4; }
  int64_t bytes_in_use() const { return index_bytes() + filled_rows() * width_ * 4; }

 private:
  static constexpr int32_t kEmpty = -1, kFilling = -2, kNotKept = -3;
  float* slot(int64_t s) const { return slots_ + s * width_; }
  int64_t index_bytes() const { return rows_ * 4; }

  int64_t rows_, width_, max_rows_;
  std::unique_ptr<std::atomic<int32_t>[]> state_;
  float* slots_ = nullptr;  // max_rows_ * width_ floats, mapped untouched (lazy_table.cc)
  size_t mapped_bytes_ = 0;
  mutable std::atomic<int64_t> claimed_{0};
  mutable std::atomic<int64_t> filled_{0};
};

}  // namespace quiver::nn

#endif  // QUIVER_NN_LAZY_TABLE_H_
