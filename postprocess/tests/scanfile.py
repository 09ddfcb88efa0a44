"""Writes contract-conformant scan files with data of a known structure, for tests that need an
exactly known answer (a crossing at a chosen alpha, a D_gen with a chosen slope).

write_scan(..., fmt=2) writes format "hopscan-scan/2" (DESIGN.md "Output file") with xarray and
h5netcdf: flat, every dimension a coordinate variable, NaN fill values, long_name and units, the
summaries computed from the done samples as the contract defines them. fmt=1 writes the first
version's layout (/grid, /samples/done, /probes/KIND, /summary/KIND) with h5py.

write_search(...) writes a transition-search file (format 2 plus the search attributes, the
dimension `crossing` and the variables of the search contract, docs/output.md): it runs the
contract's search on known per-sample values (coarse pass, bisection of brackets, top-up samples
at ambiguous points), so the file holds exactly the points such a search evaluates, NaN and not
done elsewhere, and the crossings the contract defines."""

import math

import h5py
import numpy as np
import scipy.stats
import xarray as xr

KINDS = ("train", "test", "feature")


def config_text(N, alpha, alpha_D, L, S, n, seed, model="rfhm", threshold=0.9, max_sweeps=200):
    Ls = ", ".join("dense" if int(x) == 0 else str(int(x)) for x in L)
    return (
        f"model: {model}\nN: {N}\n"
        f"alpha: [{', '.join(repr(float(a)) for a in alpha)}]\n"
        f"alpha_D: [{', '.join(repr(float(a)) for a in alpha_D)}]\n"
        f"L: [{Ls}]\ncoefficients: pm1\nsamples: {S}\n"
        f"probes: {{train: {n[0]}, test: {n[1]}, feature: {n[2]}}}\n"
        f"dynamics: {{order: random, max_sweeps: {max_sweeps}}}\n"
        f"retrieval_threshold: {threshold}\nseed: {seed}\n")


def summaries(mk, done, threshold):
    """mean, sem, frac_retrieved [A,B,C] of one kind's m [A,B,C,S,n] over done samples."""
    A, B, C, S, nk = mk.shape
    mean = np.full((A, B, C), np.nan)
    sem = np.full((A, B, C), np.nan)
    frac = np.full((A, B, C), np.nan)
    if nk > 0:
        per = mk.astype(np.float64).mean(axis=4)
        nd = done.sum(axis=3)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(np.where(done, per, 0), axis=3) / nd
            dev = np.where(done, per - mean[..., None], 0.0)
            sem = np.sqrt((dev ** 2).sum(axis=3) / (nd - 1) / nd)
            frac = (np.where(done[..., None], mk, -np.inf) > threshold).sum(
                axis=(3, 4)) / (nd * nk)
        mean[nd == 0] = np.nan
        frac[nd == 0] = np.nan
    return mean, sem, frac


