// Helper threads for the parallel parts of one predict() call (issue 5): a persistent set of
// threads per calling thread instead of new std::threads per call.
//
// Ownership and isolation: each thread that calls predict() gets its own pool
// (thread_local, created on first use, grown on demand, its threads joined when the calling
// thread exits). Pools are never shared between calling threads, so two callers (two
// models, or two requests on one model) never wait for each other's work and no state
// crosses calls except idle threads. Which thread runs a task never changes its result: the
// callers' tasks own disjoint outputs and compute them in a fixed order.
#ifndef QUIVER_NN_WORKER_POOL_H_
#define QUIVER_NN_WORKER_POOL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace quiver::nn {

// A non-owning reference to a callable void(int); valid while the callable lives.
class TaskRef {
 public:
  template <typename Fn, typename = std::enable_if_t<!std::is_same_v<std::decay_t<Fn>, TaskRef>>>
  TaskRef(Fn& fn)  // NOLINT(runtime/explicit): an adapter, like std::function_ref
      : object_(&fn), call_([](void* o, int i) { (*static_cast<Fn*>(o))(i); }) {}
  void operator()(int i) const { call_(object_, i); }

 private:
  void* object_;
  void (*call_)(void*, int);
};

// The spin-wait hint (PAUSE on x86).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// One round of a spin-wait: a pause for the first 4096 rounds, then a yield (the thread we
// wait for may have lost its core).
inline void spin_round(int round) {
  if (round < 4096) {
    cpu_relax();
  } else {
    std::this_thread::yield();
  }
}

// Spins until done() is true. For waits of microseconds between threads that run at the same
// time.
template <typename Done>
void spin_until(Done&& done) {
  for (int i = 0; !done(); ++i) spin_round(i);
}

// Single-thread only: used by the thread that owns it (see for_this_thread()).
class WorkerPool {
 public:
  // The calling thread's pool.
  static WorkerPool& for_this_thread();

  // Runs task(0) .. task(tasks - 1): task 0 on the calling thread, the others on helper
  // threads at the same time; returns when all have finished. Tasks must not throw; a task
  // running on the owning thread may call run() again (it gets other helpers).
  void run(int tasks, TaskRef task);

  WorkerPool() = default;
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

 private:
  struct Worker;
  void grow(size_t helpers);

  std::vector<std::unique_ptr<Worker>> workers_;
  size_t in_use_ = 0;  // helpers taken by run() calls in progress on the owning thread
};

}  // namespace quiver::nn

#endif  // QUIVER_NN_WORKER_POOL_H_
