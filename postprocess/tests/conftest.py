"""Shared fixtures: the command-line runner and real scans made with the built hopscan binary.

Real scans need the environment variable HOPSCAN (path of the built binary; ctest sets it, see
tests/postprocess.cmake). Without it the real-scan tests are skipped, saying so; with it, a scan
that fails is a test failure."""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
POSTPROCESS = os.path.dirname(HERE)
TOOL = os.path.join(POSTPROCESS, "hopscan-plot")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

sys.path.insert(0, POSTPROCESS)
sys.path.insert(0, HERE)


class Result:
    def __init__(self, p):
        self.rc, self.out, self.err = p.returncode, p.stdout, p.stderr


def run_tool(*args, cwd=None):
    """Runs postprocess/hopscan-plot ARGS... with Debian's python; returns rc, out, err."""
    p = subprocess.run([PYTHON, TOOL, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                       timeout=300)
    return Result(p)


def run_inprocess(*args, cwd=None):
    """Same as run_tool, in this process (saves the interpreter and matplotlib start-up)."""
    import contextlib
    import io

    from hopscan_plot.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main([str(a) for a in args])
            except SystemExit as ex:  # argparse usage errors
                rc = ex.code
    finally:
        os.chdir(old)
    r = Result.__new__(Result)
    r.rc, r.out, r.err = rc, out.getvalue(), err.getvalue()
    return r


@pytest.fixture
def tool():
    """Runs the command line in-process (the executable itself: fixture `exe`)."""
    return run_inprocess


@pytest.fixture
def exe():
    """Runs the executable postprocess/hopscan-plot in a subprocess."""
    return run_tool


# A tiny RFHM scan: 5 x 3 x 3 grid points x 3 samples at N = 200, a few seconds on 2 ranks.
REAL_CONFIG = """\
model: rfhm
N: {N}
alpha: {{start: 0.02, stop: 1.0, num: 5, spacing: log}}
alpha_D: [0.02, 0.05, 0.1]
L: [1, 3, dense]
coefficients: pm1
samples: 3
probes: {{train: 4, test: 4, feature: 4}}
dynamics: {{order: random, max_sweeps: 100}}
retrieval_threshold: 0.9
seed: {seed}
"""


def _hopscan():
    exe = os.environ.get("HOPSCAN")
    if not exe:
        pytest.skip("HOPSCAN is not set (path of the built hopscan binary; ctest sets it): "
                    "cannot make a real scan")
    return exe


# For D_gen: two large alphas only, so that N up to 400 stays fast.
DGEN_CONFIG = """\
model: rfhm
N: {N}
alpha: [0.3, 1.0]
alpha_D: [0.02, 0.05, 0.1]
L: [1, dense]
coefficients: pm1
samples: 3
probes: {{train: 4, test: 4, feature: 4}}
dynamics: {{order: random, max_sweeps: 100}}
retrieval_threshold: 0.9
seed: {seed}
"""


def mpi_env():
    env = dict(os.environ)
    env.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                "OPENBLAS_NUM_THREADS": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1",
                "OMPI_MCA_btl_vader_single_copy_mechanism": "none"})
    return env


def mpirun_cmd(np_, *args):
    mpirun = os.environ.get("HOPSCAN_MPIRUN", "mpirun")
    return [mpirun, "--allow-run-as-root", "--oversubscribe", "-np", str(np_), *map(str, args)]


def make_real_scan(directory, N=200, seed=7, name=None, np_=2, template=REAL_CONFIG):
    """Runs `mpirun -np 2 $HOPSCAN run CONFIG -o OUT` and returns OUT (fails the test on error)."""
    exe = _hopscan()
    name = name or f"scan-N{N}-s{seed}" + ("" if template is REAL_CONFIG else "-dgen")
    cfg = os.path.join(directory, name + ".yaml")
    out = os.path.join(directory, name + ".h5")
    if os.path.exists(out):
        return out
    with open(cfg, "w") as fh:
        fh.write(template.format(N=N, seed=seed))
    cmd = mpirun_cmd(np_, exe, "run", cfg, "-o", out)
    p = subprocess.run(cmd, capture_output=True, text=True, env=mpi_env(), timeout=600)
    if p.returncode != 0 or not os.path.exists(out):
        pytest.fail(f"real scan failed (rc {p.returncode}): {' '.join(cmd)}\n"
                    f"stdout:\n{p.stdout[-2000:]}\nstderr:\n{p.stderr[-3000:]}")
    return out


@pytest.fixture(scope="session")
def real_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("realscan"))


@pytest.fixture(scope="session")
def real_scan(real_dir):
    """Path of a complete real scan at N = 200."""
    return make_real_scan(real_dir, N=200)


@pytest.fixture(scope="session")
def real_scans_N(real_dir):
    """Real scans at N = 200, 300, 400 with the same alpha_D grid (for dgen)."""
    return [make_real_scan(real_dir, N=N, template=DGEN_CONFIG) for N in (200, 300, 400)]