def write_scan(path, alpha, alpha_D, L, m, done=None, N=1000, seed=1, model="rfhm",
               threshold=0.9, max_sweeps=200, fmt=2, components=None):
    """m: {kind: array [A,B,C,S,n]} of overlaps (n may be 0 for a kind). done: bool [A,B,C,S]
    (default all True); rows of samples not done are written as NaN, as in a running scan.
    components: {mixture kind: array like m} (format 2 only)."""
    if fmt == 2:
        return write_scan2(path, alpha, alpha_D, L, m, done, N, seed, model, threshold,
                           max_sweeps, components or {})
    alpha = np.asarray(alpha, dtype=np.float64)
    alpha_D = np.asarray(alpha_D, dtype=np.float64)
    L = np.asarray(L, dtype=np.int32)
    A, B, C = len(alpha), len(alpha_D), len(L)
    S = m["train"].shape[3]
    if done is None:
        done = np.ones((A, B, C, S), dtype=bool)
    n = tuple(m[k].shape[4] if k in m else 0 for k in KINDS)
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "hopscan-scan/1"
        f.attrs["hopscan_version"] = "test-fixture"
        f.attrs["config_yaml"] = config_text(N, alpha, alpha_D, L, S, n, seed, model, threshold,
                                             max_sweeps)
        f.attrs["config_sha256"] = "0" * 64
        f.attrs["model"] = model
        f.attrs["N"] = np.int64(N)
        f.attrs["seed"] = np.uint64(seed)
        f.attrs["created_utc"] = "2026-01-01T00:00:00Z"
        g = f.create_group("grid")
        g["alpha"] = alpha
        g["alpha_D"] = alpha_D
        g["L"] = L
        g["P"] = np.rint(alpha * N).astype(np.int64)
        g["D"] = np.rint(alpha_D * N).astype(np.int64)
        f.create_group("samples")["done"] = done.astype(np.uint8)
        for k, nk in zip(KINDS, n):
            mk = m.get(k, np.zeros((A, B, C, S, 0)))
            mk = np.array(mk, dtype=np.float32)
            mk[~done] = np.nan
            sw = np.where(done[..., None], 3, -2) * np.ones(mk.shape, dtype=np.int32)
            pg = f.create_group(f"probes/{k}")
            pg["m"] = mk
            pg["sweeps"] = sw.astype(np.int32)
            sg = f.create_group(f"summary/{k}")
            mean, sem, frac = summaries(mk, done, threshold)
            sg["mean"], sg["sem"], sg["frac_retrieved"] = mean, sem, frac
    return path


def curves_to_m(per_sample, n):
    """Per-sample values [A,B,C,S] -> probes [A,B,C,S,n] whose probe mean is exactly the value."""
    return np.repeat(np.asarray(per_sample, dtype=np.float64)[..., None], n, axis=4)


def _kinds_n(m):
    std = [k for k in KINDS if k in m] + sorted(k for k in m if k not in KINDS)
    return [(k, m[k].shape[4]) for k in std]


def write_scan2(path, alpha, alpha_D, L, m, done, N, seed, model, threshold, max_sweeps,
                components):
    """Format hopscan-scan/2 (see write_scan)."""
    ds, enc = scan2_dataset(alpha, alpha_D, L, m, done, N, seed, model, threshold, max_sweeps,
                            components)
    ds.to_netcdf(path, engine="h5netcdf", encoding=enc)
    return path


