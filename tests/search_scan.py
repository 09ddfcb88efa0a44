#!/usr/bin/python3
"""Transition search at scan level (issue 14): the real program under mpirun.

1. A search along alpha (mean of the test overlaps, 4 lines) gives bit-identical files — results,
   done flags and every search variable — at -np 1, 2, 3 and 4 (group size 1 and 2): the
   decisions do not depend on the rank count or on the order in which tasks finish.
2. The file is consistent: every line done; crossings sorted, lo < value <= hi with the
   statistic on opposite sides of the level at lo and hi; the samples the search requested are
   exactly the done ones; it passes the output contract checker, opens in xarray (both engines)
   and `hopscan status` shows its lines. It computed fewer samples than the grid over its
   lattice would.
3. Kill and resume: kill -9 at checkpoints, then SIGUSR1 (exit 75), then resume to the end: the
   same bits as the uninterrupted run.
4. Science: classic Hopfield, search along alpha for the fraction of retrieved train probes
   crossing 0.5: the located crossing lies near the capacity 0.138 (finite N = 800: 0.10-0.20).
5. D_gen (min_sample_mean along alpha_D, first_samples 1): the same bits at -np 1 and 3; the
   crossing lies between a point with all its samples above the level and one with a sample
   below (verified ends), while points the bisection passed through keep one sample.

usage: search_scan.py   (HOPSCAN, HOPSCAN_SOURCE_DIR from ctest)
"""
import os
import signal
import sys
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scan_lib as S  # noqa: E402

NAME = "search_scan"
SEARCH = """model: rfhm
N: 300
alpha_D: [0.03, 0.1]
L: [1, dense]
samples: 3
probes: {{train: 4, test: 6, feature: 3}}
dynamics: {{order: random, max_sweeps: 100}}
seed: 5
checkpoint: {{every_seconds: {every}}}
parallel: {{group_size: {g}}}
search: {{along: alpha, range: [0.03, 3.0], observable: feature, statistic: mean, level: 0.7,
         tolerance: 0.04, coarse: 6}}
"""
HOPFIELD = """model: hopfield
N: 800
samples: 4
probes: {train: 8, test: 0}
seed: 7
search: {along: alpha, range: [0.05, 0.4], observable: train, statistic: frac_retrieved,
         level: 0.5, tolerance: 0.02, coarse: 5}
"""
DGEN = """model: rfhm
N: 400
alpha: [2, 4]
L: [3]
coefficients: pm1
samples: 6
probes: {train: 2, test: 6, feature: 2}
dynamics: {order: random, max_sweeps: 100}
seed: 11
search: {along: alpha_D, range: [0.01, 0.1], observable: test, statistic: min_sample_mean,
         level: 0.9, tolerance: 0.02, coarse: 4, first_samples: 1}
"""
SEARCH_VARS = ("search_samples", "statistic", "statistic_halfwidth", "line_done", "n_crossings",
               "crossing_lo", "crossing_hi", "crossing_value", "crossing_ci_lo", "crossing_ci_hi",
               "crossing_direction")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def same_search(a, b, label):
    ok = S.same_probes(a, b, label)
    with h5py.File(a, "r", locking=False) as fa, h5py.File(b, "r", locking=False) as fb:
        for name in SEARCH_VARS + ("done",):
            eq = fa[name][...].tobytes() == fb[name][...].tobytes()
            ok = S.check(eq, f"{label}: {name} differs") and ok
    return ok


def check_consistent(path, label):
    with h5py.File(path, "r", locking=False) as f:
        level = float(f.attrs["search_level"])
        S.check(f.attrs["search_along"] in (b"alpha", "alpha"), f"{label}: search_along")
        req, done = f["search_samples"][...], f["done"][...]
        S.check(np.all(f["line_done"][...] == 1), f"{label}: a line is not done")
        nsamp = done.shape[3]
        want = np.arange(nsamp)[None, None, None, :] < req[..., None]
        S.check(np.array_equal(want, done == 1), f"{label}: done flags != requested samples")
        S.check(np.sum(done) < done.shape[0] * done.shape[1] * done.shape[2] * 3,
                f"{label}: the search cost as much as the grid over its lattice")
        alpha, stat = f["alpha"][...], f["statistic"][...]
        nc = f["n_crossings"][...]
        S.check(np.all(nc >= 1), f"{label}: a line without a crossing: {nc}")
        for ib in range(nc.shape[0]):
            for ic in range(nc.shape[1]):
                lo = f["crossing_lo"][ib, ic, :nc[ib, ic]]
                hi = f["crossing_hi"][ib, ic, :nc[ib, ic]]
                val = f["crossing_value"][ib, ic, :nc[ib, ic]]
                S.check(np.all(np.diff(lo) > 0) and np.all(lo < hi) and np.all(lo < val)
                        and np.all(val <= hi), f"{label}: line {ib},{ic}: {lo} {val} {hi}")
                for a, b in zip(lo, hi):
                    sa = stat[np.argmin(abs(alpha - a)), ib, ic]
                    sb = stat[np.argmin(abs(alpha - b)), ib, ic]
                    S.check((sa > level) != (sb > level), f"{label}: bracket {a}-{b}: {sa} {sb}")
    checker = os.path.join(S.SOURCE, "tests", "output_check.py")
    p = S.subprocess.run(["/usr/bin/python3", checker, path], capture_output=True, text=True)
    S.check(p.returncode == 0, f"{label}: output_check.py: {p.stdout}{p.stderr}")
    S.xarray_opens(path, label)
    rc, out, err = S.hopscan(["status", path])
    S.check(rc == 0 and "search along alpha" in out and "crossing" in out,
            f"{label}: hopscan status: {rc}\n{out}{err}")


