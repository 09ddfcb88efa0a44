#!/usr/bin/python3
"""Checks a hopscan output file against the contract (DESIGN.md "Output file", format
hopscan-scan/2) with h5py.

usage: output_check.py [--synthetic] [--complete] OUT.h5
       output_check.py --same-metadata BEFORE.h5 AFTER.h5

The variables the file must hold come from the writer's own schema table: the config stored in
the file is given to tests/output_schema_dump (next to $HOPSCAN in the build tree, or
$HOPSCAN_SCHEMA_DUMP), whose JSON lists every variable with its type, dimensions, shape,
long_name, units and fill value; the file must hold exactly these at the root (plus the group
/provenance). Also checks root attributes (types, config hash), that every dimension is a
dimension scale with a coordinate variable of its name attached to every variable, coordinate
values, plausible values in every row marked done, and that the summaries equal a recomputation
from m_KIND and done. --synthetic: the rows also equal the synthetic values written by
tests/test_output.c and rows not marked done are still the fill values. --complete: every sample
must be done. --same-metadata: AFTER differs from BEFORE (a copy of the same file taken earlier)
only inside the raw data of its datasets, i.e. no metadata was rewritten. Exit status 0 when
everything holds, 1 otherwise (with one line per problem). Usable on a file that a scan is
writing at the same moment.
"""
import json
import os
import subprocess
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


def schema_dump(yaml):
    """The writer's schema for the stored config (a list of variable dicts)."""
    exe = os.environ.get("HOPSCAN_SCHEMA_DUMP")
    if not exe:
        hop = os.environ.get("HOPSCAN", "")
        exe = os.path.join(os.path.dirname(hop), "tests", "output_schema_dump")
    p = subprocess.run([exe, "-"], input=yaml, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"output_check: {exe} failed: {p.stderr}")
    return json.loads(p.stdout)


DTYPES = {"f64": np.float64, "f32": np.float32, "i64": np.int64, "i32": np.int32, "u8": np.uint8}


