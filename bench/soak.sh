#!/usr/bin/env bash
# Soak benchmark of `quiver serve` (issue 13; not a test): at least REQUESTS requests (default
# 1,000,000) of group requests over three quiver-trained models at 64 keep-alive connections
# (wrk), while, every second, one of: a model file is swapped for a fresh copy (rename:
# a new inode that the sandbox validates and the server loads), a broken file (truncated,
# bit-flipped, a FIFO, a directory) is dropped in its place, the good file comes back, a
# SIGHUP or POST /admin/reload re-reads the config, POST /admin/models/X/reload reloads one
# model. File polling is on too. max_queue is small so that overload (429) happens.
# Every 200 answer must carry exactly the reference results (taken before the soak);
# 429s are counted separately; anything else is a failure. RSS is sampled every second.
#   bench/soak.sh [requests] [connections]
# Env: QUIVER_BIN (default build/quiver). Prints a Markdown table row and the RSS series.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-1000000}
CONNECTIONS=${2:-64}
BIN=$(realpath "${QUIVER_BIN:-build/quiver}")
WORK=$(mktemp -d)
SERVER_PID=
trap 'kill "$SERVER_PID" 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

# Three small models trained from three synthetic data sets (different words and seeds).
/usr/bin/python3 - "$WORK" <<'PY'
import csv, random, sys
w = sys.argv[1]
for name, (pos, neg) in {"A": ("good fine", "bad poor"), "B": ("great nice", "awful ugly"),
                         "C": ("happy calm", "sad angry")}.items():
    rng = random.Random(name)
    with open(f"{w}/{name}.csv", "w", newline="") as f:
        out = csv.writer(f); out.writerow(["text", "label"])
        for i in range(400):
            p = rng.random() < 0.5
            words = (pos if p else neg).split() + [f"w{rng.randrange(30)}" for _ in range(rng.randrange(1, 8))]
            rng.shuffle(words); out.writerow([" ".join(words), "pos" if p else "neg"])
PY
mkdir -p "$WORK/good" "$WORK/live"
for M in A B C; do
  "$BIN" train --data "$WORK/$M.csv" --model "$WORK/good/$M.h5" --type lstm --embed-dim 16 \
    --units 16 --epochs 2 --quiet --seed 7 > /dev/null
  cp "$WORK/good/$M.h5" "$WORK/live/$M.h5"
done
head -c 3000 "$WORK/good/A.h5" > "$WORK/truncated.h5"
/usr/bin/python3 -c "
import sys; b = bytearray(open(sys.argv[1], 'rb').read())
for i in range(0, len(b), 997): b[i] ^= 0x5a
open(sys.argv[2], 'wb').write(bytes(b))" "$WORK/good/B.h5" "$WORK/bitflip.h5"

cat > "$WORK/serve.yaml" <<YAML
server: {host: 127.0.0.1, threads: 2, max_batch_size: 64, max_queue_delay_us: 500,
         max_queue: 40, poll_interval_ms: 500, admin_token: soak}
models:
  - {name: A, model: $WORK/live/A.h5}
  - {name: B, model: $WORK/live/B.h5}
  - {name: C, model: $WORK/live/C.h5}
groups:
  - {name: all, members: [A, B, C], default: true}
YAML
source bench/lib.sh
start_server "$WORK/serve.yaml"

export QUIVER_BODY='{"sentences": ["good fine w3 w7", "awful ugly w1", "happy sad w2 w9 w11"]}'
REF=$(curl -sf -X POST -d "$QUIVER_BODY" "$URL/v1/classify")
export QUIVER_RESULTS=$(/usr/bin/python3 -c 'import re,sys; print(re.search(r"\"results\":(.*)}$", sys.argv[1]).group(1))' "$REF")

# Warm-up and a throughput probe, to size the soak run.
PROBE=$(wrk -t 2 -c "$CONNECTIONS" -d 5s --timeout 10s -s bench/soak_post.lua "$URL/v1/classify" | tail -1)
RPS=$(echo "$PROBE" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["rps"])')
DURATION=$(/usr/bin/python3 -c "import math; print(math.ceil($REQUESTS / $RPS * 1.15) + 5)")
echo "probe: $PROBE"
echo "soak: ${DURATION}s for >= $REQUESTS requests at $CONNECTIONS connections"

