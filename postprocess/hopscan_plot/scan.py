"""Reading hopscan scan files (DESIGN.md "Output HDF5 file (contract)") and combining them.

A file is reduced on reading to per-sample values on its grid: for every probe kind with probes,
the mean over the sample's probes of m (the observables m_train, m_test, mu) and the fraction of
its probes with m > retrieval_threshold (frac_train, frac_test, frac_mu). Only samples marked
done in /samples/done count; everything else is NaN. The done flags are read before the probe rows
(the scan writes rows, then flags), so a file that is being written or was killed mid-scan reads
consistently.

Several files combine into one Scan when
  - they have the same model, N and physics settings (coefficients, dynamics, probes,
    retrieval threshold), and
  - their grids agree on all axes (alpha, alpha_D, L) except at most one, along which the union
    of the values is taken (a scan split along alpha, say).
Files with the same seed are parts of one scan: sample s means the same disorder in each, and the
union of their done samples is taken. Files with different seeds hold independent samples, which
are appended along the sample axis. Anything else raises HopscanError with a one-line message.
"""

import math
import os
import re

import numpy as np

# Reading a file that a running scan holds open: HDF5 1.10 would refuse on its file lock.
os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")

import h5py  # noqa: E402  (after the environment variable above)

from .errors import HopscanError  # noqa: E402

FORMAT = "hopscan-scan/1"
KINDS = ("train", "test", "feature")

# observable name -> (probe kind, statistic); statistic "m" = mean of m over a sample's probes,
# "frac" = fraction of a sample's probes with m > retrieval threshold.
OBSERVABLES = {
    "m_train": ("train", "m"),
    "m_test": ("test", "m"),
    "mu": ("feature", "m"),
    "frac_train": ("train", "frac"),
    "frac_test": ("test", "frac"),
    "frac_mu": ("feature", "frac"),
}
_ALIASES = {
    "train": "m_train",
    "test": "m_test",
    "feature": "mu",
    "m_feature": "mu",
    "μ": "mu",
    "frac_feature": "frac_mu",
    "frac_μ": "frac_mu",
}

_TEX = {"train": r"m^{\mathrm{train}}", "test": r"m^{\mathrm{test}}", "feature": r"\mu"}

# Config keys whose values must agree between files that are combined (besides model and N).
PHYSICS_KEYS = ("coefficients", "dynamics", "retrieval_threshold")


def canonical_observable(name):
    """Returns the canonical observable name for name or an alias; HopscanError if unknown."""
    key = _ALIASES.get(name, name)
    if key not in OBSERVABLES:
        raise HopscanError(
            f"unknown observable {name!r} (choose from {', '.join(OBSERVABLES)})")
    return key


def observable_label(name, threshold=0.9):
    """Axis label (matplotlib mathtext) of an observable."""
    kind, stat = OBSERVABLES[canonical_observable(name)]
    if stat == "m":
        return f"${_TEX[kind]}$"
    return f"fraction with ${_TEX[kind]} > {threshold:g}$"


def L_label(L):
    """'L = 3' or 'L = D (dense)' for the L axis value (0 = dense)."""
    return "L = D (dense)" if int(L) == 0 else f"L = {int(L)}"


def _attr_str(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray) and v.shape == ():
        return _attr_str(v[()])
    return str(v)


def _attr_num(v):
    if isinstance(v, np.ndarray):
        v = v.reshape(-1)[0]
    if isinstance(v, bytes):
        v = v.decode()
    return v


def parse_config_yaml(text):
    """The stored config as a dict (PyYAML when present; otherwise top-level 'key: value' lines
    and one level of nested block mappings, values kept as strings). Never raises."""
    try:
        import yaml

        d = yaml.safe_load(text)
        return d if isinstance(d, dict) else {}
    except ImportError:
        pass
    except Exception:  # malformed text: fall back to the line parser below
        pass
    out, parent = {}, None
    for line in text.splitlines():
        line = line.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        m = re.match(r"^(\s*)([A-Za-z_][\w]*)\s*:\s*(.*)$", line)
        if not m:
            continue
        indent, key, val = m.groups()
        if not indent:
            parent = key if val == "" else None
            out[key] = {} if val == "" else val
        elif parent is not None:
            out[parent][key] = val
    return out


