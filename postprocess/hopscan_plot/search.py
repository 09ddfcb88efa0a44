"""Transition-search files (issue 14): their located crossings as a table, D_gen straight from a
search along alpha_D, and the crossings that lie on the panels of a grid map.

A search file (reader module doc; docs/output.md) holds, per line (each combination of the two
axes not searched), the crossings of its statistic through its level as the scan located them:
bracket [lo, hi] (evaluated lattice points on either side), value (log-linear interpolation to
the level), direction (+1 rising with the axis, -1 falling) and confidence interval [ci_lo,
ci_hi]. Nothing here recomputes them; a line whose search is not finished (line_done 0) reports
its crossings as they stand.

D_gen from a search along alpha_D with statistic min_sample_mean (all samples above the level):
per line, D at crossing_lo of the largest falling crossing, its interval [D(ci_lo), D(ci_hi));
per (N, L) the largest over the alpha lines (as the grid definition takes any alpha of the grid).
When the statistic is still above the level at the largest evaluated D of a line, D_gen lies
beyond the searched range: that D is a lower bound (status 'edge').
"""

import os

import numpy as np

from .errors import HopscanError
from .reader import (attr_int, attr_str, check_path, line_axes, open_scan, search_along,
                     _h5file)
from .scan import L_label, observable_name, parse_config_yaml

CROSSING_KEYS = ("direction", "lo", "hi", "value", "ci_lo", "ci_hi")
D_KEYS = ("D_lo", "D_hi", "D_value", "D_ci_lo", "D_ci_hi")
AUX = {"alpha": "P", "alpha_D": "D"}


def is_search_file(path):
    """True when path is an HDF5 file with the root attribute search_along (a cheap look at the
    attributes; anything unreadable is False and left to the reader to report)."""
    try:
        check_path(os.fspath(path))
        with _h5file(os.fspath(path)) as f:
            return "search_along" in f.attrs
    except (HopscanError, OSError):
        return False


class SearchFile:
    """One transition-search file: `ds` (reader.open_scan), along, other (the line axis that is
    not L), N, model, observable (probe kind), statistic, level, tolerance, coarse, max_samples,
    samples (per point before top-ups), config."""

    def __init__(self, path):
        self.path = os.fspath(path)
        self.ds = open_scan(self.path, sweeps=False)
        self.along = search_along(self.ds)
        if self.along is None:
            raise HopscanError(f"{self.path}: not a transition-search file (no search_along "
                               "attribute): a grid scan")
        a = self.ds.attrs
        self.other = line_axes(self.along)[0]
        self.N = attr_int(a["N"])
        self.config = parse_config_yaml(attr_str(a.get("config_yaml", "")), self.path)
        self.model = attr_str(a.get("model", self.config.get("model", "rfhm")))
        self.observable = attr_str(a.get("search_observable", "?"))
        self.statistic = attr_str(a.get("search_statistic", "?"))
        try:
            self.level = float(attr_str(a["search_level"]))
            self.tolerance = float(attr_str(a.get("search_tolerance", "nan")))
            self.coarse = attr_int(a.get("search_coarse", 0))
            self.max_samples = attr_int(a.get("search_max_samples", self.ds.sizes["sample"]))
        except (KeyError, ValueError) as ex:
            raise HopscanError(f"{self.path}: bad or missing search attribute ({ex})") from None
        self.samples = int(self.config.get("samples", self.max_samples))

    def line_values(self, name):
        """A LINE variable as numpy [other, L] (crossing variables [other, L, crossing])."""
        v = self.ds[name]
        return v.transpose(self.other, "L", *[d for d in v.dims if d == "crossing"]).values

    @property
    def lines_done(self):
        return int(self.line_values("line_done").sum())

    @property
    def lines_total(self):
        return int(self.ds["line_done"].size)

    @property
    def complete(self):
        return self.lines_done == self.lines_total

    def completion_line(self):
        d, t = self.lines_done, self.lines_total
        if d == t:
            return f"{self.path}: {d}/{t} search lines finished (complete)"
        return (f"{self.path}: {d}/{t} search lines finished ({100.0 * d / t if t else 0:.0f}%, "
                "partial: the crossings of the others may still move)")

    def label(self):
        """'mean m_test = 0.9', 'frac_test = 0.5', 'min m_test = 0.9' (plain text)."""
        m = observable_name(self.observable, "m")
        what = {"mean": f"mean {m}", "frac_retrieved": observable_name(self.observable, "frac"),
                "min_sample_mean": f"min {m}"}.get(self.statistic, f"{self.statistic} {m}")
        return f"{what} = {self.level:g}"

    def describe(self):
        """Lines added to `info` for a search file."""
        n = self.line_values("n_crossings")
        ev = self.ds["search_samples"].values
        return "\n".join([
            f"search:     along {self.along}, {self.statistic} of {self.observable} probes "
            f"crosses {self.level:g} (tolerance {self.tolerance:g} in log10, coarse "
            f"{self.coarse}, up to {self.max_samples} samples)",
            f"lines:      {self.lines_done}/{self.lines_total} finished, {int(n.sum())} "
            f"crossings located",
            f"evaluated:  {int((ev > 0).sum())} of {ev.size} lattice points, "
            f"{int(ev.sum())} samples requested"])


