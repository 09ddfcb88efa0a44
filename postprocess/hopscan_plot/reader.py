"""Opening one scan file as an xarray Dataset in the layout of format "hopscan-scan/2".

Format 2 (DESIGN.md "Output file"; docs/output.md) is a flat netCDF-4 file: it is opened with
xarray's h5netcdf engine. Format 1 (the first version's /grid, /probes/KIND, /summary/KIND
groups) is still read: `format1_dataset` converts it into the same Dataset, so everything after
`open_scan` sees one layout:

    dims    alpha, alpha_D, L, sample, probe_KIND (one per probe kind with probes)
    coords  alpha, alpha_D, L, sample, probe_KIND; P (alpha), D (alpha_D)
    data    m_KIND, sweeps_KIND [alpha, alpha_D, L, sample, probe_KIND]; done [.., sample];
            mean_KIND, sem_KIND, frac_retrieved_KIND [alpha, alpha_D, L];
            m_components_KIND for mixture kinds
    attrs   format, hopscan_version, config_yaml, config_sha256, model, N, seed, created_utc

A transition-search file (root attribute search_along; issue 14, docs/output.md) is a format-2
file over (lattice, other axes) in which only the evaluated points have done samples, with the
search attributes (search_along, search_observable, search_statistic, search_level, ...), a
`crossing` dimension and:

    grid     search_samples, statistic, statistic_halfwidth [alpha, alpha_D, L]
    LINE     line_done (bool), n_crossings [LINE]; LINE = (alpha_D, L) along alpha,
             (alpha, L) along alpha_D
    crossing crossing_lo, crossing_hi, crossing_value, crossing_ci_lo, crossing_ci_hi,
             crossing_direction (int: +1 rising, -1 falling, 0 fill) [LINE..., crossing]

open_scan returns it in the same layout plus these (`search_along(ds)` tells it apart).

Probe kinds are discovered from the variable names m_KIND (so mixture3, mixture5, ... need no
code here). Files are opened without HDF5 file locking, so a file that a running scan holds open
can be read; the done flags are read before the probe rows (the scan writes rows, then flags), so
every sample counted as done is final.
"""

import os
import re

import numpy as np
import xarray as xr

from .errors import HopscanError

FORMAT = "hopscan-scan/2"
FORMAT1 = "hopscan-scan/1"
FORMATS = (FORMAT, FORMAT1)
STANDARD_KINDS = ("train", "test", "feature")
AXES = ("alpha", "alpha_D", "L")
_M_VAR = re.compile(r"^m_(?!components_)(\w+)$")
SEARCH_AXES = ("alpha", "alpha_D")
SEARCH_GRID_VARS = ("search_samples", "statistic", "statistic_halfwidth")
SEARCH_LINE_VARS = ("line_done", "n_crossings")
CROSSING_VARS = ("crossing_lo", "crossing_hi", "crossing_value", "crossing_ci_lo",
                 "crossing_ci_hi", "crossing_direction")


def search_along(ds):
    """'alpha' | 'alpha_D' for a transition-search Dataset, None for a grid scan."""
    v = ds.attrs.get("search_along")
    return None if v is None else attr_str(v)


def line_axes(along):
    """The axes of a search line (the two not searched, in file order)."""
    return ("alpha_D", "L") if along == "alpha" else ("alpha", "L")


def kinds_of(ds):
    """Probe kinds of a format-2 Dataset, from its m_KIND variables: train, test, feature first,
    then the others (mixture3, mixture5, ...) in name order."""
    found = [m.group(1) for v in ds.data_vars if (m := _M_VAR.match(str(v)))]
    std = [k for k in STANDARD_KINDS if k in found]
    return std + sorted((k for k in found if k not in STANDARD_KINDS), key=_kind_order)


def _kind_order(kind):
    m = re.match(r"^(\D*)(\d*)$", kind)
    return (m.group(1), int(m.group(2)) if m.group(2) else 0) if m else (kind, 0)


def attr_str(v):
    """An HDF5 attribute as str (bytes, numpy scalars and 0-d arrays included)."""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray):
        return attr_str(v.reshape(-1)[0]) if v.size else ""
    if isinstance(v, np.generic):
        return attr_str(v.item())
    return str(v)


def attr_int(v):
    if isinstance(v, np.ndarray):
        v = v.reshape(-1)[0]
    if isinstance(v, bytes):
        v = v.decode()
    return int(v)


def _short(ex):
    s = str(ex).strip().splitlines()
    s = s[0] if s else type(ex).__name__
    return s[:200]


