"""Tests on constructed scan files with a known answer: transitions at chosen alphas, D_gen with
chosen slopes, combining files, partial scans, and the one-line errors. Files are format 2
(scanfile.write_scan's default); tests parametrized on `fmt` also run on format 1, which the
reader converts into the same Dataset."""

import math
import os

import h5py
import numpy as np
import pytest

import hopscan_plot as hp
from hopscan_plot.scan import load_scans
from scanfile import curves_to_m, write_scan

ALPHA = np.geomspace(0.01, 1.0, 13)
ALPHA_D = np.array([0.01, 0.02, 0.05])
L_AX = np.array([1, 3, 0])


def _truth(ib, ic):
    """Known transition alphas at (alpha_D index, L index)."""
    a_L = 0.03 * (1.0 + ib)  # learning (mu rising)
    a_G = 0.08 * (1.0 + ib) * (1.0 + 0.5 * ic)  # generalization (m_test rising)
    a_S = 0.02 * (1.0 + 0.3 * ib)  # storage (m_train falling)
    return a_L, a_G, a_S


def _ramp(alpha, a_c, width=1.5, rising=True):
    """0.5 + 0.45 tanh-free ramp: linear in log alpha near a_c, clipped to [0.05, 0.95]."""
    x = np.log(alpha / a_c) / width
    y = 0.5 + 0.45 * np.clip(x, -1.0, 1.0)
    return y if rising else 1.0 - y


def build_known(path, S=10, noise=0.0, rng_seed=3, N=1000, seed=1, done=None, alpha=ALPHA,
                fmt=2):
    A, B, C = len(alpha), len(ALPHA_D), len(L_AX)
    rng = np.random.default_rng(rng_seed)
    vals = {k: np.zeros((A, B, C, S)) for k in ("train", "test", "feature")}
    for ib in range(B):
        for ic in range(C):
            a_L, a_G, a_S = _truth(ib, ic)
            mu = _ramp(alpha, a_L)
            mt = _ramp(alpha, a_G)
            # m_train: falls through 0.5 at a_S, then rises again at large alpha (non-monotone)
            mtr = np.minimum(_ramp(alpha, a_S, width=0.5, rising=False) + _ramp(
                alpha, 0.6, width=0.3) - 0.05, 1.0)
            for k, y in (("feature", mu), ("test", mt), ("train", mtr)):
                if noise == 0.0:
                    # symmetric +-d pairs: the sample mean is exactly y
                    d = 0.02 * np.where(np.arange(S) % 2 == 0, 1.0, -1.0)
                    if S % 2:
                        d[-1] = 0.0
                    vals[k][:, ib, ic, :] = y[:, None] + d[None, :]
                else:
                    vals[k][:, ib, ic, :] = y[:, None] + noise * rng.standard_normal((A, S))
    m = {k: curves_to_m(v, 4) for k, v in vals.items()}
    return write_scan(path, alpha, ALPHA_D, L_AX, m, done=done, N=N, seed=seed, fmt=fmt)


both_formats = pytest.mark.parametrize("fmt", [2, 1])


@both_formats
def test_transitions_recover_known_crossings(tmp_path, fmt):
    path = build_known(str(tmp_path / "known.h5"), fmt=fmt)
    sc = load_scans([path])
    rows = hp.find_transitions(sc, n_boot=200, seed=1)
    assert len(rows) == 3 * 3 * 3
    for r in rows:
        ib = int(np.nonzero(ALPHA_D == r["alpha_D"])[0][0])
        ic = int(np.nonzero(L_AX == r["L"])[0][0])
        a_L, a_G, a_S = _truth(ib, ic)
        want = {"learning": a_L, "generalization": a_G, "storage": a_S}[r["line"]]
        assert r["status"] == "ok", r
        # the constructed curve is linear in log alpha near the crossing: recovered to 1e-4
        assert abs(math.log(r["alpha_c"] / want)) < 1e-4, (r, want)
        assert r["ci_low"] <= r["alpha_c"] * (1 + 1e-9)
        assert r["ci_high"] >= r["alpha_c"] * (1 - 1e-9)
        assert r["D"] == round(r["alpha_D"] * 1000)


