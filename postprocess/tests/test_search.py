"""Transition-search files (issue 14) on constructed files with known crossings
(scanfile.write_search runs the contract's search on known curves): the reader, the crossings
table and `transitions` CSV, `map --search`, and `dgen` straight from searches along alpha_D."""

import csv
import io
import math
import os

import numpy as np
import pytest
import scipy.stats

import hopscan_plot as hp
from hopscan_plot import search
from scanfile import curves_to_m, search_lattice, write_scan, write_search

N = 1000
ALPHA_D = np.array([0.01, 0.02, 0.05])
L_AX = np.array([3, 0])
LAT = search_lattice(0.01, 4.0, N, tolerance=0.02)


def _truth(ib, ic):
    """Known crossings (alpha, direction) of line (alpha_D index, L index) of the alpha search:
    m_test rises through 0.9; at (0.05, dense) it falls again; (0.01, dense) never crosses."""
    if (ib, ic) == (0, 1):
        return []
    a = 0.0537 * (1.0 + ib) * (1.0 + ic)  # between lattice points
    return [(a, 1)] + ([(1.53, -1)] if (ib, ic) == (2, 1) else [])


def _curve(x, crossings):
    """0.9 + 0.3 log(x / a) near each crossing (linear in log x, so the log-linear interpolation
    of the contract gives a exactly), clipped to [0.3, 1.0]; below 0.9 before the first."""
    if not crossings:
        return np.full(len(x), 0.5)
    y = 0.9 + 0.3 * np.log(x / crossings[0][0])
    for a, d in crossings[1:]:
        y = np.minimum(y, 0.9 - 0.3 * np.log(x / a))
    return np.clip(y, 0.3, 1.0)


def _alpha_search(path, S=8, rounds=None, L=L_AX):
    vals = np.zeros((len(LAT), len(ALPHA_D), len(L), S))
    d = 0.02 * np.where(np.arange(S) % 2 == 0, 1.0, -1.0)  # +-d pairs: the mean is exact
    for ib in range(len(ALPHA_D)):
        for ic in range(len(L)):
            vals[:, ib, ic, :] = _curve(LAT, _truth(ib, ic % 2))[:, None] + d[None, :]
    m = {"train": curves_to_m(vals, 2), "test": curves_to_m(vals, 3),
         "feature": curves_to_m(vals, 2)}
    lines = write_search(str(path), "alpha", LAT, ALPHA_D, L, m, samples=4, rounds=rounds, N=N)
    return str(path), lines


def test_reader_exposes_search_labelled(tmp_path):
    p, _ = _alpha_search(tmp_path / "s.h5")
    ds = hp.open_scan(p)
    assert ds.attrs["search_along"] == "alpha"
    assert ds["crossing_value"].dims == ("alpha_D", "L", "crossing")
    assert ds["line_done"].dims == ("alpha_D", "L") and ds["line_done"].dtype == bool
    assert ds["statistic"].dims == ("alpha", "alpha_D", "L")
    assert list(ds["crossing"].values) == list(range(7))  # coarse - 1
    assert np.allclose(ds["alpha"].values, LAT)
    # only evaluated points have done samples and a statistic; the others are NaN / not done
    ev = ds["search_samples"].values
    assert np.array_equal(ds["done"].sum("sample").values, ev)
    assert np.all(np.isnan(ds["statistic"].values[ev == 0]))
    assert np.all(np.isfinite(ds["statistic"].values[ev > 0]))
    assert 0 < (ev > 0).sum() < ev.size / 4
    assert ds["crossing_direction"].dtype == np.int32
    assert ds.sel(alpha_D=0.05, L=0)["n_crossings"].item() == 2
    sf = hp.SearchFile(p)
    assert (sf.along, sf.other, sf.statistic, sf.observable, sf.level) == (
        "alpha", "alpha_D", "mean", "test", 0.9)
    assert sf.complete and sf.lines_total == 6
    # a grid scan is not a search file
    g = write_scan(str(tmp_path / "g.h5"), [0.1, 0.2], [0.02], [3],
                   {k: np.full((2, 1, 1, 2, 2), 0.5) for k in ("train", "test", "feature")})
    assert not hp.is_search_file(g) and hp.is_search_file(p)
    with pytest.raises(hp.HopscanError, match="not a transition-search file"):
        hp.SearchFile(g)


