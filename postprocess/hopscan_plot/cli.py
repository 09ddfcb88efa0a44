"""Command line: hopscan-plot map|curves|transitions|dgen|fig2|info (see docs/postprocess.md).
The options of every subcommand are one declarative table (COMMANDS, at the end).

Exit status: 0 success; 2 bad input (missing, foreign or mismatched file, unknown observable or
grid value, bad option), reported as one line 'hopscan-plot: error: ...'; 1 an output that
cannot be written."""

import argparse
import math
import os
import sys

from . import analysis, scan as scanmod, search
from .errors import HopscanError

PROG = "hopscan-plot"


def _note(msg):
    print(f"{PROG}: {msg}", file=sys.stderr)


def _load(paths):
    sc = scanmod.load_scans(paths)
    if not sc.complete:  # a search file: its lines, not its lattice, say how far it is
        searches = search.open_searches(_split_search(paths)[0])
        _note(searches[0].completion_line() if searches else sc.completion_line())
    if sc.samples_done == 0:
        raise HopscanError(f"{', '.join(paths)}: no sample is done yet, nothing to plot")
    return sc


def _default_prefix(args, what):
    if args.output:
        return args.output
    stem = os.path.splitext(os.path.basename(args.files[0]))[0]
    return f"{stem}-{what}"


def _formats(args):
    if getattr(args, "dpi", None) is not None and args.dpi <= 0:
        raise HopscanError(f"--dpi {args.dpi} must be positive")
    if not args.format:
        return None
    return [f.strip().lower() for f in args.format.split(",") if f.strip()]


def _report(paths):
    for p in paths:
        print(f"wrote {p}")


def _L_values(spec):
    """L values (0 = dense) of an --L option, None for all."""
    if spec is None or str(spec).strip().lower() == "all":
        return None
    return [scanmod.parse_L(s) for s in str(spec).split(",")]


def _write_rows(rows, output, fields=None):
    """A transitions CSV to standard output (output None or '-') or to a file."""
    if output in (None, "-"):
        analysis.write_transitions_csv(rows, sys.stdout, fields)
    else:
        analysis.write_transitions_csv(rows, output, fields)
        print(f"wrote {output}")


def _split_search(paths):
    """(search files, grid scan paths) of the command line's files."""
    flags = [search.is_search_file(p) for p in paths]
    return ([p for p, f in zip(paths, flags) if f], [p for p, f in zip(paths, flags) if not f])


def _search_overlays(sc, paths, L_idx):
    """Overlays of map --search (notes about lines off the map on standard error)."""
    if not paths:
        return None
    overlays, notes = search.map_overlays(sc, search.open_searches(paths), L_idx)
    for n in notes:
        _note(n)
    return overlays


def _transition_rows(sc, args, L_idx=None):
    lines = None if not getattr(args, "lines", None) else [
        s.strip() for s in args.lines.split(",") if s.strip()]
    return analysis.find_transitions(
        sc, lines=lines, level=args.trans_level, quantity=args.quantity, n_boot=args.bootstrap,
        ci=args.ci, seed=args.seed, L_idx=L_idx)


def cmd_map(args):
    sc = _load(args.files)
    from . import plotting  # noqa: F811  (matplotlib only once the input is good)
    L_idx = sc.select("L", args.L)
    rows = None
    if args.transitions_from:
        rows = analysis.read_transitions_csv(args.transitions_from)
    elif args.transitions:
        rows = _transition_rows(sc, args, L_idx=L_idx)
    paths = plotting.plot_map(sc, args.obs, _default_prefix(args, f"map-{args.obs}"),
                              formats=_formats(args), level=args.level, transitions=rows,
                              L_idx=L_idx, cmap=args.cmap, ylog=args.ylog, title=args.title,
                              theory=args.theory, dpi=args.dpi,
                              searches=_search_overlays(sc, args.search, L_idx))
    _report(paths)
    return 0


