"""Transition lines, their bootstrap confidence intervals, D_gen and power-law fits.

Transition of a line at fixed (alpha_D, L): the curve is the mean over done samples of the line's
observable (or of its per-sample retrieved fraction) against alpha; the transition is its FIRST
crossing of `level` in the line's direction as alpha increases, linearly interpolated in log alpha
between the two bracketing grid points. Grid points without done samples are skipped.

    learning        mu      rising   (features become attractors)
    generalization  m_test  rising   (unseen examples become attractors)
    storage         m_train falling  (train examples stop being attractors)
    mixtureN        m_mixtureN rising (symmetric N-mixtures of features become stable), for
                    every mixture kind of the scan (`fig2` draws them along alpha_D)

Confidence interval: bootstrap over samples with scipy.stats.bootstrap (paired=False): every grid
point's done samples are resampled with replacement independently (samples at different grid
points are independent disorder; a point with a single done sample keeps its value), the crossing
is found again, and the interval is the central `ci` percentile range of the replicates
(bootstrap_distribution, nearest-rank percentiles; a replicate whose curve is past the level
already at the first alpha counts as alpha_c = 0, one that never reaches it as alpha_c = inf, so
ci_low = 0 or ci_high = inf says the interval leaves the grid; replicates with no crossing in the
line's direction are left out; boot_ok is the fraction of replicates that cross inside the grid).
Only rows whose point estimate has status 'ok' get an interval. The generator is numpy's PCG64
seeded by (seed, alpha_D index, L index, line index), so the output is reproducible and
independent of which lines are asked for.

D_gen from transition-search files along alpha_D: search.py (rows with the same keys, source
'search', and the interval D_gen_lo, D_gen_hi of the crossing; grid rows leave those NaN).

D_gen(N, L): the largest D = alpha_D N on the grid at which at least k samples have m_test > 0.9
at some alpha of the grid (or at a given alpha). A sample "has m_test > 0.9" when the mean of its
test probes' overlaps exceeds 0.9. With groups=True, the paper's variant: the done samples of each
grid point are split in consecutive groups of k, each group's D_gen is the largest D at which all
k samples of the group exceed the threshold (at one alpha), and D_gen is the mean over groups.
"""

import csv
import math
import sys
import warnings

import numpy as np
import scipy.stats

from .errors import HopscanError
from .scan import OBSERVABLES, fmt_axis_value

# line -> (observable of quantity 'mean', observable of quantity 'frac', direction)
LINES = {
    "learning": ("mu", "frac_mu", "rising"),
    "generalization": ("m_test", "frac_test", "rising"),
    "storage": ("m_train", "frac_train", "falling"),
}

CSV_FIELDS = ["alpha_D", "D", "L", "line", "observable", "level", "alpha_c", "ci_low",
              "ci_high", "status", "boot_ok", "n_samples_min", "n_alpha"]


def _crossings(logx, Y, level, direction):
    """First crossing of each row of Y [R, A] over logx [A]: (logx_c [R], status [R] of str)."""
    R, A = Y.shape
    xc = np.full(R, np.nan)
    status = np.full(R, "none", dtype=object)
    if A == 0:
        status[:] = "nodata"
        return xc, status
    with np.errstate(invalid="ignore"):
        if direction == "rising":
            hit = (Y[:, :-1] < level) & (Y[:, 1:] >= level)
            all_past = np.all(Y >= level, axis=1)
            all_before = np.all(Y < level, axis=1)
        else:
            hit = (Y[:, :-1] >= level) & (Y[:, 1:] < level)
            all_past = np.all(Y < level, axis=1)
            all_before = np.all(Y >= level, axis=1)
    anyhit = hit.any(axis=1) if A > 1 else np.zeros(R, dtype=bool)
    status[all_past] = "left"  # already past the level at the smallest alpha
    status[all_before] = "right"  # level not reached at the largest alpha
    if A > 1 and anyhit.any():
        r = np.nonzero(anyhit)[0]
        i = hit[r].argmax(axis=1)
        y0, y1 = Y[r, i], Y[r, i + 1]
        t = (level - y0) / (y1 - y0)
        xc[r] = logx[i] + t * (logx[i + 1] - logx[i])
        status[r] = "ok"
    return xc, status