def _unlocked(opener, path):
    """opener(path, "r", locking=False), so that a file a running scan holds open can be read.
    Falls back to the default locking for an h5py without the argument, and when this process
    already holds the file open with locking (HDF5 then insists on the same flag: 'file locking
    flag values don't match', e.g. inside `with xarray.open_dataset(path)`)."""
    try:
        return opener(path, "r", locking=False)
    except TypeError:
        return opener(path, "r")
    except OSError as ex:
        if "locking flag" not in str(ex):
            raise
        return opener(path, "r")


def _h5file(path):
    import h5py

    return _unlocked(h5py.File, path)


def check_path(path):
    if not os.path.exists(path):
        raise HopscanError(f"{path}: no such file")
    if os.path.isdir(path):
        raise HopscanError(f"{path}: is a directory, not a scan file")
    if not os.access(path, os.R_OK):
        raise HopscanError(f"{path}: permission denied")


def file_format(path):
    """The file's root attribute 'format'; HopscanError for a missing, non-HDF5 or foreign
    file or an unknown format."""
    check_path(path)
    try:
        f = _h5file(path)
    except OSError as ex:
        raise HopscanError(f"{path}: not a readable HDF5 file ({_short(ex)})") from None
    with f:
        if "format" not in f.attrs:
            raise HopscanError(f"{path}: not a hopscan scan file (no 'format' attribute)")
        fmt = attr_str(f.attrs["format"])
        if fmt == FORMAT:
            for name in ("done", *AXES, "sample"):
                if name not in f:
                    raise HopscanError(
                        f"{path}: missing {name} (incomplete or not a {FORMAT} file)")
    if fmt not in FORMATS:
        raise HopscanError(f"{path}: format is {fmt!r}, expected {FORMAT!r} (or {FORMAT1!r})")
    return fmt


def open_scan(path, sweeps=True):
    """One scan file (format 2, or format 1 converted) as a loaded xarray Dataset in the format-2
    layout (module doc). sweeps=False leaves out the sweeps_KIND variables (they are decoded to
    float64 because of their fill value: twice the memory of m_KIND, and the figures do not
    need them). HopscanError with a one-line reason for anything unreadable."""
    path = os.fspath(path)
    fmt = file_format(path)
    try:
        if fmt == FORMAT1:
            with _h5file(path) as f:
                return format1_dataset(f, path, sweeps)
        return _open_format2(path, sweeps)
    except HopscanError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as ex:
        raise HopscanError(f"{path}: unreadable scan file ({_short(ex)})") from None


def _open_format2(path, sweeps):
    import h5netcdf

    with _unlocked(h5netcdf.File, path) as f:
        names = [] if sweeps else [v for v in f.variables if str(v).startswith("sweeps_")]
        raw = xr.open_dataset(xr.backends.H5NetCDFStore(f), drop_variables=names)
        if "done" not in raw:
            raise HopscanError(f"{path}: missing done (incomplete or not a {FORMAT} file)")
        done = raw["done"].load()  # flags first: rows are final before their flag is set
        ds = raw.load()
        ds["done"] = done
    return _normalize(ds, path)


def _normalize(ds, path):
    """Checks a format-2 Dataset and brings it into the canonical form (module doc)."""
    for name in (*AXES, "sample", "done"):
        if name not in ds.variables:
            raise HopscanError(f"{path}: missing {name} (incomplete or not a {FORMAT} file)")
    aux = [v for v in ("P", "D") if v in ds.data_vars]
    ds = ds.set_coords(aux)
    kinds = kinds_of(ds)
    if not kinds:
        raise HopscanError(f"{path}: no m_KIND variable (not a {FORMAT} file)")
    want = ("alpha", "alpha_D", "L", "sample")
    if tuple(ds["done"].dims) != want:
        raise HopscanError(f"{path}: done has dimensions {ds['done'].dims}, expected {want}")
    for kind in kinds:
        dims = (*want, f"probe_{kind}")
        for name in (f"m_{kind}", f"m_components_{kind}"):
            if name in ds and tuple(ds[name].dims) != dims:
                raise HopscanError(f"{path}: {name} has dimensions {ds[name].dims}, "
                                   f"expected {dims}")
    # done is u8 in the file; a reader that decoded a fill value made it float
    ds["done"] = ds["done"].fillna(0).astype(bool)
    ds = ds.assign_coords(L=ds["L"].astype(np.int64))
    for name in AXES:
        if ds.indexes[name].has_duplicates:
            raise HopscanError(f"{path}: {name} has repeated values")
    if search_along(ds) is not None:
        ds = _check_search(ds, path)
    N = attr_int(ds.attrs["N"]) if "N" in ds.attrs else None
    if N is None:
        raise HopscanError(f"{path}: no N attribute")
    if "D" not in ds.coords:
        ds = ds.assign_coords(D=("alpha_D", np.rint(ds["alpha_D"].values * N).astype(np.int64)))
    if "P" not in ds.coords:
        ds = ds.assign_coords(P=("alpha", np.rint(ds["alpha"].values * N).astype(np.int64)))
    return ds


