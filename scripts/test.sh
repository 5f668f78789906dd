#!/usr/bin/env bash
# The README's test command: installs the test dependencies, builds everything, runs the
# whole test suite, then the concurrency tests again under ThreadSanitizer (build-tsan/).
# Extra arguments go to the main ctest run (e.g. -L server, -R golden).
#
# Each step runs even when an earlier one failed; the script ends with one summary: the
# steps that failed, and how many tests were skipped and why (scripts/ctest-skips.py; with
# CI set, a skip that is not allowed fails the run). Exit status 0 only when all passed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED_DIR=${QUIVER_SHARED_DIR:-$ROOT/../shared}
JOBS=$(nproc)

scripts/install-deps.sh test
# Disk: a full run leaves about 3 GB in the checkout (measured on a clean clone: build/ 1.3,
# the two sanitizer trees 0.9, third_party/ 0.8), the package tests' cpack trees need 1.3
# more while they run, and ccache keeps up to 5 GB (NEED_GB counts what a first run adds).
# A full disk shows up as failures that do not name it (a compiler dying without a word, a
# test that cannot make its temporary folder), so it is said first, and again in the
# summary.
disk_free_gb() { df -Pk "$ROOT" | awk 'NR == 2 { print int($4 / 1048576) }'; }
NEED_GB=8
if [ "$(disk_free_gb)" -lt "$NEED_GB" ]; then
  echo "test.sh: WARNING: $(disk_free_gb) GB free on $ROOT's disk; a full run needs about" \
    "$NEED_GB GB: expect failures from a full disk" >&2
fi
# build/ keeps line tables (-g1: file, line and function in every backtrace) but not full
# debug info, which made each test binary 60 MB instead of about 10.
scripts/build.sh -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"

rm -f build/ctest-junit.xml build-tsan/ctest-junit.xml
failed=()
junits=()
# step NAME COMMAND...: runs one step, remembering its failure instead of stopping.
step() {
  local name=$1
  shift
  echo "== test.sh: $name" >&2
  if ! "$@"; then failed+=("$name"); fi
}

# The two sanitizer trees (below) build in the background while the suite runs, at the
# lowest CPU priority: the suite leaves much of the machine idle (servers starting, child
# processes, pipes) and its tests always come first. Each build's output goes to a log that
# is printed when that build fails.
# build-tsan/: ThreadSanitizer, at -O1 with line tables (the TSan documentation's level for
# useful speed, https://clang.llvm.org/docs/ThreadSanitizer.html; cheaper to compile than
# -O2 -g, and CI builds every tree from scratch).
build_tsan() {
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUIVER_TSAN=ON \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DQUIVER_BUILD_BENCH=OFF &&
  cmake --build build-tsan -j "$JOBS" --target serve_isolation_test serve_group_test \
    nn_isolation_test tsan_report_fails_test
}
# build-fuzz/: clang with libFuzzer, ASan and UBSan everywhere and -Werror=thread-safety
# (every GUARDED_BY / REQUIRES annotation is checked while the libraries compile).
build_fuzz() { scripts/fuzz.sh --build-only; }
mkdir -p build-logs
rm -f build-logs/*.status
(
  renice -n 19 -p "$BASHPID" >/dev/null
  build_tsan >build-logs/tsan.log 2>&1; echo $? >build-logs/tsan.status
  build_fuzz >build-logs/fuzz.log 2>&1; echo $? >build-logs/fuzz.status
) &
background_builds=$!
# built NAME: the background build NAME succeeded; else its log's end and a failure.
built() {
  if [ "$(cat "build-logs/$1.status" 2>/dev/null)" = 0 ]; then return 0; fi
  echo "test.sh: the $1 build failed; the end of build-logs/$1.log:" >&2
  tail -n 60 "build-logs/$1.log" >&2
  return 1
}

# The whole suite (ctest writes the JUnit file relative to the test directory).
junits+=("$ROOT/build/ctest-junit.xml")
step "ctest build/" ctest --test-dir build --output-on-failure -j "$JOBS" --timeout 900 \
  --output-junit ctest-junit.xml "$@"
echo "== test.sh: waiting for the sanitizer builds" >&2
wait "$background_builds" || true

# The concurrency tests again under ThreadSanitizer (label tsan: in-process isolation across
# threads, reloads and group switches; the threads inside one predict call). Each test runs
# with TSAN_OPTIONS=halt_on_error=1 (tests/CMakeLists.txt), so a race report fails it;
# tsan_report_fails_test is a deliberate race that must fail.
tsan() {
  built tsan &&
  ctest --test-dir build-tsan -L tsan --output-on-failure --timeout 900 \
    --output-junit ctest-junit.xml
}
junits+=("$ROOT/build-tsan/ctest-junit.xml")
step "ThreadSanitizer build-tsan/" tsan

# Fuzzing (docs/limits.md): each target runs FUZZ_SECONDS (default 10: 100 s of fuzzing for
# the 10 targets) from its corpus with seed FUZZ_SEED (default 1: the same commit tries the
# same inputs, so a finding here replays anywhere); a finding fails the step. The full,
# exploring run is scripts/fuzz.sh (60 s per target, random seed).
fuzz() {
  built fuzz && scripts/fuzz.sh --run-only --seconds "${FUZZ_SECONDS:-10}" --seed "${FUZZ_SEED:-1}"
}
step "fuzz + thread-safety build-fuzz/" fuzz

echo "== test.sh: summary" >&2
step "skips" /usr/bin/python3 scripts/ctest-skips.py "$SHARED_DIR" "${junits[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'test.sh: FAILED: %s\n' "${failed[@]}" >&2
  echo "test.sh: $(disk_free_gb) GB free on $ROOT's disk at the end" >&2
  exit 1
fi
echo "test.sh: all steps passed" >&2
