// WorkerPool: one slot per helper thread; the owner posts a task by flipping the slot's state
// and the helper sleeps on it with a futex (std::atomic::wait) after a short spin, so that
// back-to-back predict() calls (a batch-1 server loop) do not pay a wake-up each time.
#include "nn/worker_pool.h"

#include <chrono>
#include <optional>

namespace quiver::nn {
namespace {

enum State : uint32_t { kIdle = 0, kPosted = 1, kQuit = 2 };

// How long a thread spins on a state change before it sleeps. Short, because the machine
// may be shared: long enough to cover the gap between two calls of a tight predict loop.
constexpr auto kSpin = std::chrono::microseconds(100);

// Waits until `state` is no longer `from`; returns the new value.
uint32_t wait_while(const std::atomic<uint32_t>& state, uint32_t from) {
  const auto until = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0;; ++i) {
    uint32_t s = state.load(std::memory_order_acquire);
    if (s != from) return s;
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > until) break;
    cpu_relax();
  }
  for (;;) {
    state.wait(from, std::memory_order_acquire);
    uint32_t s = state.load(std::memory_order_acquire);
    if (s != from) return s;
  }
}

}  // namespace

struct WorkerPool::Worker {
  std::atomic<uint32_t> state{kIdle};
  std::optional<TaskRef> task;  // written by the owner before kPosted
  int index = 0;
  std::thread thread;

  void loop() {
    for (;;) {
      if (wait_while(state, kIdle) == kQuit) return;
      (*task)(index);
      state.store(kIdle, std::memory_order_release);
      state.notify_one();
    }
  }
};

WorkerPool& WorkerPool::for_this_thread() {
  thread_local WorkerPool pool;
  return pool;
}

WorkerPool::~WorkerPool() {
  for (auto& w : workers_) {
    w->state.store(kQuit, std::memory_order_release);
    w->state.notify_one();
    w->thread.join();
  }
}

void WorkerPool::grow(size_t helpers) {
  while (workers_.size() < helpers) {
    workers_.push_back(std::make_unique<Worker>());
    Worker* w = workers_.back().get();
    w->thread = std::thread([w] { w->loop(); });
  }
}

void WorkerPool::run(int tasks, TaskRef task) {
  if (tasks <= 0) return;
  // A task on this thread may call run() again (Bidirectional → RNN rows): the nested call
  // takes the helpers after the ones the outer call is using.
  const size_t first = in_use_, helpers = static_cast<size_t>(tasks - 1);
  grow(first + helpers);
  in_use_ = first + helpers;
  for (size_t i = 0; i < helpers; ++i) {
    Worker& w = *workers_[first + i];
    w.task.emplace(task);
    w.index = static_cast<int>(i + 1);
    w.state.store(kPosted, std::memory_order_release);
    w.state.notify_one();
  }
  task(0);
  for (size_t i = 0; i < helpers; ++i) wait_while(workers_[first + i]->state, kPosted);
  in_use_ = first;
}

}  // namespace quiver::nn
