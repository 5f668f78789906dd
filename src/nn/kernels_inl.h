// Template part of kernels.h.
#ifndef QUIVER_NN_KERNELS_INL_H_
#define QUIVER_NN_KERNELS_INL_H_

#include <algorithm>
#include <thread>
#include <vector>

namespace quiver::nn {

template <typename Fn>
void parallel_rows(int64_t count, int threads, Fn&& fn) {
  int64_t chunks = std::min<int64_t>(std::max(threads, 1), count);
  if (chunks <= 1) {
    fn(int64_t{0}, count);
    return;
  }
  std::vector<std::thread> workers;
  workers.reserve(static_cast<size_t>(chunks - 1));
  auto bounds = [&](int64_t i) { return count * i / chunks; };
  for (int64_t i = 1; i < chunks; ++i) {
    workers.emplace_back([&fn, b = bounds(i), e = bounds(i + 1)] { fn(b, e); });
  }
  fn(bounds(0), bounds(1));
  for (auto& w : workers) w.join();
}

}  // namespace quiver::nn

#endif  // QUIVER_NN_KERNELS_INL_H_
