"""hopscan_plot: read hopscan scan files (format hopscan-scan/2; format 1 converted on reading)
and turn them into figures. Importing it has no side effects (no backend, style, warning filter
or environment variable is set).

Importable API (the command line ``hopscan-plot`` is a thin layer over it):

    ds = open_scan("demo.h5")                  # one file as an xarray Dataset (reader.py)
    scan = load_scans(["demo.h5"])            # one or several files, combined (see scan.py)
    scan.ds                                    # per-sample observables, xarray Dataset
    mean, sem, n = scan.stats("m_test")        # [A, B, C] over done samples
    rows = find_transitions(scan)              # learning / generalization / storage lines
    plot_map(scan, "m_test", "demo-map")       # demo-map.png, demo-map.pdf
    sf = SearchFile("search.h5")              # a transition-search file (search.py)
    sf.ds.crossing_value                       # crossings on (LINE..., crossing), xarray
    rows = crossing_rows(sf)                   # the located crossings as a table
"""

from .errors import HopscanError
from .reader import kinds_of, open_scan
from .scan import (OBSERVABLES, Scan, ScanFile, load_scans, observable_label, read_scan_file,
                   sample_stats)
from .search import SearchFile, crossing_rows, is_search_file
from .analysis import (
    LINES,
    crossing_alpha,
    dgen_table,
    find_transitions,
    fit_power_law,
    read_transitions_csv,
    write_transitions_csv,
)

def __getattr__(name):  # matplotlib is imported only when a figure is asked for
    if name in ("plot_curves", "plot_dgen", "plot_map", "plot_transitions", "plotting"):
        import importlib

        plotting = importlib.import_module(".plotting", __name__)
        return plotting if name == "plotting" else getattr(plotting, name)
    raise AttributeError(f"module 'hopscan_plot' has no attribute {name!r}")


__version__ = "2.0"
__all__ = [
    "HopscanError",
    "SearchFile",
    "crossing_rows",
    "is_search_file",
    "OBSERVABLES",
    "Scan",
    "ScanFile",
    "kinds_of",
    "open_scan",
    "load_scans",
    "sample_stats",
    "read_scan_file",
    "observable_label",
    "LINES",
    "crossing_alpha",
    "dgen_table",
    "find_transitions",
    "fit_power_law",
    "read_transitions_csv",
    "write_transitions_csv",
    "plot_curves",
    "plot_dgen",
    "plot_map",
    "plot_transitions",
]