def scan2_dataset(alpha, alpha_D, L, m, done, N, seed, model, threshold, max_sweeps,
                  components, config=None):
    """(xarray Dataset, encoding) of a format-2 file (see write_scan); config: the config_yaml
    text (default: config_text of the grid)."""
    alpha = np.asarray(alpha, dtype=np.float64)
    alpha_D = np.asarray(alpha_D, dtype=np.float64)
    L = np.asarray(L, dtype=np.int32)
    A, B, C = len(alpha), len(alpha_D), len(L)
    S = next(iter(m.values())).shape[3]
    if done is None:
        done = np.ones((A, B, C, S), dtype=bool)
    kn = _kinds_n(m)
    n3 = tuple(dict(kn).get(k, 0) for k in KINDS)
    base = ("alpha", "alpha_D", "L", "sample")
    coords = {
        "alpha": ("alpha", alpha, {"long_name": "examples per neuron P/N", "units": "1"}),
        "alpha_D": ("alpha_D", alpha_D, {"long_name": "features per neuron D/N", "units": "1"}),
        "L": ("L", L, {"long_name": "features per example (0: dense, L = D)"}),
        "sample": ("sample", np.arange(S, dtype=np.int32), {"long_name": "disorder sample"}),
        "P": ("alpha", np.rint(alpha * N).astype(np.int64), {"long_name": "examples P"}),
        "D": ("alpha_D", np.rint(alpha_D * N).astype(np.int64), {"long_name": "features D"}),
    }
    data = {"done": (base, done.astype(np.uint8), {"long_name": "sample done (1) or not (0)"})}
    enc = {"done": {"_FillValue": None}}
    for k, nk in kn:
        if nk == 0:
            continue
        pdim = f"probe_{k}"
        coords[pdim] = (pdim, np.arange(nk, dtype=np.int32), {"long_name": f"{k} probe"})
        mk = np.array(m[k], dtype=np.float32)
        mk[~done] = np.nan
        data[f"m_{k}"] = ((*base, pdim), mk, {"long_name": f"overlap of the fixed point with "
                                              f"the {k} start", "units": "1"})
        sw = np.where(done[..., None], 3.0, np.nan) * np.ones(mk.shape)  # NaN: fill -2
        data[f"sweeps_{k}"] = ((*base, pdim), sw,
                               {"long_name": "sweeps to the fixed point, -1 if max_sweeps hit"})
        enc[f"sweeps_{k}"] = {"dtype": "int32", "_FillValue": np.int32(-2)}  # as hopscan does
        if k in components:
            ck = np.array(components[k], dtype=np.float32)
            ck[~done] = np.nan
            data[f"m_components_{k}"] = ((*base, pdim), ck, {
                "long_name": "mean |overlap| with the mixture components", "units": "1"})
        mean, sem, frac = summaries(mk, done, threshold)
        for name, v in (("mean", mean), ("sem", sem), ("frac_retrieved", frac)):
            data[f"{name}_{k}"] = (base[:3], v, {"long_name": f"{name} of m_{k}", "units": "1"})
    for name, v in data.items():
        if v[1].dtype.kind == "f" and name not in enc:
            enc[name] = {"_FillValue": np.nan}
    for name in ("alpha", "alpha_D"):
        enc[name] = {"_FillValue": None}
    ds = xr.Dataset(data, coords=coords, attrs={
        "format": "hopscan-scan/2", "hopscan_version": "test-fixture",
        "config_yaml": config or config_text(N, alpha, alpha_D, L, S, n3, seed, model,
                                             threshold, max_sweeps),
        "config_sha256": "0" * 64, "model": model, "N": np.int64(N), "seed": np.uint64(seed),
        "created_utc": "2026-01-01T00:00:00Z"})
    return ds, enc


# ---- transition-search files (issue 14) ----

def search_lattice(lo, hi, N, tolerance=0.02, odd=False):
    """The searched axis: the distinct integers v = round(x N) (odd ones with odd) of a log-spaced
    grid over [lo, hi] with spacing tolerance/2 in log10, as the values v / N."""
    n = int(math.ceil(math.log10(hi / lo) / (tolerance / 2))) + 1
    x = np.geomspace(lo, hi, n) * N
    v = 2 * np.floor(x / 2).astype(np.int64) + 1 if odd else np.rint(x).astype(np.int64)
    return np.unique(v[v > 0]) / N


def _point_stat(x, f, n, statistic):
    """(statistic, halfwidth) of a point from its first n per-sample values x (mean m), f (frac)."""
    v = (f if statistic == "frac_retrieved" else x)[:n]
    if statistic == "min_sample_mean":
        return float(v.min()), 0.0
    # the 95 % interval with Student's t quantile, as hopscan's search_t95
    hw = (scipy.stats.t.ppf(0.975, n - 1) * np.std(v, ddof=1) / math.sqrt(n) if n > 1
          else float("nan"))
    return float(v.mean()), float(hw)


def _evaluate(i, x, f, n, stat, hw, spec):
    """Samples point i (top-ups while ambiguous, up to max_samples) and sets stat, hw."""
    n[i] = max(n[i], spec["samples"])
    while True:
        stat[i], hw[i] = _point_stat(x[i], f[i], n[i], spec["statistic"])
        if not abs(stat[i] - spec["level"]) < hw[i] or n[i] >= spec["max_samples"]:
            return
        n[i] = min(n[i] + spec["samples"], spec["max_samples"])


