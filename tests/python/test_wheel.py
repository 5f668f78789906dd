"""The wheel: `python3 -m build --wheel --no-isolation python/` (Debian's python3-build,
offline) packs this build tree's module and stub; pip installs it into a fresh virtual
environment, where `import quiver` works."""
import os
import subprocess
import sys
import zipfile

from conftest import SOURCE_DIR


def test_wheel_builds_installs_and_imports(tmp_path):
    build_dir = os.path.dirname(os.environ["PYTHONPATH"].split(os.pathsep)[0])  # <build>/python
    env = dict(os.environ, QUIVER_BUILD_DIR=build_dir, QUIVER_SOURCE_DIR=SOURCE_DIR)
    src = tmp_path / "src"
    # Build from a copy of python/: setuptools writes its build/ and egg-info beside setup.py.
    subprocess.run(["cp", "-r", os.path.join(SOURCE_DIR, "python"), str(src)], check=True)
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(tmp_path / "dist"), str(src)], env=env, check=True, capture_output=True)
    wheels = list((tmp_path / "dist").glob("quiver-*.whl"))
    assert len(wheels) == 1, wheels
    names = zipfile.ZipFile(wheels[0]).namelist()
    assert any(n.startswith("quiver.cpython-") and n.endswith(".so") for n in names), names
    assert "quiver.pyi" in names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([str(venv / "bin" / "pip"), "install", "--no-index", "--no-deps", "-q",
                    str(wheels[0])], env=clean, check=True, capture_output=True)
    out = subprocess.run([str(venv / "bin" / "python"), "-c",
                          "import quiver, os; print(quiver.__version__, quiver.__file__)"],
                         env=clean, check=True, capture_output=True, text=True, cwd=str(tmp_path)).stdout
    assert str(venv) in out
