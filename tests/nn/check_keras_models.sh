#!/bin/bash
# Runs ../shared/tools/check-keras-models against the built quiver binary: every real Keras
# model must match its expected.jsonl within 1e-5 and the broken one must fail cleanly.
# With a third argument (a memory policy: lazy, none, ...) quiver runs with
# --memory-policy POLICY (issue 18: every policy but bf16 keeps Keras' numbers).
# Exits 77 (skip) when the shared folder is absent.
quiver=${1:?usage: check_keras_models.sh QUIVER_BINARY SHARED_DIR [MEMORY_POLICY]}
shared=${2:?usage: check_keras_models.sh QUIVER_BINARY SHARED_DIR [MEMORY_POLICY]}
policy=${3:-}
if [[ ! -x $shared/tools/check-keras-models || ! -d $shared/keras-models ]]; then
  echo "skipped: $shared/tools/check-keras-models or $shared/keras-models is absent"
  exit 77
fi
if [[ -n $policy ]]; then
  wrapper=$(mktemp)
  trap 'rm -f "$wrapper"' EXIT
  printf '#!/bin/bash\nexec %q "$@" --memory-policy %q\n' "$quiver" "$policy" >"$wrapper"
  chmod +x "$wrapper"
  "$shared/tools/check-keras-models" "$wrapper" "$shared/keras-models"
  exit
fi
exec "$shared/tools/check-keras-models" "$quiver" "$shared/keras-models"