def _bootstrap_crossings(pts, logx, level, direction, n_boot, rng):
    """Bootstrap replicates of the log crossing of the curve of means of pts (one array of done
    samples per alpha): scipy.stats.bootstrap resamples each point independently. Returns the
    bootstrap distribution: -inf / +inf where the replicate's curve is past the level at the
    first alpha / never reaches it, NaN where it has no crossing in that direction."""
    means = np.array([p.mean() for p in pts])
    multi = [j for j, p in enumerate(pts) if len(p) > 1]  # one sample: nothing to resample
    if not multi:
        xc, st = _crossings(logx, means[None, :], level, direction)
        return np.full(n_boot, _coded(xc, st)[0])

    def statistic(*resampled, axis=-1):
        batch = np.broadcast_shapes(*(r.shape[:-1] for r in resampled))
        Y = np.broadcast_to(means, (*batch, len(pts))).copy()
        for j, r in zip(multi, resampled):
            Y[..., j] = r.mean(axis=axis)
        xc, st = _crossings(logx, Y.reshape(-1, len(pts)), level, direction)
        return _coded(xc, st).reshape(batch)

    with warnings.catch_warnings():
        # the library's own interval interpolates between +-inf replicates: not used here
        warnings.simplefilter("ignore", RuntimeWarning)
        res = scipy.stats.bootstrap([pts[j] for j in multi], statistic, n_resamples=n_boot,
                                    vectorized=True, paired=False, axis=-1,
                                    method="percentile", random_state=rng)
    return np.asarray(res.bootstrap_distribution, dtype=np.float64).reshape(-1)


def _coded(xc, st):
    out = np.where(st == "ok", xc, np.nan)
    out[st == "left"] = -np.inf
    out[st == "right"] = np.inf
    return out


