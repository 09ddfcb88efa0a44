"""Transition-search files made by the built hopscan binary (see conftest.py; skipped without
HOPSCAN): `transitions` reports the crossings the file holds (read back here with h5py alone),
`dgen` takes D at crossing_lo of the largest falling crossing, `map --search` draws a search over
a real grid map."""

import csv
import io

import h5py
import numpy as np

from conftest import make_real_scan

# D_gen searches: along alpha_D, all 4 samples above m_test = 0.9, two alpha lines
SEARCH_DGEN = """\
model: rfhm
N: {N}
alpha: [0.5, 1.0]
L: [3, dense]
samples: 4
probes: {{train: 4, test: 6, feature: 3}}
dynamics: {{order: random, max_sweeps: 100}}
seed: {seed}
search: {{along: alpha_D, range: [0.02, 0.9], observable: test, statistic: min_sample_mean,
         level: 0.9, tolerance: 0.02, coarse: 8}}
"""

# the generalization line along alpha, on lines of the real grid scan (REAL_CONFIG, N = 200)
SEARCH_ALPHA = """\
model: rfhm
N: {N}
alpha_D: [0.05, 0.1]
L: [3, dense]
samples: 3
probes: {{train: 4, test: 4, feature: 4}}
dynamics: {{order: random, max_sweeps: 100}}
retrieval_threshold: 0.9
seed: {seed}
search: {{along: alpha, range: [0.02, 1.0], observable: test, statistic: mean, level: 0.5,
         tolerance: 0.04, coarse: 6}}
"""


def _h5(path):
    """The search variables as h5py reads them (no xarray, no hopscan_plot)."""
    with h5py.File(path, "r", locking=False) as f:
        out = {k: f[k][...] for k in ("crossing_lo", "crossing_hi", "crossing_value",
                                      "crossing_direction", "n_crossings", "statistic",
                                      "alpha", "alpha_D", "L")}
        out["N"] = int(f.attrs["N"])
        out["level"] = float(f.attrs["search_level"])
    return out


def _dgen_h5(v, ic):
    """D_gen of L index ic from the raw variables: over the alpha lines, D at crossing_lo of the
    largest falling crossing ('edge': the largest evaluated D still above the level)."""
    best = []
    for ia in range(len(v["alpha"])):
        st = v["statistic"][ia, :, ic]
        last = np.nonzero(np.isfinite(st))[0][-1]
        if st[last] > v["level"]:
            best.append((round(v["alpha_D"][last] * v["N"]), "edge"))
            continue
        k = [j for j in range(v["n_crossings"][ia, ic]) if v["crossing_direction"][ia, ic, j] < 0]
        if k:
            best.append((round(max(v["crossing_lo"][ia, ic, j] for j in k) * v["N"]), "ok"))
    return max(best) if best else None


def test_real_search_transitions_and_dgen(real_dir, tool, tmp_path):
    paths = [make_real_scan(real_dir, N=N, name=f"search-dgen-N{N}", template=SEARCH_DGEN)
             for N in (200, 300)]
    v = _h5(paths[0])
    res = tool("transitions", paths[0], "-o", tmp_path / "c.csv")
    assert res.rc == 0, res.err
    rows = list(csv.DictReader(io.StringIO(open(tmp_path / "c.csv").read())))
    assert len(rows) == int(v["n_crossings"].sum()) > 0
    for r in rows:
        ia = int(np.argmin(np.abs(v["alpha"] - float(r["alpha"]))))
        ic, k = list(v["L"]).index(int(r["L"])), int(r["crossing"])
        assert float(r["lo"]) == float(f"{v['crossing_lo'][ia, ic, k]:.6g}")
        assert int(r["D_lo"]) == round(v["crossing_lo"][ia, ic, k] * 200)
        assert int(r["D_hi"]) == round(v["crossing_hi"][ia, ic, k] * 200)
        assert int(r["direction"]) == v["crossing_direction"][ia, ic, k] != 0
        assert r["line_done"] == "1" and r["statistic"] == "min_sample_mean"
    res = tool("dgen", *paths, "--k", "4", "-o", tmp_path / "dg")
    assert res.rc == 0, res.err
    out = list(csv.DictReader(line for line in open(tmp_path / "dg.csv") if line[0] != "#"))
    assert len(out) == 4 and {r["source"] for r in out} == {"search"}
    for r in out:
        p = paths[[200, 300].index(int(r["N"]))]
        want = _dgen_h5(_h5(p), list(_h5(p)["L"]).index(int(r["L"])))
        if want is None:
            assert r["status"] == "none"
        else:
            assert (int(float(r["D_gen"])), r["status"]) == want, (r, want)


def test_real_search_over_a_real_map(real_dir, real_scan, tool, tmp_path):
    s = make_real_scan(real_dir, N=200, name="search-alpha-N200", template=SEARCH_ALPHA)
    res = tool("map", real_scan, "--search", s, "-o", tmp_path / "m.png", "--dpi", "60")
    assert res.rc == 0, res.err
    assert "match no panel" not in res.err  # alpha_D 0.05, 0.1 and L 3, dense are on the grid
    with open(tmp_path / "m.png", "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    res = tool("map", real_scan, "--search", s, "--L", "1", "-o", tmp_path / "m1.png")
    assert res.rc == 0 and "4 of 4 search lines match no panel" in res.err, res.err
    res = tool("info", s)
    assert res.rc == 0 and "search:     along alpha, mean of test probes crosses 0.5" in res.out
