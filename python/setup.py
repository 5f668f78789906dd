"""Builds the `quiver` extension with the project's CMake for `python3 -m build` (pyproject.toml).

The wheel holds the module and its .pyi stub. QUIVER_SOURCE_DIR names the project when this
folder is built from a copy. QUIVER_BUILD_DIR names an existing build tree
configured with QUIVER_PYTHON=ON (its module is rebuilt if stale and packed); without it, a
Release tree is configured under setuptools' build_temp (a full compile of the libraries).
"""
import os
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("QUIVER_SOURCE_DIR") or os.path.dirname(HERE)  # the CMake project


def version():
    text = open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8").read()
    return re.search(r"project\(quiver VERSION ([0-9.]+)", text).group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.environ.get("QUIVER_BUILD_DIR")
        if build_dir:
            build_dir = os.path.abspath(build_dir)
        else:
            build_dir = os.path.abspath(os.path.join(self.build_temp, "cmake"))
            subprocess.run(["cmake", "-S", ROOT, "-B", build_dir, "-G", "Ninja",
                            "-DCMAKE_BUILD_TYPE=Release", "-DQUIVER_PYTHON=ON",
                            "-DQUIVER_BUILD_TESTS=OFF", "-DQUIVER_BUILD_BENCH=OFF",
                            "-DPython_EXECUTABLE=" + sys.executable], check=True)
        subprocess.run(["cmake", "--build", build_dir, "--target", "quiver_python"], check=True)
        out_dir = os.path.join(build_dir, "python")
        built = [f for f in os.listdir(out_dir) if f.startswith("quiver.") and f.endswith(".so")]
        if len(built) != 1:
            raise RuntimeError("no single quiver*.so in %s: %s" % (out_dir, built))
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(out_dir, built[0]), target)
        # Debug information stays in the build tree (as CPack strips the .deb's files).
        subprocess.run(["strip", "--strip-debug", target], check=True)
        shutil.copyfile(os.path.join(HERE, "quiver.pyi"),
                        os.path.join(os.path.dirname(target), "quiver.pyi"))


setup(version=version(), ext_modules=[Extension("quiver", sources=[])],
      cmdclass={"build_ext": CMakeBuild}, py_modules=[], packages=[])
