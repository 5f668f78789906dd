#!/usr/bin/env bash
# The README's main command: installs what is needed, builds, and serves three sentiment
# classifiers (examples/sentiment.yaml: amazon, imdb, yelp). On the first start their model
# files are missing, so they are trained from the npm `sentiment` package's fixtures
# (converted to examples/data/*.csv, git-ignored); later starts just load them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
python3 scripts/sentiment-data.py third_party/npm/node_modules/sentiment/test/fixtures examples/data
PORT=${QUIVER_PORT:-8500}
cat >&2 <<MSG
Once it says "listening", try:
  curl -s -X POST http://127.0.0.1:$PORT/v1/classify -H 'Content-Type: application/json' \\
    -d '{"category": "yelp", "sentences": ["The food was great", "Terrible service, never again"]}'
MSG
exec build/quiver serve --config examples/sentiment.yaml --port "$PORT"