def _search_line(x, f, lattice, spec, rounds):
    """The contract's search on one line: per-sample x, f [V, Smax] over the lattice [V].
    Returns (n [V] samples per point, stat [V], hw [V], crossings [dict], finished)."""
    V, level = len(lattice), spec["level"]
    n, stat, hw = np.zeros(V, dtype=np.int64), np.full(V, np.nan), np.full(V, np.nan)
    ev = sorted(set(np.rint(np.linspace(0, V - 1, spec["coarse"])).astype(int).tolist()))
    r = 0
    while True:
        for i in ev:
            _evaluate(i, x, f, n, stat, hw, spec)
        pairs = [(i, j) for i, j in zip(ev, ev[1:]) if (stat[i] > level) != (stat[j] > level)]
        new = [(i + j) // 2 for i, j in pairs
               if j - i > 1 and math.log10(lattice[j] / lattice[i]) > spec["tolerance"]]
        finished = not new
        if finished or (rounds is not None and r == rounds):
            break
        ev, r = sorted(set(ev) | set(new)), r + 1

    def ci_end(k, step):  # nearest evaluated point from ev[k] outwards that is not ambiguous
        while 0 <= k < len(ev):
            if not abs(stat[ev[k]] - level) < hw[ev[k]]:
                return lattice[ev[k]]
            k += step
        return lattice[0] if step < 0 else lattice[-1]

    crossings = []
    for i, j in pairs:
        t = (level - stat[i]) / (stat[j] - stat[i])
        value = math.exp(math.log(lattice[i]) + t * math.log(lattice[j] / lattice[i]))
        crossings.append({"lo": lattice[i], "hi": lattice[j], "value": value,
                          "direction": 1 if stat[j] > level else -1,
                          "ci_lo": ci_end(ev.index(i), -1), "ci_hi": ci_end(ev.index(j), 1)})
    return n, stat, hw, crossings, finished


def search_config_text(along, lattice, other, L, S, n, spec, N, seed, threshold=0.9):
    """config_yaml of a search: the searched key absent, a search section."""
    base = config_text(N, lattice if along == "alpha" else other,
                       other if along == "alpha" else lattice, L, S, n, seed,
                       threshold=threshold)
    base = "\n".join(ln for ln in base.split("\n") if not ln.startswith(f"{along}:"))
    return base + (f"search: {{along: {along}, range: [{lattice[0]!r}, {lattice[-1]!r}], "
                   f"observable: {spec['observable']}, statistic: {spec['statistic']}, "
                   f"level: {spec['level']}, tolerance: {spec['tolerance']}, "
                   f"coarse: {spec['coarse']}, max_samples: {spec['max_samples']}}}\n")