def test_transitions_noisy_ci_covers_truth_and_is_reproducible(tmp_path, tool):
    path = build_known(str(tmp_path / "noisy.h5"), S=30, noise=0.08)
    sc = load_scans([path])
    rows = hp.find_transitions(sc, lines=["generalization"], n_boot=500, seed=5)
    covered = 0
    for r in rows:
        ib = int(np.nonzero(ALPHA_D == r["alpha_D"])[0][0])
        ic = int(np.nonzero(L_AX == r["L"])[0][0])
        want = _truth(ib, ic)[1]
        assert abs(math.log(r["alpha_c"] / want)) < 0.25
        assert r["ci_low"] < r["alpha_c"] < r["ci_high"]
        covered += r["ci_low"] <= want <= r["ci_high"]
    assert covered >= 7  # 95 % intervals: nearly all of 9 cover the truth
    # same seed -> same CSV; CLI output identical to the library's
    a = tool("transitions", path, "--lines", "generalization", "--bootstrap", "500", "--seed",
             "5", "-o", tmp_path / "a.csv")
    b = tool("transitions", path, "--lines", "generalization", "--bootstrap", "500", "--seed",
             "5")
    assert a.rc == 0 and b.rc == 0, a.err + b.err
    assert open(tmp_path / "a.csv").read() == b.out
    back = hp.read_transitions_csv(str(tmp_path / "a.csv"))
    assert [r["alpha_c"] for r in back] == pytest.approx([r["alpha_c"] for r in rows], rel=1e-5)


def test_crossing_edge_cases():
    a = np.array([0.1, 0.2, 0.4])
    assert hp.crossing_alpha(a, [0.2, 0.4, 0.8], 0.5)[1] == "ok"
    ac, st = hp.crossing_alpha(a, [0.2, 0.4, 0.6], 0.5)
    assert st == "ok" and ac == pytest.approx(math.exp(math.log(0.2) + 0.5 * math.log(2)))
    assert hp.crossing_alpha(a, [0.6, 0.7, 0.8], 0.5)[1] == "left"
    assert hp.crossing_alpha(a, [0.1, 0.2, 0.3], 0.5)[1] == "right"
    assert math.isnan(hp.crossing_alpha(a, [0.1, 0.2, 0.3], 0.5)[0])
    # falling: first downward crossing, even if the curve comes back up later
    ac, st = hp.crossing_alpha([0.1, 0.2, 0.4, 0.8], [0.9, 0.7, 0.3, 0.9], 0.5, "falling")
    assert st == "ok" and 0.2 < ac < 0.4
    # a point without data is skipped
    ac2, _ = hp.crossing_alpha([0.1, 0.2, 0.3, 0.4], [0.9, np.nan, 0.7, 0.3], 0.5, "falling")
    assert 0.3 < ac2 < 0.4


def test_frac_quantity(tmp_path):
    # fraction of probes at m = 1 grows with alpha; the rest sit at m = 0.3 (mean never 0.9+)
    A, S, n = len(ALPHA), 4, 10
    frac = np.clip((np.log(ALPHA) - np.log(0.05)) / 2.0 + 0.5, 0, 1)  # 0.5 at alpha = 0.05
    m = np.full((A, 1, 1, S, n), 0.3)
    for ia in range(A):
        k = int(round(frac[ia] * n))
        m[ia, 0, 0, :, :k] = 1.0
    ms = {"train": m, "test": m, "feature": m}
    path = write_scan(str(tmp_path / "frac.h5"), ALPHA, [0.02], [3], ms)
    sc = load_scans([path])
    r = hp.find_transitions(sc, lines=["learning"], quantity="frac", n_boot=0)[0]
    assert r["observable"] == "frac_mu" and r["status"] == "ok"
    assert abs(math.log(r["alpha_c"] / 0.05)) < 0.15  # discretized to 1/n of the probes


