"""Per-sample observables of one or several scan files, combined by coordinates.

Each file (reader.open_scan: format 2, or format 1 converted) is reduced to per-sample values:
for every probe kind with probes, the mean over the sample's probes of m (the observables
m_train, m_test, mu, m_KIND for other kinds), the fraction of its probes with
m > retrieval_threshold (frac_train, frac_test, frac_mu, frac_KIND), and for mixture kinds the
mean over probes of m_components_KIND. Only samples marked done count; everything else is NaN.

Several files combine into one Scan (one xarray.merge with compat="no_conflicts" over the
files' per-sample Datasets) when
  - they have the same model, N, probes and physics settings (coefficients, dynamics,
    retrieval threshold), and
  - their grids agree on all axes (alpha, alpha_D, L) except at most one, along which the union
    of the values is taken (a scan split along alpha, say).
Files with the same seed are parts of one scan: sample s means the same disorder in each, and the
union of their done samples is taken (a done sample must have the same values in both). Files
with different seeds hold independent samples: their sample coordinates are shifted so that they
are appended along the sample axis. Anything else raises HopscanError with a one-line message.
"""

import math
import os
import warnings

import numpy as np
import scipy.stats
import xarray as xr

from .errors import HopscanError
from .reader import AXES, FORMAT, attr_int, attr_str, kinds_of, open_scan

# observable name -> (probe kind, statistic) for the standard kinds; other kinds K (mixture3,
# ...) have m_K, frac_K and, with components, m_components_K (see observables_of_kind).
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


def observable_name(kind, stat):
    """Name of the per-sample observable of a probe kind: stat 'm', 'frac' or 'components'."""
    if stat == "components":
        return f"m_components_{kind}"
    for name, ks in OBSERVABLES.items():
        if ks == (kind, stat):
            return name
    return f"{stat}_{kind}"


def parse_observable(name):
    """(kind, stat) of an observable name or alias (no check that a scan has it)."""
    name = _ALIASES.get(name, name)
    if name in OBSERVABLES:
        return OBSERVABLES[name]
    if name.startswith("m_components_"):
        return name[len("m_components_"):], "components"
    for stat in ("m", "frac"):
        if name.startswith(stat + "_") and len(name) > len(stat) + 1:
            return name[len(stat) + 1:], stat
    raise HopscanError(f"unknown observable {name!r} (choose from {', '.join(OBSERVABLES)}, "
                       "or m_KIND, frac_KIND, m_components_KIND for other probe kinds)")


def canonical_observable(name):
    """The canonical name of an observable or alias; HopscanError if it is not one."""
    return observable_name(*parse_observable(name))


def observable_label(name, threshold=0.9):
    """Axis label (matplotlib mathtext) of an observable."""
    kind, stat = parse_observable(name)
    tex = _TEX.get(kind, r"m^{\mathrm{" + kind + "}}")
    if stat == "m":
        return f"${tex}$"
    if stat == "components":
        return r"$\overline{|m^{\mathrm{" + kind + r"}}_{\mathrm{comp}}|}$"
    return f"fraction with ${tex} > {threshold:g}$"


def L_label(L):
    """'L = 3' or 'L = D (dense)' for the L axis value (0 = dense)."""
    return "L = D (dense)" if int(L) == 0 else f"L = {int(L)}"