def check_root(f):
    """Root attributes and /provenance; returns (config_yaml, model, N)."""
    a = f.attrs
    S = summary_oracle.attr_str
    need(a.get("format") is not None and S(f, "format") == "hopscan-scan/2", "format attribute")
    for name in ("hopscan_version", "config_yaml", "config_sha256", "model", "created_utc"):
        need(name in a and isinstance(S(f, name), str), f"root attribute {name} is a string")
    yaml = S(f, "config_yaml")
    need(hashlib.sha256(yaml.encode()).hexdigest() == S(f, "config_sha256"), "config_sha256 matches config_yaml")
    need(a["N"].dtype == np.int64, "N is int64")
    need(a["seed"].dtype == np.uint64, "seed is uint64")
    need(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", S(f, "created_utc")) is not None, "created_utc ISO 8601")
    model = S(f, "model")
    need(model in ("rfhm", "hopfield"), "model is rfhm or hopfield")
    need(f"model: {model}" in yaml, "model attribute matches config_yaml")
    need(re.search(rf"^N: {int(a['N'])}$", yaml, re.M) is not None, "N attribute matches config_yaml")
    prov = f["provenance"].attrs
    for name in ("git_commit", "compiler_flags", "hdf5_version", "mpi_library", "hostname"):
        need(name in prov, f"/provenance has {name}")
    return yaml, model, int(a["N"])


def check_variables(f, schema):
    """Exactly the schema's variables, each with its type, shape, attributes and scales."""
    names = [v["name"] for v in schema]
    datasets = sorted(k for k in f if isinstance(f[k], h5py.Dataset))
    groups = sorted(k for k in f if isinstance(f[k], h5py.Group))
    need(datasets == sorted(names), f"variables {datasets} == schema {sorted(names)}")
    need(groups == ["provenance"], f"groups {groups} == ['provenance']")
    for v in schema:
        if v["name"] not in f:
            continue
        ds = f[v["name"]]
        need(ds.dtype == DTYPES[v["type"]], f"{v['name']} is {v['type']} (got {ds.dtype})")
        need(list(ds.shape) == v["shape"], f"{v['name']} shape {ds.shape} == {v['shape']}")
        ln = ds.attrs.get("long_name")
        need(ln is not None and ln.decode() == v["long_name"], f"{v['name']} long_name")
        un = ds.attrs.get("units")
        need((un.decode() if un is not None else None) == v["units"], f"{v['name']} units")
        fv = ds.attrs.get("_FillValue")
        if v["fill"] is None:
            need(fv is None, f"{v['name']} has no _FillValue")
        elif need(fv is not None and fv.dtype == ds.dtype, f"{v['name']} _FillValue of its type"):
            need(np.isnan(fv) if v["fill"] == "NaN" else fv == v["fill"], f"{v['name']} _FillValue value")
        if v["role"] == "axis":
            need(ds.attrs.get("CLASS") == b"DIMENSION_SCALE" and v["dims"] == [v["name"]], f"{v['name']} is a dimension scale")
            need(np.array_equal(ds[()], np.arange(ds.shape[0])) or v["name"] in ("alpha", "alpha_D", "L"),
                 f"{v['name']} is 0 .. n-1")
        else:
            for i, dim in enumerate(v["dims"]):
                need(len(ds.dims[i]) == 1 and ds.dims[i][0].name == "/" + dim,
                     f"{v['name']} dim {i} has the scale /{dim}")


def check_rows(f, schema, complete, synthetic):
    """done flags, plausible result rows, synthetic values, summaries against the oracle."""
    d = f["done"][()]
    need(np.all((d == 0) | (d == 1)), "done flags are 0 or 1")
    if complete:
        need(np.all(d == 1), "every sample done")
    dn = d.reshape(-1) == 1
    T = dn.size
    for kind in summary_oracle.kinds(f):
        k = summary_oracle.all_kinds(f).index(kind)
        mv = f[f"m_{kind}"][()].reshape(T, -1)
        sv = f[f"sweeps_{kind}"][()].reshape(T, -1)
        need(not np.any(np.isnan(mv[dn])), f"{kind}: no NaN in done rows")
        need(np.all(np.abs(mv[dn]) <= 1.0), f"{kind}: |m| <= 1 in done rows")
        need(np.all(sv[dn] >= -1), f"{kind}: sweeps >= -1 in done rows")
        if kind.startswith("mixture") and not synthetic:
            cv = f[f"m_components_{kind}"][()].reshape(T, -1)
            need(np.all((cv[dn] >= 0) & (cv[dn] <= 1)), f"{kind}: 0 <= m_components <= 1 in done rows")
        if synthetic:
            for t in range(T):
                for j in range(mv.shape[1]):
                    if dn[t]:
                        need(mv[t, j] == syn_m(t, k, j) and sv[t, j] == syn_sweeps(t, k, j),
                             f"{kind} row {t} probe {j} synthetic value")
                    else:
                        need(np.isnan(mv[t, j]) and sv[t, j] == -2, f"{kind} row {t} probe {j} still fill")
        want_all = summary_oracle.recompute(f, kind)
        for q in STATS:
            need(same(f[f"{q}_{kind}"][()], want_all[q]), f"{q}_{kind} equals the recomputation")
    return d


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
    yaml, model, N = check_root(f)
    schema = schema_dump(yaml)
    check_variables(f, schema)
    alpha, alpha_D = f["alpha"][()], f["alpha_D"][()]
    need(np.all(np.abs(f["P"][()] - alpha * N) <= 0.5 + 1e-9), "P = round(alpha N)")
    need(np.all(np.abs(f["D"][()] - alpha_D * N) <= 0.5 + 1e-9), "D = round(alpha_D N)")
    if model == "hopfield":
        need(len(alpha_D) == 1 and f["L"].shape == (1,) and alpha_D[0] == 0 and f["L"][0] == 0,
             "hopfield axes alpha_D = L = 0")
    need(re.search(r"^retrieval_threshold: (\S+)$", yaml, re.M) is not None, "retrieval_threshold in config_yaml")
    d = check_rows(f, schema, complete, synthetic)
    f.close()
    for p in problems:
        print(f"output_check: FAILED: {p}")
    if not problems:
        print(f"output_check: {paths[0]}: OK ({int(d.sum())}/{d.size} samples done, {len(schema)} variables)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
