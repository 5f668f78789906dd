#!/bin/bash
# Runs ../shared/tools/check-keras-models against the built quiver binary: every real Keras
# model must match its expected.jsonl within 1e-5 and the broken one must fail cleanly.
# Exits 77 (skip) when the shared folder is absent.
quiver=${1:?usage: check_keras_models.sh QUIVER_BINARY SHARED_DIR}
shared=${2:?usage: check_keras_models.sh QUIVER_BINARY SHARED_DIR}
if [[ ! -x $shared/tools/check-keras-models || ! -d $shared/keras-models ]]; then
  echo "skipped: $shared/tools/check-keras-models or $shared/keras-models is absent"
  exit 77
fi
exec "$shared/tools/check-keras-models" "$quiver" "$shared/keras-models"
