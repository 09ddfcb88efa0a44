"""The package installs offline (pyproject.toml, setuptools) and its `hopscan-plot` entry point
runs; `python3 -m hopscan_plot` and the tree's script postprocess/hopscan-plot run the same code."""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import POSTPROCESS, PYTHON
from scanfile import write_scan


def _small_file(tmp_path):
    import numpy as np

    m = {k: np.full((2, 1, 1, 2, 3), 0.95) for k in ("train", "test", "feature")}
    return write_scan(str(tmp_path / "s.h5"), [0.1, 0.2], [0.02], [3], m)


def test_pip_install_gives_the_entry_point(tmp_path):
    if subprocess.run([PYTHON, "-c", "import ensurepip, venv"]).returncode != 0:
        pytest.skip("python3-venv is not installed")
    src = tmp_path / "src"  # a copy: building writes build/ and *.egg-info next to the sources
    shutil.copytree(POSTPROCESS, src, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    env_dir = tmp_path / "venv"
    subprocess.run([PYTHON, "-m", "venv", "--system-site-packages", str(env_dir)], check=True)
    pip = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--no-index",
                          "--no-deps", "--no-build-isolation", "-q", str(src)],
                         capture_output=True, text=True)
    if pip.returncode != 0 and "No module named pip" in pip.stderr:
        pytest.skip("pip is not installed (Debian python3-pip)")
    assert pip.returncode == 0, pip.stderr
    exe = env_dir / "bin" / "hopscan-plot"
    assert exe.exists()
    path = _small_file(tmp_path)
    res = subprocess.run([str(exe), "info", path], capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "format:     hopscan-scan/2" in res.stdout and "4/4 samples" in res.stdout
    # the installed copy is the one that runs, not the tree's
    where = subprocess.run([str(env_dir / "bin" / "python"), "-c",
                            "import hopscan_plot; print(hopscan_plot.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert str(env_dir) in where.stdout


def test_module_and_tree_script(tmp_path):
    path = _small_file(tmp_path)
    env = dict(os.environ, PYTHONPATH=POSTPROCESS)
    for cmd in ([sys.executable, "-m", "hopscan_plot", "info", path],
                [PYTHON, os.path.join(POSTPROCESS, "hopscan-plot"), "info", path]):
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path)
        assert res.returncode == 0 and "4/4 samples" in res.stdout, (cmd, res.stderr)
