"""Figures: alpha-alpha_D maps, magnetization curves, D_gen scaling. PNG and PDF.

Publication defaults: constrained layout, 8-10 pt fonts at print size, TrueType fonts in PDF,
perceptually uniform colormap (viridis), heatmap cells whose edges sit at the geometric midpoints
between grid values (log axes) so that each cell is centred on its grid point.

Figures are matplotlib.figure.Figure objects saved directly (no pyplot, so no backend is chosen
and no global figure state is kept); the style applies inside matplotlib.rc_context only.
"""

import math
import os

import matplotlib
import matplotlib.patches
import matplotlib.patheffects as pe
import matplotlib.ticker
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .analysis import LINES, THEORY_DENSE, theory_alpha
from .errors import HopscanError, HopscanOutputError
from .scan import L_label, canonical_observable, observable_label, parse_observable

STYLE = {
    "font.size": 9,
    "axes.titlesize": 9,
    "figure.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 7.5,
    "legend.framealpha": 0.9,
    "lines.linewidth": 1.3,
    "lines.markersize": 3.5,
    "errorbar.capsize": 1.5,
    "axes.linewidth": 0.8,
    "savefig.dpi": 300,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "figure.constrained_layout.use": True,
}

FORMATS = ("png", "pdf", "svg")

LINE_STYLE = {  # transition line -> plot style on the map
    "learning": dict(color="#ff6b6b", ls="--", marker="o"),
    "generalization": dict(color="#ffffff", ls="-", marker="s"),
    "storage": dict(color="#7fd4ff", ls=":", marker="^"),
}
OBS_COLOR = {"mu": "C0", "m_train": "C1", "m_test": "C2",
             "frac_mu": "C0", "frac_train": "C1", "frac_test": "C2"}
OBS_LS = {"m_test": "-", "mu": "--", "m_train": ":",
          "frac_test": "-", "frac_mu": "--", "frac_train": ":"}
MODEL_NAME = {"rfhm": "RFHM", "hopfield": "Hopfield"}


def style(dpi=None):
    """The rc parameters of every figure (STYLE), with the PNG resolution dpi if given."""
    if dpi is not None and dpi <= 0:
        raise HopscanError(f"--dpi {dpi} must be positive")
    return dict(STYLE, **({"savefig.dpi": dpi} if dpi else {}))


def _cmap(name):
    return matplotlib.colormaps[name]


def output_paths(prefix, formats=None):
    """(list of paths) for an output prefix: 'x' -> x.png, x.pdf; 'x.png' -> x.png only."""
    root, ext = os.path.splitext(prefix)
    if formats is None:
        if ext.lower().lstrip(".") in FORMATS:
            return [prefix]
        formats = ("png", "pdf")
        root = prefix
    elif ext.lower().lstrip(".") in FORMATS:
        pass
    else:
        root = prefix
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise HopscanError(f"unknown format {bad[0]!r} (choose from {', '.join(FORMATS)})")
    return [f"{root}.{f}" for f in formats]


def _save(fig, prefix, formats):
    paths = output_paths(prefix, formats)
    try:
        for p in paths:
            fig.savefig(p)
    except OSError as ex:
        raise HopscanOutputError(f"{p}: cannot write ({ex.strerror or ex})") from None
    return paths


def _edges(v, log):
    v = np.asarray(v, dtype=np.float64)
    if log:
        lv = np.log(v)
        if len(v) == 1:
            return np.exp(lv[0] + np.array([-0.2, 0.2]))
        mid = 0.5 * (lv[1:] + lv[:-1])
        e = np.concatenate([[lv[0] - (mid[0] - lv[0])], mid, [lv[-1] + (lv[-1] - mid[-1])]])
        return np.exp(e)
    if len(v) == 1:
        h = 0.5 * (abs(v[0]) if v[0] != 0 else 1.0)
        return np.array([v[0] - h, v[0] + h])
    mid = 0.5 * (v[1:] + v[:-1])
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def _use_log(v, mode):
    v = np.asarray(v)
    if mode == "log":
        if np.any(v <= 0):
            raise HopscanError("log axis needs positive values")
        return True
    if mode in ("linear", "lin"):
        return False
    return bool(len(v) >= 2 and np.all(v > 0) and v.max() / v.min() >= 4.0)