def crossing_alpha(alpha, y, level=0.5, direction="rising"):
    """First crossing of the curve y(alpha) through level in a direction ('rising'|'falling'),
    interpolated linearly in log alpha. Returns (alpha_c, status); alpha_c is NaN unless
    status == 'ok' ('left': past the level already at the first alpha, 'right': not reached at
    the last, 'none': no crossing in that direction, 'nodata')."""
    alpha = np.asarray(alpha, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(y)
    order = np.argsort(alpha[ok])
    logx = np.log(alpha[ok][order])
    xc, st = _crossings(logx, y[ok][order][None, :], level, direction)
    return (math.exp(xc[0]) if st[0] == "ok" else float("nan")), str(st[0])


def line_spec(line):
    """(mean observable, frac observable, direction) of a line: LINES, or mixtureN."""
    if line in LINES:
        return LINES[line]
    if line.startswith("mixture") and line[len("mixture"):].isdigit():
        return (f"m_{line}", f"frac_{line}", "rising")
    raise HopscanError(f"unknown line {line!r} (choose from {', '.join(LINES)}, or mixtureN "
                       "for a mixture kind)")


def line_observable(line, quantity="mean"):
    m, f, _ = line_spec(line)
    if quantity not in ("mean", "frac"):
        raise HopscanError(f"unknown quantity {quantity!r} (choose mean or frac)")
    return m if quantity == "mean" else f


def _mixture_lines(scan):
    """mixtureN lines of the scan's mixture kinds, by ascending N."""
    ns = sorted(int(o[len("m_mixture"):]) for o in scan.observables
                if o.startswith("m_mixture") and o[len("m_mixture"):].isdigit())
    return [f"mixture{n}" for n in ns]


def find_transitions(scan, lines=None, level=0.5, quantity="mean", n_boot=1000, ci=0.95,
                     seed=0, alpha_D_idx=None, L_idx=None):
    """Transition rows (dicts with the CSV_FIELDS keys) for every (alpha_D, L) and line.

    lines=None takes every line whose observable the scan has. n_boot=0 skips the bootstrap."""
    if lines is None:
        # classic Hopfield: test probes are random starts, not examples: storage line only
        lines = ["storage"] if getattr(scan, "is_hopfield", False) else [
            ln for ln in LINES if scan.has(line_observable(ln, quantity))]
        lines += [ln for ln in _mixture_lines(scan) if ln not in lines]
    if not 0.0 < ci < 1.0:
        raise HopscanError(f"--ci {ci} must lie between 0 and 1")
    ib_list = range(len(scan.alpha_D)) if alpha_D_idx is None else alpha_D_idx
    ic_list = range(len(scan.L)) if L_idx is None else L_idx
    line_names = list(LINES)
    rows = []
    lo_q, hi_q = 50.0 * (1.0 - ci), 100.0 - 50.0 * (1.0 - ci)
    for ib in ib_list:
        for ic in ic_list:
            for ln in lines:
                obs = line_observable(ln, quantity)
                direction = line_spec(ln)[2]
                v = scan.values(obs)[:, ib, ic, :]  # [A, S]
                n = np.isfinite(v).sum(axis=1)
                keep = np.nonzero(n > 0)[0]
                logx = np.log(scan.alpha[keep])
                means = np.array([np.nanmean(v[i]) for i in keep])
                xc, st = _crossings(logx, means[None, :], level, direction)
                row = {
                    "alpha_D": float(scan.alpha_D[ib]),
                    "D": int(scan.D[ib]),
                    "L": int(scan.L[ic]),
                    "line": ln,
                    "observable": obs,
                    "level": float(level),
                    "alpha_c": float(np.exp(xc[0])) if st[0] == "ok" else float("nan"),
                    "ci_low": float("nan"),
                    "ci_high": float("nan"),
                    "status": str(st[0]),
                    "boot_ok": float("nan"),
                    "n_samples_min": int(n[keep].min()) if len(keep) else 0,
                    "n_alpha": int(len(keep)),
                }
                if n_boot > 0 and len(keep) > 1 and row["status"] == "ok":
                    # mixture lines after the named ones: their seeds leave those unchanged
                    li = (line_names.index(ln) if ln in line_names
                          else len(line_names) + int(ln[len("mixture"):]))
                    rng = np.random.default_rng([int(seed), int(ib), int(ic), li])
                    pts = [v[i][np.isfinite(v[i])] for i in keep]
                    bx = _bootstrap_crossings(pts, logx, level, direction, n_boot, rng)
                    row["boot_ok"] = float(np.isfinite(bx).mean())
                    bx = bx[~np.isnan(bx)]  # no crossing in the line's direction: left out
                    if len(bx):
                        lo, hi = np.percentile(bx, [lo_q, hi_q], method="nearest")
                        row["ci_low"], row["ci_high"] = float(np.exp(lo)), float(np.exp(hi))
                rows.append(row)
    return rows


def _fmt(v):
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.6g}"
    return str(v)


def write_transitions_csv(rows, out, fields=None):
    """Writes transition rows as CSV (columns `fields`, default CSV_FIELDS) to a path or a text
    stream."""
    fields = fields or CSV_FIELDS

    def _write(fh):
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(fields)
        for r in rows:
            w.writerow([_fmt(r[k]) for k in fields])

    if hasattr(out, "write"):
        _write(out)
    else:
        try:
            with open(out, "w", newline="") as fh:
                _write(fh)
        except OSError as ex:
            from .errors import HopscanOutputError
            raise HopscanOutputError(f"{out}: cannot write ({ex.strerror})") from None