def cmd_curves(args):
    sc = _load(args.files)
    from . import plotting
    bi = sc.select("alpha_D", args.alpha_D)
    ci = sc.select("L", args.L)
    obs = None if not args.obs else [s.strip() for s in args.obs.split(",") if s.strip()]
    paths = plotting.plot_curves(sc, _default_prefix(args, "curves"), formats=_formats(args),
                                 alpha_D_idx=bi, L_idx=ci, observables=obs, layout=args.layout,
                                 title=args.title, theory=args.theory, dpi=args.dpi)
    if args.csv:
        used = obs or [o for o in ("m_train", "m_test", "mu") if sc.has(o)]
        analysis.write_stats_csv(sc, [scanmod.canonical_observable(o) for o in used], args.csv,
                                 alpha_D_idx=bi, L_idx=ci)
        paths = paths + [args.csv]
    _report(paths)
    return 0


def cmd_transitions(args):
    searches, grids = _split_search(args.files)
    if searches:
        return _search_transitions(args, searches, grids)
    sc = _load(args.files)
    rows = _transition_rows(sc, args, L_idx=sc.select("L", args.L))
    _write_rows(rows, args.output)
    if args.plot:
        from . import plotting

        paths = plotting.plot_transitions(sc, rows, args.plot, formats=_formats(args),
                                          theory=args.theory, dpi=args.dpi)
        if args.output in (None, "-"):
            _note("wrote " + ", ".join(paths))  # standard output holds the CSV
        else:
            _report(paths)
    return 0


def _search_transitions(args, paths, grids):
    """transitions on transition-search files: their located crossings as CSV."""
    if grids:
        raise HopscanError(f"{', '.join(grids)}: grid scan(s) given with transition-search "
                           "files: run 'transitions' on each kind separately")
    if args.plot:
        raise HopscanError("--plot draws the transitions of grid scans; draw search crossings "
                           "over a grid map with 'map GRID.h5 --search SEARCH.h5'")
    sfs = search.open_searches(paths)
    if len({sf.along for sf in sfs}) > 1:
        raise HopscanError("searches along alpha and along alpha_D have different columns: "
                           "run 'transitions' on each kind separately")
    for sf in sfs:
        if not sf.complete:
            _note(sf.completion_line())
    L_values = _L_values(args.L)
    rows = [r for sf in sfs for r in search.crossing_rows(sf, L_values)]
    _write_rows(rows, args.output, search.csv_fields(sfs[0].along))
    return 0


def _dgen_notes(args, scans, sfs):
    for sc in scans:
        if not sc.complete:
            _note(sc.completion_line())
        if sc.samples_per_point < args.k:
            _note(f"warning: N = {sc.N} has {sc.samples_per_point} samples per point, fewer "
                  f"than k = {args.k}: no D can qualify")
    for sf in sfs:
        search.check_dgen_search(sf)
        if not sf.complete:
            _note(sf.completion_line())
        if sf.level != args.threshold or sf.samples != args.k:
            _note(f"{sf.path}: searched with level {sf.level:g} over {sf.samples} samples per "
                  "point (--threshold and --k apply to grid scans)")
        if sf.observable != "test":
            _note(f"warning: {sf.path}: searched on {sf.observable} probes, not test")


def _dgen_rows(args, scans, sfs):
    L_values = _L_values(args.L)
    rows = analysis.dgen_table(scans, k=args.k, threshold=args.threshold, alpha=args.alpha,
                               groups=args.groups, L_values=L_values) if scans else []
    rows += search.dgen_rows(sfs, alpha=args.alpha, L_values=L_values)
    seen = set()
    for r in rows:
        if (r["N"], r["L"]) in seen:
            raise HopscanError(f"N = {r['N']}, {scanmod.L_label(r['L'])} is in two inputs (a "
                               "search file and a grid scan, or two search files): give one")
        seen.add((r["N"], r["L"]))
    if not any(r["status"] in ("ok", "edge") for r in rows):
        grid = (f"{args.k} samples with m_test > {args.threshold:g} at any grid point (lower "
                "--k or --threshold, or extend the grid)")
        raise HopscanError(f"no N and L has {grid}" if not sfs else
                           "no N and L has a D_gen: no falling crossing in the search files"
                           + (f", nor {grid}" if scans else ""))
    return rows


