#!/usr/bin/python3
"""Checks a hopscan output file against the contract (DESIGN.md "Output HDF5 file") with h5py.

usage: output_check.py [--synthetic] [--complete] OUT.h5
       output_check.py --same-metadata BEFORE.h5 AFTER.h5

Checks root attributes (types, config hash), /provenance, /grid axes and dimension scales, the
shape and type of every /probes, /samples and /summary dataset, a `description` on every
dataset, plausible values in every row marked done, and that /summary equals a recomputation
from /probes and /samples/done. --synthetic: the rows also equal the synthetic values written
by tests/test_output.c and rows not marked done are still the fill values. --complete: every
sample must be done. --same-metadata: AFTER differs from BEFORE (a copy of the same file taken
earlier) only inside the raw data of its datasets, i.e. no metadata was rewritten. Exit status 0 when everything holds, 1 otherwise (with one line per
problem). Usable on a file that a scan is writing at the same moment.
"""
import hashlib
import re
import sys

import h5py
import numpy as np

import summary_oracle

KINDS = ("train", "test", "feature")
STATS = summary_oracle.STATS
problems = []


def need(cond, what):
    if not cond:
        problems.append(what)
    return cond


def same(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    both_nan = np.isnan(a) & np.isnan(b)
    close = np.abs(a - b) <= 1e-12 * (1.0 + np.abs(b))
    return bool(np.all(both_nan | close))


def syn_m(tid, k, j):
    return np.float32(((tid * 7 + j * 3 + k * 5) % 21) / 10.0 - 1.0)


def syn_sweeps(tid, k, j):
    return -1 if (j == 1 and tid % 4 == 0) else tid * 100 + j + k * 10


def raw_ranges(path):
    """Byte ranges [start, end) of the raw data of every contiguous dataset."""
    out = []
    with h5py.File(path, "r", locking=False) as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                off = obj.id.get_offset()
                if off is not None:
                    out.append((off, off + obj.id.get_storage_size()))
        f.visititems(visit)
    return sorted(out)


def same_metadata(a, b):
    """Every byte of b outside the datasets' raw data equals a: nothing but raw data changed."""
    ra, rb = raw_ranges(a), raw_ranges(b)
    need(ra == rb, "same dataset placement")
    da, db = open(a, "rb").read(), open(b, "rb").read()
    need(len(da) == len(db), f"same file size ({len(da)} vs {len(db)})")
    mask = bytearray(b"\x01") * min(len(da), len(db))
    for lo, hi in rb:
        mask[lo:hi] = bytes(hi - lo)
    diff = [i for i in range(len(mask)) if mask[i] and da[i] != db[i]]
    need(not diff, f"metadata bytes unchanged (first differing offsets {diff[:5]})")
    for p in problems:
        print(f"output_check: FAILED: {p}")
    if not problems:
        print(f"output_check: {b}: only raw data changed since {a} ({len(rb)} datasets)")
    return 1 if problems else 0


def main(argv):
    if argv and argv[0] == "--same-metadata":
        return same_metadata(argv[1], argv[2])
    synthetic = "--synthetic" in argv
    complete = "--complete" in argv
    paths = [a for a in argv if not a.startswith("--")]
    if len(paths) != 1:
        print(__doc__)
        return 2
    f = h5py.File(paths[0], "r", locking=False)
    a = f.attrs
    need(a.get("format") == "hopscan-scan/1", "format attribute")
    for name in ("hopscan_version", "config_yaml", "config_sha256", "model", "created_utc"):
        need(isinstance(a.get(name), str), f"root attribute {name} is a string")
    yaml = a["config_yaml"]
    need(hashlib.sha256(yaml.encode()).hexdigest() == a["config_sha256"], "config_sha256 matches config_yaml")
    need(a["N"].dtype == np.int64, "N is int64")
    need(a["seed"].dtype == np.uint64, "seed is uint64")
    need(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", a["created_utc"]) is not None, "created_utc ISO 8601")
    model = a["model"]
    need(model in ("rfhm", "hopfield"), "model is rfhm or hopfield")
    need(f"model: {model}" in yaml, "model attribute matches config_yaml")
    need(re.search(rf"^N: {int(a['N'])}$", yaml, re.M) is not None, "N attribute matches config_yaml")
    prov = f["provenance"].attrs
    for name in ("git_commit", "compiler_flags", "hdf5_version", "mpi_library", "hostname"):
        need(name in prov, f"/provenance has {name}")
    N = int(a["N"])

    g = f["grid"]
    alpha, alpha_D, L = g["alpha"], g["alpha_D"], g["L"]
    need(alpha.dtype == np.float64 and alpha_D.dtype == np.float64, "alpha axes are f64")
    need(L.dtype == np.int32, "/grid/L is i32")
    need(g["P"].dtype == np.int64 and g["D"].dtype == np.int64, "/grid/P, /grid/D are i64")
    A, B, C = len(alpha), len(alpha_D), len(L)
    need(g["P"].shape == (A,) and g["D"].shape == (B,), "P, D shapes")
    need(np.all(np.abs(g["P"][()] - alpha[()] * N) <= 0.5 + 1e-9), "P = round(alpha N)")
    need(np.all(np.abs(g["D"][()] - alpha_D[()] * N) <= 0.5 + 1e-9), "D = round(alpha_D N)")
    if model == "hopfield":
        need(B == 1 and C == 1 and alpha_D[0] == 0 and L[0] == 0, "hopfield axes alpha_D = L = 0")
    for ax in (alpha, alpha_D, L):
        need(ax.attrs.get("CLASS") == b"DIMENSION_SCALE", f"{ax.name} is a dimension scale")

    done = f["samples/done"]
    need(done.dtype == np.uint8 and done.ndim == 4 and done.shape[:3] == (A, B, C), "/samples/done u8[A,B,C,S]")
    S = done.shape[3]
    d = done[()]
    need(np.all((d == 0) | (d == 1)), "done flags are 0 or 1")
    if complete:
        need(np.all(d == 1), "every sample done")
    m_thr = re.search(r"^retrieval_threshold: (\S+)$", yaml, re.M)
    need(m_thr is not None, "retrieval_threshold in config_yaml")

    def axes_attached(ds, ndims):
        names = ["/grid/alpha", "/grid/alpha_D", "/grid/L", "/grid/sample"]
        for i in range(ndims):
            need(len(ds.dims[i]) >= 1 and ds.dims[i][0].name == names[i], f"{ds.name} dim {i} scale {names[i]}")

    axes_attached(done, 4)
    flat_done = d.reshape(-1)
    for k, kind in enumerate(KINDS):
        m, sw = f[f"probes/{kind}/m"], f[f"probes/{kind}/sweeps"]
        need(m.dtype == np.float32 and sw.dtype == np.int32, f"{kind} m f32, sweeps i32")
        need(m.ndim == 5 and m.shape[:4] == (A, B, C, S) and sw.shape == m.shape, f"{kind} shapes [A,B,C,S,n]")
        axes_attached(m, 4)
        axes_attached(sw, 4)
        n = m.shape[4]
        mv = m[()].reshape(A * B * C * S, n)
        sv = sw[()].reshape(A * B * C * S, n)
        dn = flat_done == 1
        need(not np.any(np.isnan(mv[dn])), f"{kind}: no NaN in done rows")
        need(np.all(np.abs(mv[dn]) <= 1.0), f"{kind}: |m| <= 1 in done rows")
        need(np.all(sv[dn] >= -1), f"{kind}: sweeps >= -1 in done rows")
        if synthetic:
            for t in range(A * B * C * S):
                for j in range(n):
                    if dn[t]:
                        need(mv[t, j] == syn_m(t, k, j) and sv[t, j] == syn_sweeps(t, k, j),
                             f"{kind} row {t} probe {j} synthetic value")
                    else:
                        need(np.isnan(mv[t, j]) and sv[t, j] == -2, f"{kind} row {t} probe {j} still fill")
        # Recompute the summaries from /probes over the done samples (the shared oracle).
        want_all = summary_oracle.recompute(f, kind)
        for q in STATS:
            want = want_all[q]
            ds = f[f"summary/{kind}/{q}"]
            need(ds.dtype == np.float64 and ds.shape == (A, B, C), f"/summary/{kind}/{q} f64[A,B,C]")
            axes_attached(ds, 3)
            need(same(ds[()], want), f"/summary/{kind}/{q} equals the recomputation")

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            need(isinstance(obj.attrs.get("description"), str) and obj.attrs["description"],
                 f"/{name} has a description")

    f.visititems(visit)
    f.close()
    for p in problems:
        print(f"output_check: FAILED: {p}")
    if not problems:
        print(f"output_check: {paths[0]}: OK ({int(d.sum())}/{d.size} samples done)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
