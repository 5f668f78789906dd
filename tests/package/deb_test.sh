#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` builds quiver_VERSION_ARCH.deb with its shared-library
# dependencies, a conffile /etc/quiver/serve.yaml, a systemd unit running
# `quiver serve --config /etc/quiver/serve.yaml` as user quiver (created by postinst), and a
# man page. Debian 12's apt resolves its dependencies (apt-get install --simulate), and the
# files unpacked into a scratch root (dpkg -x) work: --version, inspect on a model the
# unpacked quiver trains, serve with the packaged default config and with that model.
# Usage: deb_test.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
BUILD=$1 SRC=$2 WORK=$3
HERE=$SRC/tests/package
rm -rf "$WORK" && mkdir -p "$WORK"
cpack --config "$BUILD/CPackConfig.cmake" -B "$WORK/out" > "$WORK/cpack.log" 2>&1 ||
  { cat "$WORK/cpack.log"; exit 1; }
version=$(sed -n 's/^project(quiver VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
deb=$(ls "$WORK"/out/quiver_"$version"_*.deb)
fail() { echo "FAIL: $*"; exit 1; }

control=$(dpkg-deb -f "$deb")
echo "$control"
echo "$control" | grep -qx "Package: quiver" || fail "package name"
echo "$control" | grep -qx "Version: $version" || fail "version"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libstdc++6 libhdf5 libzip4 libyaml-cpp libicu libcsv3 passwd; do
  echo "$depends" | grep -q "$lib" || fail "Depends lacks $lib: $depends"
done
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/quiver ./usr/share/man/man1/quiver.1.gz ./etc/quiver/serve.yaml \
         ./usr/lib/systemd/system/quiver.service; do
  echo "$contents" | grep -q " $f\$" || fail "$f not in the package"
done
echo "$contents" | grep -q "include/quiver" && fail "headers belong to quiver-dev"
dpkg-deb -e "$deb" "$WORK/control"
grep -qx /etc/quiver/serve.yaml "$WORK/control/conffiles" || fail "serve.yaml is no conffile"
grep -q "useradd --system" "$WORK/control/postinst" || fail "postinst creates no user"
sh -n "$WORK/control/postinst" && sh -n "$WORK/control/postrm"

# apt on this Debian 12 resolves every dependency.
apt-get install --simulate -q "$deb" > "$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log"; exit 1; }
grep -q "^Inst quiver " "$WORK/apt.log" || { cat "$WORK/apt.log"; fail "apt would not install it"; }

# The unpacked files.
ROOT=$WORK/root
dpkg -x "$deb" "$ROOT"
Q=$ROOT/usr/bin/quiver
[ "$("$Q" --version)" = "quiver $version" ] || fail "--version: $("$Q" --version)"
unit=$ROOT/usr/lib/systemd/system/quiver.service
grep -qx "ExecStart=/usr/bin/quiver serve --config /etc/quiver/serve.yaml" "$unit" ||
  fail "the unit's ExecStart"
grep -qx "User=quiver" "$unit" || fail "the unit's user"
zcat "$ROOT/usr/share/man/man1/quiver.1.gz" | grep -q "^\.TH QUIVER" || fail "man page header"
for c in $("$Q" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'); do
  zcat "$ROOT/usr/share/man/man1/quiver.1.gz" | grep -q "^\.SS \"quiver $c\"" ||
    fail "the man page has no section for quiver $c"
done

"$HERE/tiny_model.sh" "$Q" "$WORK/model"
"$Q" inspect "$WORK/model/weather.h5" > "$WORK/inspect.out" || fail "inspect"
grep -q "Conv1D" "$WORK/inspect.out" || { cat "$WORK/inspect.out"; fail "inspect output"; }
# The packaged default config (no model yet) serves, and so does one with the model.
"$HERE/serve_check.sh" "$Q" "$ROOT/etc/quiver/serve.yaml" "$WORK"
printf 'server:\n  host: 127.0.0.1\nmodels:\n  - name: weather\n    model: %s\n' \
  "$WORK/model/weather.h5" > "$WORK/serve.yaml"
"$HERE/serve_check.sh" "$Q" "$WORK/serve.yaml" "$WORK" weather

# python3-quiver (a build with the Python module): the module and its stub where Debian's
# python3 looks, dependencies apt resolves, and `import quiver` from the unpacked files.
if grep -q '^QUIVER_PYTHON:BOOL=ON' "$BUILD/CMakeCache.txt"; then
  pydeb=$(ls "$WORK"/out/python3-quiver_"$version"_*.deb) || fail "no python3-quiver package"
  pycontents=$(dpkg-deb -c "$pydeb")
  echo "$pycontents" | grep -q " ./usr/lib/python3/dist-packages/quiver\.cpython-.*\.so\$" ||
    fail "the module is not in python3-quiver"
  echo "$pycontents" | grep -q " ./usr/lib/python3/dist-packages/quiver\.pyi\$" || fail "no stub"
  dpkg-deb -f "$pydeb" Depends | grep -q "python3-numpy" || fail "python3-quiver's Depends"
  apt-get install --simulate -q "$deb" "$pydeb" > "$WORK/apt-py.log" 2>&1 ||
    { cat "$WORK/apt-py.log"; exit 1; }
  dpkg -x "$pydeb" "$ROOT"
  PYTHONPATH=$ROOT/usr/lib/python3/dist-packages /usr/bin/python3 -c \
    'import quiver; assert quiver.Model and issubclass(quiver.NotFoundError, quiver.Error)' ||
    fail "import quiver from python3-quiver"
  echo "PASS: $(basename "$pydeb")"
fi
echo "PASS: $(basename "$deb")"
# cpack's staging tree and the packages (~0.6 GB) go on success; a failure keeps them.
rm -rf "$WORK"