def _dgen_files(tmp_path, Ns, S=12, k=10):
    """Scans at several N whose true D_gen is 0.1 N (L = 3) and 2 sqrt(N) (dense)."""
    paths, truth = [], {}
    D_grid = np.unique(np.rint(np.geomspace(2, 3000, 80)).astype(int))
    alpha = np.array([0.5, 1.0, 2.0])
    for N in Ns:
        Ds = D_grid[D_grid < N]
        ad = Ds / N
        L = np.array([3, 0])
        vals = np.full((3, len(ad), 2, S), 0.4)
        for ic, dtrue in enumerate((0.1 * N, 2.0 * math.sqrt(N))):
            truth[(N, int(L[ic]))] = Ds[Ds <= dtrue].max()
            good = Ds <= dtrue
            vals[2, good, ic, :] = 0.95  # generalizes at the largest alpha only
            # just above D_gen: k - 1 samples generalize, which is not enough
            j = np.nonzero(~good)[0][:2]
            vals[1, j, ic, : k - 1] = 0.97
        m = {"train": curves_to_m(vals, 2), "test": curves_to_m(vals, 3),
             "feature": curves_to_m(vals, 2)}
        paths.append(write_scan(str(tmp_path / f"dgen-{N}.h5"), alpha, ad, L, m, N=N))
    return paths, truth


def test_dgen_recovers_known_slopes(tmp_path, tool):
    Ns = [1000, 2000, 4000, 8000, 16000]
    paths, truth = _dgen_files(tmp_path, Ns)
    scans = hp.scan.load_scans_by_N(paths)
    rows = hp.dgen_table(scans, k=10)
    for r in rows:
        assert r["status"] == "ok"
        assert r["D_gen"] == truth[(r["N"], r["L"])], r
    for L, slope in ((3, 1.0), (0, 0.5)):
        pts = [r for r in rows if r["L"] == L]
        fit = hp.fit_power_law([r["N"] for r in pts], [r["D_gen"] for r in pts])
        assert fit["slope"] == pytest.approx(slope, abs=0.04)
        assert 0 < fit["slope_err"] < 0.05
        assert abs(fit["slope"] - slope) < 4 * fit["slope_err"] + 0.01
    # k larger than the samples that pass: nothing qualifies
    assert all(r["status"] == "none" for r in hp.dgen_table(scans, k=13))
    # at a fixed alpha where nobody generalizes
    assert all(r["status"] == "none" for r in hp.dgen_table(scans, alpha=0.5))
    res = tool("dgen", *paths, "--k", "13", "-o", tmp_path / "none")
    assert res.rc == 2 and "no N and L has 13 samples" in res.err
    res = tool("dgen", *paths, "-o", tmp_path / "dg")
    assert res.rc == 0, res.err
    for ext in ("png", "pdf", "csv"):
        assert os.path.getsize(tmp_path / f"dg.{ext}") > 0
    assert "L = 3: " not in res.err
    assert "fit L = 3: D_gen ~ N^(1.0" in res.out or "fit L = 3: D_gen ~ N^(0.9" in res.out
    csv_text = open(tmp_path / "dg.csv").read()
    assert csv_text.startswith("N,L,D_gen")
    assert "# fit L=dense" in csv_text