def test_crossing_rows_recover_known_crossings(tmp_path):
    p, lines = _alpha_search(tmp_path / "s.h5")
    rows = hp.crossing_rows(hp.SearchFile(p))
    assert len(rows) == sum(len(_truth(ib, ic)) for ib in range(3) for ic in range(2)) == 6
    for ib in range(3):
        for ic in range(2):
            got = [r for r in rows if r["alpha_D"] == ALPHA_D[ib] and r["L"] == L_AX[ic]]
            want = _truth(ib, ic)
            assert [r["direction"] for r in got] == [d for _, d in want]
            assert [r["crossing"] for r in got] == list(range(len(want)))
            for r, (a, _) in zip(got, want):
                assert r["lo"] < a < r["hi"], r
                assert math.log10(r["hi"] / r["lo"]) <= 0.02 + 1e-12  # refined to tolerance
                assert abs(math.log(r["value"] / a)) < 1e-5, (r, a)
                assert r["ci_lo"] <= r["lo"] and r["ci_hi"] >= r["hi"]
                assert r["D"] == round(ALPHA_D[ib] * N) and r["N"] == N
                assert r["line_done"] == 1 and r["statistic"] == "mean"
    # L filter
    assert {r["L"] for r in hp.crossing_rows(hp.SearchFile(p), L_values=[3])} == {3}


