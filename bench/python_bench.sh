#!/usr/bin/env bash
# The Python module's benchmark (docs/performance.md "Python module"): quiver.Model.predict
# from Python vs `quiver bench` in-process vs PyTorch from Python, one Markdown table.
# Usage: bench/python_bench.sh [--seconds S] [--variants lstm,bilstm] [--seq-len 40]
#                              [--threads N] [--torch-max-batch N]
# Environment: QUIVER_BUILD_DIR (default build; configured with the Python module).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${QUIVER_BUILD_DIR:-build}
PY=/usr/bin/python3
cmake --build "$BUILD_DIR" -j 2 --target quiver quiver_python >"$BUILD_DIR/bench-build.log" 2>&1 ||
  { tail -20 "$BUILD_DIR/bench-build.log" >&2; exit 1; }
MODELS="$BUILD_DIR/bench-models"
if [ ! -f "$MODELS/.done" ] || [ bench/inference_models.py -nt "$MODELS/.done" ]; then
  mkdir -p "$MODELS"
  "$PY" bench/inference_models.py "$MODELS" >/dev/null
  touch "$MODELS/.done"
fi
# A tiny quiver-trained model (8 units, T = 8) for the per-call overhead at batch 1.
TINY="$MODELS/tiny/tiny.h5"
if [ ! -f "$TINY" ]; then
  mkdir -p "$MODELS/tiny"
  printf 'text,label\ngood food,pos\nbad food,neg\ngreat place,pos\nawful place,neg\n' > "$MODELS/tiny/tiny.csv"
  "$BUILD_DIR/quiver" train --data "$MODELS/tiny/tiny.csv" --model "$TINY" --units 8 \
    --embedding-dim 8 --epochs 1 --maxlen 8 >/dev/null 2>&1
fi
PYTHONPATH="$BUILD_DIR/python" exec "$PY" bench/python_bench.py --quiver "$BUILD_DIR/quiver" \
  --models "$MODELS" --tiny "$TINY" "$@"