class FileData:
    """One file reduced to per-sample values on its own grid (see module doc)."""

    def __init__(self, path):
        self.path = path
        if not os.path.exists(path):
            raise HopscanError(f"{path}: no such file")
        if os.path.isdir(path):
            raise HopscanError(f"{path}: is a directory, not a scan file")
        if not os.access(path, os.R_OK):
            raise HopscanError(f"{path}: permission denied")
        try:
            f = _open_h5(path)
        except OSError as ex:
            raise HopscanError(f"{path}: not a readable HDF5 file ({_short(ex)})") from None
        try:
            with f:
                self._read(f)
        except HopscanError:
            raise
        except (OSError, KeyError, ValueError, TypeError) as ex:
            raise HopscanError(f"{path}: unreadable scan file ({_short(ex)})") from None

    def _need(self, f, name):
        if name not in f:
            raise HopscanError(
                f"{self.path}: missing {name} (incomplete or not a {FORMAT} file)")
        return f[name]

    def _read(self, f):
        p = self.path
        fmt = _attr_str(f.attrs["format"]) if "format" in f.attrs else None
        if fmt is None:
            raise HopscanError(f"{p}: not a hopscan scan file (no 'format' attribute)")
        if fmt != FORMAT:
            raise HopscanError(f"{p}: format is {fmt!r}, expected {FORMAT!r}")
        self.config_yaml = _attr_str(f.attrs["config_yaml"]) if "config_yaml" in f.attrs else ""
        self.config = parse_config_yaml(self.config_yaml)
        self.model = _attr_str(f.attrs["model"]) if "model" in f.attrs else str(
            self.config.get("model", "rfhm"))
        try:
            self.N = int(_attr_num(f.attrs["N"])) if "N" in f.attrs else int(self.config["N"])
        except (KeyError, ValueError, TypeError):
            raise HopscanError(f"{p}: no N attribute") from None
        self.seed = int(_attr_num(f.attrs["seed"])) if "seed" in f.attrs else int(
            self.config.get("seed", 0))
        thr = f.attrs.get("retrieval_threshold", self.config.get("retrieval_threshold", 0.9))
        try:
            self.threshold = float(_attr_num(thr))
        except (TypeError, ValueError):
            self.threshold = 0.9
        self.version = _attr_str(f.attrs.get("hopscan_version", "?"))

        self.alpha = np.asarray(self._need(f, "grid/alpha")[...], dtype=np.float64).reshape(-1)
        self.alpha_D = np.asarray(self._need(f, "grid/alpha_D")[...],
                                  dtype=np.float64).reshape(-1)
        self.L = np.asarray(self._need(f, "grid/L")[...], dtype=np.int64).reshape(-1)
        if "grid/D" in f:
            self.D = np.asarray(f["grid/D"][...], dtype=np.int64).reshape(-1)
        else:
            self.D = np.rint(self.alpha_D * self.N).astype(np.int64)
        A, B, C = len(self.alpha), len(self.alpha_D), len(self.L)
        for name, ax in (("alpha", self.alpha), ("alpha_D", self.alpha_D), ("L", self.L)):
            if len(np.unique(ax)) != len(ax):
                raise HopscanError(f"{p}: /grid/{name} has repeated values")
        if self.D.shape != (B,):
            raise HopscanError(f"{p}: /grid/D has shape {self.D.shape}, expected ({B},)")

        # Done flags first: rows of a sample are final before its flag is set.
        done = np.asarray(self._need(f, "samples/done")[...])
        if done.ndim != 4 or done.shape[:3] != (A, B, C):
            raise HopscanError(
                f"{p}: /samples/done has shape {done.shape}, expected ({A}, {B}, {C}, S)")
        self.S = done.shape[3]
        self.done = done != 0
        self.n_probes = {}
        self.sample_m = {}
        self.sample_frac = {}
        for kind in KINDS:
            name = f"probes/{kind}/m"
            if name not in f:
                if kind == "feature":  # tolerated: a model without features
                    self.n_probes[kind] = 0
                    continue
                self._need(f, name)
            ds = f[name]
            if ds.ndim != 5 or ds.shape[:4] != (A, B, C, self.S):
                raise HopscanError(f"{p}: /{name} has shape {ds.shape}, expected "
                                   f"({A}, {B}, {C}, {self.S}, n)")
            n = ds.shape[4]
            self.n_probes[kind] = n
            if n == 0:
                continue
            sm = np.full((A, B, C, self.S), np.nan)
            sf = np.full((A, B, C, self.S), np.nan)
            for ia in range(A):  # one alpha at a time: bounded memory for large scans
                m = np.asarray(ds[ia], dtype=np.float64)
                ok = self.done[ia] & np.all(np.isfinite(m), axis=3)
                with np.errstate(invalid="ignore"):
                    sm[ia] = np.where(ok, m.mean(axis=3), np.nan)
                    sf[ia] = np.where(ok, (m > self.threshold).mean(axis=3), np.nan)
            self.sample_m[kind] = sm
            self.sample_frac[kind] = sf