def test_dgen_sparse_and_dense_in_separate_files(tmp_path, tool):
    """The paper's Fig. 3b layout: at each N a sparse (L = 3) and a dense file, each on its own
    alpha_D grid, so they cannot combine into one scan; dgen still fits both series."""
    D_grid = np.unique(np.rint(np.geomspace(2, 3000, 80)).astype(int))
    alpha = np.array([0.5, 1.0, 2.0])
    S, paths, truth = 12, [], {}
    for N in (1000, 2000, 4000, 8000):
        for L, dtrue, Ds in ((3, 0.1 * N, D_grid[D_grid < N]),
                             (0, 2.0 * math.sqrt(N), D_grid[(D_grid < N) & (D_grid % 2 == 1)])):
            vals = np.full((3, len(Ds), 1, S), 0.4)
            vals[2, Ds <= dtrue, 0, :] = 0.95
            truth[(N, L)] = Ds[Ds <= dtrue].max()
            m = {"train": curves_to_m(vals, 2), "test": curves_to_m(vals, 3),
                 "feature": curves_to_m(vals, 2)}
            paths.append(write_scan(str(tmp_path / f"split-{N}-{L}.h5"), alpha, Ds / N,
                                    np.array([L]), m, N=N))
    rows = hp.dgen_table(hp.scan.load_scans_by_N(paths), k=10)
    assert sorted((r["N"], r["L"]) for r in rows) == sorted(truth)
    for r in rows:
        assert r["D_gen"] == truth[(r["N"], r["L"])], r
    res = tool("dgen", *paths, "-o", tmp_path / "split")
    assert res.rc == 0, res.err
    assert "fit L = 3: D_gen ~ N^(" in res.out and "fit L = D (dense): D_gen ~ N^(" in res.out
    # same N and overlapping L but different L axes would count (N, L) twice: refused
    m1 = {"train": curves_to_m(np.full((3, 2, 2, S), 0.4), 2),
          "test": curves_to_m(np.full((3, 2, 2, S), 0.4), 3),
          "feature": curves_to_m(np.full((3, 2, 2, S), 0.4), 2)}
    odd = write_scan(str(tmp_path / "odd.h5"), alpha, np.array([0.01, 0.02]), np.array([3, 5]),
                     m1, N=1000)
    res = tool("dgen", paths[0], odd, "-o", tmp_path / "bad")
    assert res.rc == 2 and "both have N = 1000 and L = 3" in res.err, res.err


def test_dgen_groups_variant(tmp_path):
    paths, truth = _dgen_files(tmp_path, [1000, 4000], S=20)
    scans = hp.scan.load_scans_by_N(paths)
    rows = hp.dgen_table(scans, k=10, groups=True)
    for r in rows:
        assert r["n_groups"] == 2
        # the second group (samples 10..19) never sees the k-1 stragglers: same D_gen
        assert r["D_gen"] == truth[(r["N"], r["L"])]


@both_formats
def test_combine_split_along_alpha(tmp_path, fmt):
    whole = load_scans([build_known(str(tmp_path / "whole.h5"))])
    p1 = build_known(str(tmp_path / "p1.h5"), alpha=ALPHA[:6], fmt=fmt)
    p2 = build_known(str(tmp_path / "p2.h5"), alpha=ALPHA[6:])
    both = load_scans([p2, p1])
    assert np.allclose(both.alpha, whole.alpha)
    for o in ("m_train", "m_test", "mu"):
        assert np.allclose(both.stats(o)[0], whole.stats(o)[0])
    assert both.complete and both.samples_total == whole.samples_total


@both_formats
def test_combine_parts_union_of_done_and_seeds(tmp_path, fmt):
    A, B, C, S = len(ALPHA), len(ALPHA_D), len(L_AX), 10
    d1 = np.zeros((A, B, C, S), dtype=bool)
    d1[..., :4] = True
    d2 = np.zeros((A, B, C, S), dtype=bool)
    d2[..., 3:7] = True
    p1 = build_known(str(tmp_path / "a.h5"), done=d1, fmt=fmt)
    p2 = build_known(str(tmp_path / "b.h5"), done=d2)
    sc = load_scans([p1, p2])
    assert sc.samples_done == A * B * C * 7 and sc.samples_total == A * B * C * S
    assert not sc.complete
    assert f"{A * B * C * 7}/{A * B * C * S} samples done" in sc.completion_line()
    # a different seed: independent samples, appended
    p3 = build_known(str(tmp_path / "c.h5"), seed=2, rng_seed=9)
    sc = load_scans([p1, p3])
    assert sc.shape[3] == 2 * S and sc.samples_done == A * B * C * (4 + S)
    assert list(sc.ds["sample"].values) == list(range(2 * S))
    # the same seed with other values at a sample done in both: not parts of one scan
    p4 = build_known(str(tmp_path / "d.h5"), done=d2, noise=0.05)
    with pytest.raises(hp.HopscanError, match="same seed has different values"):
        load_scans([p2, p4])


