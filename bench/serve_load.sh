#!/usr/bin/env bash
# Load benchmark of `quiver serve` (not a test): wrk with keep-alive connections against
# loopback, POST /v1/classify with one sentence per request, at 1 / 16 / 64 / 256
# connections. Prints a Markdown table: throughput, p50 / p99 latency, errors, and served
# throughput as a share of in-process throughput (`quiver bench`: Model::predict in a loop
# on one thread, batch 64, the batcher's best case).
#   bench/serve_load.sh [seconds per run, default 10]
# Env: QUIVER_BIN (default build/quiver), QUIVER_MODEL_DIR (a keras-models folder with
# model.h5 + tokenizer.json; default ../shared/keras-models/k2.8.0_biascoder_bilstm_binary).
# QUIVER_QUEUE_DELAY_US (the server's max_queue_delay_us, default 0: compare 500 for the older default).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
BIN=${QUIVER_BIN:-build/quiver}
MODEL_DIR=${QUIVER_MODEL_DIR:-../shared/keras-models/k2.8.0_biascoder_bilstm_binary}
MODEL_DIR=$(cd "$MODEL_DIR" && pwd)
SEQ_LEN=${QUIVER_SEQ_LEN:-80}
QUEUE_DELAY_US=${QUIVER_QUEUE_DELAY_US:-0}  # the server's max_queue_delay_us (default 0)
WORK=$(mktemp -d)
SERVER_PID=
trap 'kill "$SERVER_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

cat > "$WORK/serve.yaml" <<YAML
server: {host: 127.0.0.1, threads: 2, max_batch_size: 64, max_queue_delay_us: $QUEUE_DELAY_US, max_queue: 4096}
models:
  - {name: B, model: $MODEL_DIR/model.h5, tokenizer: $MODEL_DIR/tokenizer.json}
YAML
source bench/lib.sh
start_server "$WORK/serve.yaml"

SENTENCE="vaksin covid aman untuk semua orang di indonesia"
export QUIVER_BODY="{\"category\":\"B\",\"sentences\":[\"$SENTENCE\"]}"
curl -sf -X POST -H 'Content-Type: application/json' -d "$QUIVER_BODY" "$URL/v1/classify" >/dev/null

# The in-process reference gets rows as the server builds them from the sentence: its token
# count, pre-padded to the model's length (the padding steps are skipped in both).
TOKENS=$(echo "$SENTENCE" | "$BIN" tokenize --tokenizer "$MODEL_DIR/tokenizer.json" |
         python3 -c 'import json, sys; print(len(json.loads(sys.stdin.readline())))')
IN_PROCESS=$("$BIN" bench --model "$MODEL_DIR/model.h5" --batch 64 --seq-len "$SEQ_LEN" --threads 1 \
             --tokens "$TOKENS" --seconds 5 | sed -n 's/.*"sentences_per_s":\([0-9.]*\).*/\1/p')
IN_PROCESS_1=$("$BIN" bench --model "$MODEL_DIR/model.h5" --batch 1 --seq-len "$SEQ_LEN" --threads 1 \
               --tokens "$TOKENS" --seconds 3 | sed -n 's/.*"sentences_per_s":\([0-9.]*\).*/\1/p')
echo "in-process Model::predict, 1 thread, $TOKENS tokens pre-padded to $SEQ_LEN: batch 64 ${IN_PROCESS} sentences/s, batch 1 ${IN_PROCESS_1} sentences/s"
echo
echo "| connections | requests/s | p50 ms | p99 ms | errors | share of in-process (batch 64) |"
echo "|---:|---:|---:|---:|---:|---:|"
for C in 1 16 64 256; do
  LINE=$(wrk -t "$(( C < 2 ? 1 : 2 ))" -c "$C" -d "${SECONDS_PER_RUN}s" --timeout 10s -s bench/serve_post.lua "$URL/v1/classify" | tail -1)
  python3 - "$LINE" "$C" "$IN_PROCESS" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); c = sys.argv[2]; base = float(sys.argv[3])
print("| %s | %.0f | %.2f | %.2f | %d | %.0f%% |" % (c, r["rps"], r["p50_ms"], r["p99_ms"],
      r["errors"] + r["non_200"], 100.0 * r["rps"] / base))
PY
done
curl -s "$URL/metrics" | grep -E '^quiver_batch_size_(sum|count)' | sed 's/^/# /'
