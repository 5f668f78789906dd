#!/usr/bin/env bash
# Installs what quiver needs on Debian 12, in two sets:
#   scripts/install-deps.sh build   what building and running `quiver` needs (scripts/run.sh):
#                                   compilers, cmake, the -dev packages of the libraries quiver
#                                   links, cppjieba's headers and the example's training data
#   scripts/install-deps.sh [test]  the build set plus everything the tests and benchmarks
#                                   use (scripts/test.sh, bench/): Python references, the
#                                   TensorFlow.js reference, corpora, chromium, wrk, packaging,
#                                   and the Python module's build and tests (pybind11, pytest,
#                                   Flask, gunicorn)
# Idempotent: packages already present are skipped; npm packages and downloads are cached in
# third_party/ (git-ignored). Runs as root (CI and the dev machines) or with sudo. Packages
# are installed with --no-install-recommends, and nothing here changes a system-wide setting.
set -euo pipefail
cd "$(dirname "$0")/.."

SET=${1:-test}
case "$SET" in
  build|test) ;;
  *) echo "usage: scripts/install-deps.sh [build|test]" >&2; exit 2 ;;
esac

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

# The build set: the compiler and the libraries quiver links (HDF5, libzip, yaml-cpp, ICU,
# libcsv; header-only nlohmann-json, CLI11, Boost.Asio/Beast).
APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libhdf5-dev nlohmann-json3-dev libcli11-dev libzip-dev libyaml-cpp-dev libicu-dev
  libcsv-dev libboost-dev
)
if [ "$SET" = test ]; then
  APT_PACKAGES+=(
    git ccache hdf5-tools libgtest-dev libgmock-dev libbenchmark-dev
    libdnnl-dev   # bench/onednn_bench: oneDNN's RNN primitives as a benchmark peer
    python3-h5py python3-numpy python3-yaml python3-keras-preprocessing python3-jieba python3-torch
    fortunes-zh
    wrk curl
    chromium-headless-shell
    help2man dpkg-dev file
    pybind11-dev python3-pybind11 python3-dev python3-pytest python3-flask gunicorn python3-build
    nginx libnginx-mod-http-js debootstrap   # tests/deploy: nginx + njs in front of replicas; the container root
    clang libclang-rt-14-dev  # fuzz targets (libFuzzer, ASan, UBSan), thread-safety analysis
  )
fi

# Node.js (npm fetches cppjieba's headers and the example data): the machine's own (this kind
# ships Node 20 + npm); Debian's when there is none.
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

CACHE=third_party/cache
# npm_unpack NAME VERSION [PATTERN...]: `npm pack` (which runs no install script) into
# third_party/cache/NAME-VERSION, unpacking only the given paths of the tarball (default all).
npm_unpack() {
  local name=$1 version=$2 dir="$CACHE/$1-$2"
  shift 2
  [ -f "$dir/.unpacked" ] && return 0
  mkdir -p "$CACHE" && rm -rf "$dir" "$CACHE/$name-$version.tgz"
  (cd "$CACHE" && npm pack "$name@$version" --silent >/dev/null && mkdir "$name-$version" &&
   tar xzf "$name-$version.tgz" -C "$name-$version" --strip-components=1 --wildcards "$@" &&
   rm "$name-$version.tgz")
  touch "$dir/.unpacked"
}

# Chinese segmentation: cppjieba + limonp headers from the nodejieba tarball (a build input).
npm_unpack nodejieba 3.5.8
# The README's example (examples/sentiment.yaml) trains on the npm `sentiment` package's
# fixtures: three JSON files (UCI Sentiment Labelled Sentences), 0.3 MB, nothing else of it.
npm_unpack sentiment 5.0.2 'package/test/fixtures/*.json'

[ "$SET" = test ] || exit 0

# npm packages: test data (sentiment, spam-assassin), the TensorFlow.js reference, onnxruntime.
if [ ! -f third_party/npm/.installed-v1 ] || [ scripts/npm-package.json -nt third_party/npm/.installed-v1 ]; then
  mkdir -p third_party/npm
  cp scripts/npm-package.json third_party/npm/package.json
  (cd third_party/npm && npm install --no-audit --no-fund --ignore-scripts --loglevel=error)
  touch third_party/npm/.installed-v1
fi

# debs_unpack PACKAGE: Debian's package unpacked into third_party/cache/PACKAGE without
# installing it (apt-get download + dpkg-deb -x).
deb_unpack() {
  local pkg=$1
  [ -f "$CACHE/$pkg/.unpacked" ] && return 0
  mkdir -p "$CACHE" && rm -rf "$CACHE/$pkg" "$CACHE/${pkg}"_*.deb
  (cd "$CACHE" && { apt-get download -q "$pkg" 2>/dev/null ||
   { $SUDO apt-get update -q && apt-get download -q "$pkg"; }; } &&
   dpkg-deb -x "${pkg}"_*.deb "$pkg" && rm "${pkg}"_*.deb)
  touch "$CACHE/$pkg/.unpacked"
}
# Debian's Chinese LibreOffice help pages as test text (the pages without LibreOffice itself).
deb_unpack libreoffice-help-zh-cn
# Multi-label corpora (docs/multilabel.md): the Tang poems with tags from the npm package
# chinese-poetry (85 MB packed; only dist/quantangshi/poet.tang.*.json are unpacked), and the
# Reuters stories with topics (texts/acq, texts/crude) from Debian's r-cran-tm, without R.
npm_unpack chinese-poetry 2.0.1 'package/dist/quantangshi/poet.tang.*.json' 'package/README.md'
deb_unpack r-cran-tm