def test_mismatched_files_are_refused(tmp_path, exe):
    tool = exe
    p1 = build_known(str(tmp_path / "a.h5"))
    pN = build_known(str(tmp_path / "n.h5"), N=2000)
    res = tool("map", p1, pN, "-o", tmp_path / "x")
    assert res.rc == 2 and res.err.count("\n") == 1 and "N differs (1000 vs 2000)" in res.err
    # two axes differ
    ms = {k: np.full((2, 1, 1, 3, 4), 0.5) for k in ("train", "test", "feature")}
    q = write_scan(str(tmp_path / "q.h5"), [5.0, 6.0], [0.3], [7], ms)
    res = tool("curves", p1, q)
    assert res.rc == 2 and "grids differ in alpha and alpha_D" in res.err
    assert "Traceback" not in res.err
    # different dynamics
    r = write_scan(str(tmp_path / "r.h5"), ALPHA, ALPHA_D, L_AX,
                   {k: np.full((13, 3, 3, 2, 4), 0.5) for k in ("train", "test", "feature")},
                   max_sweeps=500)
    res = tool("info", p1, r)
    assert res.rc == 2 and "dynamics differs" in res.err


@both_formats
def test_partial_scan_reports_completion_and_plots(tmp_path, tool, fmt):
    A, B, C, S = len(ALPHA), len(ALPHA_D), len(L_AX), 10
    done = np.zeros((A, B, C, S), dtype=bool)
    done[:7] = True  # small alphas done, large ones not started
    done[7:9, :, :, :3] = True
    p = build_known(str(tmp_path / "part.h5"), done=done, fmt=fmt)
    total, nd = A * B * C * S, int(done.sum())
    res = tool("info", p)
    assert res.rc == 0 and f"{nd}/{total} samples" in res.out and "partial" in res.out
    res = tool("map", p, "--obs", "mu", "-o", tmp_path / "pm", "--transitions")
    assert res.rc == 0, res.err
    assert f"{nd}/{total} samples done" in res.err
    assert os.path.getsize(tmp_path / "pm.png") > 0 and os.path.getsize(tmp_path / "pm.pdf") > 0
    sc = load_scans([p])
    mean, sem, n = sc.stats("m_test")
    assert np.all(np.isnan(mean[9:])) and np.all(n[7:9] == 3)


@both_formats
def test_stats_match_contract_summary(tmp_path, fmt):
    """Recomputed means, sem and retrieved fractions agree with the file's summaries (written by
    scanfile.summaries as the contract defines them), and scipy.stats.sem is what is used."""
    p = build_known(str(tmp_path / "s.h5"), S=7, noise=0.05, fmt=fmt)
    sc = load_scans([p])
    ds = hp.open_scan(p)
    for kind, obs in (("train", "m_train"), ("test", "m_test"), ("feature", "mu")):
        mean, sem, _ = sc.stats(obs)
        assert np.allclose(mean, ds[f"mean_{kind}"], rtol=1e-6, atol=1e-7)
        assert np.allclose(sem, ds[f"sem_{kind}"], rtol=1e-4, atol=1e-7)
        frac, _, _ = sc.stats("frac_" + ("mu" if kind == "feature" else kind))
        assert np.allclose(frac, ds[f"frac_retrieved_{kind}"])
    assert "sweeps_test" in ds and "sweeps_test" not in hp.open_scan(p, sweeps=False)
    v = sc.values("m_test")[3, 1, 2]
    assert sc.stats("m_test")[1][3, 1, 2] == pytest.approx(np.std(v, ddof=1) / np.sqrt(7))


def test_sample_stats_edge_cases():
    v = np.array([[np.nan, np.nan, np.nan], [0.5, np.nan, np.nan], [0.2, 0.4, np.nan]])
    mean, sem, n = hp.sample_stats(v)
    assert list(n) == [0, 1, 2]
    assert np.isnan(mean[0]) and mean[1] == 0.5 and mean[2] == pytest.approx(0.3)
    assert np.isnan(sem[0]) and np.isnan(sem[1])  # one sample: no estimate of the spread
    assert sem[2] == pytest.approx(np.std([0.2, 0.4], ddof=1) / np.sqrt(2))


