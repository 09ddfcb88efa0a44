"""Command line: hopscan-plot map|curves|transitions|dgen|fig2|info (see docs/postprocess.md).

Exit status: 0 success; 2 bad input (missing, foreign or mismatched file, unknown observable or
grid value, bad option), reported as one line 'hopscan-plot: error: ...'; 1 an output that
cannot be written."""

import argparse
import os
import sys

from . import analysis, scan as scanmod
from .errors import HopscanError

PROG = "hopscan-plot"


def _note(msg):
    print(f"{PROG}: {msg}", file=sys.stderr)


def _load(paths):
    sc = scanmod.load_scans(paths)
    if not sc.complete:
        _note(sc.completion_line())
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
                              theory=args.theory, dpi=args.dpi)
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
    sc = _load(args.files)
    rows = _transition_rows(sc, args, L_idx=sc.select("L", args.L))
    if args.output in (None, "-"):
        analysis.write_transitions_csv(rows, sys.stdout)
    else:
        analysis.write_transitions_csv(rows, args.output)
        print(f"wrote {args.output}")
    if args.plot:
        from . import plotting

        paths = plotting.plot_transitions(sc, rows, args.plot, formats=_formats(args),
                                          theory=args.theory, dpi=args.dpi)
        if args.output in (None, "-"):
            _note("wrote " + ", ".join(paths))  # standard output holds the CSV
        else:
            _report(paths)
    return 0


