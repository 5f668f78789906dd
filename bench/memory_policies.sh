#!/usr/bin/env bash
# Memory policies (issue 18, include/quiver/model.h MemoryPolicy): for the reference model
# (Embedding 2000x128 -> BiLSTM(196) -> Dense(2), bench/inference_models.py, T = 40 by
# default) under each policy, the bytes it holds by part (`quiver inspect --json`), the
# process RSS, and batch-1 / batch-64 latency (`quiver bench`, 1 thread, every row 40 real
# tokens so the lazy table is warm after the warm-up). Prints one Markdown table.
#
# Usage: bench/memory_policies.sh [--seconds S] [--seq-len T] [--policies fp32,bf16,lazy,none]
# Environment: QUIVER_BUILD_DIR (default build).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${QUIVER_BUILD_DIR:-build}
PY=/usr/bin/python3
SECONDS_PER_RUN=3
SEQ_LEN=40
POLICIES=fp32,bf16,lazy,none
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
    --seq-len) SEQ_LEN=$2; shift 2 ;;
    --policies) POLICIES=$2; shift 2 ;;
    *) echo "usage: bench/memory_policies.sh [--seconds S] [--seq-len 40|200] [--policies P,...]" >&2
       exit 2 ;;
  esac
done
cmake --build "$BUILD_DIR" -j 2 --target quiver >/dev/null
MODELS=$BUILD_DIR/bench-models
if [ ! -f "$MODELS/.done" ] || [ bench/inference_models.py -nt "$MODELS/.done" ]; then
  mkdir -p "$MODELS"
  "$PY" bench/inference_models.py "$MODELS" >/dev/null
  touch "$MODELS/.done"
fi
MODEL=$MODELS/bilstm_t$SEQ_LEN.h5
Q=$BUILD_DIR/quiver
echo "| policy | model bytes | weights | tables | trajectories | RSS MB | batch 1 median ms | batch 64 median ms | batch 64 sentences/s |"
echo "|---|---|---|---|---|---|---|---|---|"
for p in ${POLICIES//,/ }; do
  info=$("$Q" inspect "$MODEL" --json --memory-policy "$p")
  b1=$("$Q" bench --model "$MODEL" --batch 1 --seq-len "$SEQ_LEN" --threads 1 \
        --seconds "$SECONDS_PER_RUN" --memory-policy "$p")
  b64=$("$Q" bench --model "$MODEL" --batch 64 --seq-len "$SEQ_LEN" --threads 1 \
        --seconds "$SECONDS_PER_RUN" --memory-policy "$p")
  "$PY" - "$p" "$info" "$b1" "$b64" <<'PY'
import json, sys
p, info, b1, b64 = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
m = info["memory"]
# A lazy model's bytes after the warm-up (bench's model_bytes: memory_in_use), else at load.
print("| %s | %d | %d | %d | %d | %.1f | %.3f | %.3f | %.0f |" % (
    p, b64["model_bytes"], m["weights"], b64["model_bytes"] - m["weights"] - m["trajectories"]
    if p == "lazy" else m["tables"], m["trajectories"], b64["rss_mb"], b1["median_ms"],
    b64["median_ms"], b64["sentences_per_s"]))
PY
done
