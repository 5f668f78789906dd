#!/usr/bin/env bash
# Switch-over under load (issue 7; a benchmark, not a timed test): wrk sends group requests
# (/v1/classify without a category: every category of the default group) over keep-alive
# connections while the group switches between its binary members (amazon, imdb, yelp from
# examples/sentiment.yaml) and one multi-label model trained from the same CSVs by
# `quiver train-multilabel`, every SWITCH_MS. serve_switch.lua sorts every answer: from
# the members, from the multi-label model, or mixed. Pass: errors = non_200 = mixed = 0.
#   bench/serve_switch.sh [seconds, default 10] [connections, default 64]
# Env: QUIVER_BIN (default build/quiver), SWITCH_MS (default 200).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECS=${1:-10}
CONNS=${2:-64}
BIN=${QUIVER_BIN:-build/quiver}
SWITCH_MS=${SWITCH_MS:-200}
WORK=$(mktemp -d)
SERVER_PID=
trap 'kill "$SERVER_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

source bench/lib.sh  # start_server

# The binary models: examples/sentiment.yaml trains them on its first start.
if ! [ -f examples/models/amazon.h5 ] || ! [ -f examples/models/imdb.h5 ] || ! [ -f examples/models/yelp.h5 ]; then
  start_server examples/sentiment.yaml
  kill "$SERVER_PID"; wait "$SERVER_PID" || true
fi
CATS=() BINS=()
for c in amazon imdb yelp; do
  CATS+=(--category "$c=examples/data/$c.csv")
  BINS+=(--binary-model "$c=examples/models/$c.h5")
done
"$BIN" train-multilabel "${CATS[@]}" "${BINS[@]}" --model "$WORK/sentiment_ml.h5" --type cnn \
  --epochs 3 --embed-dim 32 --filters 32 --maxlen 40 > "$WORK/train.log"

cat > "$WORK/serve.yaml" <<YAML
server: {host: 127.0.0.1, threads: 2, max_batch_size: 64, max_queue: 4096, admin_token: bench}
models:
  - {name: amazon, model: $ROOT/examples/models/amazon.h5}
  - {name: imdb, model: $ROOT/examples/models/imdb.h5}
  - {name: yelp, model: $ROOT/examples/models/yelp.h5}
  - {name: sentiment_ml, model: $WORK/sentiment_ml.h5}  # labels, thresholds: from the file
groups:
  - {name: sentiment, members: [amazon, imdb, yelp], default: true, labels: [negative, positive]}
YAML
start_server "$WORK/serve.yaml"
export QUIVER_BODY='{"sentences":["The food was great but the service was slow"]}'
AUTH='Authorization: Bearer bench'
results() { curl -sf -X POST -d "$QUIVER_BODY" "$URL/v1/classify" | sed -e 's/^.*"results"://' -e 's/}$//'; }
switch() { curl -sf -X POST -H "$AUTH" -d "$1" "$URL/admin/groups/sentiment" > /dev/null; }
export QUIVER_SIDE_A QUIVER_SIDE_B
QUIVER_SIDE_A=$(results)
switch '{"model":"sentiment_ml"}'
QUIVER_SIDE_B=$(results)
switch '{"members":["amazon","imdb","yelp"]}'
echo "members:     $QUIVER_SIDE_A"
echo "multi-label: $QUIVER_SIDE_B"

wrk -t 2 -c "$CONNS" -d "${SECS}s" --timeout 10s -s bench/serve_switch.lua "$URL/v1/classify" \
  > "$WORK/wrk.out" &
WRK_PID=$!
SWITCHES=0
while kill -0 "$WRK_PID" 2>/dev/null; do
  sleep "$(python3 -c "print($SWITCH_MS / 1000)")"
  if (( SWITCHES % 2 == 0 )); then switch '{"model":"sentiment_ml"}'; else switch '{"members":["amazon","imdb","yelp"]}'; fi
  SWITCHES=$((SWITCHES + 1))
done
wait "$WRK_PID"
echo
echo "| connections | switches | requests/s | p50 ms | p99 ms | errors | from members | from multi-label | mixed |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
python3 - "$(tail -1 "$WORK/wrk.out")" "$CONNS" "$SWITCHES" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print("| %s | %s | %.0f | %.2f | %.2f | %d | %d | %d | %d |" % (sys.argv[2], sys.argv[3], r["rps"],
      r["p50_ms"], r["p99_ms"], r["errors"] + r["non_200"], r["side_a"], r["side_b"], r["mixed"]))
PY