def parse_config_yaml(text, path="config_yaml"):
    """The stored config (PyYAML) as a dict; HopscanError naming the file if it does not parse."""
    import yaml

    try:
        d = yaml.safe_load(text) if text else {}
    except yaml.YAMLError as ex:
        mark = getattr(ex, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise HopscanError(f"{path}: config_yaml attribute does not parse{where}") from None
    return d if isinstance(d, dict) else {}


def sample_values(ds, threshold):
    """Per-sample observables [alpha, alpha_D, L, sample] of a format-2 Dataset (module doc)."""
    done = ds["done"]
    m, frac, comp = {}, {}, {}
    for kind in kinds_of(ds):
        pdim = f"probe_{kind}"
        mk = ds[f"m_{kind}"].astype(np.float64)
        if mk.sizes[pdim] == 0:
            continue
        ok = done & mk.notnull().all(pdim)
        m[observable_name(kind, "m")] = mk.mean(pdim).where(ok)
        frac[observable_name(kind, "frac")] = (mk > threshold).mean(pdim).where(ok)
        name = f"m_components_{kind}"
        if name in ds:
            c = ds[name].astype(np.float64)
            comp[name] = c.mean(pdim).where(ok & c.notnull().all(pdim))
    out = {**m, **frac, **comp}
    keep = ["alpha", "alpha_D", "L", "sample"]
    coords = {k: ds.coords[k] for k in keep}
    return xr.Dataset(out, coords=coords)


class ScanFile:
    """One file: its format-2 Dataset (`ds`), metadata and per-sample observables."""

    def __init__(self, path):
        self.path = os.fspath(path)
        self.ds = open_scan(self.path, sweeps=False)
        a = self.ds.attrs
        self.format = attr_str(a.get("format", FORMAT))
        self.config_yaml = attr_str(a.get("config_yaml", ""))
        self.config = parse_config_yaml(self.config_yaml, self.path)
        self.model = attr_str(a["model"]) if "model" in a else str(
            self.config.get("model", "rfhm"))
        self.N = attr_int(a["N"])
        self.seed = attr_int(a["seed"]) if "seed" in a else int(self.config.get("seed", 0))
        thr = a.get("retrieval_threshold", self.config.get("retrieval_threshold", 0.9))
        try:
            self.threshold = float(attr_str(thr))
        except ValueError:
            self.threshold = 0.9
        self.version = attr_str(a.get("hopscan_version", "?"))
        self.kinds = kinds_of(self.ds)
        self.n_probes = {k: int(self.ds.sizes[f"probe_{k}"]) for k in self.kinds}
        for name in AXES:
            setattr(self, name, self.ds[name].values)
        self.S = int(self.ds.sizes["sample"])
        self.samples = sample_values(self.ds, self.threshold)


def read_scan_file(path):
    """Reads one file into a Scan (see load_scans)."""
    return load_scans([path])


def _union_axis(values, is_int):
    u = np.unique(np.concatenate(values))
    if is_int:  # L axis: sparse L ascending, then dense (0)
        return np.array(sorted(u.tolist(), key=lambda x: (x == 0, x)), dtype=np.int64)
    keep = list(u[:1])
    for v in u[1:]:
        if abs(v - keep[-1]) > 1e-9 * max(abs(v), abs(keep[-1])):
            keep.append(v)
    return np.asarray(keep, dtype=np.float64)


def _snap(u, v):
    """Values v replaced by the nearest values of u (float axes of different files)."""
    return u[np.abs(u[None, :] - np.asarray(v)[:, None]).argmin(axis=1)]


def _check_compatible(files):
    f0 = files[0]
    for f in files[1:]:
        pair = f"cannot combine {f0.path} and {f.path}"
        if f.model != f0.model:
            raise HopscanError(f"{pair}: model differs ({f0.model} vs {f.model})")
        if f.N != f0.N:
            raise HopscanError(f"{pair}: N differs ({f0.N} vs {f.N})")
        for key in PHYSICS_KEYS:
            a, b = f0.config.get(key), f.config.get(key)
            if a != b:
                raise HopscanError(f"{pair}: {key} differs ({a} vs {b})")
        if f.threshold != f0.threshold:
            raise HopscanError(
                f"{pair}: retrieval_threshold differs ({f0.threshold} vs {f.threshold})")
        if f.n_probes != f0.n_probes:
            def _p(d):
                return ", ".join(f"{k} {v}" for k, v in d.items())
            raise HopscanError(f"{pair}: probes differ ({_p(f0.n_probes)} vs {_p(f.n_probes)})")


def _axes_union(files):
    axes, differing = {}, []
    for name in AXES:
        is_int = name == "L"
        vals = [getattr(f, name) for f in files]
        u = _union_axis(vals, is_int)
        if any(len(v) != len(u) for v in vals):
            differing.append(name)
        axes[name] = u
    if len(differing) > 1:
        raise HopscanError(
            f"cannot combine {', '.join(f.path for f in files)}: grids differ in "
            f"{' and '.join(differing)} (files combine when they differ along one axis at most)")
    return axes


def combine(files):
    """Combines ScanFiles into one Scan; HopscanError names the first mismatch."""
    if not files:
        raise HopscanError("no input files")
    searches = [f.path for f in files if "search_along" in f.ds.attrs]
    if searches and len(files) > 1:
        raise HopscanError(f"{searches[0]}: a transition-search file does not combine with "
                           "other files (draw its crossings over a grid map with map --search)")
    _check_compatible(files)
    axes = _axes_union(files)
    seeds = list(dict.fromkeys(f.seed for f in files))
    offset, off = {}, 0
    for s in seeds:
        offset[s] = off
        off += max(f.S for f in files if f.seed == s)
    parts, D = [], {}
    for f in files:
        sv = f.samples.assign_coords(
            alpha=_snap(axes["alpha"], f.alpha), alpha_D=_snap(axes["alpha_D"], f.alpha_D),
            sample=f.samples["sample"].values + offset[f.seed])
        D.update(zip(sv["alpha_D"].values.tolist(), f.ds["D"].values.tolist()))
        # done and slot-present flags as 1 / NaN, so that merging takes their union
        dims = ("alpha", "alpha_D", "L", "sample")
        sv["done"] = (dims, np.where(f.ds["done"].transpose(*dims).values, 1.0, np.nan))
        sv["exists"] = (dims, np.ones(sv["done"].shape))
        parts.append(sv)
    try:
        merged = xr.merge(parts, compat="no_conflicts", join="outer", combine_attrs="drop")
    except xr.MergeError:
        raise HopscanError(
            f"cannot combine {', '.join(f.path for f in files)}: a sample done in two files "
            "with the same seed has different values (not parts of one scan)") from None
    merged = merged.reindex(alpha=axes["alpha"], alpha_D=axes["alpha_D"], L=axes["L"],
                            sample=np.arange(off))
    merged["done"] = merged["done"].notnull()
    merged["exists"] = merged["exists"].notnull()
    merged = merged.assign_coords(
        D=("alpha_D", np.array([D[a] for a in axes["alpha_D"].tolist()], dtype=np.int64)),
        P=("alpha", np.rint(axes["alpha"] * files[0].N).astype(np.int64)))
    f0 = files[0]
    return Scan(merged, paths=[f.path for f in files], model=f0.model, N=f0.N, seeds=seeds,
                threshold=f0.threshold, n_probes=dict(f0.n_probes), config=f0.config,
                config_yaml=f0.config_yaml, version=f0.version,
                formats=sorted({f.format for f in files}),
                search_along=_attr_str(f0.ds.attrs.get("search_along")))


def _attr_str(v):
    """An HDF5 string attribute as str (h5py gives bytes for fixed-length ones), or None."""
    if v is None:
        return None
    return v.decode() if isinstance(v, bytes) else str(v)


def load_scans(paths):
    """Reads and combines scan files (all at the same N). Returns a Scan."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return combine([ScanFile(p) for p in paths])


def load_scans_by_N(paths):
    """Reads files and combines them per (N, L axis) for the D_gen study: files at one N with the
    same L values combine as usual; files at one N with disjoint L values (a sparse and a dense
    series on their own alpha_D grids, as in the paper's Fig. 3b) stay separate scans. Returns
    [Scan] sorted by N, then L."""
    files = [ScanFile(p) for p in paths]
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


def sample_stats(v, axis=-1):
    """(mean, sem, n) over an axis of per-sample values v, ignoring NaN (samples not done).
    mean is NaN where n = 0; sem (scipy.stats.sem: standard deviation with ddof 1 / sqrt(n)) is
    NaN where n < 2."""
    v = np.moveaxis(np.asarray(v, dtype=np.float64), axis, -1)
    n = np.isfinite(v).sum(axis=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN points: NaN is the answer
        mean = np.nanmean(v, axis=-1) if v.shape[-1] else np.full(v.shape[:-1], np.nan)
        sem = np.ma.filled(scipy.stats.sem(v, axis=-1, ddof=1, nan_policy="omit"), np.nan)
    mean = np.where(n > 0, mean, np.nan)
    sem = np.where(n > 1, np.asarray(sem, dtype=np.float64).reshape(n.shape), np.nan)
    return mean, sem, n


class Scan:
    """Per-sample observables of one or several combined scan files.

    `ds` is an xarray Dataset with dims (alpha, alpha_D, L, sample): one float variable per
    observable (NaN where the sample is not done), `done` and `exists` (the sample slot is in
    some file) as bool, coords P (alpha) and D (alpha_D). Other attributes: paths, model, N,
    seeds, threshold (retrieval threshold of the frac observables), n_probes {kind: n},
    config (dict), config_yaml, version, formats; alpha, alpha_D, L (0 = dense), D, done,
    exists as numpy arrays."""

    def __init__(self, ds, **kw):
        self.ds = ds
        for k, v in kw.items():
            setattr(self, k, v)

    alpha = property(lambda self: self.ds["alpha"].values)
    alpha_D = property(lambda self: self.ds["alpha_D"].values)
    L = property(lambda self: self.ds["L"].values)
    D = property(lambda self: self.ds["D"].values)
    done = property(lambda self: self.ds["done"].values)
    exists = property(lambda self: self.ds["exists"].values)

    @property
    def is_hopfield(self):
        """Classic Hopfield scan: no alpha_D / L axes (length 1, value 0), no features."""
        return self.model == "hopfield"

    @property
    def observables(self):
        """Names of the observables this scan has."""
        return [str(v) for v in self.ds.data_vars if v not in ("done", "exists")]

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
        return canonical_observable(obs) in self.ds

    def values(self, obs):
        """Per-sample values [A,B,C,S] of an observable (numpy); NaN where not done."""
        name = canonical_observable(obs)
        if name not in self.ds:
            kind, _ = parse_observable(name)
            raise HopscanError(
                f"{', '.join(self.paths)}: no {kind} probes in this scan, so {name} is not "
                f"available (available: {', '.join(self.observables)})")
        return self.ds[name].values

    def stats(self, obs):
        """(mean, sem, n) over done samples, each [A,B,C] (numpy; see sample_stats)."""
        return sample_stats(self.values(obs))

    def summary(self, obs):
        """mean, sem, n over done samples as an xarray Dataset on (alpha, alpha_D, L)."""
        mean, sem, n = self.stats(obs)
        dims = ("alpha", "alpha_D", "L")
        return xr.Dataset({"mean": (dims, mean), "sem": (dims, sem), "n": (dims, n)},
                          coords={k: self.ds.coords[k] for k in (*dims, "P", "D")})

    def axis_index(self, name, value):
        """Index of value on axis 'alpha' | 'alpha_D' | 'L' (relative tolerance 1e-6, or nearest
        on a log scale within 1 %); HopscanError listing the axis values if absent."""
        ax = getattr(self, name)
        if name == "L":
            hit = np.nonzero(ax == parse_L(value))[0]
        else:
            try:
                v = float(value)
            except ValueError:
                raise HopscanError(f"{name} = {value!r} is not a number") from None
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
        lines = [f"files:      {', '.join(self.paths)}",
                 f"format:     {', '.join(self.formats)}",
                 f"model:      {self.model}   N = {self.N}   seed(s) = "
                 f"{', '.join(str(s) for s in self.seeds)}",
                 f"written by: {self.version}",
                 f"alpha:      {len(self.alpha)} values  "
                 f"[{', '.join(f'{a:.4g}' for a in self.alpha)}]"]
        if self.is_hopfield:
            lines.append("alpha_D, L: none (classic Hopfield: iid patterns)")
        else:
            lines.append(f"alpha_D:    {len(self.alpha_D)} values  "
                         f"[{', '.join(f'{a:.4g}' for a in self.alpha_D)}]  "
                         f"(D = {', '.join(str(int(d)) for d in self.D)})")
            lines.append(f"L:          [{', '.join(fmt_axis_value('L', x) for x in self.L)}]")
        lines.append(f"samples:    {self.samples_per_point} per grid point")
        lines.append("probes:     " + ", ".join(f"{k} {n}" for k, n in self.n_probes.items()))
        lines.append(f"observables: {', '.join(self.observables)}  "
                     f"(frac_*: m > {self.threshold:g})")
        d, t = self.samples_done, self.samples_total
        if getattr(self, "search_along", None):  # a search computes part of its lattice
            lines.append(f"done:       {d} samples of a transition search along "
                         f"{self.search_along} ({t} slots on its lattice; its lines below)")
            return "\n".join(lines)
        lines.append(f"done:       {d}/{t} samples ({100.0 * d / t if t else 0:.0f}%)"
                     + ("" if d == t else "  -- partial scan"))
        if d != t:
            for ic, L in enumerate(self.L):
                dd = int(self.done[:, :, ic].sum())
                tt = int(self.exists[:, :, ic].sum())
                lines.append(f"  {L_label(L):14s} {dd}/{tt}")
        return "\n".join(lines)


def parse_L(value):
    s = str(value).strip().lower()
    if s in ("dense", "d", "0"):
        return 0
    try:
        return int(s)
    except ValueError:
        raise HopscanError(f"L = {value!r} is not an integer or 'dense'") from None


def fmt_axis_value(name, x):
    if name == "L":
        return "dense" if int(x) == 0 else str(int(x))
    return f"{x:.6g}"
