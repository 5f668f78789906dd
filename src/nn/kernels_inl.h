// Template part of kernels.h.
#ifndef QUIVER_NN_KERNELS_INL_H_
#define QUIVER_NN_KERNELS_INL_H_

#include <algorithm>

#include "nn/worker_pool.h"

namespace quiver::nn {

template <typename Fn>
void parallel_rows(int64_t count, int threads, Fn&& fn) {
  const int64_t chunks = std::min<int64_t>(std::max(threads, 1), count);
  if (chunks <= 1) {
    fn(int64_t{0}, count);
    return;
  }
  auto task = [&](int i) { fn(count * i / chunks, count * (i + 1) / chunks); };
  WorkerPool::for_this_thread().run(static_cast<int>(chunks), task);
}

}  // namespace quiver::nn

#endif  // QUIVER_NN_KERNELS_INL_H_