def test_transitions_csv_of_a_search(tmp_path, tool):
    p, _ = _alpha_search(tmp_path / "s.h5")
    res = tool("transitions", p, "-o", tmp_path / "c.csv")
    assert res.rc == 0, res.err
    text = open(tmp_path / "c.csv").read()
    assert text.splitlines()[0] == ",".join(search.csv_fields("alpha"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6
    for r in rows:
        ib = int(np.nonzero(np.isclose(ALPHA_D, float(r["alpha_D"])))[0][0])
        ic = list(L_AX).index(int(r["L"]))
        a, d = _truth(ib, ic)[int(r["crossing"])]
        assert int(r["direction"]) == d and r["along"] == "alpha"
        assert abs(math.log(float(r["value"]) / a)) < 1e-5
        assert float(r["ci_lo"]) <= float(r["lo"]) < a < float(r["hi"]) <= float(r["ci_hi"])
    out = tool("transitions", p)  # standard output: the same CSV
    assert out.rc == 0 and out.out == text
    res = tool("transitions", p, "--L", "dense")
    assert res.rc == 0 and {ln.split(",")[4] for ln in res.out.splitlines()[1:]} == {"0"}
    g = write_scan(str(tmp_path / "g.h5"), [0.1, 0.2], [0.02], [3],
                   {k: np.full((2, 1, 1, 2, 2), 0.5) for k in ("train", "test", "feature")})
    res = tool("transitions", p, g)
    assert res.rc == 2 and "run 'transitions' on each kind separately" in res.err
    res = tool("transitions", p, "--plot", tmp_path / "x")
    assert res.rc == 2 and "map GRID.h5 --search" in res.err
    res = tool("info", p)
    assert res.rc == 0 and "6/6 finished, 6 crossings located" in res.out


def test_unfinished_search_is_reported(tmp_path, tool):
    p, lines = _alpha_search(tmp_path / "u.h5", rounds=2)
    sf = hp.SearchFile(p)
    assert not sf.complete
    res = tool("transitions", p)
    assert res.rc == 0 and f"{sf.lines_done}/6 search lines finished" in res.err
    rows = list(csv.DictReader(io.StringIO(res.out)))
    assert rows and {r["line_done"] for r in rows} == {"0"}
    # an unfinished bracket still holds its crossing
    for r in rows:
        ib = int(np.nonzero(np.isclose(ALPHA_D, float(r["alpha_D"])))[0][0])
        a = _truth(ib, list(L_AX).index(int(r["L"])))[int(r["crossing"])][0]
        assert float(r["lo"]) < a < float(r["hi"])


def _grid(tmp_path, L=(1, 3, 0)):
    alpha = np.geomspace(0.01, 4.0, 12)
    vals = np.zeros((12, len(ALPHA_D), len(L), 3))
    for ib in range(len(ALPHA_D)):
        for ic in range(len(L)):
            vals[:, ib, ic, :] = _curve(alpha, _truth(ib, 1 if L[ic] == 0 else 0))[:, None]
    m = {k: curves_to_m(vals, 2) for k in ("train", "test", "feature")}
    return write_scan(str(tmp_path / "grid.h5"), alpha, ALPHA_D, np.array(L), m, N=N)


def test_map_draws_search_crossings(tmp_path, tool):
    g = _grid(tmp_path)
    p, _ = _alpha_search(tmp_path / "s.h5")
    q, _ = _alpha_search(tmp_path / "q.h5", L=np.array([5, 0]))  # L = 5: no panel
    res = tool("map", g, "--search", p, q, "-o", tmp_path / "with.png", "--dpi", "60")
    assert res.rc == 0, res.err
    assert "q.h5: 3 of 6 search lines match no panel of the map" in res.err
    assert "L = 5" in res.err and "s.h5" not in res.err
    with open(tmp_path / "with.png", "rb") as fh:
        png = fh.read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    res = tool("map", g, "-o", tmp_path / "without.png", "--dpi", "60")
    assert res.rc == 0, res.err
    assert open(tmp_path / "without.png", "rb").read() != png  # the crossings are drawn
    sc = hp.load_scans([g])
    ov, notes = search.map_overlays(sc, [hp.SearchFile(p)], [0, 1, 2])
    assert notes == [] and sorted(ov[0]["points"]) == [0, 3]
    assert len(ov[0]["points"][0]) == 3 and len(ov[0]["points"][3]) == 3
    ov, notes = search.map_overlays(sc, [hp.SearchFile(p)], [1])  # only the L = 3 panel
    assert sorted(ov[0]["points"]) == [3] and "3 of 6 search lines" in notes[0]
    # a search file is not combined with a grid scan
    res = tool("map", g, p, "-o", tmp_path / "bad.png")
    assert res.rc == 2 and "does not combine" in res.err


DENSE_L = 0


def _dgen_truth(N_, L):
    return 0.1 * N_ if L != 0 else 2.0 * math.sqrt(N_)


def _dgen_search(path, N_, Ls=(3, 0), dip=False, top=None):
    """A search along alpha_D with min_sample_mean over 10 samples at alpha 0.5 and 2.0:
    m_test of every sample is 0.95 up to D_true (half of it at alpha 0.5), 0.4 beyond; with dip,
    also 0.4 around the third coarse point in the L = 3 lines (a falling and a rising crossing
    below D_gen)."""
    lat = search_lattice(2.0 / N_, 1.0 if top is None else top, N_, tolerance=0.02)
    S, alpha = 10, np.array([0.5, 2.0])
    D = np.rint(lat * N_)
    vals = np.full((2, len(lat), len(Ls), S), 0.4)
    truth = {}
    for ic, L in enumerate(Ls):
        for ia, f in enumerate((0.5, 1.0)):
            vals[ia, D <= f * _dgen_truth(N_, L), ic, :] = 0.95
        truth[L] = D[D <= _dgen_truth(N_, L)].max()
        truth[(L, "hi")] = D[D > _dgen_truth(N_, L)].min() if top is None else None
    if dip:  # sparse lines only: in the dense ones D_gen lies near the dip
        coarse = np.rint(np.linspace(0, len(lat) - 1, 8)).astype(int)
        c = coarse[2]
        assert D[coarse[3]] < _dgen_truth(N_, 3)  # the coarse pass sees the dip end
        vals[:, c - 1:c + 2, list(Ls).index(3), :] = 0.4
    vals[..., 1] -= 0.01  # one sample lower: the minimum decides
    m = {"train": curves_to_m(vals, 2), "test": curves_to_m(vals, 3),
         "feature": curves_to_m(vals, 2)}
    write_search(str(path), "alpha_D", lat, alpha, np.array(Ls), m, statistic="min_sample_mean",
                 tolerance=1e-9, N=N_)  # tolerance ~0: brackets refined to lattice neighbours
    return str(path), truth


def test_dgen_from_searches_gives_known_dgen_and_slopes(tmp_path, tool):
    Ns = (1000, 2000, 4000, 8000)
    paths, truth = [], {}
    for N_ in Ns:
        p, t = _dgen_search(tmp_path / f"dg-{N_}.h5", N_, dip=N_ == 1000)
        paths.append(p)
        truth[N_] = t
    dips = [r["direction"] for r in hp.crossing_rows(hp.SearchFile(paths[0]), L_values=[3])
            if r["alpha"] == 2.0]
    assert dips == [-1, 1, -1]  # the dip: D_gen is at the LARGEST falling crossing
    rows = search.dgen_rows(search.open_searches(paths))
    assert len(rows) == 8
    for r in rows:
        t = truth[r["N"]]
        assert r["status"] == "ok" and r["D_gen"] == t[r["L"]], r
        assert r["D_gen_lo"] == t[r["L"]] and r["D_gen_hi"] == t[(r["L"], "hi")]
    assert "crossing" in search.SearchFile(paths[0]).ds.dims
    res = tool("dgen", *paths, "-o", tmp_path / "dg")
    assert res.rc == 0, res.err
    for L, name in ((3, "L = 3"), (0, "L = D (dense)")):
        want = scipy.stats.linregress(np.log(Ns), np.log([truth[n][L] for n in Ns])).slope
        assert abs(want - (1.0 if L else 0.5)) < 0.03
        assert f"fit {name}: D_gen ~ N^({want:.3f} +- " in res.out, res.out
    assert os.path.getsize(tmp_path / "dg.png") > 0
    text = open(tmp_path / "dg.csv").read()
    assert text.startswith("N,L,D_gen,D_gen_sem,alpha_D_gen,n_groups,samples,status,D_gen_lo,")
    assert f"1000,3,{truth[1000][3]:g},nan,0.1" in text and ",search\n" in text


def test_dgen_mixes_searches_and_grid_scans(tmp_path, tool):
    paths, truth = [], {}
    for N_ in (1000, 2000, 4000):
        p, t = _dgen_search(tmp_path / f"dg-{N_}.h5", N_, Ls=(3,))
        paths.append(p)
        truth[N_] = t[3]
    N8, Ds = 8000, np.unique(np.rint(np.geomspace(2, 8000, 120)))
    vals = np.full((2, len(Ds), 1, 12), 0.4)
    vals[:, Ds <= 800, 0, :] = 0.95
    truth[N8] = Ds[Ds <= 800].max()
    m = {k: curves_to_m(vals, 2) for k in ("train", "test", "feature")}
    paths.append(write_scan(str(tmp_path / "grid8000.h5"), [0.5, 2.0], Ds / N8, np.array([3]),
                            m, N=N8))
    res = tool("dgen", *paths, "-o", tmp_path / "mix")
    assert res.rc == 0, res.err
    for N_, t in truth.items():
        assert f"N = {N_:6d}  L = 3           D_gen = {t:g}" in res.out, res.out
    want = scipy.stats.linregress(np.log(list(truth)), np.log(list(truth.values()))).slope
    assert f"fit L = 3: D_gen ~ N^({want:.3f}" in res.out
    # the same (N, L) twice: refused
    res = tool("dgen", paths[0], str(tmp_path / "dg-1000.h5"), "-o", tmp_path / "x")
    assert res.rc == 2 and "N = 1000, L = 3 is in two inputs" in res.err


def test_dgen_search_edge_and_refusals(tmp_path, tool):
    # the range ends below D_gen: the largest evaluated D is a lower bound
    p, _ = _dgen_search(tmp_path / "edge.h5", 1000, Ls=(3,), top=0.05)
    r = search.dgen_rows([hp.SearchFile(p)])[0]
    assert r["status"] == "edge" and r["D_gen"] == 50
    a, _ = _alpha_search(tmp_path / "a.h5")
    res = tool("dgen", a, "-o", tmp_path / "x")
    assert res.rc == 2 and "dgen needs a search along alpha_D" in res.err
    # --alpha picks one line: at alpha 0.5 D_gen is half as large
    p2, t = _dgen_search(tmp_path / "two.h5", 1000, Ls=(3,))
    r = search.dgen_rows([hp.SearchFile(p2)], alpha=0.5)[0]
    lat_D = np.rint(search_lattice(2.0 / 1000, 1.0, 1000) * 1000)
    assert r["D_gen"] == lat_D[lat_D <= 50].max() < t[3]
    with pytest.raises(hp.HopscanError, match="alpha = 0.7 is not a line"):
        search.dgen_rows([hp.SearchFile(p2)], alpha=0.7)
