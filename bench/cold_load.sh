#!/usr/bin/env bash
# Cold-load latency of load: on_demand (issue 18, item 2), not a test: N distinct
# reference-sized models (Embedding 2000x128 -> BiLSTM(196) -> Dense(2), T = 40; made once
# by bench/density_models.py into $QUIVER_DENSITY_DIR, default /tmp/quiver-density), one
# `quiver serve` with every model on demand; the first request of each model (one row of 40
# ids, TF Serving :predict) waits for its load. Prints, for validate_models sandbox (the
# default: the file is first loaded in a child process) and off, the client-side time of
# those first requests (p50 / p99 / max over the N models), the server's own
# quiver_cold_load_seconds (mean), and a warm request's time for comparison.
#   bench/cold_load.sh [N, default 30]
# Env: QUIVER_BIN (default build/quiver), QUIVER_DENSITY_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-30}
BIN=${QUIVER_BIN:-build/quiver}
CACHE=${QUIVER_DENSITY_DIR:-/tmp/quiver-density}
WORK=$(mktemp -d)
SERVER_PID=
trap 'kill "$SERVER_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
/usr/bin/python3 bench/density_models.py "$N" "$CACHE" > /dev/null
source bench/lib.sh
BODY='{"instances": [[5, 17, 300, 42, 1999, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41]]}'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
echo
echo "| validate_models | models | first request p50 ms | p99 ms | max ms | server cold load mean ms | warm request ms |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for MODE in sandbox off; do
  {
    echo "server: {host: 127.0.0.1, load: on_demand, validate_models: $MODE}"
    echo "models:"
    for i in $(seq 0 $((N - 1))); do
      printf '  - {name: m%04d, model: %s/model_%04d.h5}\n' "$i" "$CACHE" "$i"
    done
  } > "$WORK/serve.yaml"
  start_server "$WORK/serve.yaml"
  : > "$WORK/times"
  for i in $(seq 0 $((N - 1))); do
    curl -sf -o /dev/null -w '%{time_total}\n' -X POST -d "$BODY" \
      "$URL/v1/models/$(printf 'm%04d' "$i"):predict" >> "$WORK/times"
  done
  WARM=$(curl -sf -o /dev/null -w '%{time_total}' -X POST -d "$BODY" "$URL/v1/models/m0000:predict")
  METRICS=$(curl -sf "$URL/metrics")
  kill "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=
  /usr/bin/python3 - "$WORK/times" "$MODE" "$N" "$WARM" "$METRICS" <<'PY'
import sys
import numpy as np
t = np.array([float(x) for x in open(sys.argv[1])]) * 1000
m = dict(l.rsplit(" ", 1) for l in sys.argv[5].splitlines() if l.startswith("quiver_cold_load_seconds_"))
mean = float(m["quiver_cold_load_seconds_sum"]) / float(m["quiver_cold_load_seconds_count"]) * 1000
print("| %s | %s | %.0f | %.0f | %.0f | %.0f | %.1f |" % (
    sys.argv[2], sys.argv[3], np.percentile(t, 50), np.percentile(t, 99), t.max(), mean,
    float(sys.argv[4]) * 1000))
PY
done
