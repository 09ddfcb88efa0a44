"""Writes contract-conformant scan files with data of a known structure, for tests that need an
exactly known answer (a crossing at a chosen alpha, a D_gen with a chosen slope).

write_scan(..., fmt=2) writes format "hopscan-scan/2" (DESIGN.md "Output file") with xarray and
h5netcdf: flat, every dimension a coordinate variable, NaN fill values, long_name and units, the
summaries computed from the done samples as the contract defines them. fmt=1 writes the first
version's layout (/grid, /samples/done, /probes/KIND, /summary/KIND) with h5py."""

import h5py
import numpy as np
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
        "config_yaml": config_text(N, alpha, alpha_D, L, S, n3, seed, model, threshold,
                                   max_sweeps),
        "config_sha256": "0" * 64, "model": model, "N": np.int64(N), "seed": np.uint64(seed),
        "created_utc": "2026-01-01T00:00:00Z"})
    ds.to_netcdf(path, engine="h5netcdf", encoding=enc)
    return path
