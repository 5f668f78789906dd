#!/usr/bin/env bash
# Builds fuzz/keras_io_fuzz.cc with clang++ (libFuzzer + AddressSanitizer + UBSan) and runs
# it for SECONDS (default 60) on one core, seeded with the synthetic test files and, when
# present, the small shared real models. libhdf5/libzip/yaml-cpp are the system builds
# (not instrumented): crashes inside them still stop the fuzzer with a stack trace.
# Usage: fuzz/run_keras_io_fuzz.sh [SECONDS] [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-60}
WORK=${2:-/tmp/quiver_keras_io_fuzz}
mkdir -p "$WORK/corpus" "$WORK/obj"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer-no-link,address,undefined -Iinclude -Isrc
       -I/usr/include/hdf5/serial)
objs=()
for src in src/base/*.cc src/keras_io/*.cc; do
  obj="$WORK/obj/$(echo "$src" | tr / _).o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then clang++ "${flags[@]}" -c "$src" -o "$obj"; fi
  objs+=("$obj")
done
clang++ "${flags[@]}" -fsanitize=fuzzer fuzz/keras_io_fuzz.cc "${objs[@]}" \
  -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5 -lzip -lyaml-cpp -o "$WORK/keras_io_fuzz"
if [ -z "$(ls -A "$WORK/corpus")" ]; then
  /usr/bin/python3 tests/keras_io/make_keras_files.py "$WORK/corpus"
  for f in ../shared/keras-models/k2.4.0_moaz_stacked_bilstm/model.h5 \
           ../shared/keras-models/k2.1.1_edward_lstm_weights/architecture.yml \
           ../shared/keras-models/x_k2.0.8_dshvadskiy_theano_truncated/model.h5; do
    [ -f "$f" ] && cp "$f" "$WORK/corpus/$(echo "$f" | tr / _)"
  done
fi
# libhdf5 mallocs whatever a damaged header claims (it copes with NULL, ASan would abort)
# and leaks on some of its own error paths: neither is a quiver bug, so both are allowed.
ASAN_OPTIONS=allocator_may_return_null=1 "$WORK/keras_io_fuzz" -detect_leaks=0 "$WORK/corpus" -max_total_time="$SECONDS_TO_RUN" -max_len=1048576 \
  -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 -artifact_prefix="$WORK/"