def test_errors_are_one_line(tmp_path, exe):
    tool = exe
    res = tool("map", tmp_path / "nope.h5")
    assert res.rc == 2 and res.err == f"hopscan-plot: error: {tmp_path / 'nope.h5'}: no such file\n"
    txt = tmp_path / "text.h5"
    txt.write_text("not hdf5\n")
    res = tool("curves", txt)
    assert res.rc == 2 and res.err.count("\n") == 1 and "not a readable HDF5 file" in res.err
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["data"] = np.arange(5)
    for cmd in ("map", "curves", "transitions", "dgen", "info"):
        res = tool(cmd, foreign)
        assert res.rc == 2, (cmd, res.err)
        assert res.err.count("\n") == 1 and "not a hopscan scan file" in res.err, res.err
        assert "Traceback" not in res.err
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.attrs["format"] = "something-else/2"
    res = tool("info", other)
    assert res.rc == 2 and "format is 'something-else/2'" in res.err
    trunc = tmp_path / "trunc.h5"
    with h5py.File(trunc, "w") as f:
        f.attrs["format"] = "hopscan-scan/1"
        f.attrs["N"] = 100
        f["grid/alpha"] = [0.1]
    res = tool("map", trunc)
    assert res.rc == 2 and "missing grid/alpha_D" in res.err
    trunc2 = tmp_path / "trunc2.h5"
    with h5py.File(trunc2, "w") as f:
        f.attrs["format"] = "hopscan-scan/2"
        f.attrs["N"] = 100
        f["alpha"] = [0.1]
    res = tool("info", trunc2)
    assert res.rc == 2 and res.err.count("\n") == 1 and "missing done" in res.err, res.err
    good = build_known(str(tmp_path / "g.h5"))
    res = tool("curves", good, "--alpha-D", "0.07", "-o", tmp_path / "c")
    assert res.rc == 2 and "alpha_D = 0.07 is not on the grid" in res.err
    res = tool("map", good, "-o", tmp_path / "nodir" / "m")
    assert res.rc == 1 and res.err.count("\n") == 1 and "cannot write" in res.err


def test_missing_observable(tmp_path, tool):
    ms = {"train": np.full((3, 1, 1, 2, 2), 0.9), "test": np.full((3, 1, 1, 2, 2), 0.1),
          "feature": np.zeros((3, 1, 1, 2, 0))}
    p = write_scan(str(tmp_path / "hop.h5"), [0.05, 0.1, 0.2], [0.0], [0], ms, model="hopfield")
    res = tool("map", p, "--obs", "mu", "-o", tmp_path / "h")
    assert res.rc == 2 and "no feature probes" in res.err
    # the rest works on a hopfield file (length-1 alpha_D and L axes)
    res = tool("map", p, "--obs", "m_train", "-o", tmp_path / "h", "--transitions")
    assert res.rc == 0, res.err
    res = tool("transitions", p, "--bootstrap", "50")
    assert res.rc == 0 and "learning" not in res.out and "storage" in res.out


def test_theory_lines_interpolate_the_table():
    from hopscan_plot.analysis import THEORY_DENSE, theory_alpha

    for line, (xs, ys) in THEORY_DENSE.items():
        assert np.allclose(theory_alpha(line, np.array(xs)), ys, rtol=1e-12)
        assert math.isnan(theory_alpha(line, xs[0] / 2))
        assert math.isnan(theory_alpha(line, xs[-1] * 2))
    # between two table points: geometric interpolation
    assert theory_alpha("learning", math.sqrt(0.01 * 0.02)) == pytest.approx(
        math.sqrt(0.092 * 0.209))