def cmd_dgen(args):
    scans = scanmod.load_scans_by_N(args.files)
    from . import plotting
    for sc in scans:
        if not sc.complete:
            _note(sc.completion_line())
        if sc.samples_per_point < args.k:
            _note(f"warning: N = {sc.N} has {sc.samples_per_point} samples per point, fewer "
                  f"than k = {args.k}: no D can qualify")
    L_values = None if args.L in (None, "all") else [scanmod.parse_L(s) for s in
                                                     args.L.split(",")]
    rows = analysis.dgen_table(scans, k=args.k, threshold=args.threshold, alpha=args.alpha,
                               groups=args.groups, L_values=L_values)
    if not any(r["status"] in ("ok", "edge") for r in rows):
        raise HopscanError(f"no N and L has {args.k} samples with m_test > {args.threshold:g} "
                           "at any grid point (lower --k or --threshold, or extend the grid)")
    fits = {}
    for L in sorted({r["L"] for r in rows}, key=lambda x: (x == 0, x)):
        pts = [r for r in rows if r["L"] == L and r["status"] == "ok"]
        fits[L] = analysis.fit_power_law([r["N"] for r in pts], [r["D_gen"] for r in pts])
        edge = [r["N"] for r in rows if r["L"] == L and r["status"] == "edge"]
        if edge:
            _note(f"warning: {scanmod.L_label(L)}: D_gen is at the largest D of the grid for "
                  f"N = {', '.join(map(str, edge))} (a lower bound, left out of the fit)")
    prefix = args.output or "dgen"
    paths = plotting.plot_dgen(rows, fits, prefix, formats=_formats(args), k=args.k,
                               threshold=args.threshold, title=args.title, dpi=args.dpi)
    csv_path = os.path.splitext(prefix)[0] + ".csv" if os.path.splitext(prefix)[1].lstrip(
        ".") in plotting.FORMATS else prefix + ".csv"
    analysis.write_dgen_csv(rows, fits, csv_path)
    for r in rows:
        print(f"N = {r['N']:6d}  {scanmod.L_label(r['L']):14s}  D_gen = {r['D_gen']:g}  "
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
    return 0


def build_parser():
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Figures and tables from hopscan scan files (format hopscan-scan/2; "
                    "hopscan-scan/1 files are converted on reading).")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def common(sp, out_help):
        sp.add_argument("files", nargs="+", metavar="SCAN.h5",
                        help="scan file(s); several are combined where their axes agree")
        sp.add_argument("-o", "--output", metavar="PREFIX", help=out_help)
        sp.add_argument("--title", help="figure title (default: observable, model, N, samples)")

    def fmt(sp):
        sp.add_argument("--format", metavar="LIST",
                        help="comma-separated formats among png,pdf,svg (default png,pdf, or "
                             "the extension of -o)")
        sp.add_argument("--dpi", type=int, default=None,
                        help="resolution of PNG output (default 300)")

    def trans_opts(sp, level_flag):
        sp.add_argument(level_flag, dest="trans_level", type=float, default=0.5,
                        help="level the curve crosses (default 0.5)")
        sp.add_argument("--quantity", choices=["mean", "frac"], default="mean",
                        help="mean overlap (default) or fraction of retrieved probes")
        sp.add_argument("--lines", metavar="LIST",
                        help="subset of learning,generalization,storage,mixtureN (default: "
                             "all the scan has)")
        sp.add_argument("--bootstrap", type=int, default=1000, metavar="R",
                        help="bootstrap replicates for the confidence interval (default 1000; "
                             "0 = none)")
        sp.add_argument("--ci", type=float, default=0.95, help="confidence level (0.95)")
        sp.add_argument("--seed", type=int, default=0, help="bootstrap RNG seed (default 0)")

    s = sub.add_parser("map", help="alpha x alpha_D heatmap, one panel per L")
    common(s, "output prefix (default SCAN-map-OBS): writes PREFIX.png and PREFIX.pdf")
    fmt(s)
    s.add_argument("--obs", default="m_test",
                   help="observable: m_train, m_test, mu, frac_train, frac_test, frac_mu, or "
                        "m_KIND, frac_KIND, m_components_KIND of another probe kind "
                        "(default m_test)")
    s.add_argument("--level", type=float, default=None,
                   help="contour level (default: the retrieval threshold for m_*, 0.5 for "
                        "frac_*)")
    s.add_argument("--L", default="all", help="L values to show, e.g. 1,3,dense (default all)")
    s.add_argument("--transitions", action="store_true",
                   help="overlay the transition lines computed from the scan")
    s.add_argument("--transitions-from", metavar="CSV",
                   help="overlay transition lines read from a CSV written by 'transitions'")
    s.add_argument("--cmap", default="viridis", help="colormap (default viridis)")
    s.add_argument("--ylog", choices=["auto", "log", "linear"], default="auto",
                   help="alpha_D axis scale (default auto: log when the values span >= 4x)")
    s.add_argument("--theory", action="store_true",
                   help="draw the dense Gaussian RFHM's learning and storage lines "
                        "(arXiv:2303.16880) on the dense panel")
    trans_opts(s, "--trans-level")
    s.set_defaults(func=cmd_map)

    s = sub.add_parser("curves", help="observables against alpha with error bars")
    common(s, "output prefix (default SCAN-curves)")
    fmt(s)
    s.add_argument("--alpha-D", dest="alpha_D", default="all",
                   help="alpha_D value(s), comma-separated, or all (default)")
    s.add_argument("--L", default="all", help="L value(s), e.g. 3 or 1,3,dense (default all)")
    s.add_argument("--obs", help="comma-separated observables (default m_train,m_test,mu for "
                                 "fig1, m_test,mu for fig3a)")
    s.add_argument("--layout", choices=["auto", "fig1", "fig3a"], default="auto",
                   help="fig1: one panel per (alpha_D, L); fig3a: one panel per alpha_D, colour "
                        "per L (default: fig1 for a single (alpha_D, L))")
    s.add_argument("--csv", metavar="FILE",
                   help="also write the plotted means (alpha, P, alpha_D, D, L, observable, "
                        "mean, sem, n_samples) as CSV")
    s.add_argument("--theory", action="store_true",
                   help="mark the dense Gaussian RFHM's learning transition alpha_L(alpha_D) "
                        "(arXiv:2303.16880) with a vertical dashed line")
    s.set_defaults(func=cmd_curves)

    s = sub.add_parser("transitions", help="transition alphas with bootstrap CIs, as CSV")
    s.add_argument("files", nargs="+", metavar="SCAN.h5")
    s.add_argument("-o", "--output", metavar="CSV", help="CSV file (default: standard output)")
    s.add_argument("--L", default="all", help="L values (default all)")
    s.add_argument("--plot", metavar="PREFIX",
                   help="also draw the lines in the alpha-alpha_D plane (PREFIX.png, .pdf)")
    fmt(s)
    s.add_argument("--theory", action="store_true",
                   help="with --plot: add the dense Gaussian RFHM's learning and storage lines")
    trans_opts(s, "--level")
    s.set_defaults(func=cmd_transitions)

    s = sub.add_parser("dgen", help="D_gen(N) scaling from scans at several N")
    common(s, "output prefix (default dgen): PREFIX.png, PREFIX.pdf, PREFIX.csv")
    fmt(s)
    s.add_argument("--k", type=int, default=10,
                   help="samples that must have m_test > threshold (default 10)")
    s.add_argument("--threshold", type=float, default=0.9,
                   help="per-sample mean test overlap threshold (default 0.9)")
    s.add_argument("--alpha", type=float, default=None,
                   help="evaluate at this alpha only (default: at any alpha of the grid)")
    s.add_argument("--groups", action="store_true",
                   help="paper variant: mean over consecutive groups of k samples of the "
                        "largest D at which all k exceed the threshold")
    s.add_argument("--L", default="all", help="L values (default all)")
    s.set_defaults(func=cmd_dgen)

    s = sub.add_parser("fig2", help="Fig. 2: mixture-stability, learning and generalization "
                                    "lines in the alpha-alpha_D plane")
    common(s, "output prefix (default SCAN-fig2): PREFIX.png, PREFIX.pdf, PREFIX.csv")
    fmt(s)
    s.add_argument("--level", type=float, default=0.5,
                   help="level the mean overlap falls through along alpha_D (default 0.5)")
    s.add_argument("--L", default="all", help="L values (default all)")
    s.add_argument("--bootstrap", type=int, default=500, metavar="R",
                   help="bootstrap replicates for the intervals of alpha_D_c (default 500; "
                        "0 = none)")
    s.add_argument("--ci", type=float, default=0.95, help="confidence level (0.95)")
    s.add_argument("--seed", type=int, default=0, help="bootstrap RNG seed (default 0)")
    s.set_defaults(func=cmd_fig2)

    s = sub.add_parser("info", help="grid, samples, completion of scan file(s)")
    s.add_argument("files", nargs="+", metavar="SCAN.h5")
    s.set_defaults(func=cmd_info)
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