def _open_h5(path):
    try:
        return h5py.File(path, "r", locking=False)
    except TypeError:  # h5py without the locking argument
        return h5py.File(path, "r")
    except ValueError:  # HDF5 without the locking API
        return h5py.File(path, "r")


def _short(ex):
    s = str(ex).strip().splitlines()
    s = s[0] if s else type(ex).__name__
    return s[:200]


def read_scan_file(path):
    """Reads one file into a Scan (see load_scans)."""
    return load_scans([path])


def _config_item(cfg, key):
    v = cfg.get(key)
    return v


def _union_axis(values, is_int):
    allv = np.concatenate(values)
    u = np.unique(allv)
    if is_int:  # L axis: sparse L ascending, then dense (0)
        return np.array(sorted(u.tolist(), key=lambda x: (x == 0, x)), dtype=np.int64)
    if len(u) < 2:
        return u
    keep = [u[0]]
    for v in u[1:]:
        if abs(v - keep[-1]) > 1e-9 * max(abs(v), abs(keep[-1])):
            keep.append(v)
    return np.asarray(keep)


def _axis_equal(a, b, is_int):
    if a.shape != b.shape:
        return False
    if is_int:
        return bool(np.array_equal(np.sort(a), np.sort(b)))
    return bool(np.allclose(np.sort(a), np.sort(b), rtol=1e-9, atol=0.0))


def _index_into(u, v):
    idx = np.abs(u[None, :] - v[:, None]).argmin(axis=1)
    return idx


def combine(files):
    """Combines FileData objects into one Scan; HopscanError names the first mismatch."""
    if not files:
        raise HopscanError("no input files")
    f0 = files[0]
    for f in files[1:]:
        pair = f"cannot combine {f0.path} and {f.path}"
        if f.model != f0.model:
            raise HopscanError(f"{pair}: model differs ({f0.model} vs {f.model})")
        if f.N != f0.N:
            raise HopscanError(f"{pair}: N differs ({f0.N} vs {f.N})")
        for key in PHYSICS_KEYS:
            a, b = _config_item(f0.config, key), _config_item(f.config, key)
            if a != b:
                raise HopscanError(f"{pair}: {key} differs ({a} vs {b})")
        if f.threshold != f0.threshold:
            raise HopscanError(
                f"{pair}: retrieval_threshold differs ({f0.threshold} vs {f.threshold})")
        if f.n_probes != f0.n_probes:
            def _p(d):
                return ", ".join(f"{k} {v}" for k, v in d.items())
            raise HopscanError(f"{pair}: probes differ ({_p(f0.n_probes)} vs {_p(f.n_probes)})")
    axes = {}
    differing = []
    for name, is_int in (("alpha", False), ("alpha_D", False), ("L", True)):
        vals = [getattr(f, name) for f in files]
        if not all(_axis_equal(vals[0], v, is_int) for v in vals[1:]):
            differing.append(name)
        axes[name] = _union_axis(vals, is_int)
    if len(differing) > 1:
        raise HopscanError(
            f"cannot combine {', '.join(f.path for f in files)}: grids differ in "
            f"{' and '.join(differing)} (files combine when they differ along one axis at most)")
    # D per alpha_D from the files (identical N, so identical rounding)
    D = np.zeros(len(axes["alpha_D"]), dtype=np.int64)
    for f in files:
        D[_index_into(axes["alpha_D"], f.alpha_D)] = f.D

    seeds = []
    for f in files:
        if f.seed not in seeds:
            seeds.append(f.seed)
    width = {s: max(f.S for f in files if f.seed == s) for s in seeds}
    offset, off = {}, 0
    for s in seeds:
        offset[s] = off
        off += width[s]
    S = off
    A, B, C = len(axes["alpha"]), len(axes["alpha_D"]), len(axes["L"])
    shape = (A, B, C, S)
    exists = np.zeros(shape, dtype=bool)
    done = np.zeros(shape, dtype=bool)
    kinds = [k for k in KINDS if f0.n_probes.get(k, 0) > 0]
    sm = {k: np.full(shape, np.nan) for k in kinds}
    sf = {k: np.full(shape, np.nan) for k in kinds}
    for f in files:
        ia = _index_into(axes["alpha"], f.alpha)
        ib = _index_into(axes["alpha_D"], f.alpha_D)
        lpos = {int(v): i for i, v in enumerate(axes["L"])}
        ic = np.array([lpos[int(v)] for v in f.L], dtype=np.int64)
        sl = np.arange(offset[f.seed], offset[f.seed] + f.S)
        sel = np.ix_(ia, ib, ic, sl)
        exists[sel] = True
        new = f.done & ~done[sel]
        for k in kinds:
            blk = sm[k][sel]
            blk[new] = f.sample_m[k][new]
            sm[k][sel] = blk
            blk = sf[k][sel]
            blk[new] = f.sample_frac[k][new]
            sf[k][sel] = blk
        d = done[sel]
        d |= f.done
        done[sel] = d
    return Scan(
        paths=[f.path for f in files],
        model=f0.model,
        N=f0.N,
        seeds=seeds,
        threshold=f0.threshold,
        n_probes=dict(f0.n_probes),
        alpha=axes["alpha"],
        alpha_D=axes["alpha_D"],
        L=axes["L"].astype(np.int64),
        D=D,
        exists=exists,
        done=done,
        sample_m=sm,
        sample_frac=sf,
        config=f0.config,
        config_yaml=f0.config_yaml,
        version=f0.version,
    )


