"""The summary oracle shared by the output and scan tests: recomputes the contract's summaries
(DESIGN.md "Output file": mean_KIND, sem_KIND, frac_retrieved_KIND) from m_KIND and done of an
open h5py file, in plain numpy, independently of the C code that writes them.

mean = average over done samples of each sample's probe mean; sem = sample std (ddof 1) of those
per-sample means / sqrt(done samples), NaN below 2 done samples; frac_retrieved = fraction of all
probes of done samples with m > retrieval_threshold (read from the stored config)."""
import re

import numpy as np

KINDS = ("train", "test", "feature")
STATS = ("mean", "sem", "frac_retrieved")


def attr_str(f, name):
    """A string attribute as str (the file stores fixed-length strings, which h5py reads as
    bytes)."""
    v = f.attrs[name]
    return v.decode() if isinstance(v, (bytes, np.bytes_)) else str(v)


def all_kinds(f):
    """Every probe kind of the file's config in output order: train, test, feature, then one
    mixtureN per probes.mixture.sizes entry (in the config's order)."""
    m = re.search(r"^\s+sizes:\s*\[([0-9, ]*)\]", attr_str(f, "config_yaml"), re.M)
    sizes = [int(x) for x in m.group(1).split(",") if x.strip()] if m else []
    return list(KINDS) + [f"mixture{n}" for n in sizes]


def kinds(f):
    """The probe kinds the file has variables for (kinds with n > 0), in output order."""
    return [k for k in all_kinds(f) if f"m_{k}" in f]


def retrieval_threshold(f):
    return float(re.search(r"retrieval_threshold:\s*([0-9.eE+-]+)", attr_str(f, "config_yaml")).group(1))


def recompute(f, kind):
    """{stat: f64[A,B,C]} for one probe kind of the open file f."""
    thr = retrieval_threshold(f)
    done = f["done"][...] == 1  # [A,B,C,S]
    m = f[f"m_{kind}"][...].astype(np.float64)  # [A,B,C,S,n]
    A, B, C, S, n = m.shape
    out = {s: np.full((A, B, C), np.nan) for s in STATS}
    for ia in range(A):
        for ib in range(B):
            for ic in range(C):
                d = done[ia, ib, ic]
                nd = int(d.sum())
                if nd == 0 or n == 0:
                    continue
                rows = m[ia, ib, ic][d]  # [nd, n]
                per = rows.mean(axis=1)
                out["mean"][ia, ib, ic] = per.mean()
                if nd >= 2:
                    out["sem"][ia, ib, ic] = per.std(ddof=1) / np.sqrt(nd)
                out["frac_retrieved"][ia, ib, ic] = np.count_nonzero(rows > thr) / rows.size
    return out
