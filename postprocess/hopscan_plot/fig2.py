"""The Fig. 2 study (issue 13): measured mixture-stability lines beside the learning and
generalization lines in one alpha-alpha_D plane.

Every line is found the same way, at each alpha of the grid along alpha_D (all of them fall as
alpha_D grows at fixed alpha): alpha_D_c(alpha) is the FIRST downward crossing of `level` by the
mean over done samples of the line's observable, linearly interpolated in log alpha_D (status
'ok'; 'below' when the curve is under the level already at the smallest alpha_D, 'above' when it
never falls under it, so the line lies outside the grid there).

    mixtureN        m_mixtureN  a symmetric n-mixture of features stays (is a fixed point nearby)
    learning        mu          features are retrieved
    generalization  m_test      unseen examples are retrieved

Confidence interval (n_boot > 0): the bootstrap over samples of `transitions` (analysis.py), along
alpha_D: each grid point's done samples are resampled independently, the crossing is found again,
and ci_low/ci_high are the central `ci` range of the replicates (0 or inf: leaves the grid).

The theory's alpha -> infinity spinodals of the symmetric n-mixtures (dense Gaussian
coefficients, arXiv:2303.16880; close to AGS's classic-Hopfield values with P = D) are marked.
"""

import csv
import math

import numpy as np

from .analysis import _bootstrap_crossings, _crossings
from .errors import HopscanError, HopscanOutputError
from .scan import L_label

# alpha -> infinity spinodals alpha_D of the symmetric n-mixtures (arXiv:2303.16880)
SPINODALS = {3: 0.0289, 5: 0.0157, 7: 0.0108}

FIELDS = ["line", "n", "alpha", "P", "L", "observable", "level", "alpha_D_c", "ci_low", "ci_high",
          "status", "n_samples_min"]


def mixture_sizes(scan):
    """The mixture sizes n whose kind mixtureN the scan has, ascending."""
    out = []
    for o in scan.observables:
        if o.startswith("m_mixture") and o[len("m_mixture"):].isdigit():
            out.append(int(o[len("m_mixture"):]))
    return sorted(out)


def line_specs(scan):
    """[(line name, n or 0, observable)] for the lines the scan has."""
    specs = [(f"mixture{n}", n, f"m_mixture{n}") for n in mixture_sizes(scan)]
    specs += [(ln, 0, obs) for ln, obs in (("learning", "mu"), ("generalization", "m_test"))
              if scan.has(obs)]
    return specs


def _interval(v, order, logy, level, n_boot, ci, rng):
    """(ci_low, ci_high) of alpha_D_c from per-sample values v [B, S] (module doc)."""
    pts = [v[ib][np.isfinite(v[ib])] for ib in order]
    keep = [j for j, p in enumerate(pts) if len(p)]
    bx = _bootstrap_crossings([pts[j] for j in keep], logy[keep], level, "falling", n_boot, rng)
    bx = bx[~np.isnan(bx)]
    if not len(bx):
        return float("nan"), float("nan")
    lo, hi = np.percentile(bx, [50.0 * (1 - ci), 100.0 - 50.0 * (1 - ci)], method="nearest")
    return float(np.exp(lo)), float(np.exp(hi))


def fig2_lines(scan, level=0.5, L_idx=None, n_boot=0, ci=0.95, seed=0):
    """Rows (dicts with FIELDS) for every line, L and alpha (module doc); n_boot = 0: no
    intervals (NaN)."""
    if scan.is_hopfield:
        raise HopscanError("fig2 needs an rfhm scan (alpha_D axis); this is classic Hopfield")
    specs = line_specs(scan)
    if not any(n for _, n, _ in specs):
        raise HopscanError(f"{', '.join(scan.paths)}: no mixture probes (probes.mixture) in this "
                           "scan: nothing to draw for Fig. 2")
    if len(scan.alpha_D) < 2:
        raise HopscanError("fig2 needs at least 2 alpha_D values to find lines along alpha_D")
    order = np.argsort(scan.alpha_D)
    logy = np.log(scan.alpha_D[order])
    ics = range(len(scan.L)) if L_idx is None else L_idx
    rows = []
    for li, (line, n, obs) in enumerate(specs):
        v = scan.values(obs)  # [A, B, C, S]
        cnt = np.isfinite(v).sum(axis=3)
        with np.errstate(invalid="ignore"):
            mean = np.where(cnt > 0, np.nansum(v, axis=3) / np.maximum(cnt, 1), np.nan)
        for ic in ics:
            for ia, a in enumerate(scan.alpha):
                y = mean[ia, order, ic]
                ok = np.isfinite(y)
                xc, st = _crossings(logy[ok], y[ok][None, :], level, "falling")
                status = {"left": "below", "right": "above"}.get(str(st[0]), str(st[0]))
                lo = hi = float("nan")
                if n_boot > 0 and status == "ok":
                    rng = np.random.default_rng([int(seed), int(ia), int(ic), li])
                    lo, hi = _interval(v[ia, :, ic, :], order, logy, level, n_boot, ci, rng)
                rows.append({
                    "line": line, "n": n, "alpha": float(a),
                    "P": int(round(float(a) * scan.N)), "L": int(scan.L[ic]),
                    "observable": obs, "level": float(level),
                    "alpha_D_c": float(math.exp(xc[0])) if status == "ok" else float("nan"),
                    "ci_low": lo, "ci_high": hi,
                    "status": status,
                    "n_samples_min": int(cnt[ia, :, ic].min()),
                })
    return rows


