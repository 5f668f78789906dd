#!/usr/bin/env bash
# `cmake --install` lays out bin/quiver, the public headers, libquiver.a and the CMake package
# files under a prefix, and an outside project (tests/package/consumer) builds against that
# prefix with find_package(quiver): its predictions through the public API equal what the
# installed `quiver predict --input-ids` prints for the same model, byte for byte.
# Usage: find_package_test.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
BUILD=$1 SRC=$2 WORK=$3
rm -rf "$WORK" && mkdir -p "$WORK"
P=$WORK/prefix
cmake --install "$BUILD" --prefix "$P" > "$WORK/install.log"

for f in bin/quiver include/quiver/model.h include/quiver/status.h include/quiver/version.h \
         lib/libquiver.a lib/cmake/quiver/quiverConfig.cmake \
         lib/cmake/quiver/quiverConfigVersion.cmake lib/cmake/quiver/quiverTargets.cmake \
         lib/systemd/system/quiver.service etc/quiver/serve.yaml; do
  [ -e "$P/$f" ] || { echo "FAIL: $f not installed"; ls -R "$P"; exit 1; }
done
# Nothing outside the prefix, no private header, no path into the source or build tree.
[ -z "$(find "$P/include" -type f ! -path '*/include/quiver/*.h')" ] ||
  { echo "FAIL: files beside the public headers:"; find "$P/include" -type f; exit 1; }
if grep -rlF -e "$SRC" -e "$BUILD" "$P/lib/cmake"; then
  echo "FAIL: the package files name the source or build tree"; exit 1
fi
grep -q 'INTERFACE_INCLUDE_DIRECTORIES "${_IMPORT_PREFIX}/include"' \
  "$P/lib/cmake/quiver/quiverTargets.cmake" ||
  { echo "FAIL: quiver::quiver's include path is not include/ alone"; \
    grep INTERFACE_INCLUDE "$P/lib/cmake/quiver/quiverTargets.cmake"; exit 1; }

version=$(sed -n 's/^project(quiver VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
[ "$("$P/bin/quiver" --version)" = "quiver $version" ] ||
  { echo "FAIL: quiver --version: $("$P/bin/quiver" --version), project says $version"; exit 1; }

# The outside project, against the prefix only.
cmake -S "$SRC/tests/package/consumer" -B "$WORK/consumer" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$P" > "$WORK/consumer-configure.log" 2>&1 ||
  { cat "$WORK/consumer-configure.log"; exit 1; }
cmake --build "$WORK/consumer" > "$WORK/consumer-build.log" 2>&1 ||
  { cat "$WORK/consumer-build.log"; exit 1; }
[ "$("$WORK/consumer/consumer" --version)" = "$version" ] ||
  { echo "FAIL: QUIVER_VERSION in the installed version.h is not $version"; exit 1; }

"$SRC/tests/package/tiny_model.sh" "$P/bin/quiver" "$WORK/model"
# Three padded id rows of the model's input length: [0,..,0,2,3], [1,...,1], [0,..,4,5,6].
T=$("$P/bin/quiver" inspect "$WORK/model/weather.h5" --json | sed 's/.*"input_length":\([0-9]*\).*/\1/')
row() { local out="" i; for ((i = 0; i < T; i++)); do out+="${out:+,}${1}"; done; echo "$out"; }
{
  echo "[$(row 0 | sed 's/0,0$/2,3/')]"
  echo "[$(row 1)]"
  echo "[$(row 0 | sed 's/0,0,0$/4,5,6/')]"
} > "$WORK/ids.jsonl"
"$P/bin/quiver" predict --model "$WORK/model/weather.h5" --input-ids < "$WORK/ids.jsonl" \
  > "$WORK/cli.out"
"$WORK/consumer/consumer" "$WORK/model/weather.h5" < "$WORK/ids.jsonl" > "$WORK/consumer.out"
if ! cmp -s "$WORK/cli.out" "$WORK/consumer.out"; then
  echo "FAIL: the consumer's outputs differ from quiver predict's"
  diff "$WORK/cli.out" "$WORK/consumer.out"; exit 1
fi
[ "$(wc -l < "$WORK/consumer.out")" = 3 ] || { echo "FAIL: expected 3 rows"; exit 1; }
echo "PASS: installed layout, find_package(quiver) consumer, version $version"
# The installed tree and the consumer's build go on success; a failure keeps them.
rm -rf "$WORK"