def open_searches(paths):
    return [SearchFile(p) for p in paths]


def csv_fields(along):
    """Columns of the crossings table of a search along `along`."""
    other = line_axes(along)[0]
    return (["along", "N", other, AUX[other], "L", "crossing", *CROSSING_KEYS]
            + (list(D_KEYS) if along == "alpha_D" else [])
            + ["line_done", "observable", "statistic", "level"])


def _D(x, N):
    """x N as an int when it is one (lattice points), else as a float."""
    d = float(x) * N
    return int(round(d)) if np.isfinite(d) and abs(d - round(d)) < 1e-6 * max(1.0, d) else d


def crossing_rows(sf, L_values=None):
    """The located crossings of a SearchFile as rows (dicts with the csv_fields keys), by line
    (other axis, then L, file order) and crossing. L_values: keep only these L (0 = dense)."""
    other, aux = sf.other, AUX[sf.other]
    cr = {k: sf.line_values(f"crossing_{k}") for k in CROSSING_KEYS}
    ncr, done = sf.line_values("n_crossings"), sf.line_values("line_done")
    ov, auxv, Ls = sf.ds[other].values, sf.ds[aux].values, sf.ds["L"].values
    rows = []
    for io in range(len(ov)):
        for ic, L in enumerate(Ls):
            if L_values is not None and int(L) not in L_values:
                continue
            for k in range(min(int(ncr[io, ic]), cr["lo"].shape[2])):
                if not np.isfinite(cr["lo"][io, ic, k]):
                    continue
                row = {"along": sf.along, "N": sf.N, other: float(ov[io]),
                       aux: int(auxv[io]), "L": int(L), "crossing": k}
                row.update({key: float(cr[key][io, ic, k]) for key in CROSSING_KEYS})
                row["direction"] = int(row["direction"])
                if sf.along == "alpha_D":  # D_value interpolated: a float
                    row.update({f"D_{key}": _D(row[key], sf.N) for key in
                                ("lo", "hi", "ci_lo", "ci_hi")}, D_value=row["value"] * sf.N)
                row.update(line_done=int(done[io, ic]), observable=sf.observable,
                           statistic=sf.statistic, level=sf.level)
                rows.append(row)
    return rows


def _last_evaluated(sf, io, ic):
    """(axis value, statistic) of the largest evaluated point of line (io, ic), or None."""
    st = sf.ds["statistic"].transpose(sf.along, sf.other, "L").values[:, io, ic]
    ok = np.nonzero(np.isfinite(st))[0]
    if not len(ok):
        return None
    return float(sf.ds[sf.along].values[ok[-1]]), float(st[ok[-1]])


def _dgen_line(sf, io, ic):
    """(D_gen, D_lo, D_hi, status) of one line along alpha_D (module doc), or None (no data)."""
    last = _last_evaluated(sf, io, ic)
    if last is None:
        return None
    if last[1] > sf.level:
        return _D(last[0], sf.N), float("nan"), float("nan"), "edge"
    k = [j for j in range(int(sf.line_values("n_crossings")[io, ic]))
         if sf.line_values("crossing_direction")[io, ic, j] == -1]
    if not k:
        return float("nan"), float("nan"), float("nan"), "none"
    lo = sf.line_values("crossing_lo")[io, ic]
    j = max(k, key=lambda j: lo[j])
    return (_D(lo[j], sf.N), _D(sf.line_values("crossing_ci_lo")[io, ic, j], sf.N),
            _D(sf.line_values("crossing_ci_hi")[io, ic, j], sf.N), "ok")


