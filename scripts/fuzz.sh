#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/CMakeLists.txt) with clang, ASan + UBSan and the
# thread-safety analysis as errors in build-fuzz/, then runs each target for SECONDS from
# its corpus (fuzz/run_fuzzers.sh: fuzz/corpus/, the test fixture generators and, when
# present, ../shared/keras-models; findings are saved under WORK/<target>/ and fail the run).
#
# Usage: scripts/fuzz.sh [--seconds N] [--build DIR] [--work DIR] [--build-only|--run-only]
#                        [target...]
#   --seconds N   per target (default 60: the full run; scripts/test.sh passes 10 for CI)
#   --seed N      libFuzzer's seed (default random; scripts/test.sh passes 1: reproducible)
#   --build-only  configure and build the tree, run nothing; --run-only: run a built tree
#   --build DIR   the clang tree (default build-fuzz)
#   --work DIR    working corpus and findings (default /tmp/quiver_fuzz)
# Targets default to every fuzz/*_fuzz.cc. Needs clang and libclang-rt-14-dev
# (scripts/install-deps.sh test installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=60
BUILD=build-fuzz
WORK=/tmp/quiver_fuzz
TARGETS=()
BUILD_STEP=1
RUN_STEP=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_EACH=${2:?--seconds needs a number}; shift 2 ;;
    --seed) export FUZZ_SEED=${2:?--seed needs a number}; shift 2 ;;
    --build) BUILD=${2:?--build needs a folder}; shift 2 ;;
    --work) WORK=${2:?--work needs a folder}; shift 2 ;;
    --build-only) RUN_STEP=0; shift ;;
    --run-only) BUILD_STEP=0; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "scripts/fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
case "$SECONDS_EACH" in ''|*[!0-9]*) echo "scripts/fuzz.sh: --seconds wants a whole number" >&2; exit 2 ;; esac
if [ "$BUILD_STEP" = 1 ]; then
  # -O1 and line tables only, as OSS-Fuzz builds (cheaper to compile than RelWithDebInfo's
  # -O2 -g; the CI step builds this tree from scratch). Asserts stay on (no NDEBUG).
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Fuzz \
    -DCMAKE_CXX_FLAGS_FUZZ="-O1 -gline-tables-only" -DCMAKE_C_FLAGS_FUZZ="-O1 -gline-tables-only" \
    -DQUIVER_FUZZ=ON -DQUIVER_THREAD_SAFETY=ON -DQUIVER_BUILD_TESTS=OFF \
    -DQUIVER_BUILD_BENCH=OFF -DQUIVER_PYTHON=OFF >/dev/null
  # fuzz_all: every target; quiver_multilabel is not linked by a target, but the thread-safety
  # analysis must see it compile too.
  cmake --build "$BUILD" -j "$(nproc)" --target fuzz_all quiver_multilabel
fi
[ "$RUN_STEP" = 1 ] || exit 0
exec fuzz/run_fuzzers.sh "$BUILD" "$SECONDS_EACH" "$WORK" "${TARGETS[@]}"
