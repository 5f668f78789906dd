#!/usr/bin/env bash
# Times the README's main command as a newcomer meets it: a fresh Debian 12 (a minbase
# bookworm root: the tests' cached /var/cache/quiver-tests/bookworm-minbase.tar when present,
# else debootstrap), this checkout's committed tree (git archive HEAD) in /root/quiver, and
# `scripts/run.sh` run there as root. Prints what the README's set-up paragraph reports: the
# packages apt installed and their size, run.sh's own split (dependencies, build), the time
# until POST /v1/classify first answers 200, and the disk the checkout then uses.
# Root only (chroot); needs network to Debian's mirror and the npm registry; the root
# shares the host's network, so the answer is polled from the host. Port: QUIVER_PORT
# (default 18500). Usage: scripts/fresh-root-run.sh [ROOT]  (default /tmp/quiver-fresh-root,
# removed first and again at the end unless KEEP_ROOT=1)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${1:-/tmp/quiver-fresh-root}
PORT=${QUIVER_PORT:-18500}
TAR=/var/cache/quiver-tests/bookworm-minbase.tar
[ "$(id -u)" = 0 ] || { echo "fresh-root-run.sh: run as root" >&2; exit 2; }
command -v curl >/dev/null || { echo "fresh-root-run.sh: needs curl on the host" >&2; exit 2; }

rm -rf "$ROOT" && mkdir -p "$ROOT"
if [ -f "$TAR" ]; then
  tar -xf "$TAR" -C "$ROOT"
else
  debootstrap --variant=minbase bookworm "$ROOT" http://deb.debian.org/debian >/dev/null
fi
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# A host that reaches the registries through a TLS-inspecting proxy trusts its CA from
# /usr/local/share/ca-certificates; the root gets the same trust (npm reads it through
# NODE_EXTRA_CA_CERTS), as a newcomer's machine behind that proxy would have it.
extra_ca=()
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
  cat /usr/local/share/ca-certificates/*.crt > "$ROOT/root/extra-ca.crt"
  extra_ca=(NODE_EXTRA_CA_CERTS=/root/extra-ca.crt)
fi
mount -t proc proc "$ROOT/proc"
pid=""
cleanup() {
  local status=$?
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  umount "$ROOT/proc" 2>/dev/null || true
  [ "${KEEP_ROOT:-0}" = 1 ] || rm -rf "$ROOT"
  exit "$status"
}
trap cleanup EXIT
in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
mkdir -p "$ROOT/root/quiver"
git archive HEAD | tar -x -C "$ROOT/root/quiver"
packages_before=$(in_root dpkg-query -W -f='${Package}\n' | wc -l)
kb_before=$(in_root dpkg-query -W -f='${Installed-Size}\n' | awk '{ s += $1 } END { print s }')
echo "fresh root: $packages_before packages; running scripts/run.sh (port $PORT)" >&2

log=$ROOT/root/run.log
start=$(date +%s)
# Not through in_root: a function run with & is a subshell, and killing it would leave the
# server running; chroot, env and run.sh each exec the next, so $pid ends as the server's.
chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "${extra_ca[@]}" \
  QUIVER_PORT="$PORT" bash -c 'cd /root/quiver && exec scripts/run.sh' >"$log" 2>&1 &
pid=$!
body='{"category": "yelp", "sentences": ["The food was great"]}'
answered=""
while kill -0 "$pid" 2>/dev/null; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/v1/classify" \
           -H 'Content-Type: application/json' -d "$body" 2>/dev/null || true)
  if [ "$code" = 200 ]; then answered=$(date +%s); break; fi
  sleep 2
done
if [ -z "$answered" ]; then
  echo "fresh-root-run.sh: run.sh ended without answering; the end of its log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
packages_after=$(in_root dpkg-query -W -f='${Package}\n' | wc -l)
kb_after=$(in_root dpkg-query -W -f='${Installed-Size}\n' | awk '{ s += $1 } END { print s }')
echo "first answer: $((answered - start)) s after the start"
grep '^run.sh: dependencies' "$log" || true
echo "apt: $((packages_after - packages_before)) packages," \
  "$(( (kb_after - kb_before) / 1024 )) MB installed"
echo "checkout: $(du -sh "$ROOT/root/quiver" | cut -f1)" \
  "(build-release $(du -sh "$ROOT/root/quiver/build-release" | cut -f1)," \
  "third_party $(du -sh "$ROOT/root/quiver/third_party" | cut -f1))"
echo "answer: $(curl -s -X POST "http://127.0.0.1:$PORT/v1/classify" \
  -H 'Content-Type: application/json' -d "$body")"
