// Fault points for crash-consistency tests (TEST ONLY; documented in docs/design.md).
//
// Code that writes files calls fault_point("write x.h5: renamed") at each step where a
// crash leaves a distinct state on disk. With the environment variable
//   QUIVER_FAULT_KILL_AT=N      (the N-th point reached, 1-based) or
//   QUIVER_FAULT_KILL_AT=NAME   (the first point whose name contains NAME)
// the process kills itself there with SIGKILL, as `kill -9` or a power cut would
// (QUIVER_FAULT_SIGNAL=N sends signal N instead: 11 for a crash, 19 (SIGSTOP) for a hang;
// 0 allocates memory until an allocation is refused, for address-space limits; "spin"
// burns CPU forever, for CPU-time limits);
// QUIVER_FAULT_FILL_AT=NAME fills the file system of `fill_dir` at the first point whose
// name contains NAME (a file ".quiver-fault-fill" there, written until ENOSPC: only ever
// on a small test file system such as a 256k tmpfs), so the writes after it meet a full
// disk; QUIVER_FAULT_LIST=1 prints every point reached to stderr ("fault point N: NAME"),
// so a test can enumerate them. Without these variables a point costs a check of one
// static flag. Thread-safe.
#ifndef QUIVER_BASE_FAULT_H_
#define QUIVER_BASE_FAULT_H_

#include <string>

namespace quiver::base {

void fault_point(const std::string& name, const std::string& fill_dir = "");

}  // namespace quiver::base

#endif  // QUIVER_BASE_FAULT_H_
