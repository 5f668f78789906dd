#!/usr/bin/env bash
# Density benchmark (issue 18, item 3), not a test: N distinct reference-sized models
# (Embedding 2000x128 -> BiLSTM(196) -> Dense(2), T = 40, 3.07 MB of float32 weights each;
# bench/density_models.py writes them once into $QUIVER_DENSITY_DIR, default
# /tmp/quiver-density) in ONE process, these ways (QUIVER_MODES picks; default all):
#   quiver eager      every model loaded at start, no budget (auto: fp32 tables)
#   quiver none|lazy|bf16  every model loaded at start with server.memory_policy that policy
#   quiver budget     every model loaded at start, server.memory_budget_mb = BUDGET: the
#                     server plans which models get tables (serve/memory_plan.h)
#   quiver on_demand  server.load: on_demand with server.memory_budget_mb = BUDGET, LRU
#                     evictions (BUDGET default: 1.25 x the models' weight bytes)
#   ORT               the same networks as N onnxruntime-node sessions in one node process
#                     (bench/density_ort.mjs; in-process calls, no HTTP)
# For each: load time (start to ready), RSS (/proc/PID/status VmRSS) after the load and after
# the run, and latency at a fixed request rate spread across the models, Zipf (s = 1.1) and
# uniform, with wrk (bench/density_post.lua; 4 keep-alive connections paced to RATE).
#   bench/density.sh [N ...]          default: 10 100
# Env: QUIVER_BIN (build/quiver), QUIVER_DENSITY_DIR, QUIVER_RATE (requests/s, default 100),
# QUIVER_SECONDS (per run, default 20), QUIVER_BUDGET_MB (budget and on_demand; default 1.25
# x weights), QUIVER_MODES (default "eager none lazy bf16 budget on_demand"), QUIVER_SKIP
# (space-separated modes, or ort).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${QUIVER_BIN:-build/quiver}
CACHE=${QUIVER_DENSITY_DIR:-/tmp/quiver-density}
RATE=${QUIVER_RATE:-100}
SECS=${QUIVER_SECONDS:-20}
SKIP=${QUIVER_SKIP:-}
CONNS=4
DELAY_MS=$(( CONNS * 1000 / RATE ))
WORK=$(mktemp -d)
SERVER_PID=
trap 'kill "$SERVER_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
source bench/lib.sh
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
now() { date +%s.%N; }
row() { echo "| $* |"; }

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores; rate $RATE req/s target, $SECS s per run"
echo
row "models | weights MB | runtime | config | load s | RSS after load MB | requests | achieved req/s | p50 ms | p99 ms | RSS after run MB | RSS / weights | notes"
row "---:|---:|---|---|---:|---:|---|---:|---:|---:|---:|---:|---"
for N in "${@:-10 100}"; do
  for n in $N; do
  WEIGHTS=$(/usr/bin/python3 bench/density_models.py "$n" "$CACHE" --onnx |
            sed -n 's/.*"weight_bytes": \([0-9]*\).*/\1/p')
  WMB=$(( WEIGHTS / 1048576 ))
  BUDGET_MB=${QUIVER_BUDGET_MB:-$(( WEIGHTS * 5 / 4 / 1048576 ))}
  for MODE in ${QUIVER_MODES:-eager none lazy bf16 budget on_demand}; do
    case " $SKIP " in *" $MODE "*) continue ;; esac
    case "$MODE" in
      eager) EXTRA= ; CFG="eager (fp32 tables)" ;;
      none|lazy|bf16) EXTRA=", memory_policy: $MODE" ; CFG="eager, memory_policy $MODE" ;;
      budget) EXTRA=", memory_budget_mb: $BUDGET_MB" ; CFG="eager, budget ${BUDGET_MB} MB" ;;
      on_demand) EXTRA=", load: on_demand, memory_budget_mb: $BUDGET_MB"
                 CFG="on_demand budget ${BUDGET_MB} MB" ;;
      *) echo "bench/density.sh: unknown mode $MODE" >&2; exit 2 ;;
    esac
    {
      echo "server: {host: 127.0.0.1, threads: 2, max_queue: 4096, validate_models: off$EXTRA}"
      echo "models:"
      for i in $(seq 0 $((n - 1))); do
        printf '  - {name: m%04d, model: %s/model_%04d.h5}\n' "$i" "$CACHE" "$i"
      done
    } > "$WORK/serve.yaml"
    T0=$(now)
    start_server "$WORK/serve.yaml"
    until curl -sf "$URL/v2/health/ready" > /dev/null; do sleep 0.1; done
    LOAD_S=$(echo "$(now) - $T0" | bc)
    RSS_LOAD=$(rss_mb "$SERVER_PID")
    for DIST in zipf uniform; do
      OUT=$(QUIVER_MODELS=$n QUIVER_DIST=$DIST QUIVER_DELAY_MS=$DELAY_MS \
            wrk -t 2 -c $CONNS -d "${SECS}s" --timeout 30s -s bench/density_post.lua "$URL" | tail -1)
      RSS_RUN=$(rss_mb "$SERVER_PID")
      METRICS=$(curl -sf "$URL/metrics")
      EV=$(sed -n 's/^quiver_evictions_total //p' <<<"$METRICS")
      CL=$(sed -n 's/^quiver_on_demand_loads_total //p' <<<"$METRICS")
      # Models holding token tables now (lazy ones count once a row is filled).
      TABLES=$(grep -c 'part="tables"} [1-9]' <<<"$METRICS" || true)
      /usr/bin/python3 - "$OUT" <<PY
import json, sys
o = json.loads(sys.argv[1])
cfg = "$CFG"
notes = "errors %d, non-200 %d" % (o["errors"], o["non_200"])
if "$MODE" == "on_demand":
  notes += ", cold loads so far $CL, evictions $EV"
if "$MODE" == "budget":
  notes += ", models with tables $TABLES"
print("| $n | $WMB | quiver | %s | %.1f | $RSS_LOAD | $DIST | %.0f | %.2f | %.2f | $RSS_RUN | %.2f | %s |" % (
    cfg, float("$LOAD_S"), o["rps"], o["p50_ms"], o["p99_ms"], $RSS_RUN / max(1, $WMB), notes))
PY
    done
    kill "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=
  done
  case " $SKIP " in *" ort "*) continue ;; esac
  for DIST in zipf uniform; do
    node bench/density_ort.mjs "$CACHE" "$n" "$DIST" "$RATE" "$SECS" > "$WORK/ort.json"
    /usr/bin/python3 - "$WORK/ort.json" <<PY
import json, sys
o = json.load(open(sys.argv[1]))
print("| $n | $WMB | ORT sessions | in-process | %.1f | %.0f | $DIST | %.0f | %.2f | %.2f | %.0f | %.2f | node, no HTTP |" % (
    o["load_s"], o["rss_loaded_mb"], o["rps"], o["p50_ms"], o["p99_ms"], o["rss_after_mb"],
    o["rss_after_mb"] / max(1, $WMB)))
PY
  done
  done
done