def _dgen_fits(rows):
    fits = {}
    for L in sorted({r["L"] for r in rows}, key=lambda x: (x == 0, x)):
        pts = [r for r in rows if r["L"] == L and r["status"] == "ok"]
        fits[L] = analysis.fit_power_law([r["N"] for r in pts], [r["D_gen"] for r in pts])
        edge = [r["N"] for r in rows if r["L"] == L and r["status"] == "edge"]
        if edge:
            _note(f"warning: {scanmod.L_label(L)}: D_gen is at the largest D of the grid or "
                  f"search range for N = {', '.join(map(str, edge))} (a lower bound, left out "
                  "of the fit)")
    return fits


def cmd_dgen(args):
    search_paths, grid_paths = _split_search(args.files)
    sfs = search.open_searches(search_paths)
    scans = scanmod.load_scans_by_N(grid_paths) if grid_paths else []
    from . import plotting
    _dgen_notes(args, scans, sfs)
    rows = _dgen_rows(args, scans, sfs)
    fits = _dgen_fits(rows)
    prefix = args.output or "dgen"
    k, thr = args.k, args.threshold
    if sfs and not scans and len({(sf.samples, sf.level) for sf in sfs}) == 1:
        k, thr = sfs[0].samples, sfs[0].level  # searches only: the title says what they used
    paths = plotting.plot_dgen(rows, fits, prefix, formats=_formats(args), k=k, threshold=thr,
                               title=args.title, dpi=args.dpi)
    csv_path = os.path.splitext(prefix)[0] + ".csv" if os.path.splitext(prefix)[1].lstrip(
        ".") in plotting.FORMATS else prefix + ".csv"
    analysis.write_dgen_csv(rows, fits, csv_path)
    for r in rows:
        ci = (f"  [{r['D_gen_lo']:g}, {r['D_gen_hi']:g})" if math.isfinite(r["D_gen_lo"])
              and math.isfinite(r["D_gen_hi"]) else "")
        print(f"N = {r['N']:6d}  {scanmod.L_label(r['L']):14s}  D_gen = {r['D_gen']:g}{ci}  "
              f"({r['status']})")
    for L, fit in fits.items():
        if fit["n_points"] < 2:
            print(f"fit {scanmod.L_label(L)}: needs D_gen at 2 or more N "
                  f"(has {fit['n_points']})")
        else:
            print(f"fit {scanmod.L_label(L)}: D_gen ~ N^({fit['slope']:.3f} +- "
                  f"{fit['slope_err']:.3f}) from {fit['n_points']} points")
    _report(paths + [csv_path])
    return 0


def cmd_fig2(args):
    from . import fig2

    sc = _load(args.files)
    if not 0.0 < args.ci < 1.0:
        raise HopscanError(f"--ci {args.ci} must lie between 0 and 1")
    rows = fig2.fig2_lines(sc, level=args.level, L_idx=sc.select("L", args.L),
                           n_boot=args.bootstrap, ci=args.ci, seed=args.seed)
    prefix = _default_prefix(args, "fig2")
    paths = fig2.plot_fig2(sc, rows, prefix, formats=_formats(args), title=args.title,
                           dpi=args.dpi)
    root, ext = os.path.splitext(prefix)
    csv_path = (root if ext.lstrip(".").lower() in ("png", "pdf", "svg") else prefix) + ".csv"
    fig2.write_csv(rows, csv_path)
    for line in fig2.summary_lines(rows):
        print(line)
    _report(paths + [csv_path])
    return 0


