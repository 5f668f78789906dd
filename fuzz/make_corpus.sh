#!/usr/bin/env bash
# Builds the working corpus of every fuzz target in OUT_DIR/<target>/: the committed
# fuzz/corpus/<target>/ (seeds and crash regressions), files made by the test fixture
# generators (tests/keras_io/make_keras_files.py, make_hostile_files.py), and — with
# --shared, when ../shared/keras-models exists — the real models, architectures and
# tokenizers there. OUT_DIR must be outside the repository: ../shared files are never
# committed (copy a finding into fuzz/corpus/ only when it is our own file).
# Usage: fuzz/make_corpus.sh OUT_DIR [--shared]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: fuzz/make_corpus.sh OUT_DIR [--shared]}
SHARED=${2:-}
TARGETS=($(ls fuzz/*_fuzz.cc | sed 's|fuzz/\(.*\)_fuzz.cc|\1|'))
for t in "${TARGETS[@]}"; do
  mkdir -p "$OUT/$t"
  cp -n fuzz/corpus/$t/* "$OUT/$t/" 2>/dev/null || true
done
GEN=$(mktemp -d)
trap 'rm -rf "$GEN"' EXIT
/usr/bin/python3 tests/keras_io/make_keras_files.py "$GEN" >/dev/null
/usr/bin/python3 tests/keras_io/make_hostile_files.py "$GEN" >/dev/null
for f in "$GEN"/*; do
  name=$(basename "$f")
  case "$name" in
    *.h5) for t in keras_io model_build h5_walk; do cp "$f" "$OUT/$t/gen_$name"; done ;;
    *.keras) for t in keras_io model_build zip; do cp "$f" "$OUT/$t/gen_$name"; done ;;
    *.json|*.yml|*.yaml) cp "$f" "$OUT/model_config/gen_$name" ;;
  esac
done
if [ "$SHARED" = --shared ] && [ -d ../shared/keras-models ]; then
  for d in ../shared/keras-models/*/; do
    m=$(basename "$d")
    for f in "$d"*; do
      name="shared_${m}_$(basename "$f")"
      size=$(stat -c %s "$f")
      [ "$size" -le 4194304 ] || continue  # keep inputs small enough to mutate
      case "$f" in
        *.h5|*.keras) for t in keras_io model_build; do cp "$f" "$OUT/$t/$name"; done ;;
        *tokenizer*.json) printf '\x00' | cat - "$f" > "$OUT/tokenizer/$name" ;;
        *.json|*.yml|*.yaml) cp "$f" "$OUT/model_config/$name" ;;
      esac
    done
  done
fi
for t in "${TARGETS[@]}"; do echo "$t: $(ls "$OUT/$t" | wc -l) files"; done