def read_transitions_csv(path):
    """Reads a CSV written by write_transitions_csv back into rows."""
    try:
        with open(path, newline="") as fh:
            rd = csv.DictReader(fh)
            missing = [k for k in ("alpha_D", "L", "line", "alpha_c") if k not in
                       (rd.fieldnames or [])]
            if missing:
                raise HopscanError(f"{path}: not a transitions CSV (no column "
                                   f"{', '.join(missing)})")
            rows = []
            for r in rd:
                out = dict(r)
                for k in ("alpha_D", "level", "alpha_c", "ci_low", "ci_high", "boot_ok"):
                    if k in out:
                        out[k] = float(out[k]) if out[k] not in ("", None) else float("nan")
                for k in ("D", "L", "n_samples_min", "n_alpha"):
                    if k in out and out[k] not in ("", None):
                        out[k] = int(out[k])
                rows.append(out)
            return rows
    except OSError as ex:
        raise HopscanError(f"{path}: cannot read ({ex.strerror})") from None
    except ValueError as ex:
        raise HopscanError(f"{path}: malformed transitions CSV ({ex})") from None


def dgen_table(scans, k=10, threshold=0.9, alpha=None, groups=False, L_values=None):
    """D_gen per (N, L) from Scans at different N (see module doc). Returns rows (dicts):
    N, L, D_gen, D_gen_sem, alpha_D_gen, n_groups, samples, status ('ok'; 'edge': the largest D
    of the grid qualifies, so D_gen is a lower bound; 'none': no D qualifies)."""
    if k < 1:
        raise HopscanError(f"--k {k} must be at least 1")
    rows = []
    for sc in scans:
        v = sc.values("m_test")  # [A,B,C,S]
        with np.errstate(invalid="ignore"):
            good = np.isfinite(v) & (v > threshold)
        if alpha is not None:
            ia = sc.axis_index("alpha", alpha)
            good = good[ia:ia + 1]
        L_list = range(len(sc.L)) if L_values is None else [
            i for i in range(len(sc.L)) if int(sc.L[i]) in L_values]
        Ds = sc.D.astype(np.float64)
        for ic in L_list:
            g = good[:, :, ic, :]  # [A', B, S]
            if not groups:
                ok_B = (g.sum(axis=2) >= k).any(axis=0)
                if ok_B.any():
                    jb = int(np.nonzero(ok_B)[0][np.argmax(Ds[ok_B])])
                    dg, sem, ng = Ds[jb], float("nan"), 1
                    adg = float(sc.alpha_D[jb])
                    status = "edge" if Ds[jb] == Ds.max() else "ok"
                else:
                    dg, sem, ng, adg, status = float("nan"), float("nan"), 0, float("nan"), "none"
            else:
                S = g.shape[2]
                vals = []
                edge = False
                for g0 in range(0, S - k + 1, k):
                    blk = g[:, :, g0:g0 + k].all(axis=2).any(axis=0)  # [B]
                    if blk.any():
                        d = Ds[blk].max()
                        edge |= d == Ds.max()
                        vals.append(d)
                ng = len(vals)
                if ng:
                    dg = float(np.mean(vals))
                    sem = float(scipy.stats.sem(vals, ddof=1)) if ng > 1 else float("nan")
                    status = "edge" if edge else "ok"
                else:
                    dg, sem, status = float("nan"), float("nan"), "none"
                adg = dg / sc.N if ng else float("nan")
            rows.append({
                "N": int(sc.N), "L": int(sc.L[ic]), "D_gen": float(dg), "D_gen_sem": float(sem),
                "alpha_D_gen": float(adg), "n_groups": int(ng),
                "samples": int(sc.samples_per_point), "status": status,
                "D_gen_lo": float("nan"), "D_gen_hi": float("nan"), "source": "grid",
            })
    return rows


def fit_power_law(N, D):
    """Least-squares fit of log D = log a + b log N (scipy.stats.linregress). Returns dict slope,
    slope_err (standard error, NaN with fewer than 3 points), prefactor, n_points; slope NaN
    with < 2 distinct N."""
    N = np.asarray(N, dtype=np.float64)
    D = np.asarray(D, dtype=np.float64)
    ok = np.isfinite(N) & np.isfinite(D) & (N > 0) & (D > 0)
    x, y = np.log(N[ok]), np.log(D[ok])
    n = len(x)
    out = {"slope": float("nan"), "slope_err": float("nan"), "prefactor": float("nan"),
           "n_points": int(n)}
    if n < 2 or np.ptp(x) == 0:
        return out
    fit = scipy.stats.linregress(x, y)
    out["slope"], out["prefactor"] = float(fit.slope), float(math.exp(fit.intercept))
    if n > 2:
        out["slope_err"] = float(fit.stderr)
    return out


