#!/usr/bin/env bash
# Builds fuzz/tokenizer_fuzz.cc with clang++ (libFuzzer + AddressSanitizer + UBSan) and runs
# it for SECONDS (default 60) on one core, seeded with tokenizer JSON, CSV and text.
# Usage: fuzz/run_tokenizer_fuzz.sh [SECONDS] [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-60}
WORK=${2:-/tmp/quiver_tokenizer_fuzz}
mkdir -p "$WORK/corpus" "$WORK/obj"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer-no-link,address,undefined -Iinclude -Isrc)
objs=()
for src in src/base/*.cc src/text/unicode.cc src/text/text_split.cc src/text/tokenizer*.cc \
           src/text/python_json.cc src/text/csv.cc; do
  obj="$WORK/obj/$(echo "$src" | tr / _).o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then clang++ "${flags[@]}" -c "$src" -o "$obj"; fi
  objs+=("$obj")
done
clang++ "${flags[@]}" -fsanitize=fuzzer fuzz/tokenizer_fuzz.cc "${objs[@]}" -licuuc -lcsv \
  -o "$WORK/tokenizer_fuzz"
if [ -z "$(ls -A "$WORK/corpus")" ]; then
  printf '\x00%s' '{"class_name": "Tokenizer", "config": {"num_words": 3, "oov_token": "<o>", "word_counts": "{\"a\": 2, \"\\u00e9\": 1}", "word_index": "{\"<o>\": 1, \"a\": 2, \"\\u00e9\": 3}"}}' > "$WORK/corpus/json"
  printf '\x00%s' '"{\"config\": {\"word_counts\": \"{\\\"b\\\": 1}\"}}"' > "$WORK/corpus/json2"
  printf '\x01%s' $'id,text\r\n1,"a, ""b""\nc"\n2,x\n' > "$WORK/corpus/csv"
  printf '\x02\x1f\x02 %s' 'ΟΔΟΣ İstanbul Çok güzel! 😀 a.b' > "$WORK/corpus/text"
fi
"$WORK/tokenizer_fuzz" "$WORK/corpus" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 \
  -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 -artifact_prefix="$WORK/"
