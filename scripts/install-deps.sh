#!/usr/bin/env bash
# Installs everything quiver needs to build, test and benchmark on Debian 12.
# Idempotent: packages already present are skipped by apt; npm packages are cached in
# third_party/npm (git-ignored). Runs as root (CI and the dev machines) or with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libhdf5-dev nlohmann-json3-dev libcli11-dev libzip-dev libyaml-cpp-dev libicu-dev
  libcsv-dev libboost-dev libgtest-dev libgmock-dev libbenchmark-dev
  python3-h5py python3-numpy python3-yaml python3-keras-preprocessing python3-jieba python3-torch
  wrk curl
)

# Node.js: the machine's own (this kind ships Node 20 + npm); Debian's when there is none.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  APT_PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}" >&2
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages: test data (sentiment, spam-assassin), the TensorFlow.js reference, jieba's C++ port.
if [ ! -f third_party/npm/.installed-v1 ] || [ scripts/npm-package.json -nt third_party/npm/.installed-v1 ]; then
  mkdir -p third_party/npm
  cp scripts/npm-package.json third_party/npm/package.json
  (cd third_party/npm && npm install --no-audit --no-fund --ignore-scripts --loglevel=error)
  touch third_party/npm/.installed-v1
fi
