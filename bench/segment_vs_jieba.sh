#!/usr/bin/env bash
# Chinese segmentation benchmark (issue 6, item 6), two parts:
#  1. throughput in MB/s: quiver's segmenters vs Python jieba 0.42.1 on the same text
#     (bench/segment_bench.sh: the 57,682-sentence parity corpus, every mode);
#  2. segmentation's share of one sentence's classify work (bench/segment_share): segment +
#     tokenize/pad + Model::predict at batch 1, in process, on the held-out sentences of the
#     LibreOffice corpus (tests/chinese/libreoffice_corpus.py), for three models:
#       tiny   the Keras-layout test model (Embedding 8 -> LSTM 6, maxlen 24; worst case),
#       cnn    the quiver-trained model of tests/chinese/libreoffice_test.cc's size,
#       lstm   `quiver train`'s default architecture (Embedding 128 -> LSTM 196), maxlen 64;
#  3. the same in a real server: one-sentence /v1/classify requests to the same model served
#     with `segmenter: jieba` and with `segmenter: none` (bench/segment_share_serve.py).
# Usage: bench/segment_vs_jieba.sh [BUILD_DIR]   (needs quiver, bench/segment_bench and
# bench/segment_share built there). Takes 2-4 minutes; the numbers are for docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-${QUIVER_BUILD_DIR:-build}}
QUIVER="$BUILD_DIR/quiver"
HELP=third_party/cache/libreoffice-help-zh-cn/usr/share/libreoffice/help/zh-CN/text
WORK=$(mktemp -d /tmp/quiver_segment_share.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

echo "== 1. segmentation throughput (MB/s), quiver vs Python jieba, same text"
bench/segment_bench.sh "$BUILD_DIR"

echo "== 2. segmentation's share of one sentence's classify work"
/usr/bin/python3 tests/chinese/libreoffice_corpus.py "$HELP" "$WORK/lo" --modules 5 \
  --max-train 400 --max-test 100
/usr/bin/python3 - "$WORK/lo/test.csv" "$WORK/sentences.txt" <<'PY'
import csv, sys
with open(sys.argv[2], "w", encoding="utf-8") as out:
  for row in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    out.write(row["text"] + "\n")
PY
/usr/bin/python3 tests/chinese/keras_jieba_model.py "$WORK/tiny" >/dev/null
"$QUIVER" train --data "$WORK/lo/train.csv" --model "$WORK/cnn.h5" --segmenter jieba \
  --type cnn --embed-dim 32 --filters 64 --kernel-size 3 --spatial-dropout 0 --num-words 4000 \
  --maxlen 48 --epochs 1 --quiet >/dev/null
"$QUIVER" train --data "$WORK/lo/train.csv" --model "$WORK/lstm.h5" --segmenter jieba \
  --maxlen 64 --epochs 1 --batch-size 64 --quiet >/dev/null
for m in tiny/model.h5:tiny/tokenizer.json cnn.h5:cnn.tokenizer.json lstm.h5:lstm.tokenizer.json; do
  "$BUILD_DIR/bench/segment_share" "$WORK/${m%%:*}" "$WORK/${m##*:}" "$WORK/sentences.txt" jieba
done

echo "== 3. segmentation's share of a real one-sentence /v1/classify request (client-side latency)"
for m in tiny/model.h5:tiny/tokenizer.json lstm.h5:lstm.tokenizer.json; do
  echo "${m%%:*}:"
  /usr/bin/python3 bench/segment_share_serve.py "$QUIVER" "$WORK/${m%%:*}" "$WORK/${m##*:}" \
    "$WORK/sentences.txt" --requests 500
done
