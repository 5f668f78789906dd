"""`cmake --install` puts the module and its stub where Debian's /usr/bin/python3 finds them
for the prefix (the user site for ~/.local, dist-packages for /usr and /usr/local), and a
python3 without PYTHONPATH imports it from there."""
import os
import subprocess
import sys

import pytest

PY = "%d.%d" % sys.version_info[:2]


def build_dir():
    return os.path.dirname(os.environ["PYTHONPATH"].split(os.pathsep)[0])


@pytest.mark.parametrize("prefix,site", [
    ("home/.local", "home/.local/lib/python%s/site-packages" % PY),
    ("opt/quiver", "opt/quiver/lib/python%s/site-packages" % PY),
])
def test_cmake_install_places_the_module_for_the_prefix(tmp_path, prefix, site):
    subprocess.run(["cmake", "--install", build_dir(), "--prefix", str(tmp_path / prefix),
                    "--component", "python"], check=True, capture_output=True)
    d = tmp_path / site
    files = sorted(os.listdir(d))
    assert files[1] == "quiver.pyi" and files[0].startswith("quiver.cpython-"), files
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if prefix == "home/.local":  # the user site of HOME, as `--prefix "$HOME/.local"` installs
        env["HOME"] = str(tmp_path / "home")
    else:
        env["PYTHONPATH"] = str(d)
    out = subprocess.run(["/usr/bin/python3", "-c", "import quiver; print(quiver.__file__)"],
                         env=env, capture_output=True, text=True, check=True, cwd=str(tmp_path)).stdout
    assert out.strip().startswith(str(d))


def test_system_prefixes_use_debians_folders(tmp_path):
    """/usr and /usr/local, installed under DESTDIR: dist-packages as Debian's python3 has it."""
    for prefix, site in (("/usr", "usr/lib/python3/dist-packages"),
                         ("/usr/local", "usr/local/lib/python%s/dist-packages" % PY)):
        dest = tmp_path / prefix.strip("/").replace("/", "_")
        subprocess.run(["cmake", "--install", build_dir(), "--prefix", prefix, "--component", "python"],
                       env=dict(os.environ, DESTDIR=str(dest)), check=True, capture_output=True)
        assert (dest / site / "quiver.pyi").exists()
    # ... which this Debian python3 searches.
    assert "/usr/lib/python3/dist-packages" in sys.path
    assert "/usr/local/lib/python%s/dist-packages" % PY in sys.path
