#!/usr/bin/env bash
# run_docs.py itself: a drifted example fails it. A document with one good shell block, one
# calling an option quiver does not have, and one config with a misspelt key must give
# exactly those two failures (exit 1); a document whose blocks all work must pass; a
# README.md without any runnable block fails.
# Usage: runner_test.sh QUIVER SOURCE_DIR WORK_DIR
set -euo pipefail
QUIVER=$1 SRC=$2 WORK=$3
rm -rf "$WORK" && mkdir -p "$WORK/docs"
run() { /usr/bin/python3 "$SRC/tests/docs/run_docs.py" --quiver "$QUIVER" --root "$WORK" \
          --work "$WORK/out" "$@"; }
cat > "$WORK/docs/drift.md" <<'MD'
```sh runnable
quiver --version | grep -q '^quiver '
```
```sh runnable
quiver inspect --no-such-option x.h5
```
```yaml runnable file=bad.yaml
server: {host: 127.0.0.1}
models: []
serverr: {port: 1}
```
```sh
this block is not marked runnable, so it never runs
```
MD
cat > "$WORK/docs/good.md" <<'MD'
```yaml runnable
server: {host: 127.0.0.1}
models: []
```
```sh runnable
test -f serve.yaml
```
MD
if run "$WORK/docs/drift.md" > "$WORK/drift.out"; then
  cat "$WORK/drift.out"; echo "FAIL: drifted examples passed"; exit 1
fi
cat "$WORK/drift.out"
[ "$(grep -c '^FAIL' "$WORK/drift.out")" = 2 ] || { echo "FAIL: expected 2 failures"; exit 1; }
grep -q '^FAIL docs/drift.md:4 (sh)' "$WORK/drift.out" || { echo "FAIL: the bad option"; exit 1; }
grep -q '^FAIL docs/drift.md:7 (yaml)' "$WORK/drift.out" || { echo "FAIL: the bad key"; exit 1; }
grep -q "unknown key 'serverr'" "$WORK/drift.out" || { echo "FAIL: the key's message"; exit 1; }
run "$WORK/docs/good.md" || { echo "FAIL: working examples failed"; exit 1; }
printf '# nothing runnable\n```sh\necho hi\n```\n' > "$WORK/README.md"
if run "$WORK/README.md" > "$WORK/readme.out"; then
  echo "FAIL: a README without runnable blocks passed"; exit 1
fi
echo "PASS"