def cmd_info(args):
    sc = scanmod.load_scans(args.files)
    print(sc.describe())
    for p in search.open_searches(_split_search(args.files)[0]):
        print(p.describe())
    return 0


# ---- the options of every subcommand: one declarative table -------------------------------
# An option is (flags, argparse keyword arguments); a command is (function, help, options).

def _files(help="scan file(s); several are combined where their axes agree"):
    return [(("files",), dict(nargs="+", metavar="SCAN.h5", help=help))]


def _output(help, metavar="PREFIX"):
    return [(("-o", "--output"), dict(metavar=metavar, help=help))]


def _L(help="L values (default all)"):
    return [(("--L",), dict(default="all", help=help))]


TITLE = [(("--title",), dict(help="figure title (default: observable, model, N, samples)"))]
FMT = [
    (("--format",), dict(metavar="LIST", help="comma-separated formats among png,pdf,svg "
                                              "(default png,pdf, or the extension of -o)")),
    (("--dpi",), dict(type=int, default=None, help="resolution of PNG output (default 300)")),
]
CI_SEED = [
    (("--ci",), dict(type=float, default=0.95, help="confidence level (0.95)")),
    (("--seed",), dict(type=int, default=0, help="bootstrap RNG seed (default 0)")),
]


def _trans_opts(level_flag):
    return [
        ((level_flag,), dict(dest="trans_level", type=float, default=0.5,
                             help="level the curve crosses (default 0.5)")),
        (("--quantity",), dict(choices=["mean", "frac"], default="mean",
                               help="mean overlap (default) or fraction of retrieved probes")),
        (("--lines",), dict(metavar="LIST", help="subset of learning,generalization,storage,"
                                                 "mixtureN (default: all the scan has)")),
        (("--bootstrap",), dict(type=int, default=1000, metavar="R",
                                help="bootstrap replicates for the confidence interval "
                                     "(default 1000; 0 = none)")),
        *CI_SEED,
    ]


MAP_OPTS = [
    *_files(), *_output("output prefix (default SCAN-map-OBS): writes PREFIX.png and "
                        "PREFIX.pdf"), *TITLE, *FMT,
    (("--obs",), dict(default="m_test", help="observable: m_train, m_test, mu, frac_train, "
                      "frac_test, frac_mu, or m_KIND, frac_KIND, m_components_KIND of another "
                      "probe kind (default m_test)")),
    (("--level",), dict(type=float, default=None, help="contour level (default: the retrieval "
                        "threshold for m_*, 0.5 for frac_*)")),
    *_L("L values to show, e.g. 1,3,dense (default all)"),
    (("--transitions",), dict(action="store_true",
                              help="overlay the transition lines computed from the scan")),
    (("--transitions-from",), dict(metavar="CSV", help="overlay transition lines read from a "
                                   "CSV written by 'transitions'")),
    (("--search",), dict(nargs="+", action="extend", default=[], metavar="SEARCH.h5",
                         help="overlay the crossings located by transition-search file(s), "
                              "with their confidence intervals (after the scan files)")),
    (("--cmap",), dict(default="viridis", help="colormap (default viridis)")),
    (("--ylog",), dict(choices=["auto", "log", "linear"], default="auto", help="alpha_D axis "
                       "scale (default auto: log when the values span >= 4x)")),
    (("--theory",), dict(action="store_true", help="draw the dense Gaussian RFHM's learning "
                         "and storage lines (arXiv:2303.16880) on the dense panel")),
    *_trans_opts("--trans-level"),
]