def load_scans(paths):
    """Reads and combines scan files (all at the same N). Returns a Scan."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files = [FileData(os.fspath(p)) for p in paths]
    return combine(files)


def load_scans_by_N(paths):
    """Reads files and combines them per (N, L axis) for the D_gen study: files at one N with the
    same L values combine as usual; files at one N with disjoint L values (a sparse and a dense
    series on their own alpha_D grids, as in the paper's Fig. 3b) stay separate scans. Returns
    [Scan] sorted by N, then L."""
    files = [FileData(os.fspath(p)) for p in paths]
    groups = {}
    for f in files:
        groups.setdefault((f.N, tuple(int(x) for x in f.L)), []).append(f)
    keys = sorted(groups)
    for i, (N, La) in enumerate(keys):
        for N2, Lb in keys[i + 1:]:
            common = set(La) & set(Lb)
            if N2 == N and common:
                raise HopscanError(
                    f"cannot use {groups[(N, La)][0].path} and {groups[(N2, Lb)][0].path} "
                    f"together: both have N = {N} and "
                    f"{', '.join(L_label(x) for x in sorted(common))} but different L axes")
    return [combine(groups[key]) for key in keys]


class Scan:
    """Per-sample values of one or several combined scan files on a sorted grid.

    Attributes: paths, model, N, seeds, threshold (retrieval threshold of the frac observables),
    n_probes {kind: n}, alpha [A], alpha_D [B], L [C] (0 = dense), D [B], exists [A,B,C,S]
    (sample slot present in some file), done [A,B,C,S], config (dict), config_yaml."""

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)

    @property
    def is_hopfield(self):
        """Classic Hopfield scan: no alpha_D / L axes (length 1, value 0), no features."""
        return self.model == "hopfield"

    def point_label(self, ib, ic):
        """'alpha_D = 0.05 (D = 20), L = 3' in mathtext; empty for classic Hopfield."""
        if self.is_hopfield:
            return ""
        return (f"$\\alpha_D = {self.alpha_D[ib]:g}$ (D = {int(self.D[ib])})"
                + ("" if ic is None else f", {L_label(self.L[ic])}"))

    @property
    def shape(self):
        return self.done.shape

    @property
    def samples_total(self):
        return int(self.exists.sum())

    @property
    def samples_done(self):
        return int(self.done.sum())

    @property
    def complete(self):
        return self.samples_done == self.samples_total

    @property
    def samples_per_point(self):
        """Sample slots per grid point (S of the config; the sum over seeds when combined)."""
        return int(self.exists.sum(axis=3).max()) if self.exists.size else 0

    def completion_line(self):
        d, t = self.samples_done, self.samples_total
        pct = 100.0 * d / t if t else 0.0
        state = "complete" if d == t else "partial"
        return f"{', '.join(self.paths)}: {d}/{t} samples done ({pct:.0f}%, {state})"

    def has(self, obs):
        kind, _ = OBSERVABLES[canonical_observable(obs)]
        return kind in self.sample_m

    def values(self, obs):
        """Per-sample values [A,B,C,S] of an observable; NaN where not done."""
        name = canonical_observable(obs)
        kind, stat = OBSERVABLES[name]
        if kind not in self.sample_m:
            raise HopscanError(
                f"{', '.join(self.paths)}: no {kind} probes in this scan, so {name} is not "
                "available")
        return self.sample_m[kind] if stat == "m" else self.sample_frac[kind]

    def stats(self, obs):
        """(mean, sem, n) over done samples, each [A,B,C]; mean/sem NaN where n = 0, sem NaN
        where n = 1. sem = sample standard deviation (ddof 1) / sqrt(n)."""
        v = self.values(obs)
        return sample_stats(v)

    def axis_index(self, name, value):
        """Index of value on axis 'alpha' | 'alpha_D' | 'L' (relative tolerance 1e-6, or nearest
        on a log scale within 1 %); HopscanError listing the axis values if absent."""
        ax = getattr(self, name)
        if name == "L":
            v = parse_L(value)
            hit = np.nonzero(ax == v)[0]
        else:
            v = float(value)
            hit = np.nonzero(np.abs(ax - v) <= 1e-6 * max(abs(v), 1e-300))[0]
            if not len(hit) and v > 0 and np.all(ax > 0):
                j = int(np.abs(np.log(ax / v)).argmin())
                if abs(math.log(ax[j] / v)) < 0.01:
                    hit = [j]
        if not len(hit):
            shown = ", ".join(fmt_axis_value(name, x) for x in ax)
            raise HopscanError(f"{name} = {value} is not on the grid (values: {shown})")
        return int(hit[0])

    def select(self, name, spec):
        """Indices on an axis from 'all' or a comma-separated list of values."""
        if spec is None or str(spec).strip().lower() == "all":
            return list(range(len(getattr(self, name))))
        items = spec if isinstance(spec, (list, tuple)) else str(spec).split(",")
        return [self.axis_index(name, s.strip() if isinstance(s, str) else s) for s in items]

    def describe(self):
        """Multi-line human-readable summary (the 'info' subcommand)."""
        lines = []
        lines.append(f"files:      {', '.join(self.paths)}")
        lines.append(f"model:      {self.model}   N = {self.N}   seed(s) = "
                     f"{', '.join(str(s) for s in self.seeds)}")
        lines.append(f"written by: {self.version}")
        lines.append(f"alpha:      {len(self.alpha)} values  "
                     f"[{', '.join(f'{a:.4g}' for a in self.alpha)}]")
        lines.append(f"alpha_D:    {len(self.alpha_D)} values  "
                     f"[{', '.join(f'{a:.4g}' for a in self.alpha_D)}]  "
                     f"(D = {', '.join(str(int(d)) for d in self.D)})")
        if self.is_hopfield:
            lines[-1] = "alpha_D, L: none (classic Hopfield: iid patterns)"
        else:
            lines.append(f"L:          [{', '.join(fmt_axis_value('L', x) for x in self.L)}]")
        lines.append(f"samples:    {self.samples_per_point} per grid point")
        lines.append("probes:     " + ", ".join(f"{k} {n}" for k, n in self.n_probes.items()))
        obs = [o for o in OBSERVABLES if self.has(o)]
        lines.append(f"observables: {', '.join(obs)}  (frac_*: m > {self.threshold:g})")
        d, t = self.samples_done, self.samples_total
        lines.append(f"done:       {d}/{t} samples ({100.0 * d / t if t else 0:.0f}%)"
                     + ("" if d == t else "  -- partial scan"))
        if d != t:
            for ic, L in enumerate(self.L):
                dd = int(self.done[:, :, ic].sum())
                tt = int(self.exists[:, :, ic].sum())
                lines.append(f"  {L_label(L):14s} {dd}/{tt}")
        return "\n".join(lines)


def sample_stats(v):
    """(mean, sem, n) over the last axis of per-sample values v, ignoring NaN."""
    ok = np.isfinite(v)
    n = ok.sum(axis=-1)
    s = np.where(ok, v, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s / n
        dev = np.where(ok, v - mean[..., None], 0.0)
        var = (dev * dev).sum(axis=-1) / (n - 1)
        sem = np.sqrt(var / n)
    mean = np.where(n > 0, mean, np.nan)
    sem = np.where(n > 1, sem, np.nan)
    return mean, sem, n


def parse_L(value):
    s = str(value).strip().lower()
    if s in ("dense", "d", "0"):
        return 0
    try:
        v = int(s)
    except ValueError:
        raise HopscanError(f"L = {value!r} is not an integer or 'dense'") from None
    return v


def fmt_axis_value(name, x):
    if name == "L":
        return "dense" if int(x) == 0 else str(int(x))
    return f"{x:.6g}"