def test_format2_opens_in_both_engines_and_ncdump(tmp_path):
    """The constructed format-2 file is what the contract asks of the real one: xarray opens it
    labelled with the h5netcdf and netcdf4 engines, and ncdump -h lists it."""
    import shutil
    import subprocess

    import xarray as xr

    p = build_known(str(tmp_path / "k.h5"), S=4)
    for engine in ("h5netcdf", "netcdf4"):
        with xr.open_dataset(p, engine=engine) as ds:
            assert ds["m_test"].dims == ("alpha", "alpha_D", "L", "sample", "probe_test")
            assert np.allclose(ds["alpha"], ALPHA) and list(ds["L"].values) == list(L_AX)
            assert ds["m_test"].encoding["_FillValue"] != ds["m_test"].encoding["_FillValue"]
            assert list(ds["D"].values) == [10, 20, 50]
    if shutil.which("ncdump"):
        out = subprocess.run(["ncdump", "-h", p], capture_output=True, text=True)
        assert out.returncode == 0 and "m_test(alpha, alpha_D, L, sample, probe_test)" in out.stdout


def test_mixture_kinds_are_found_generically(tmp_path, tool):
    """A probe kind unknown to the code (mixture3, with components) is read from its m_KIND name
    and gives m_KIND, frac_KIND and m_components_KIND observables."""
    A, S = len(ALPHA), 3
    y = np.linspace(0.1, 0.95, A)[:, None, None, None] * np.ones((A, 1, 1, S))
    m = {"train": curves_to_m(y, 2), "test": curves_to_m(y, 2), "feature": curves_to_m(y, 2),
         "mixture3": curves_to_m(y, 4), "mixture5": curves_to_m(1 - y, 1)}
    p = write_scan(str(tmp_path / "mix.h5"), ALPHA, [0.02], [3], m,
                   components={"mixture3": curves_to_m(0.5 * y, 4)})
    assert hp.kinds_of(hp.open_scan(p)) == ["train", "test", "feature", "mixture3", "mixture5"]
    sc = load_scans([p])
    assert sc.n_probes["mixture3"] == 4 and sc.n_probes["mixture5"] == 1
    for obs in ("m_mixture3", "frac_mixture3", "m_components_mixture3", "m_mixture5"):
        assert sc.has(obs)
    assert np.allclose(sc.stats("m_mixture3")[0][:, 0, 0], y[:, 0, 0, 0])
    assert np.allclose(sc.stats("m_components_mixture3")[0][:, 0, 0], 0.5 * y[:, 0, 0, 0])
    assert not sc.has("m_components_mixture5")
    res = tool("map", p, "--obs", "m_mixture3", "-o", tmp_path / "mx.png")
    assert res.rc == 0, res.err
    res = tool("curves", p, "--obs", "m_mixture3,m_components_mixture3", "-o", tmp_path / "mc")
    assert res.rc == 0, res.err
    res = tool("map", p, "--obs", "m_mixture7")
    assert res.rc == 2 and "no mixture7 probes" in res.err


def test_no_global_state_changed(tmp_path):
    """Importing the package and running the command line leave the process as they found it:
    no backend chosen, no pyplot, no environment variable, warning filter or rc parameter."""
    import subprocess
    import sys as _sys

    p = build_known(str(tmp_path / "g.h5"), S=3)
    code = f"""
import os, sys, warnings, copy
# third-party modules first: what they do at import is theirs, not this package's
import numpy, scipy.stats, xarray, h5netcdf, h5py, yaml, contourpy, matplotlib.figure
import matplotlib
env, filters = dict(os.environ), list(warnings.filters)
rc = copy.deepcopy(dict(matplotlib.rcParams))
sys.path.insert(0, {repr(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))})
import hopscan_plot, hopscan_plot.plotting
from hopscan_plot.cli import main
assert main(["map", {repr(p)}, "--dpi", "50", "--transitions", "--bootstrap", "20",
             "-o", {repr(str(tmp_path / "m.png"))}]) == 0
assert dict(os.environ) == env, set(os.environ.items()) ^ set(env.items())
assert list(warnings.filters) == filters
now = dict(matplotlib.rcParams)
assert [k for k in rc if rc[k] != now[k]] == []
assert "matplotlib.pyplot" not in sys.modules
print("clean")
"""
    out = subprocess.run([_sys.executable, "-c", code], capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != "MPLBACKEND"})
    assert out.returncode == 0 and "clean" in out.stdout, out.stderr
