"""Writes contract-conformant hopscan-scan/1 files (DESIGN.md "Output HDF5 file") with data of a
known structure, for tests that need an exactly known answer (a crossing at a chosen alpha, a
D_gen with a chosen slope). The files have every root attribute, dataset, dtype and shape of the
contract, and /summary computed from the done samples as the contract defines it."""

import h5py
import numpy as np

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


def write_scan(path, alpha, alpha_D, L, m, done=None, N=1000, seed=1, model="rfhm",
               threshold=0.9, max_sweeps=200):
    """m: {kind: array [A,B,C,S,n]} of overlaps (n may be 0 for a kind). done: bool [A,B,C,S]
    (default all True); rows of samples not done are written as NaN, as in a running scan."""
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
            sg["mean"], sg["sem"], sg["frac_retrieved"] = mean, sem, frac
    return path


def curves_to_m(per_sample, n):
    """Per-sample values [A,B,C,S] -> probes [A,B,C,S,n] whose probe mean is exactly the value."""
    return np.repeat(np.asarray(per_sample, dtype=np.float64)[..., None], n, axis=4)
