"""Helpers for the scan-level tests (tests/scan_*.py, tests/signals_*.py).

Runs the real program under Open MPI's mpirun (as root, oversubscribed, one BLAS thread) and
checks the files (format hopscan-scan/2) with h5py. Environment (set by ctest, see tests/CMakeLists.txt): HOPSCAN (the
program), HOPSCAN_SOURCE_DIR, HOPSCAN_MPIRUN (mpirun). Run with /usr/bin/python3 (h5py).
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import h5py
import numpy as np

import summary_oracle

HOPSCAN = os.environ.get("HOPSCAN", "hopscan")
SOURCE = os.environ.get("HOPSCAN_SOURCE_DIR", os.path.dirname(os.path.dirname(__file__)))
MPIRUN = os.environ.get("HOPSCAN_MPIRUN", "mpirun")
KINDS = ("train", "test", "feature")

ENV = dict(os.environ)
ENV.update(
    OMPI_ALLOW_RUN_AS_ROOT="1",
    OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
    OPENBLAS_NUM_THREADS="1",
    OMPI_MCA_btl_vader_single_copy_mechanism="none",
    OMPI_MCA_rmaps_base_oversubscribe="1",
)

failures = []


def check(cond, what):
    """Records a failed check (the test goes on) and returns cond."""
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return cond


def finish(name):
    if failures:
        print(f"{name}: {len(failures)} check(s) failed", flush=True)
        return 1
    print(f"{name}: all checks passed", flush=True)
    return 0


# Small RFHM scan (6 alpha x 3 alpha_D x 2 L x 3 samples = 108 tasks, N = 200): a few seconds.
SMALL = """model: rfhm
N: {N}
alpha: {alpha}
alpha_D: {alpha_D}
L: {L}
coefficients: pm1
samples: {samples}
probes: {{train: 6, test: 6, feature: 6{mixture}}}
dynamics: {{order: random, max_sweeps: 100, engine: {engine}}}
retrieval_threshold: 0.9
seed: {seed}
checkpoint: {{every_seconds: {every}}}
parallel: {{group_size: {g}{extra}}}
"""


def write_config(path, N=200, alpha="{start: 0.05, stop: 1.5, num: 6, spacing: log}",
                 alpha_D="[0.05, 0.1, 0.2]", L="[1, 3]", samples=3, seed=1, every=300, g=1,
                 extra="", engine="auto", mixture=""):
    """mixture: e.g. ", mixture: {count: 3, sizes: [3, 5]}" (none by default)."""
    text = SMALL.format(N=N, alpha=alpha, alpha_D=alpha_D, L=L, samples=samples, seed=seed,
                        every=every, g=g, extra=extra, engine=engine, mixture=mixture)
    with open(path, "w") as f:
        f.write(text)
    return path


def mpirun_cmd(np_, args):
    return [MPIRUN, "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np",
            str(np_), HOPSCAN] + list(args)


def run(np_, args, cwd=None, timeout=300):
    """Runs `mpirun -np np_ hopscan ARGS` to the end: (exit status, stdout, stderr, seconds)."""
    t0 = time.monotonic()
    p = subprocess.run(mpirun_cmd(np_, args), env=ENV, cwd=cwd, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def run_ok(np_, args, cwd=None, what=None):
    rc, out, err, dt = run(np_, args, cwd=cwd)
    if not check(rc == 0, f"{what or ' '.join(map(str, args))}: exit {rc} (expected 0)\n{out}\n{err}"):
        return False
    return True


def hopscan(args, timeout=120):
    """The program without mpirun (singleton MPI): (exit status, stdout, stderr)."""
    p = subprocess.run([HOPSCAN] + list(args), env=ENV, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def read_probes(path):
    """{"KIND/m" or "KIND/sweeps": array} for every result variable (m_KIND, sweeps_KIND), and
    "done", read with h5py."""
    out = {}
    with h5py.File(path, "r", locking=False) as f:
        for k in summary_oracle.kinds(f):
            for d in ("m", "sweeps", "m_components"):
                if f"{d}_{k}" in f:
                    out[f"{k}/{d}"] = f[f"{d}_{k}"][...]
        out["done"] = f["done"][...]
    return out


def same_probes(a, b, label):
    """Bit-for-bit equality of every m_KIND and sweeps_KIND of files a and b (NaN bits included)."""
    pa, pb = read_probes(a), read_probes(b)
    ok = check(sorted(pa) == sorted(pb), f"{label}: the same result variables")
    for name in pa:
        if name not in pb:
            continue
        if name == "done":
            continue
        eq = pa[name].shape == pb[name].shape and pa[name].tobytes() == pb[name].tobytes()
        if not eq:
            diff = int(np.sum(pa[name] != pb[name])) if pa[name].shape == pb[name].shape else -1
            ok = False
            check(False, f"{label}: {name} differs ({diff} values)")
    return ok


def all_done(path):
    with h5py.File(path, "r", locking=False) as f:
        return bool(np.all(f["done"][...] == 1))


def done_count(path):
    with h5py.File(path, "r", locking=False) as f:
        return int(np.sum(f["done"][...] == 1)), int(f["done"].size)


def check_summaries(path, label):
    """Checks the summaries against a recomputation (see summary_mismatches)."""
    for what in summary_mismatches(path):
        check(False, f"{label}: {what} != recomputation")


def summaries_stale(path):
    """Names of summary variables that differ from a recomputation (empty when consistent)."""
    return ", ".join(summary_mismatches(path))


def summary_mismatches(path):
    """mean_KIND, sem_KIND, frac_retrieved_KIND equal a recomputation from m_KIND over the done
    samples (DESIGN.md): mean of
    per-sample probe means, sem = sample std (ddof 1) of those / sqrt(done), NaN below 2 done;
    frac_retrieved = fraction of all probes of done samples with m > retrieval_threshold."""
    bad = []
    with h5py.File(path, "r", locking=False) as f:
        for k in summary_oracle.kinds(f):
            recomputed = summary_oracle.recompute(f, k)
            for name, want in recomputed.items():
                got = f[f"{name}_{k}"][...]
                nan_same = np.array_equal(np.isnan(got), np.isnan(want))
                close = np.allclose(np.nan_to_num(got), np.nan_to_num(want), rtol=1e-12,
                                    atol=1e-12)
                if not (nan_same and close):
                    bad.append(f"{name}_{k}")
    return bad


def status_ok(path, label):
    """`hopscan status OUT.h5` reads the file (exit 0)."""
    rc, out, err = hopscan(["status", path])
    return check(rc == 0, f"{label}: hopscan status exit {rc}: {err.strip()}")


def h5py_opens(path, label):
    try:
        with h5py.File(path, "r", locking=False) as f:
            f["done"][...]
            for k in summary_oracle.kinds(f):
                f[f"m_{k}"][...]
        return True
    except Exception as exc:  # noqa: BLE001 - any failure to read is the finding
        return check(False, f"{label}: h5py cannot read {path}: {exc}")


def xarray_opens(path, label):
    """The file opens as one labelled Dataset with both xarray engines (netCDF-4 compatible)."""
    import warnings
    with warnings.catch_warnings():  # Debian's netCDF4 warns about a numpy ABI size at import
        warnings.simplefilter("ignore", RuntimeWarning)
        import xarray as xr
        ok = True
        for engine in ("h5netcdf", "netcdf4"):
            try:
                with xr.open_dataset(path, engine=engine) as ds:
                    ok = check("alpha" in ds.coords and ds["done"].dims[0] == "alpha",
                               f"{label}: xarray ({engine}) gives no labelled Dataset") and ok
            except Exception as exc:  # noqa: BLE001 - any failure to read is the finding
                ok = check(False, f"{label}: xarray ({engine}) cannot read {path}: {exc}")
        return ok


# ---- processes: start, find ranks, signal, kill -------------------------------------------------

def start(np_, args, cwd=None):
    """Starts mpirun in its own session (so a test's kill never hits ctest); stdout piped."""
    return subprocess.Popen(mpirun_cmd(np_, args), env=ENV, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def rank_pids(mpirun_pid, np_, timeout=30.0):
    """{rank: pid} of the hopscan processes mpirun started (direct children), read from their
    OMPI_COMM_WORLD_RANK environment variable."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        ranks = {}
        for c in children(mpirun_pid):
            try:
                with open(f"/proc/{c}/environ", "rb") as f:
                    env = f.read().split(b"\0")
            except OSError:
                continue
            for kv in env:
                if kv.startswith(b"OMPI_COMM_WORLD_RANK="):
                    ranks[int(kv.split(b"=", 1)[1])] = c
        if len(ranks) == np_:
            return ranks
        time.sleep(0.01)
    return {}


def kill9_all(proc, ranks):
    """kill -9 of mpirun, then of every rank it had (as a dead node or Slurm's SIGKILL would)."""
    pids = [proc.pid] + list(ranks.values()) + children(proc.pid)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    for pid in pids[1:]:  # wait until the orphans are really gone (they hold the lock)
        for _ in range(500):
            if not os.path.exists(f"/proc/{pid}") or _zombie(pid):
                break
            time.sleep(0.01)


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def wait_event(proc, event, timeout=60.0):
    """Reads JSON progress lines from proc.stdout until one has "event": event; returns it or
    None (end of output or timeout). Lines that are not JSON are skipped."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        line = proc.stdout.readline()
        if not line:
            return None
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if obj.get("event") == event:
            return obj
    return None


def tmpdir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    return d


def cleanup(d):
    if not failures:
        shutil.rmtree(d, ignore_errors=True)
    else:
        print(f"files kept in {d}", flush=True)