def kill_and_resume(d, ref):
    cfg = write(os.path.join(d, "k.yaml"), SEARCH.format(every=0.05, g=1))
    out = os.path.join(d, "killed.h5")
    last = 0
    for i in range(3):
        p = S.start(3, ["run", cfg, "-o", out, "--progress=json"])
        ranks = S.rank_pids(p.pid, 3)
        ev = S.wait_event(p, "checkpoint", timeout=60)
        S.kill9_all(p, ranks)
        p.stdout.close()
        p.stderr.close()
        if os.path.exists(out) and S.h5py_opens(out, f"kill {i + 1}"):
            n, _ = S.done_count(out)
            S.check(n >= last, f"kill {i + 1}: done count went down {last} -> {n}")
            last = n
            print(f"kill {i + 1} {'at a checkpoint' if ev else '(no checkpoint came)'}: "
                  f"{n} samples done", flush=True)
    p = S.start(2, ["run", cfg, "-o", out, "--progress=json"])
    S.wait_event(p, "checkpoint", timeout=60)
    os.killpg(p.pid, signal.SIGUSR1)
    p.communicate(timeout=120)
    S.check(p.returncode in (0, 75), f"SIGUSR1: exit {p.returncode}")
    print(f"SIGUSR1: exit {p.returncode}", flush=True)
    rc, so, se, dt = S.run(3, ["run", cfg, "-o", out, "--quiet"])
    if S.check(rc == 0, f"final resume: exit {rc}\n{se}"):
        same_search(ref, out, "killed and resumed vs uninterrupted")


def hopfield(d):
    cfg = write(os.path.join(d, "hop.yaml"), HOPFIELD)
    out = os.path.join(d, "hop.h5")
    if not S.run_ok(2, ["run", cfg, "-o", out, "--quiet"], what="hopfield search"):
        return
    with h5py.File(out, "r", locking=False) as f:
        n = int(f["n_crossings"][0, 0])
        vals = f["crossing_value"][0, 0, :n]
        dirs = f["crossing_direction"][0, 0, :n]
        print(f"hopfield: crossings {vals} directions {dirs}", flush=True)
        falling = vals[dirs == -1]
        S.check(len(falling) >= 1 and 0.10 <= falling[-1] <= 0.20,
                f"hopfield: retrieval fails at {vals} (expected one near 0.138)")


def dgen(d):
    cfg = write(os.path.join(d, "dgen.yaml"), DGEN)
    outs = [os.path.join(d, f"dgen{n}.h5") for n in (1, 3)]
    if not all(S.run_ok(n, ["run", cfg, "-o", o, "--quiet"], what=f"dgen np {n}")
               for n, o in zip((1, 3), outs)):
        return
    same_search(outs[0], outs[1], "dgen np 1 vs 3")
    with h5py.File(outs[0], "r", locking=False) as f:
        level, ad = float(f.attrs["search_level"]), f["alpha_D"][...]
        req, stat, nc = f["search_samples"][...], f["statistic"][...], f["n_crossings"][...]
        S.check(np.all(f["line_done"][...] == 1), "dgen: a line is not done")
        for ia in range(req.shape[0]):
            S.check(nc[ia, 0] == 1, f"dgen: alpha {ia}: {nc[ia, 0]} crossings")
            lo, hi = f["crossing_lo"][ia, 0, 0], f["crossing_hi"][ia, 0, 0]
            klo, khi = int(np.argmin(abs(ad - lo))), int(np.argmin(abs(ad - hi)))
            S.check(req[ia, klo, 0] == 6 and stat[ia, klo, 0] > level,
                    f"dgen: alpha {ia}: passing end {lo} has {req[ia, klo, 0]} samples, "
                    f"min {stat[ia, klo, 0]}")
            S.check(stat[ia, khi, 0] <= level, f"dgen: alpha {ia}: failing end {hi} passes")
        ev = req > 0
        print(f"dgen: {int(req.sum())} samples at {int(ev.sum())} points, "
              f"{int(np.sum(req == 1))} with one sample", flush=True)
        S.check(np.any((req == 1) & (stat > level)), "dgen: no point kept its single sample")
        S.check(req.sum() < 0.5 * 6 * ev.sum(), "dgen: verification did not save samples")


def main():
    d = S.tmpdir("hopscan-search-")
    ref = os.path.join(d, "ref.h5")
    c1 = write(os.path.join(d, "g1.yaml"), SEARCH.format(every=0.2, g=1))
    c2 = write(os.path.join(d, "g2.yaml"), SEARCH.format(every=0.2, g=2))
    if not S.run_ok(1, ["run", c1, "-o", ref, "--quiet"], what="np 1"):
        return S.finish(NAME)
    check_consistent(ref, "np 1")
    rc, out, err = S.hopscan(["plan", c1])
    S.check(rc == 0 and "search       along alpha: 4 lines" in out
            and "grid of the same resolution" in out, f"plan: {rc}\n{out}{err}")
    for np_, cfg, g in ((2, c1, 1), (3, c1, 1), (4, c2, 2)):
        out = os.path.join(d, f"np{np_}.h5")
        if S.run_ok(np_, ["run", cfg, "-o", out, "--quiet"], what=f"np {np_} g {g}"):
            same_search(ref, out, f"np {np_} g {g}")
    kill_and_resume(d, ref)
    hopfield(d)
    dgen(d)
    S.cleanup(d)
    return S.finish(NAME)


if __name__ == "__main__":
    sys.exit(main())
