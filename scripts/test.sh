#!/usr/bin/env bash
# The README's test command: installs what is needed, builds, runs the whole test suite.
# Also runs the concurrency (isolation) tests under ThreadSanitizer in build-tsan/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 900 "$@"

# The concurrency tests again under ThreadSanitizer (label tsan: in-process isolation
# across threads, reloads and group switches; the threads inside one predict call). A
# race report makes the test exit non-zero.
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUIVER_TSAN=ON \
  -DQUIVER_BUILD_BENCH=OFF >/dev/null
cmake --build build-tsan -j "$(nproc)" --target serve_isolation_test serve_group_test \
  nn_isolation_test
ctest --test-dir build-tsan -L tsan --output-on-failure --timeout 900
