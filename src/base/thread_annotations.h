// Clang thread-safety annotations (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html)
// and an annotated mutex. Under clang with -Wthread-safety the compiler checks that every
// GUARDED_BY member is only touched with its mutex held and every REQUIRES function is only
// called with it; under gcc the macros are empty. scripts/test.sh builds the libraries with
// clang -Wthread-safety -Werror=thread-safety.
//
// std::mutex carries no annotations in libstdc++, so guarded state uses base::Mutex with
// base::MutexLock (a scoped lock) or base::UniqueLock (for condition variables).
// Thread-safety: Mutex is a mutex.
#ifndef QUIVER_BASE_THREAD_ANNOTATIONS_H_
#define QUIVER_BASE_THREAD_ANNOTATIONS_H_

#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define QUIVER_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define QUIVER_THREAD_ANNOTATION_(x)
#endif

#define CAPABILITY(x) QUIVER_THREAD_ANNOTATION_(capability(x))
#define SCOPED_CAPABILITY QUIVER_THREAD_ANNOTATION_(scoped_lockable)
#define GUARDED_BY(x) QUIVER_THREAD_ANNOTATION_(guarded_by(x))
#define PT_GUARDED_BY(x) QUIVER_THREAD_ANNOTATION_(pt_guarded_by(x))
#define REQUIRES(...) QUIVER_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) QUIVER_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define RELEASE(...) QUIVER_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) QUIVER_THREAD_ANNOTATION_(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) QUIVER_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) QUIVER_THREAD_ANNOTATION_(assert_capability(x))
#define NO_THREAD_SAFETY_ANALYSIS QUIVER_THREAD_ANNOTATION_(no_thread_safety_analysis)

namespace quiver::base {

class CAPABILITY("mutex") Mutex {
 public:
  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return mu_.try_lock(); }
  // Tells the analysis the caller holds the mutex (in condition-variable predicates,
  // which it analyses as separate functions).
  void assert_held() const ASSERT_CAPABILITY(this) {}
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

// Holds a Mutex for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// Holds a Mutex for its scope, can release and retake it, and waits on a
// std::condition_variable (which needs a std::unique_lock<std::mutex>).
class SCOPED_CAPABILITY UniqueLock {
 public:
  explicit UniqueLock(Mutex& mu) ACQUIRE(mu) : lock_(mu.native()) {}
  ~UniqueLock() RELEASE() {}
  void lock() ACQUIRE() { lock_.lock(); }
  void unlock() RELEASE() { lock_.unlock(); }
  std::unique_lock<std::mutex>& native() { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace quiver::base

#endif  // QUIVER_BASE_THREAD_ANNOTATIONS_H_
