# Shell helpers the bench/ scripts source (after setting BIN and WORK).

# start_server CONFIG: starts `$BIN serve --config CONFIG --port 0` in the background
# (stdout in $WORK/out, stderr in $WORK/err), sets SERVER_PID and URL, and waits until no
# model is loading or training any more (the port opens before the models load). Exits the
# script with the server's stderr when it does not listen.
start_server() {
  "$BIN" serve --config "$1" --port 0 > "$WORK/out" 2> "$WORK/err" &
  SERVER_PID=$!
  for _ in $(seq 1 1200); do grep -q listening "$WORK/out" 2>/dev/null && break; sleep 0.1; done
  URL=$(sed -n 's/^listening on //p' "$WORK/out")
  [ -n "$URL" ] || { cat "$WORK/err"; exit 1; }
  for _ in $(seq 1 6000); do
    curl -sf "$URL/metrics" | grep -q '^quiver_models_loading 0$' && break
    sleep 0.1
  done
}
