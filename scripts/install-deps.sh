#!/usr/bin/env bash
# Installs everything quiver needs to build, test and benchmark on Debian 12.
# Idempotent: packages already present are skipped by apt; npm packages are cached in
# third_party/npm (git-ignored). Runs as root (CI and the dev machines) or with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ccache
  libhdf5-dev hdf5-tools nlohmann-json3-dev libcli11-dev libzip-dev libyaml-cpp-dev libicu-dev
  libcsv-dev libboost-dev libgtest-dev libgmock-dev libbenchmark-dev
  python3-h5py python3-numpy python3-yaml python3-keras-preprocessing python3-jieba python3-torch
  fortunes-zh
  wrk curl
  chromium
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

# Chinese segmentation: cppjieba + limonp headers from the nodejieba tarball (npm pack runs no
# install script), and Debian's Chinese LibreOffice help pages as test text (apt-get download
# + dpkg-deb -x: the pages without LibreOffice itself). Both unpacked into third_party/cache.
CACHE=third_party/cache
if [ ! -f "$CACHE/nodejieba-3.5.8/.unpacked" ]; then
  mkdir -p "$CACHE" && rm -rf "$CACHE/nodejieba-3.5.8" "$CACHE"/nodejieba-*.tgz
  (cd "$CACHE" && npm pack nodejieba@3.5.8 --silent >/dev/null && mkdir nodejieba-3.5.8 &&
   tar xzf nodejieba-3.5.8.tgz -C nodejieba-3.5.8 --strip-components=1 && rm nodejieba-3.5.8.tgz)
  touch "$CACHE/nodejieba-3.5.8/.unpacked"
fi
if [ ! -f "$CACHE/libreoffice-help-zh-cn/.unpacked" ]; then
  mkdir -p "$CACHE" && rm -rf "$CACHE/libreoffice-help-zh-cn" "$CACHE"/libreoffice-help-zh-cn_*.deb
  (cd "$CACHE" && { apt-get download -q libreoffice-help-zh-cn 2>/dev/null ||
   { $SUDO apt-get update -q && apt-get download -q libreoffice-help-zh-cn; }; } &&
   dpkg-deb -x libreoffice-help-zh-cn_*.deb libreoffice-help-zh-cn && rm libreoffice-help-zh-cn_*.deb)
  touch "$CACHE/libreoffice-help-zh-cn/.unpacked"
fi
# Multi-label corpora (docs/multilabel.md): the Tang poems with tags from the npm package
# chinese-poetry (85 MB packed; only dist/quantangshi/poet.tang.*.json are unpacked), and the
# Reuters stories with topics (texts/acq, texts/crude) from Debian's r-cran-tm, without R.
if [ ! -f "$CACHE/chinese-poetry-2.0.1/.unpacked" ]; then
  mkdir -p "$CACHE" && rm -rf "$CACHE/chinese-poetry-2.0.1" "$CACHE"/chinese-poetry-*.tgz
  (cd "$CACHE" && npm pack chinese-poetry@2.0.1 --silent >/dev/null && mkdir chinese-poetry-2.0.1 &&
   tar xzf chinese-poetry-2.0.1.tgz -C chinese-poetry-2.0.1 --strip-components=1 --wildcards \
     'package/dist/quantangshi/poet.tang.*.json' 'package/README.md' && rm chinese-poetry-2.0.1.tgz)
  touch "$CACHE/chinese-poetry-2.0.1/.unpacked"
fi
if [ ! -f "$CACHE/r-cran-tm/.unpacked" ]; then
  mkdir -p "$CACHE" && rm -rf "$CACHE/r-cran-tm" "$CACHE"/r-cran-tm_*.deb
  (cd "$CACHE" && { apt-get download -q r-cran-tm 2>/dev/null ||
   { $SUDO apt-get update -q && apt-get download -q r-cran-tm; }; } &&
   dpkg-deb -x r-cran-tm_*.deb r-cran-tm && rm r-cran-tm_*.deb)
  touch "$CACHE/r-cran-tm/.unpacked"
fi
