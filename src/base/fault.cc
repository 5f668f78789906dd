#include "base/fault.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <vector>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace quiver::base {
namespace {

struct FaultConfig {
  bool active = false;
  bool list = false;
  long kill_index = 0;    // > 0: kill at this point number
  std::string kill_name;  // non-empty: kill at the first point containing it
  int signal = SIGKILL;
  bool spin = false;  // QUIVER_FAULT_SIGNAL=spin: burn CPU forever instead of a signal
  std::string fill_name;  // non-empty: fill the disk at the first point containing it
};

// Writes zeros into fill_dir/.quiver-fault-fill until the file system is full.
void fill_disk(const std::string& dir) {
  const std::string path = (dir.empty() ? std::string(".") : dir) + "/.quiver-fault-fill";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  static const char zeros[4096] = {};
  size_t chunk = sizeof zeros;
  while (chunk > 0) {  // down to single bytes, so not even a partial block stays free
    if (::write(fd, zeros, chunk) < 0) chunk /= 2;
  }
  ::close(fd);
}

const FaultConfig& config() {
  static const FaultConfig c = [] {
    FaultConfig f;
    const char* at = std::getenv("QUIVER_FAULT_KILL_AT");
    const char* list = std::getenv("QUIVER_FAULT_LIST");
    const char* sig = std::getenv("QUIVER_FAULT_SIGNAL");
    const char* fill = std::getenv("QUIVER_FAULT_FILL_AT");
    if (sig != nullptr && *sig >= '0' && *sig <= '9') f.signal = std::atoi(sig);
    f.spin = sig != nullptr && std::string_view(sig) == "spin";
    if (fill != nullptr) f.fill_name = fill;
    f.list = list != nullptr && *list != '\0' && std::string_view(list) != "0";
    if (at != nullptr && *at != '\0') {
      char* end = nullptr;
      long n = std::strtol(at, &end, 10);
      if (*end == '\0' && n > 0) {
        f.kill_index = n;
      } else {
        f.kill_name = at;
      }
    }
    f.active = f.list || f.kill_index > 0 || !f.kill_name.empty() || !f.fill_name.empty();
    return f;
  }();
  return c;
}

std::atomic<long> g_points{0};

// Allocates address space until an allocation is refused (RLIMIT_AS); operator new then
// calls the new-handler (or throws std::bad_alloc). One byte per block is written, so the
// allocations are real but cost almost no memory.
[[gnu::noinline]] void exhaust_memory() {
  std::vector<std::unique_ptr<char[]>> blocks;
  for (;;) {
    blocks.emplace_back(new char[64 << 20]);
    *static_cast<volatile char*>(blocks.back().get()) = 1;
  }
}

}  // namespace

void fault_point(const std::string& name, const std::string& fill_dir) {
  const FaultConfig& c = config();
  if (!c.active) return;
  const long n = ++g_points;
  if (c.list) std::fprintf(stderr, "fault point %ld: %s\n", n, name.c_str());
  const bool hit = n == c.kill_index || (!c.kill_name.empty() && name.find(c.kill_name) != std::string::npos);
  if (hit && c.signal == 0) exhaust_memory();
  if (hit && c.spin) {
    volatile uint64_t spins = 0;
    for (;;) spins = spins + 1;
  }
  if (hit) {
    std::fflush(stderr);
    ::kill(::getpid(), c.signal);
  }
  static std::atomic<bool> filled{false};
  if (!c.fill_name.empty() && name.find(c.fill_name) != std::string::npos && !filled.exchange(true)) {
    fill_disk(fill_dir);
  }
}

}  // namespace quiver::base
