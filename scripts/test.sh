#!/usr/bin/env bash
# The README's test command: installs what is needed, builds, runs the whole test suite.
# Also runs the concurrency (isolation) tests under ThreadSanitizer in build-tsan/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 900 "$@"