def _title(scan, what):
    model = MODEL_NAME.get(scan.model, scan.model)
    s = f"{model}, N = {scan.N}, {scan.samples_per_point} samples per point"
    if not scan.complete:
        s += f" ({scan.samples_done}/{scan.samples_total} done)"
    return f"{what}\n{s}" if what else s


def _contour_lines(x, y, Z, level):
    """Contour lines of Z[len(y), len(x)] (NaN = missing) at level, in the coordinates given."""
    import contourpy

    z = np.ma.masked_invalid(Z)
    if z.count() < 4:
        return []
    gen = contourpy.contour_generator(x=x, y=y, z=z, line_type="Separate", corner_mask=True)
    return [ln for ln in gen.lines(level) if len(ln) >= 2]


def _alpha_ticks(ax, values):
    """Log alpha axis: decades for wide ranges; 1-2-5 ticks labelled plainly for narrow ones."""
    v = np.asarray(values, dtype=np.float64)
    v = v[v > 0]
    if len(v) and v.max() / v.min() < 30:
        ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def _stroke(width, color="k"):
    return [pe.Stroke(linewidth=width, foreground=color), pe.Normal()]


def plot_map(scan, obs="m_test", prefix="map", formats=None, level=None, transitions=None,
             L_idx=None, cmap="viridis", ylog="auto", title=None, vmin=None, vmax=None,
             theory=False, dpi=None, searches=None):
    """alpha x alpha_D heatmap of the mean of obs over done samples, one panel per L, with the
    retrieval contour at `level` (default: the retrieval threshold for m, 0.5 for frac) and
    optional transition rows (from find_transitions or read_transitions_csv) drawn as lines.
    theory=True adds the dense Gaussian RFHM's learning and storage lines (analysis.THEORY_DENSE)
    to the dense (L = D) panel. searches: overlays of search.map_overlays, whose located
    crossings are drawn as points with their confidence intervals as error bars. Returns the
    written paths."""
    name = canonical_observable(obs)
    stat = parse_observable(name)[1]
    mean, _, nsamp = scan.stats(name)
    slots = scan.exists.sum(axis=3)
    if level is None:
        level = scan.threshold if stat == "m" else 0.5
    L_idx = list(range(len(scan.L))) if L_idx is None else list(L_idx)
    ylog_on = _use_log(scan.alpha_D, ylog)
    xe = _edges(scan.alpha, True)
    ye = _edges(scan.alpha_D, ylog_on)
    if vmin is None:
        vmin = 0.0
    if vmax is None:
        vmax = 1.0
    finite = mean[np.isfinite(mean)]
    extend = "neither"
    if finite.size and finite.min() < vmin:
        extend = "min"
    npan = len(L_idx)
    ncols = min(npan, 4)
    nrows = int(math.ceil(npan / ncols))
    with matplotlib.rc_context(style(dpi)):
        sub = np.ix_(range(len(scan.alpha)), range(len(scan.alpha_D)), L_idx)
        n_leg = (1 + len({r["line"] for r in transitions or []}) + len(searches or [])
                 + 2 * bool(theory and 0 in [int(scan.L[i]) for i in L_idx])
                 + bool(np.any(~np.isfinite(mean[sub])))
                 + bool(np.any((nsamp[sub] > 0) & (nsamp[sub] < slots[sub]))))
        leg_cols = min(n_leg, 2 * ncols)
        leg_rows = int(math.ceil(n_leg / leg_cols))
        fig = Figure(figsize=(2.5 * ncols + 1.1, 2.25 * nrows + 0.8 + 0.2 * leg_rows))
        gs = fig.add_gridspec(nrows + 1, ncols,
                              height_ratios=[1.0] * nrows + [0.11 * leg_rows])
        axes = np.empty((nrows, ncols), dtype=object)
        for r in range(nrows):
            for c in range(ncols):
                axes[r][c] = fig.add_subplot(gs[r, c], sharex=axes[0][0] if r or c else None,
                                             sharey=axes[0][0] if r or c else None)
        leg_ax = fig.add_subplot(gs[nrows, :])
        leg_ax.axis("off")
        pc, flags = None, {"missing": False, "incomplete": False, "theory": False}
        for p, ic in enumerate(L_idx):
            ax = axes[p // ncols][p % ncols]
            pc = _map_panel(ax, scan, mean[:, :, ic].T, ic, (xe, ye, ylog_on), level,
                            dict(cmap=cmap, vmin=vmin, vmax=vmax), nsamp, slots, transitions,
                            theory, flags)
            for j, ov in enumerate(searches or []):
                _draw_crossings(ax, ov, j, int(scan.L[ic]))
            if p % ncols == 0:
                ax.set_ylabel(r"$\alpha_D = D/N$")
            else:
                ax.yaxis.set_tick_params(labelleft=False)
            if p // ncols == nrows - 1 or p + ncols >= npan:
                ax.set_xlabel(r"$\alpha = P/N$")
            else:
                ax.xaxis.set_tick_params(labelbottom=False)
        for p in range(npan, nrows * ncols):
            axes[p // ncols][p % ncols].set_visible(False)
        lbl = observable_label(name, scan.threshold)
        cb = fig.colorbar(pc, ax=axes.ravel().tolist(), extend=extend, shrink=0.95,
                          aspect=20 * nrows)
        cb.set_label(("mean " if stat == "m" else "") + lbl)
        cb.ax.axhline(level, color="k", lw=1.2)
        clabel = f"{lbl} = {level:g}" if stat == "m" else f"fraction = {level:g}"
        handles = _map_handles(clabel, transitions, flags) + [
            _search_handle(ov, j) for j, ov in enumerate(searches or [])]
        leg_ax.legend(handles=handles, loc="center", ncol=min(len(handles), 2 * ncols),
                      frameon=True,
                      facecolor="0.55", edgecolor="none", framealpha=1.0, fontsize=7.5,
                      borderaxespad=0.0, handlelength=2.6)
        what = title if title is not None else f"mean {lbl}" if stat == "m" else lbl
        fig.suptitle(_title(scan, what))
        return _save(fig, prefix, formats)


def _map_panel(ax, scan, Z, ic, grid, level, colors, nsamp, slots, transitions, theory, flags):
    """One L panel of the map: the mean Z[alpha_D, alpha], its contour at level, hatching of
    partly done cells, transition and theory lines. Sets flags["missing" | "incomplete" |
    "theory"] when it draws such an element. Returns the QuadMesh (for the colorbar)."""
    xe, ye, ylog_on = grid
    flags["missing"] |= bool(np.any(~np.isfinite(Z)))
    ax.set_facecolor("0.85")
    pc = ax.pcolormesh(xe, ye, np.ma.masked_invalid(Z), shading="flat", rasterized=True,
                       **colors)
    ax.set_xscale("log")
    _alpha_ticks(ax, scan.alpha)
    if ylog_on:
        ax.set_yscale("log")
    ax.set_xlim(xe[0], xe[-1])
    ax.set_ylim(ye[0], ye[-1])
    if len(scan.alpha) >= 2 and len(scan.alpha_D) >= 2:
        ycoord = np.log(scan.alpha_D) if ylog_on else scan.alpha_D
        for ln in _contour_lines(np.log(scan.alpha), ycoord, Z, level):
            yy = np.exp(ln[:, 1]) if ylog_on else ln[:, 1]
            ax.plot(np.exp(ln[:, 0]), yy, color="k", lw=1.2, path_effects=_stroke(2.6, "w"))
    part = (nsamp[:, :, ic] > 0) & (nsamp[:, :, ic] < slots[:, :, ic])
    for ia, ib in zip(*np.nonzero(part)):  # cells whose mean uses only some samples
        flags["incomplete"] = True
        ax.add_patch(matplotlib.patches.Rectangle(
            (xe[ia], ye[ib]), xe[ia + 1] - xe[ia], ye[ib + 1] - ye[ib], fill=False,
            hatch="////", edgecolor="0.9", linewidth=0.0, zorder=2))
    if transitions:
        _draw_transitions(ax, transitions, int(scan.L[ic]))
    if theory and int(scan.L[ic]) == 0 and not scan.is_hopfield:
        flags["theory"] = True
        for ln, ls in (("learning", "--"), ("storage", ":")):
            yy = np.geomspace(max(ye[0], THEORY_DENSE[ln][0][0]),
                              min(ye[-1], THEORY_DENSE[ln][0][-1]), 100)
            ax.plot(theory_alpha(ln, yy), yy, color="0.95", ls=ls, lw=1.0, zorder=3,
                    path_effects=_stroke(2.0, "0.2"))
    ax.set_title("" if scan.is_hopfield else L_label(scan.L[ic]))
    if len(scan.alpha_D) <= 8:  # few rows: label each grid value
        ax.set_yticks(scan.alpha_D)
        ax.set_yticklabels([f"{v:g}" for v in scan.alpha_D])
        ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    return pc


def _map_handles(clabel, transitions, flags):
    """Legend entries of the map: contour, transition lines, theory, blank and hatched cells."""
    handles = [Line2D([], [], color="k", lw=1.2, path_effects=_stroke(2.6, "w"), label=clabel)]
    present = {r["line"] for r in transitions or []}
    for ln in LINES:
        if ln in present:
            st = LINE_STYLE[ln]
            handles.append(Line2D([], [], color=st["color"], ls=st["ls"], marker=st["marker"],
                                  lw=1.3, path_effects=_stroke(2.6), label=f"{ln}"))
    if flags["theory"]:
        for ln, ls in (("learning", "--"), ("storage", ":")):
            handles.append(Line2D([], [], color="0.95", ls=ls, lw=1.0,
                                  path_effects=_stroke(2.0, "0.2"), label=f"{ln} (theory)"))
    if flags["missing"]:
        handles.append(matplotlib.patches.Patch(facecolor="0.85", edgecolor="0.5",
                                                label="no done samples"))
    if flags["incomplete"]:
        handles.append(matplotlib.patches.Patch(facecolor="0.35", edgecolor="0.9",
                                                hatch="////", linewidth=0.0,
                                                label="some samples done"))
    return handles


SEARCH_STYLE = [dict(color="#ff9f1c", marker="D"), dict(color="#f06bff", marker="P"),
                dict(color="#5cf2ff", marker="X"), dict(color="#b2ff59", marker="*")]


def _search_handle(overlay, j):
    st = SEARCH_STYLE[j % len(SEARCH_STYLE)]
    return Line2D([], [], ls="none", ms=4.5, mec="k", mew=0.6, label=overlay["label"], **st)


def _draw_crossings(ax, overlay, j, L):
    """Located crossings of one search file on the panel of L: the value with its confidence
    interval [ci_lo, ci_hi] as an error bar along the searched axis."""
    pts = overlay["points"].get(L, [])
    if not pts:
        return
    v = np.array([r["value"] for r in pts])
    o = np.array([r[overlay["other"]] for r in pts])
    err = np.vstack([np.maximum(v - np.array([r["ci_lo"] for r in pts]), 0),
                     np.maximum(np.array([r["ci_hi"] for r in pts]) - v, 0)])
    err = np.where(np.isfinite(err), err, 0.0)
    x, y, xerr, yerr = (v, o, err, None) if overlay["along"] == "alpha" else (o, v, None, err)
    st = SEARCH_STYLE[j % len(SEARCH_STYLE)]
    ax.errorbar(x, y, xerr=xerr, yerr=yerr, ls="none", ms=4.5, mec="k", mew=0.6,
                ecolor=st["color"], elinewidth=1.0, capsize=2.0, zorder=5, **st)


def _draw_transitions(ax, rows, L):
    for ln in LINES:
        pts = [r for r in rows if r["line"] == ln and int(r["L"]) == L
               and np.isfinite(r["alpha_c"])]
        if not pts:
            continue
        pts.sort(key=lambda r: r["alpha_D"])
        x = np.array([r["alpha_c"] for r in pts])
        y = np.array([r["alpha_D"] for r in pts])
        lo = np.array([r.get("ci_low", np.nan) for r in pts], dtype=float)
        hi = np.array([r.get("ci_high", np.nan) for r in pts], dtype=float)
        st = LINE_STYLE[ln]
        ax.plot(x, y, color=st["color"], ls=st["ls"], marker=st["marker"], lw=1.3, ms=3.5,
                path_effects=_stroke(2.6), zorder=4)
        ok = ~np.isnan(lo) & ~np.isnan(hi)
        xlim = ax.get_xlim()
        lo, hi = np.clip(lo, xlim[0], xlim[1]), np.clip(hi, xlim[0], xlim[1])
        if ok.any():
            err = np.vstack([np.maximum(x[ok] - lo[ok], 0), np.maximum(hi[ok] - x[ok], 0)])
            ax.errorbar(x[ok], y[ok], xerr=err, fmt="none", ecolor=st["color"], elinewidth=0.9,
                        capsize=1.5, zorder=4, path_effects=_stroke(2.0))


def plot_curves(scan, prefix="curves", formats=None, alpha_D_idx=None, L_idx=None,
                observables=None, layout="auto", title=None, theory=False, dpi=None):
    """Observables against alpha with sem error bars.

    layout 'fig1' (default when one alpha_D and one L are selected): one panel per (alpha_D, L)
    with m_train, m_test, mu. layout 'fig3a' (default otherwise): one panel per alpha_D, one
    colour per L, one line style per observable (m_test solid, mu dashed, m_train dotted).
    theory=True marks the dense Gaussian RFHM's learning transition alpha_L(alpha_D) with a
    vertical dashed line (as in the paper's Fig. 3a). Returns the written paths."""
    bi = list(range(len(scan.alpha_D))) if alpha_D_idx is None else list(alpha_D_idx)
    ci = list(range(len(scan.L))) if L_idx is None else list(L_idx)
    if layout == "auto":
        layout = "fig1" if len(bi) == 1 and len(ci) == 1 else "fig3a"
    if layout not in ("fig1", "fig3a"):
        raise HopscanError(f"unknown layout {layout!r} (choose auto, fig1 or fig3a)")
    if observables is None:
        observables = ["m_train", "m_test", "mu"] if layout == "fig1" else ["m_test", "mu"]
        observables = [o for o in observables if scan.has(o)]
    observables = [canonical_observable(o) for o in observables]
    for o in observables:
        scan.values(o)  # raises for an observable the scan lacks
    panels = [(ib, ic) for ib in bi for ic in ci] if layout == "fig1" else [(ib, None)
                                                                            for ib in bi]
    npan = len(panels)
    ncols = npan if npan <= 3 else (2 if npan == 4 else 3)
    nrows = int(math.ceil(npan / ncols))
    stats = {o: scan.stats(o) for o in observables}
    L_colors = _L_colors(scan, ci)
    with matplotlib.rc_context(style(dpi)):
        extra = 0.0 if layout == "fig1" and npan == 1 else 1.6  # legend column
        fig = Figure(figsize=(3.1 * ncols + extra, 2.5 * nrows + 0.5))
        axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
        for p, (ib, icp) in enumerate(panels):
            ax = axes[p // ncols][p % ncols]
            if layout == "fig1":
                for o in observables:
                    mean, sem, n = (s[:, ib, icp] for s in stats[o])
                    _errorbar(ax, scan.alpha, mean, sem, color=_obs_color(o, observables),
                              ls="-", label=observable_label(o, scan.threshold))
                ax.set_title(scan.point_label(ib, icp))
                if npan == 1:
                    ax.legend(loc="best")
                elif p == ncols - 1:
                    ax.legend(loc="upper left", bbox_to_anchor=(1.03, 1.0), borderaxespad=0.0)
            else:
                for ic in ci:
                    for o in observables:
                        mean, sem, n = (s[:, ib, ic] for s in stats[o])
                        _errorbar(ax, scan.alpha, mean, sem, color=L_colors[ic],
                                  ls=OBS_LS.get(o, "-."))
                ax.set_title(scan.point_label(ib, None))
            if theory and not scan.is_hopfield:
                aL = theory_alpha("learning", scan.alpha_D[ib])
                if np.isfinite(aL) and scan.alpha.min() <= aL <= scan.alpha.max():
                    ax.axvline(aL, color="0.3", ls="--", lw=0.8, zorder=0)
            ax.set_xscale("log")
            _alpha_ticks(ax, scan.alpha)
            ax.set_ylim(-0.05, 1.05)
            ax.axhline(scan.threshold, color="0.6", lw=0.6, ls=(0, (1, 2)), zorder=0)
            if p % ncols == 0:
                ax.set_ylabel("magnetization" if all(parse_observable(o)[1] != "frac"
                                                     for o in observables)
                              else "magnetization, fraction retrieved")
            if p // ncols == nrows - 1 or p + ncols >= npan:
                ax.set_xlabel(r"$\alpha = P/N$")
                ax.xaxis.set_tick_params(labelbottom=True)
        for p in range(npan, nrows * ncols):
            axes[p // ncols][p % ncols].set_visible(False)
        if layout == "fig3a":
            h = [Line2D([], [], color=L_colors[ic], label=L_label(scan.L[ic])) for ic in ci]
            h += [Line2D([], [], color="0.45", ls=OBS_LS.get(o, "-."),
                         label=observable_label(o, scan.threshold)) for o in observables]
            if theory:
                h.append(Line2D([], [], color="0.3", ls="--", lw=0.8,
                                label=r"$\alpha_L$ theory (dense, Gaussian $c$)"))
            axes[0][ncols - 1].legend(handles=h, loc="upper left", bbox_to_anchor=(1.03, 1.0),
                                      borderaxespad=0.0)
        fig.suptitle(_title(scan, title))
        return _save(fig, prefix, formats)


def _obs_color(o, observables):
    """Fixed colours for the standard observables; C3, C4, ... for other probe kinds."""
    return OBS_COLOR.get(o, f"C{3 + observables.index(o) % 7}")


def _L_colors(scan, ci):
    sparse = [ic for ic in ci if int(scan.L[ic]) != 0]
    cols = {}
    cmap = _cmap("plasma")
    for j, ic in enumerate(sparse):
        cols[ic] = cmap(0.05 + 0.75 * j / max(len(sparse) - 1, 1))
    for ic in ci:
        if int(scan.L[ic]) == 0:
            cols[ic] = "k"
    return cols


def _errorbar(ax, x, mean, sem, color, ls, label=None):
    ok = np.isfinite(mean)
    if not ok.any():
        return
    e = np.where(np.isfinite(sem), sem, 0.0)
    ax.errorbar(x[ok], mean[ok], yerr=e[ok], color=color, ls=ls, marker="o", ms=2.8,
                elinewidth=0.8, label=label)


def plot_dgen(rows, fits, prefix="dgen", formats=None, k=10, threshold=0.9, title=None,
              dpi=None):
    """Log-log D_gen against N, one colour per L, with the fitted power laws. Returns paths."""
    Ls = []
    for r in rows:
        if r["L"] not in Ls:
            Ls.append(r["L"])
    Ls.sort(key=lambda x: (x == 0, x))
    cmap = _cmap("plasma")
    sparse = [L for L in Ls if L != 0]
    with matplotlib.rc_context(style(dpi)):
        fig = Figure(figsize=(3.6, 3.0))
        ax = fig.subplots()
        for j, L in enumerate(Ls):
            col = "k" if L == 0 else cmap(0.05 + 0.75 * sparse.index(L) / max(len(sparse) - 1,
                                                                              1))
            pts = [r for r in rows if r["L"] == L and np.isfinite(r["D_gen"])]
            if not pts:
                continue
            N = np.array([r["N"] for r in pts], dtype=float)
            D = np.array([r["D_gen"] for r in pts])
            e = _dgen_err(pts, D)
            edge = np.array([r["status"] == "edge" for r in pts])
            fit = fits.get(L)
            lbl = L_label(L)
            if fit and np.isfinite(fit["slope"]):
                err = fit["slope_err"]
                lbl += (f": slope {fit['slope']:.2f}" +
                        (f" $\\pm$ {err:.2f}" if np.isfinite(err) else ""))
            ax.errorbar(N[~edge], D[~edge], yerr=e[:, ~edge],
                        color=col, marker="o", ls="none", label=lbl)
            if edge.any():
                ax.plot(N[edge], D[edge], color=col, marker="^", ls="none", mfc="none")
            if fit and np.isfinite(fit["slope"]):
                nn = np.geomspace(N.min() / 1.15, N.max() * 1.15, 50)
                ax.plot(nn, fit["prefactor"] * nn ** fit["slope"], color=col, ls="--", lw=1.0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("$N$")
        ax.set_ylabel(r"$D_{\mathrm{gen}}$")
        if any(r["status"] == "edge" for r in rows):
            ax.plot([], [], color="0.3", marker="^", ls="none", mfc="none",
                    label="lower bound (grid edge)")
        ax.legend(loc="best")
        ax.set_title(title if title is not None else
                     f"largest $D$ with $\\geq {k}$ samples $m^{{\\mathrm{{test}}}} > "
                     f"{threshold:g}$")
        return _save(fig, prefix, formats)


def _dgen_err(rows, D):
    """[2, n] error bars of D_gen: the interval [D_gen_lo, D_gen_hi] of a search, else sem."""
    sem = np.array([r["D_gen_sem"] for r in rows], dtype=float)
    sem = np.where(np.isfinite(sem), sem, 0.0)
    lo = np.array([r.get("D_gen_lo", np.nan) for r in rows], dtype=float)
    hi = np.array([r.get("D_gen_hi", np.nan) for r in rows], dtype=float)
    return np.vstack([np.where(np.isfinite(lo), np.maximum(D - lo, 0), sem),
                      np.where(np.isfinite(hi), np.maximum(hi - D, 0), sem)])


TRANS_LS = {"learning": "--", "generalization": "-", "storage": ":"}
TRANS_MARK = {"learning": "o", "generalization": "s", "storage": "^"}


def plot_transitions(scan, rows, prefix="transitions", formats=None, theory=False, title=None,
                     ylog="auto", dpi=None):
    """The transition lines alone in the alpha-alpha_D plane (the phase diagram of the paper's
    Fig. 2): one colour per L, one line style per transition (learning dashed, generalization
    solid, storage dotted), bootstrap intervals as horizontal bars. Returns the written paths."""
    Ls = sorted({int(r["L"]) for r in rows}, key=lambda x: (x == 0, x))
    sparse = [L for L in Ls if L != 0]
    cmap = _cmap("plasma")
    colors = {L: ("k" if L == 0 else cmap(0.05 + 0.75 * sparse.index(L) / max(len(sparse) - 1,
                                                                             1))) for L in Ls}
    ylog_on = _use_log(scan.alpha_D, ylog)
    lines_present = list(dict.fromkeys(r["line"] for r in rows))  # named lines, then mixtures
    with matplotlib.rc_context(style(dpi)):
        fig = Figure(figsize=(5.4, 3.4))
        ax = fig.subplots()
        for L in Ls:
            for ln in lines_present:
                pts = sorted([r for r in rows if int(r["L"]) == L and r["line"] == ln
                              and np.isfinite(r["alpha_c"])], key=lambda r: r["alpha_D"])
                if not pts:
                    continue
                x = np.array([r["alpha_c"] for r in pts])
                y = np.array([r["alpha_D"] for r in pts])
                lo = np.array([r.get("ci_low", np.nan) for r in pts], dtype=float)
                hi = np.array([r.get("ci_high", np.nan) for r in pts], dtype=float)
                xlo = scan.alpha.min() / 1.5
                xhi = scan.alpha.max() * 1.5
                lo, hi = np.clip(lo, xlo, xhi), np.clip(hi, xlo, xhi)
                err = np.vstack([np.where(np.isnan(lo), 0, np.maximum(x - lo, 0)),
                                 np.where(np.isnan(hi), 0, np.maximum(hi - x, 0))])
                ax.errorbar(x, y, xerr=err, color=colors[L], ls=TRANS_LS.get(ln, "-."),
                            marker=TRANS_MARK.get(ln, "v"), ms=3.5, elinewidth=0.7, capsize=1.5)
        if theory:
            yy = np.geomspace(scan.alpha_D.min() / 1.2, scan.alpha_D.max() * 1.2, 100)
            for ln in ("learning", "storage"):
                ax.plot(theory_alpha(ln, yy), yy, color="0.6", ls=TRANS_LS[ln], lw=2.2,
                        alpha=0.6, zorder=0)
        ax.set_xscale("log")
        _alpha_ticks(ax, scan.alpha)
        ax.set_xlim(_edges(scan.alpha, True)[[0, -1]])
        if ylog_on:
            ax.set_yscale("log")
        if len(scan.alpha_D) <= 8:
            ax.set_yticks(scan.alpha_D)
            ax.set_yticklabels([f"{v:g}" for v in scan.alpha_D])
            ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_xlabel(r"$\alpha = P/N$")
        ax.set_ylabel(r"$\alpha_D = D/N$")
        h = [Line2D([], [], color=colors[L], label=L_label(L)) for L in Ls]
        h += [Line2D([], [], color="0.45", ls=TRANS_LS.get(ln, "-."),
                     marker=TRANS_MARK.get(ln, "v"), ms=3.5,
                     label=ln) for ln in lines_present]
        if theory:
            h.append(Line2D([], [], color="0.6", lw=2.2, alpha=0.6,
                            label="theory (dense, Gaussian c)"))
        ax.legend(handles=h, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
        level = rows[0]["level"] if rows else 0.5
        fig.suptitle(_title(scan, title if title is not None else
                            f"transitions (crossing of {level:g})"))
        return _save(fig, prefix, formats)
