#!/usr/bin/env bash
# serve_check.sh QUIVER CONFIG WORK [CATEGORY]: starts `QUIVER serve --config CONFIG --port 0`,
# waits for its "listening on http://HOST:PORT" line, checks /v2/health/live (and, with
# CATEGORY, one /v1/classify answer with a label), then stops it with SIGTERM, which must
# exit 0.
set -euo pipefail
QUIVER=$1 CONFIG=$2 WORK=$3 CATEGORY=${4:-}
out=$WORK/serve.out
rm -f "$out"
"$QUIVER" serve --config "$CONFIG" --port 0 > "$out" 2> "$WORK/serve.err" &
pid=$!
url=""
for _ in $(seq 1 600); do
  url=$(sed -n '1s/^listening on \(http:[^ ]*\)$/\1/p' "$out" 2>/dev/null || true)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "FAIL: serve exited"; cat "$WORK/serve.err"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "FAIL: serve did not listen"; kill "$pid"; cat "$WORK/serve.err"; exit 1; }
status=$(curl -s -o /dev/null -w '%{http_code}' "$url/v2/health/live")
[ "$status" = 200 ] || { echo "FAIL: /v2/health/live answered $status"; kill "$pid"; exit 1; }
if [ -n "$CATEGORY" ]; then
  # The port opens before the models load: wait until the server is ready.
  for _ in $(seq 1 3000); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/v2/health/ready")" = 200 ] && break
    sleep 0.1
  done
  answer=$(curl -s -X POST "$url/v1/classify" \
    -d "{\"category\": \"$CATEGORY\", \"sentences\": [\"the day was sunny\"]}")
  echo "$answer" | grep -q '"label"' ||
    { echo "FAIL: classify answered $answer"; kill "$pid"; exit 1; }
fi
kill -TERM "$pid"
wait "$pid" || { echo "FAIL: serve exited $? on SIGTERM"; cat "$WORK/serve.err"; exit 1; }
