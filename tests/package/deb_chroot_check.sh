#!/usr/bin/env bash
# The .deb on a fresh Debian 12, by hand (root, network to Debian's mirror; ~3 minutes):
# debootstrap a minbase bookworm root (unless ROOT exists), `apt-get install ./quiver_*.deb`
# in it, then check the user, the conffile and the unit, and run --version, train + inspect
# a tiny model and a short serve as user quiver. package_deb (CTest) covers the same files
# without root; this adds apt resolving the dependencies on a system that has none of them.
# Usage: deb_chroot_check.sh DEB [ROOT]   (ROOT default /tmp/quiver-deb12)
set -euo pipefail
DEB=$(realpath "$1") ROOT=${2:-/tmp/quiver-deb12}
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "deb_chroot_check.sh: run as root" >&2; exit 2; }
if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
  debootstrap --variant=minbase bookworm "$ROOT" http://deb.debian.org/debian
fi
in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
trap 'umount "$ROOT/proc" 2>/dev/null || true' EXIT
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
before=$(in_root dpkg-query -W -f='${Package}\n' | wc -l)
cp "$DEB" "$ROOT/tmp/" && cp "$HERE/tiny_model.sh" "$HERE/serve_check.sh" "$ROOT/tmp/"
in_root apt-get update -q
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "/tmp/$(basename "$DEB")"
after=$(in_root dpkg-query -W -f='${Package}\n' | wc -l)
echo "apt-get install ./$(basename "$DEB"): $((after - before)) packages installed"
in_root id quiver
in_root test -d /var/lib/quiver
in_root dpkg-query -W -f='${Conffiles}\n' quiver | grep -q /etc/quiver/serve.yaml
in_root quiver --version
# Checks need curl (serve_check.sh): installed after quiver, so it cannot mask a dependency.
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends curl
in_root install -d -o quiver -g quiver /var/lib/quiver/check
in_root su -s /bin/bash quiver -c "/tmp/tiny_model.sh quiver /var/lib/quiver/check &&
  quiver inspect /var/lib/quiver/check/weather.h5 | head -3 &&
  /tmp/serve_check.sh quiver /etc/quiver/serve.yaml /var/lib/quiver/check"
echo "PASS: $(basename "$DEB") on a fresh Debian 12 ($ROOT)"
