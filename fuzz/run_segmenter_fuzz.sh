#!/usr/bin/env bash
# Builds fuzz/segmenter_fuzz.cc with clang++ (libFuzzer + AddressSanitizer + UBSan) and runs
# it for SECONDS (default 60) on one core, seeded with a few lines of the parity test's
# Chinese text. Needs scripts/install-deps.sh (cppjieba headers, python3-jieba data).
# Usage: fuzz/run_segmenter_fuzz.sh [SECONDS] [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-60}
WORK=${2:-/tmp/quiver_segmenter_fuzz}
CPPJIEBA=third_party/cache/nodejieba-3.5.8/submodules/cppjieba
mkdir -p "$WORK/corpus" "$WORK/obj"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer-no-link,address,undefined -Iinclude -Isrc
       -isystem "$CPPJIEBA/include" -isystem "$CPPJIEBA/deps/limonp/include")
objs=()
for src in src/base/*.cc src/text/jieba_*.cc src/text/segmenter*.cc; do
  obj="$WORK/obj/$(echo "$src" | tr / _).o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then clang++ "${flags[@]}" -c "$src" -o "$obj"; fi
  objs+=("$obj")
done
clang++ "${flags[@]}" -fsanitize=fuzzer fuzz/segmenter_fuzz.cc "${objs[@]}" -licuuc \
  -o "$WORK/segmenter_fuzz"
if [ -z "$(ls -A "$WORK/corpus")" ]; then
  i=0
  for line in "我来到北京清华大学" "C++和Python 3.14%的 abc" "小明硕士毕业于中国科学院计算所" \
              "江南好，风景旧曾谙。" "LibreOffice 7.4 帮助：数据透视表" "ひらがな한국어"; do
    for mode in 0 1 2 3 4; do
      printf "\\x$(printf %02x $mode)%s" "$line" > "$WORK/corpus/seed_$((i++))"
    done
  done
fi
"$WORK/segmenter_fuzz" "$WORK/corpus" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 \
  -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 -artifact_prefix="$WORK/"
