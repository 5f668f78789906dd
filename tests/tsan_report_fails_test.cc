// A deliberate data race, built only in the ThreadSanitizer tree (QUIVER_TSAN) and
// registered with WILL_FAIL: it proves that a race report fails a test there (the
// TSAN_OPTIONS in tests/CMakeLists.txt), so the tsan-labelled tests cannot pass with one.
#include <cstdio>
#include <thread>

namespace {
int counter = 0;  // written by two threads without synchronisation: the race
}  // namespace

int main() {
  std::thread a([] { for (int i = 0; i < 100000; ++i) ++counter; });
  std::thread b([] { for (int i = 0; i < 100000; ++i) ++counter; });
  a.join();
  b.join();
  std::printf("counter %d (ThreadSanitizer should have stopped this process)\n", counter);
  return 0;
}