auth=(-H 'Authorization: Bearer soak')
swap() {  # swap FILE_FROM MODEL: rename a copy into place (what a deploying job does)
  rm -rf "$WORK/live/$2.h5.new"
  if [ "$1" = fifo ]; then mkfifo "$WORK/live/$2.h5.new"
  elif [ "$1" = dir ]; then mkdir "$WORK/live/$2.h5.new"; rm -f "$WORK/live/$2.h5"
  else cp "$1" "$WORK/live/$2.h5.new"; fi
  mv -T "$WORK/live/$2.h5.new" "$WORK/live/$2.h5"
}
restore() { rm -rf "$WORK/live/$1.h5"; swap "$WORK/good/$1.h5" "$1"; }
chaos() {
  local i=0
  while kill -0 "$SERVER_PID" 2>/dev/null; do
    case $((i % 12)) in
      0) swap "$WORK/good/A.h5" A; kill -HUP "$SERVER_PID" ;;
      1) swap "$WORK/truncated.h5" B; curl -s -o /dev/null -X POST "${auth[@]}" "$URL/admin/models/B/reload" ;;
      2) restore B; curl -s -o /dev/null -X POST "${auth[@]}" "$URL/admin/reload" ;;
      3) swap "$WORK/bitflip.h5" C; kill -HUP "$SERVER_PID" ;;
      4) restore C; curl -s -o /dev/null -X POST "${auth[@]}" "$URL/admin/models/C/reload" ;;
      5) swap fifo A; curl -s -o /dev/null -X POST "${auth[@]}" "$URL/admin/models/A/reload" ;;
      6) restore A; kill -HUP "$SERVER_PID" ;;
      7) swap dir B; curl -s -o /dev/null -X POST "${auth[@]}" "$URL/admin/reload" ;;
      8) restore B; curl -s -o /dev/null -X POST "${auth[@]}" "$URL/admin/models/B/reload" ;;
      9) swap "$WORK/good/C.h5" C ;;  # polling picks it up
      10) curl -s -o /dev/null -X POST "${auth[@]}" "$URL/admin/models/A/load" ;;
      11) kill -HUP "$SERVER_PID" ;;
    esac
    i=$((i + 1)); echo "$i" > "$WORK/chaos_steps"
    sleep 1
  done
}
sample_rss() {
  while kill -0 "$SERVER_PID" 2>/dev/null; do
    awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status" >> "$WORK/rss_kb"
    sleep 1
  done
}
sample_rss & chaos &
RESULT=$(wrk -t 2 -c "$CONNECTIONS" -d "${DURATION}s" --timeout 10s -s bench/soak_post.lua "$URL/v1/classify" | tail -1)
for M in A B C; do restore "$M"; done
curl -s -o /dev/null -X POST "${auth[@]}" "$URL/admin/reload"
METRICS=$(curl -s "$URL/metrics")
FINAL=$(curl -s -X POST -d "$QUIVER_BODY" "$URL/v1/classify")
echo "result: $RESULT"
echo "chaos steps: $(cat "$WORK/chaos_steps")"
echo "$METRICS" | grep -E '^quiver_model_load(s|_failures)_total' | sed 's/^/# /'
/usr/bin/python3 - "$RESULT" "$WORK/rss_kb" "$CONNECTIONS" "$QUIVER_RESULTS" "$FINAL" <<'PY'
import json, re, sys
r = json.loads(sys.argv[1]); rss = [int(x) for x in open(sys.argv[2]).read().split()]
warm = rss[10:] or rss  # after ten seconds of warm-up
final_ok = re.search(r'"results":(.*)}$', sys.argv[5]).group(1) == sys.argv[4]
print("| requests | connections | requests/s | p50 ms | p99 ms | ok | wrong | 429 | failed | socket errors | RSS MB start / max / end (after warm-up) | final answer |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
print("| %d | %s | %.0f | %.2f | %.2f | %d | %d | %d | %d | %d | %.1f / %.1f / %.1f | %s |" % (
    r["requests"], sys.argv[3], r["rps"], r["p50_ms"], r["p99_ms"], r["ok"], r["wrong"],
    r["overload_429"], r["failed"], r["socket_errors"], warm[0] / 1024, max(warm) / 1024,
    warm[-1] / 1024, "reference" if final_ok else "WRONG"))
print("RSS MB every 10 s:", " ".join("%.1f" % (x / 1024) for x in rss[::10]))
PY
grep -c "failed to load" "$WORK/err" | sed 's/^/logged load failures: /'
