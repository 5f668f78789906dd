#!/usr/bin/env bash
# Inference benchmark (issue 5): quiver vs ONNX Runtime (npm onnxruntime-node) vs PyTorch
# (Debian python3-torch) vs oneDNN's RNN primitive in fp32 / bf16 / int8 (Debian libdnnl-dev,
# bench/onednn_bench, issue 19) on the same models, weights and inputs. Sets everything up itself:
# builds `quiver` and onednn_bench, installs onnxruntime-node into third_party/npm when it is
# missing (its GPU-download install script skipped: the CPU library ships in the package),
# writes the Keras .h5 / TorchScript / ONNX models, checks every peer's outputs against
# quiver's (max abs diff <= 1e-5), then times and prints one Markdown table.
#
# Usage: bench/run.sh [--seconds S] [--variants bilstm,lstm,bigru] [--seq-lens 40,200]
#                     [--batches 1,256] [--threads 1,2] [--json-out FILE]
#                     [--peers ort,torch,onednn,onednn_bf16,onednn_int8,quiver_bf16,quiver_int8]
#                     [--torch-max-batch N]   (PyTorch takes seconds per call at batch 256)
#                     [--weights fp32|bf16|int8]  (quiver's timed mode; agreement is fp32)
# Environment: QUIVER_BUILD_DIR (default build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test  # the benchmark's peers (python3-torch, npm packages): not run.sh's
BUILD_DIR=${QUIVER_BUILD_DIR:-build}
PY=/usr/bin/python3

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
# onednn_bench needs the bench targets (QUIVER_BUILD_BENCH) and oneDNN; without them the
# oneDNN peers are left out (inference_bench.py says so).
targets=(quiver)
if grep -q '^build bench/onednn_bench:' "$BUILD_DIR/build.ninja" 2>/dev/null; then
  targets+=(onednn_bench)
fi
if ! cmake --build "$BUILD_DIR" -j 2 --target "${targets[@]}" >"$BUILD_DIR/bench-build.log" 2>&1; then
  tail -20 "$BUILD_DIR/bench-build.log" >&2
  echo "bench/run.sh: building quiver failed (log: $BUILD_DIR/bench-build.log)" >&2
  exit 1
fi

if [ ! -d third_party/npm/node_modules/onnxruntime-node ]; then
  mkdir -p third_party/npm
  [ -f third_party/npm/package.json ] || cp scripts/npm-package.json third_party/npm/package.json
  (cd third_party/npm && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund \
     --ignore-scripts --loglevel=error onnxruntime-node@1.30.0)
fi

MODELS="$BUILD_DIR/bench-models"
if [ ! -f "$MODELS/.done" ] || [ bench/inference_models.py -nt "$MODELS/.done" ]; then
  mkdir -p "$MODELS"
  "$PY" bench/inference_models.py "$MODELS" >/dev/null
  touch "$MODELS/.done"
fi

exec "$PY" bench/inference_bench.py --quiver "$BUILD_DIR/quiver" --models "$MODELS" "$@"