def write_search(path, along, lattice, other, L, m, statistic="mean", observable="test",
                 level=0.9, tolerance=0.02, coarse=8, samples=None, N=1000, seed=1,
                 threshold=0.9, rounds=None):
    """A transition-search file along `along` ('alpha' | 'alpha_D') over `lattice` (values v/N),
    lines = every (other, L). m: {kind: [A, B, C, Smax, n]} per-probe overlaps over the whole
    grid (alpha, alpha_D, L): the search reads the observable's kind, evaluates the points it
    needs, and only those are done in the file. samples: per point before top-ups (default
    Smax // 2; min_sample_mean: Smax). rounds: stop refining after that many bisection rounds
    (the lines still refining are then not done). Returns {(other index, L index): [crossing
    dicts with lo, hi, value, direction, ci_lo, ci_hi]} (sorted by lo)."""
    lattice, other = np.asarray(lattice, float), np.asarray(other, float)
    L = np.asarray(L, dtype=np.int32)
    mk = np.asarray(m[observable], dtype=np.float32).astype(np.float64)
    Smax = mk.shape[3]
    if samples is None:
        samples = Smax if statistic == "min_sample_mean" else Smax // 2
    spec = dict(statistic=statistic, observable=observable, level=level, tolerance=tolerance,
                coarse=coarse, samples=samples, max_samples=Smax)
    x_all, f_all = mk.mean(axis=4), (mk > threshold).mean(axis=4)
    if along == "alpha_D":  # lines first, then the lattice: [other, V, L, S]
        x_all, f_all = x_all.transpose(1, 0, 2, 3), f_all.transpose(1, 0, 2, 3)
    V, O, C, K = len(lattice), len(other), len(L), coarse - 1
    n, stat, hw = (np.zeros((V, O, C), dtype=np.int64), np.full((V, O, C), np.nan),
                   np.full((V, O, C), np.nan))
    cross = {k: np.full((O, C, K), np.nan) for k in ("lo", "hi", "value", "ci_lo", "ci_hi")}
    cross["direction"] = np.zeros((O, C, K), dtype=np.int32)
    line_done, n_cross, lines = np.zeros((O, C), np.uint8), np.zeros((O, C), np.int32), {}
    for io in range(O):
        for ic in range(C):
            n[:, io, ic], stat[:, io, ic], hw[:, io, ic], cr, fin = _search_line(
                x_all[:, io, ic], f_all[:, io, ic], lattice, spec, rounds)
            line_done[io, ic], n_cross[io, ic], lines[(io, ic)] = fin, len(cr), cr
            for k, c in enumerate(cr):
                for name in cross:
                    cross[name][io, ic, k] = c[name]
    if along == "alpha_D":
        n, stat, hw = (a.transpose(1, 0, 2) for a in (n, stat, hw))
    done = np.arange(Smax)[None, None, None, :] < n[..., None]
    alpha, alpha_D = (lattice, other) if along == "alpha" else (other, lattice)
    kn = tuple(m[k].shape[4] if k in m else 0 for k in KINDS)
    ds, enc = scan2_dataset(alpha, alpha_D, L, m, done, N, seed, "rfhm", threshold, 200, {},
                            config=search_config_text(along, lattice, other, L, samples, kn,
                                                      spec, N, seed, threshold))
    _add_search(ds, enc, along, spec, n, stat, hw, cross, line_done, n_cross)
    ds.to_netcdf(path, engine="h5netcdf", encoding=enc)
    return lines


def _add_search(ds, enc, along, spec, n, stat, hw, cross, line_done, n_cross):
    """The search attributes, dimension and variables of the contract, added to ds / enc."""
    line = ("alpha_D", "L") if along == "alpha" else ("alpha", "L")
    K = cross["lo"].shape[2]
    ds.coords["crossing"] = ("crossing", np.arange(K, dtype=np.int32),
                             {"long_name": "crossing of the line (sorted by crossing_lo)"})
    grid = ("alpha", "alpha_D", "L")
    ds["search_samples"] = (grid, n.astype(np.int32), {"long_name": "samples requested"})
    ds["statistic"] = (grid, stat, {"long_name": f"{spec['statistic']} of {spec['observable']}"})
    ds["statistic_halfwidth"] = (grid, hw, {"long_name": "half width of the 95 % interval (Student t)"})
    ds["line_done"] = (line, line_done, {"long_name": "1 when the line's search is finished"})
    ds["n_crossings"] = (line, n_cross, {"long_name": "crossings located"})
    for name in ("lo", "hi", "value", "ci_lo", "ci_hi", "direction"):
        ds[f"crossing_{name}"] = ((*line, "crossing"), cross[name],
                                  {"long_name": f"crossing {name}"})
        enc[f"crossing_{name}"] = {"_FillValue": np.nan}
    enc["crossing_direction"] = {"_FillValue": np.int32(0)}  # 0: no crossing (fill)
    for name in ("statistic", "statistic_halfwidth"):
        enc[name] = {"_FillValue": np.nan}
    for name in ("search_samples", "line_done", "n_crossings"):  # fill 0, as hopscan writes
        enc[name] = {"_FillValue": ds[name].dtype.type(0)}
    enc["crossing"] = {"_FillValue": None}
    ds.attrs.update({"search_along": along, "search_observable": spec["observable"],
                     "search_statistic": spec["statistic"],
                     "search_level": np.float64(spec["level"]),
                     "search_tolerance": np.float64(spec["tolerance"]),
                     "search_coarse": np.int64(spec["coarse"]),
                     "search_max_samples": np.int64(spec["max_samples"])})