def check_dgen_search(sf):
    if sf.along != "alpha_D":
        raise HopscanError(f"{sf.path}: a search along {sf.along}; dgen needs a search along "
                           "alpha_D")
    if sf.statistic != "min_sample_mean":
        raise HopscanError(f"{sf.path}: searched statistic {sf.statistic}; dgen needs "
                           "min_sample_mean (all samples above the level)")


def dgen_rows(sfs, alpha=None, L_values=None):
    """D_gen rows (the keys of analysis.dgen_table plus D_gen_lo, D_gen_hi) of search files
    along alpha_D with statistic min_sample_mean, one per (file, L): the largest D_gen over the
    alpha lines (or the line at `alpha`); rank of status: ok, then edge, then none."""
    rows = []
    for sf in sfs:
        check_dgen_search(sf)
        alphas = sf.ds["alpha"].values
        io_list = range(len(alphas)) if alpha is None else [_alpha_index(sf, alpha)]
        for ic, L in enumerate(sf.ds["L"].values):
            if L_values is not None and int(L) not in L_values:
                continue
            got = [g for g in (_dgen_line(sf, io, ic) for io in io_list) if g is not None]
            edge = [g for g in got if g[3] == "edge"]
            ok = [g for g in got if g[3] == "ok"]
            best = (max(edge, key=lambda g: g[0]) if edge else max(ok, key=lambda g: g[0])
                    if ok else (float("nan"), float("nan"), float("nan"), "none"))
            rows.append({"N": sf.N, "L": int(L), "D_gen": float(best[0]),
                         "D_gen_sem": float("nan"), "alpha_D_gen": float(best[0]) / sf.N,
                         "n_groups": int(best[3] != "none"), "samples": sf.samples,
                         "status": best[3], "D_gen_lo": float(best[1]),
                         "D_gen_hi": float(best[2]), "source": "search"})
    return rows


def _alpha_index(sf, alpha):
    a = sf.ds["alpha"].values
    hit = np.nonzero(np.abs(a - float(alpha)) <= 1e-6 * abs(float(alpha)))[0]
    if not len(hit):
        raise HopscanError(f"{sf.path}: alpha = {alpha} is not a line of the search (values: "
                           f"{', '.join(f'{x:.6g}' for x in a)})")
    return int(hit[0])


def map_overlays(scan, sfs, L_idx):
    """The crossings of search files that lie on the panels of a grid map of `scan` (one panel
    per L of L_idx): a line matches when its L is a panel's and its other-axis value lies within
    the grid's range of that axis. Returns (overlays, notes): overlays [{"label", "along",
    "points": {L: [crossing rows]}}] for plotting.plot_map(searches=...), notes [str] about
    lines that match no panel, unfinished searches and a different N."""
    panel_L = {int(scan.L[i]) for i in L_idx}
    overlays, notes = [], []
    for sf in sfs:
        ax = scan.alpha_D if sf.other == "alpha_D" else scan.alpha
        lo, hi = float(np.min(ax)) * (1 - 1e-9), float(np.max(ax)) * (1 + 1e-9)
        lines = [(float(v), int(L)) for v in sf.ds[sf.other].values for L in sf.ds["L"].values]
        off = [(v, L) for v, L in lines if L not in panel_L or not lo <= v <= hi]
        if off:
            shown = ", ".join(f"({sf.other} = {v:g}, {L_label(L)})" for v, L in off[:4])
            notes.append(f"{sf.path}: {len(off)} of {len(lines)} search lines match no panel "
                         f"of the map, not drawn: {shown}{' ...' if len(off) > 4 else ''}")
        if sf.N != scan.N:
            notes.append(f"{sf.path}: N = {sf.N}, the map's N = {scan.N}")
        if not sf.complete:
            notes.append(sf.completion_line())
        pts = {}
        for r in crossing_rows(sf):
            if (r[sf.other], r["L"]) not in off:
                pts.setdefault(r["L"], []).append(r)
        overlays.append({"label": f"{os.path.basename(sf.path)}: {sf.label()}",
                         "along": sf.along, "other": sf.other, "points": pts})
    return overlays, notes

