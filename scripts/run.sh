#!/usr/bin/env bash
# The README's main command: installs what building and running quiver needs (only that:
# scripts/install-deps.sh build), builds the `quiver` binary alone in Release (no tests, no
# benchmarks, no Python module) in build-release/, and serves examples/sentiment.yaml: three sentiment
# classifiers (amazon, imdb, yelp). On the first start their model files are missing, so they
# are trained from the npm `sentiment` package's fixtures (converted to examples/data/*.csv,
# git-ignored); later starts just load them. QUIVER_PORT picks the port (default 8500).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS=0
scripts/install-deps.sh build
deps=$SECONDS
BUILD_DIR=${QUIVER_BUILD_DIR:-build-release}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DQUIVER_BUILD_TESTS=OFF -DQUIVER_BUILD_BENCH=OFF -DQUIVER_PYTHON=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target quiver
build=$((SECONDS - deps))
node scripts/sentiment-data.mjs third_party/cache/sentiment-5.0.2/test/fixtures examples/data
PORT=${QUIVER_PORT:-8500}
echo "run.sh: dependencies ${deps} s, build ${build} s; serving (the first start trains)" >&2
cat >&2 <<MSG
Once http://127.0.0.1:$PORT/v2/health/ready answers 200 (the first start trains the models;
the log shows each epoch), try:
  curl -s -X POST http://127.0.0.1:$PORT/v1/classify -H 'Content-Type: application/json' \\
    -d '{"category": "yelp", "sentences": ["The food was great", "Terrible service, never again"]}'
MSG
exec "$BUILD_DIR/quiver" serve --config examples/sentiment.yaml --port "$PORT"