def write_csv(rows, path):
    try:
        with open(path, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
            w.writeheader()
            for r in rows:
                w.writerow({k: (f"{r[k]:.6g}" if isinstance(r[k], float) else r[k])
                            for k in FIELDS})
    except OSError as ex:
        raise HopscanOutputError(f"{path}: cannot write ({ex.strerror})") from None


def plot_fig2(scan, rows, prefix, formats=None, title=None, dpi=None):
    """The lines in the alpha-alpha_D plane, one panel per L; theory spinodals as horizontal
    ticks at the right edge. Returns the written paths."""
    import matplotlib
    from matplotlib.figure import Figure

    from .plotting import _alpha_ticks, _cmap, _save, _title, style

    Ls = sorted({r["L"] for r in rows}, key=lambda x: (x == 0, x))
    sizes = sorted({r["n"] for r in rows if r["n"]})
    cmap = _cmap("viridis")
    color = {n: cmap(0.1 + 0.7 * i / max(len(sizes) - 1, 1)) for i, n in enumerate(sizes)}
    style_of = {"learning": dict(color="tab:red", ls="--", marker="s"),
                "generalization": dict(color="k", ls="-", marker="o")}
    for n in sizes:
        style_of[f"mixture{n}"] = dict(color=color[n], ls="-", marker="^")
    ylo, yhi = scan.alpha_D.min() / 1.3, scan.alpha_D.max() * 1.3
    with matplotlib.rc_context(style(dpi)):
        fig = Figure(figsize=(4.4 * len(Ls) + 1.5, 3.6))
        axes = np.atleast_1d(fig.subplots(1, len(Ls), squeeze=False)[0])
        for ax, L in zip(axes, Ls):
            for line in dict.fromkeys(r["line"] for r in rows):
                pts = [r for r in rows if r["line"] == line and r["L"] == L]
                x = np.array([r["alpha"] for r in pts])
                y = np.array([r["alpha_D_c"] for r in pts])
                st = style_of[line]
                label = f"{line[:7]} n = {line[7:]}" if line.startswith("mixture") else line
                ax.plot(x, y, ms=4, label=label, **st)
                lo = np.clip([r["ci_low"] for r in pts], ylo, yhi)
                hi = np.clip([r["ci_high"] for r in pts], ylo, yhi)
                err = np.vstack([np.where(np.isnan(lo), 0, np.maximum(y - lo, 0)),
                                 np.where(np.isnan(hi), 0, np.maximum(hi - y, 0))])
                if np.isfinite(y).any() and np.any(err > 0):
                    ax.errorbar(x, y, yerr=np.where(np.isfinite(y), err, 0), fmt="none",
                                ecolor=st["color"], elinewidth=0.7, capsize=1.5, alpha=0.8)
                # outside the grid: an open marker at the edge it lies beyond
                for r in pts:
                    if r["status"] in ("below", "above"):
                        ax.plot(r["alpha"], ylo if r["status"] == "below" else yhi,
                                marker="v" if r["status"] == "below" else "^",
                                mfc="none", mec=st["color"], ms=5, ls="none", clip_on=False)
            for n, yd in SPINODALS.items():
                if not sizes or n in sizes:
                    ax.axhline(yd, color=color.get(n, "0.5"), ls=":", lw=1.0)
                    ax.annotate(f"theory n = {n}, " + r"$\alpha\to\infty$", (0.01, yd),
                                xycoords=("axes fraction", "data"), xytext=(0, 1.5),
                                textcoords="offset points", va="bottom", fontsize=6,
                                color=color.get(n, "0.5"))
            ax.set_xscale("log")
            ax.set_yscale("log")
            _alpha_ticks(ax, scan.alpha)
            ax.set_ylim(ylo, yhi)
            ax.set_xlabel(r"$\alpha = P/N$")
            ax.set_ylabel(r"$\alpha_D = D/N$")
            ax.set_title(L_label(L), fontsize=8)
        level = rows[0]["level"] if rows else 0.5
        axes[-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                        fontsize=7)
        fig.suptitle(_title(scan, title if title is not None else
                            f"Fig. 2: where the mean overlap falls through {level:g} along "
                            r"$\alpha_D$"))
        return _save(fig, prefix, formats)


def summary_lines(rows):
    """One text line per line and L: its alpha_D_c at the largest alpha, and where it is
    largest (for the terminal)."""
    out = []
    for line in dict.fromkeys(r["line"] for r in rows):
        for L in sorted({r["L"] for r in rows}, key=lambda x: (x == 0, x)):
            pts = sorted([r for r in rows if r["line"] == line and r["L"] == L],
                         key=lambda r: r["alpha"])
            txt = ", ".join(f"{r['alpha']:.3g}: {r['alpha_D_c']:.4g}" if r["status"] == "ok"
                            else f"{r['alpha']:.3g}: {r['status']}" for r in pts)
            out.append(f"{line:15s} {L_label(L):14s} alpha_D_c at alpha = {txt}")
    return out