DGEN_FIELDS = ["N", "L", "D_gen", "D_gen_sem", "alpha_D_gen", "n_groups", "samples", "status",
               "D_gen_lo", "D_gen_hi", "source"]


def write_dgen_csv(rows, fits, path):
    try:
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(DGEN_FIELDS)
            for r in rows:
                w.writerow([_fmt(r[k]) for k in DGEN_FIELDS])
            for L, fit in fits.items():
                fh.write(f"# fit L={fmt_axis_value('L', L)}: D_gen = {_fmt(fit['prefactor'])} "
                         f"N^({_fmt(fit['slope'])} +- {_fmt(fit['slope_err'])}), "
                         f"{fit['n_points']} points\n")
    except OSError as ex:
        from .errors import HopscanOutputError
        raise HopscanOutputError(f"{path}: cannot write ({ex.strerror})") from None


def warn(msg):
    print(f"hopscan-plot: warning: {msg}", file=sys.stderr)


__all__ = ["LINES", "OBSERVABLES", "crossing_alpha", "find_transitions", "dgen_table",
           "fit_power_law", "write_transitions_csv", "read_transitions_csv", "write_dgen_csv"]


# Replica-symmetric lines of the dense RFHM with Gaussian coefficients (arXiv:2303.16880; values
# from the authors' saddle_point/*/alphac_*.txt as listed in SCIENCE.md): features are retrieved
# above alpha_L(alpha_D) (learning), examples below alpha_S(alpha_D) (storage).
THEORY_DENSE = {
    "learning": ([0.002, 0.005, 0.01, 0.02, 0.05, 0.10, 0.12, 0.127],
                 [0.016, 0.043, 0.092, 0.209, 0.778, 4.10, 11.0, 19.0]),
    "storage": ([0.002, 0.005, 0.01, 0.02, 0.05, 0.10, 0.2, 1.0],
                [0.0174, 0.0268, 0.0365, 0.0486, 0.068, 0.0841, 0.0996, 0.126]),
}


def theory_alpha(line, alpha_D):
    """alpha_L or alpha_S of the dense Gaussian RFHM at alpha_D (log-log interpolation of the
    table; NaN outside it)."""
    xs, ys = THEORY_DENSE[line]
    a = np.atleast_1d(np.asarray(alpha_D, dtype=np.float64))
    out = np.full(a.shape, np.nan)
    ok = (a >= xs[0]) & (a <= xs[-1])
    out[ok] = np.exp(np.interp(np.log(a[ok]), np.log(xs), np.log(ys)))
    return out if np.ndim(alpha_D) else float(out[0])


STATS_FIELDS = ["alpha", "P", "alpha_D", "D", "L", "observable", "mean", "sem", "n_samples"]


def write_stats_csv(scan, observables, path, alpha_D_idx=None, L_idx=None):
    """Mean, sem and done-sample count of each observable at every selected grid point."""
    bi = range(len(scan.alpha_D)) if alpha_D_idx is None else alpha_D_idx
    ci = range(len(scan.L)) if L_idx is None else L_idx
    P = np.rint(scan.alpha * scan.N).astype(np.int64)
    try:
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(STATS_FIELDS)
            for o in observables:
                mean, sem, n = scan.stats(o)
                for ib in bi:
                    for ic in ci:
                        for ia in range(len(scan.alpha)):
                            w.writerow([_fmt(float(scan.alpha[ia])), int(P[ia]),
                                        _fmt(float(scan.alpha_D[ib])), int(scan.D[ib]),
                                        int(scan.L[ic]), o, _fmt(float(mean[ia, ib, ic])),
                                        _fmt(float(sem[ia, ib, ic])), int(n[ia, ib, ic])])
    except OSError as ex:
        from .errors import HopscanOutputError
        raise HopscanOutputError(f"{path}: cannot write ({ex.strerror})") from None
