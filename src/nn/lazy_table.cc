// LazyTable (lazy_table.h). The slots are an anonymous private mapping: the kernel gives
// a page on first write, so an unfilled table costs address space only. Without huge
// pages (TableBuffer's choice for whole tables), so a few rows cost a few 4 KiB pages.
#include "nn/lazy_table.h"

#include <sys/mman.h>

namespace quiver::nn {

LazyTable::LazyTable(int64_t rows, int64_t width, int64_t max_rows)
    : rows_(rows),
      width_(width),
      max_rows_(max_rows < 0 ? 0 : max_rows > rows ? rows : max_rows),
      state_(new std::atomic<int32_t>[static_cast<size_t>(rows)]) {
  for (int64_t i = 0; i < rows_; ++i) state_[i].store(kEmpty, std::memory_order_relaxed);
  if (max_rows_ == 0) return;
  const size_t bytes = static_cast<size_t>(max_rows_ * width_) * sizeof(float);
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {  // no address space: keep nothing, compute every row per use
    max_rows_ = 0;
    return;
  }
  slots_ = static_cast<float*>(p);
  mapped_bytes_ = bytes;
}

LazyTable::~LazyTable() {
  if (slots_ != nullptr) munmap(slots_, mapped_bytes_);
}

}  // namespace quiver::nn
