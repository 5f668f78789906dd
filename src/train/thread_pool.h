// A fixed set of worker threads that run numbered tasks: run(n, fn) calls fn(0..n-1), each
// exactly once, spread over the workers and the calling thread, and returns when all are
// done. Which thread runs a task is unspecified, so tasks must not depend on it (the
// trainer's chunks own their memory). Thread-compatible: one caller at a time.
#ifndef QUIVER_TRAIN_THREAD_POOL_H_
#define QUIVER_TRAIN_THREAD_POOL_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace quiver::train {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads >= 1, counting the caller
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void run(int tasks, const std::function<void(int)>& fn);

 private:
  void worker();
  void drain();

  std::mutex mu_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* fn_ = nullptr;  // guarded by mu_
  int tasks_ = 0;                                  // guarded by mu_
  uint64_t generation_ = 0;                        // guarded by mu_
  size_t finished_ = 0;                            // workers done with this generation
  bool quit_ = false;                              // guarded by mu_
  std::atomic<int> next_{0};
};

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_THREAD_POOL_H_
