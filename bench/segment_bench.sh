#!/usr/bin/env bash
# Chinese segmentation throughput: quiver vs Python jieba 0.42.1 on the same text (the
# fortunes-zh + LibreOffice zh-CN help corpus of the parity test). Needs a build with
# bench/segment_bench (scripts/build.sh). Usage: bench/segment_bench.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-${QUIVER_BUILD_DIR:-build}}
CORPUS=$(mktemp /tmp/quiver_segment_corpus.XXXXXX)
trap 'rm -f "$CORPUS"' EXIT
/usr/bin/python3 bench/segment_bench.py --write-corpus "$CORPUS"
"$BUILD_DIR/bench/segment_bench" "$CORPUS" jieba jieba-nohmm jieba-search cjk-chars
