"""The Fig. 2 subcommand on a constructed scan with known mixture-stability lines: each line is
found along alpha_D at every alpha where it was put, the lines outside the grid are reported as
such, and a scan without mixture probes is refused in one line."""

import csv

import numpy as np

from hopscan_plot import fig2
from hopscan_plot.scan import load_scans
from scanfile import curves_to_m, write_scan

ALPHA = np.geomspace(0.1, 30.0, 6)
ALPHA_D = np.geomspace(0.005, 0.08, 9)
TRUE = {3: 0.03, 5: 0.016, 7: 0.011}  # alpha_D_c of each mixture line (flat in alpha)


def _falling(alpha_D, c, width=1.0):
    """Linear in log alpha_D through 0.5 at c, clipped to [0.05, 0.95]: falling."""
    x = np.log(alpha_D / c) / width
    return 0.5 - 0.45 * np.clip(x, -1.0, 1.0)


def _build(path, mixtures=True, S=4):
    A, B = len(ALPHA), len(ALPHA_D)
    vals = {}
    for kind, c in (("feature", lambda a: 0.1 * a ** 0.3), ("test", lambda a: 0.02 * a ** 0.2),
                    ("train", lambda a: 0.05 + 0 * a)):
        v = np.zeros((A, B, 1, S))
        for ia, a in enumerate(ALPHA):
            v[ia, :, 0, :] = _falling(ALPHA_D, c(a))[:, None]
        vals[kind] = v
    if mixtures:
        for n, c in TRUE.items():
            v = np.zeros((A, B, 1, S))
            v[:, :, 0, :] = _falling(ALPHA_D, c)[None, :, None]
            if n == 7:
                v[0] = 0.0  # below the level everywhere at the smallest alpha
            vals[f"mixture{n}"] = v
    m = {k: curves_to_m(v, 3) for k, v in vals.items()}
    comp = {k: curves_to_m(0.5 * v, 3) for k, v in vals.items() if k.startswith("mixture")}
    return write_scan(path, ALPHA, ALPHA_D, [0], m, N=1000, components=comp)


def test_lines_recovered(tmp_path):
    sc = load_scans([str(_build(tmp_path / "f2.h5"))])
    rows = fig2.fig2_lines(sc, level=0.5)
    assert {r["line"] for r in rows} == {"mixture3", "mixture5", "mixture7", "learning",
                                         "generalization"}
    for n, c in TRUE.items():
        pts = [r for r in rows if r["line"] == f"mixture{n}"]
        assert len(pts) == len(ALPHA)
        for r in pts:
            if n == 7 and r["alpha"] == ALPHA[0]:
                assert r["status"] == "below" and np.isnan(r["alpha_D_c"])
            else:
                assert r["status"] == "ok"
                assert abs(r["alpha_D_c"] / c - 1) < 1e-6  # m is stored as f32
    learn = [r for r in rows if r["line"] == "learning"]
    for r in learn:
        want = 0.1 * r["alpha"] ** 0.3
        if ALPHA_D[0] < want < ALPHA_D[-1]:
            assert r["status"] == "ok" and abs(r["alpha_D_c"] / want - 1) < 1e-6
    assert fig2.SPINODALS == {3: 0.0289, 5: 0.0157, 7: 0.0108}


def test_cli_writes_figure_and_csv(tmp_path, tool):
    p = _build(tmp_path / "f2.h5")
    res = tool("fig2", p, "-o", tmp_path / "out")
    assert res.rc == 0, res.err
    for ext in ("png", "pdf", "csv"):
        assert (tmp_path / f"out.{ext}").stat().st_size > 0
    assert "mixture3" in res.out and "wrote" in res.out
    with open(tmp_path / "out.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0].keys() >= {"line", "n", "alpha", "alpha_D_c", "status"}
    got = [float(r["alpha_D_c"]) for r in rows if r["line"] == "mixture5"]
    assert np.allclose(got, TRUE[5], rtol=1e-5)
    # identical samples: every bootstrap replicate gives the same crossing
    lo = [float(r["ci_low"]) for r in rows if r["line"] == "mixture5"]
    hi = [float(r["ci_high"]) for r in rows if r["line"] == "mixture5"]
    assert np.allclose(lo, got) and np.allclose(hi, got)


def test_bootstrap_interval_covers_noisy_line(tmp_path):
    """With noise on the samples (16 of them: with a handful the percentile bootstrap is known to
    be too narrow) the interval is wider than a point and covers the truth, and the same seed
    gives the same interval."""
    p = _build(tmp_path / "f2.h5", S=16)
    import h5py

    rng = np.random.default_rng(5)
    with h5py.File(p, "r+") as f:
        m = f["m_mixture3"][...]
        f["m_mixture3"][...] = m + rng.normal(0, 0.05, m.shape[:4] + (1,)).astype(m.dtype)
    sc = load_scans([str(p)])
    a = [r for r in fig2.fig2_lines(sc, n_boot=300, seed=1) if r["line"] == "mixture3"]
    b = [r for r in fig2.fig2_lines(sc, n_boot=300, seed=1) if r["line"] == "mixture3"]
    assert [r["ci_low"] for r in a] == [r["ci_low"] for r in b]
    covered = [r["ci_low"] <= TRUE[3] <= r["ci_high"] for r in a if r["status"] == "ok"]
    # 6 independent replicates of the line (one per alpha): most intervals cover the truth
    assert len(covered) == len(ALPHA) and sum(covered) >= 4
    assert all(r["ci_high"] > r["ci_low"] for r in a)


def test_without_mixtures_is_refused(tmp_path, tool):
    p = _build(tmp_path / "plain.h5", mixtures=False)
    res = tool("fig2", p, "-o", tmp_path / "x")
    assert res.rc == 2
    assert "no mixture probes" in res.err and len(res.err.strip().splitlines()) == 1


def test_transitions_have_mixture_lines(tmp_path, tool):
    """`transitions` finds mixtureN lines (rising in alpha) for every mixture kind by default."""
    from hopscan_plot import analysis

    sc = load_scans([str(_build(tmp_path / "f2.h5"))])
    rows = analysis.find_transitions(sc, n_boot=0)
    assert {"mixture3", "mixture5", "mixture7"} <= {r["line"] for r in rows}
    # mixture7 is 0 at the smallest alpha and the ramp value after: a rising crossing where the
    # ramp is above 0.5 (alpha_D below its line), none where it is below
    m7 = {r["D"]: r for r in rows if r["line"] == "mixture7"}
    for ib, aD in enumerate(ALPHA_D):
        r = m7[int(round(aD * 1000))]
        assert r["status"] == ("ok" if _falling(aD, TRUE[7]) >= 0.5 else "right")
        if r["status"] == "ok":
            assert ALPHA[0] < r["alpha_c"] < ALPHA[1]
    res = tool("transitions", tmp_path / "f2.h5", "--lines", "mixture5", "--bootstrap", "0")
    assert res.rc == 0 and "mixture5" in res.out and "mixture3" not in res.out
    res = tool("transitions", tmp_path / "f2.h5", "--lines", "mixture9")
    assert res.rc == 2 and "no mixture9 probes" in res.err