def _check_search(ds, path):
    """Checks the search variables of a search file and gives them their canonical types."""
    along = search_along(ds)
    if along not in SEARCH_AXES:
        raise HopscanError(f"{path}: search_along is {along!r}, expected alpha or alpha_D")
    line = line_axes(along)
    want = {**{v: AXES for v in SEARCH_GRID_VARS}, **{v: line for v in SEARCH_LINE_VARS},
            **{v: (*line, "crossing") for v in CROSSING_VARS}}
    for name, dims in want.items():
        if name not in ds:
            raise HopscanError(f"{path}: missing {name} (incomplete transition-search file)")
        if tuple(ds[name].dims) != dims:
            raise HopscanError(f"{path}: {name} has dimensions {ds[name].dims}, expected {dims}")
    # integer variables with a fill value come back as float with NaN from xarray's decoding
    ds["crossing_direction"] = ds["crossing_direction"].fillna(0).astype(np.int32)
    ds["n_crossings"] = ds["n_crossings"].fillna(0).astype(np.int32)
    ds["search_samples"] = ds["search_samples"].fillna(0).astype(np.int32)
    ds["line_done"] = ds["line_done"].fillna(0).astype(bool)
    ds.attrs["search_along"] = along
    return ds


def _need(f, name, path):
    if name not in f:
        raise HopscanError(f"{path}: missing {name} (incomplete or not a {FORMAT1} file)")
    return f[name]


def format1_dataset(f, path, sweeps=True):
    """Converts an open format-1 file (h5py) into the format-2 Dataset layout (module doc)."""
    alpha = np.asarray(_need(f, "grid/alpha", path)[...], dtype=np.float64).reshape(-1)
    alpha_D = np.asarray(_need(f, "grid/alpha_D", path)[...], dtype=np.float64).reshape(-1)
    L = np.asarray(_need(f, "grid/L", path)[...], dtype=np.int64).reshape(-1)
    A, B, C = len(alpha), len(alpha_D), len(L)
    done = np.asarray(_need(f, "samples/done", path)[...])  # flags before rows
    if done.ndim != 4 or done.shape[:3] != (A, B, C):
        raise HopscanError(
            f"{path}: /samples/done has shape {done.shape}, expected ({A}, {B}, {C}, S)")
    S = done.shape[3]
    attrs = {k: (attr_str(v) if k not in ("N", "seed") else attr_int(v))
             for k, v in f.attrs.items()}
    if "N" not in attrs:
        raise HopscanError(f"{path}: no N attribute")
    N = attrs["N"]
    D = (np.asarray(f["grid/D"][...], dtype=np.int64).reshape(-1) if "grid/D" in f
         else np.rint(alpha_D * N).astype(np.int64))
    if D.shape != (B,):
        raise HopscanError(f"{path}: /grid/D has shape {D.shape}, expected ({B},)")
    base = ("alpha", "alpha_D", "L", "sample")
    data = {"done": (base, done != 0)}
    coords = {"alpha": alpha, "alpha_D": alpha_D, "L": L, "sample": np.arange(S),
              "P": ("alpha", np.rint(alpha * N).astype(np.int64)), "D": ("alpha_D", D)}
    for kind in STANDARD_KINDS:
        name = f"probes/{kind}/m"
        if name not in f:
            if kind == "feature":  # tolerated: a model without features
                continue
            _need(f, name, path)
        m = f[name]
        if m.ndim != 5 or m.shape[:4] != (A, B, C, S):
            raise HopscanError(f"{path}: /{name} has shape {m.shape}, expected "
                               f"({A}, {B}, {C}, {S}, n)")
        if m.shape[4] == 0:  # format 2: a kind with 0 probes has no variables
            continue
        pdim = f"probe_{kind}"
        coords[pdim] = np.arange(m.shape[4])
        data[f"m_{kind}"] = ((*base, pdim), np.asarray(m[...], dtype=np.float32))
        sw = f"probes/{kind}/sweeps"
        if sweeps and sw in f:
            data[f"sweeps_{kind}"] = ((*base, pdim), np.asarray(f[sw][...], dtype=np.int32))
        for stat in ("mean", "sem", "frac_retrieved"):
            s = f"summary/{kind}/{stat}"
            if s in f:
                data[f"{stat}_{kind}"] = (base[:3], np.asarray(f[s][...], dtype=np.float64))
    for name in ("alpha", "alpha_D", "L"):
        if len(np.unique(coords[name])) != len(coords[name]):
            raise HopscanError(f"{path}: /grid/{name} has repeated values")
    return xr.Dataset(data, coords=coords, attrs=attrs)