CURVES_OPTS = [
    *_files(), *_output("output prefix (default SCAN-curves)"), *TITLE, *FMT,
    (("--alpha-D",), dict(dest="alpha_D", default="all",
                          help="alpha_D value(s), comma-separated, or all (default)")),
    *_L("L value(s), e.g. 3 or 1,3,dense (default all)"),
    (("--obs",), dict(help="comma-separated observables (default m_train,m_test,mu for fig1, "
                           "m_test,mu for fig3a)")),
    (("--layout",), dict(choices=["auto", "fig1", "fig3a"], default="auto",
                         help="fig1: one panel per (alpha_D, L); fig3a: one panel per alpha_D, "
                              "colour per L (default: fig1 for a single (alpha_D, L))")),
    (("--csv",), dict(metavar="FILE", help="also write the plotted means (alpha, P, alpha_D, D, "
                      "L, observable, mean, sem, n_samples) as CSV")),
    (("--theory",), dict(action="store_true", help="mark the dense Gaussian RFHM's learning "
                         "transition alpha_L(alpha_D) (arXiv:2303.16880) with a vertical dashed "
                         "line")),
]

TRANSITIONS_OPTS = [
    *_files("grid scan file(s), combined; or transition-search file(s): their located "
            "crossings"),
    *_output("CSV file (default: standard output)", metavar="CSV"), *_L(),
    (("--plot",), dict(metavar="PREFIX", help="also draw the lines in the alpha-alpha_D plane "
                       "(PREFIX.png, .pdf)")),
    *FMT,
    (("--theory",), dict(action="store_true", help="with --plot: add the dense Gaussian RFHM's "
                         "learning and storage lines")),
    *_trans_opts("--level"),
]

DGEN_OPTS = [
    *_files("grid scans and/or transition-search files along alpha_D (statistic "
            "min_sample_mean) at several N"),
    *_output("output prefix (default dgen): PREFIX.png, PREFIX.pdf, PREFIX.csv"), *TITLE, *FMT,
    (("--k",), dict(type=int, default=10,
                    help="samples that must have m_test > threshold (default 10)")),
    (("--threshold",), dict(type=float, default=0.9,
                            help="per-sample mean test overlap threshold (default 0.9)")),
    (("--alpha",), dict(type=float, default=None,
                        help="evaluate at this alpha only (default: at any alpha of the grid)")),
    (("--groups",), dict(action="store_true", help="paper variant: mean over consecutive groups "
                         "of k samples of the largest D at which all k exceed the threshold")),
    *_L(),
]

FIG2_OPTS = [
    *_files(), *_output("output prefix (default SCAN-fig2): PREFIX.png, PREFIX.pdf, "
                        "PREFIX.csv"), *TITLE, *FMT,
    (("--level",), dict(type=float, default=0.5, help="level the mean overlap falls through "
                        "along alpha_D (default 0.5)")),
    *_L(),
    (("--bootstrap",), dict(type=int, default=500, metavar="R", help="bootstrap replicates for "
                            "the intervals of alpha_D_c (default 500; 0 = none)")),
    *CI_SEED,
]

COMMANDS = {
    "map": (cmd_map, "alpha x alpha_D heatmap, one panel per L", MAP_OPTS),
    "curves": (cmd_curves, "observables against alpha with error bars", CURVES_OPTS),
    "transitions": (cmd_transitions, "transition alphas with bootstrap CIs, or the crossings "
                    "of transition-search files, as CSV", TRANSITIONS_OPTS),
    "dgen": (cmd_dgen, "D_gen(N) scaling from scans or searches at several N", DGEN_OPTS),
    "fig2": (cmd_fig2, "Fig. 2: mixture-stability, learning and generalization lines in the "
             "alpha-alpha_D plane", FIG2_OPTS),
    "info": (cmd_info, "grid, samples, completion of scan file(s)",
             [(("files",), dict(nargs="+", metavar="SCAN.h5"))]),
}


def build_parser():
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Figures and tables from hopscan scan files (format hopscan-scan/2; "
                    "hopscan-scan/1 files are converted on reading).")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (func, help_, options) in COMMANDS.items():
        s = sub.add_parser(name, help=help_)
        for flags, kw in options:
            s.add_argument(*flags, **kw)
        s.set_defaults(func=func)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except HopscanError as ex:
        print(f"{PROG}: error: {ex}", file=sys.stderr)
        return ex.exit_status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
