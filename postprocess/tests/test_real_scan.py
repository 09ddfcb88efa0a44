"""Every subcommand on real scans made by the built hopscan binary (see conftest.py), the file
opened with xarray's two engines and ncdump, combined, and read after a kill."""

import json
import os
import shutil
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest
import xarray as xr

import hopscan_plot as hp
from conftest import DGEN_CONFIG, PYTHON as PYTHON_EXE, REAL_CONFIG, make_real_scan, mpi_env
from hopscan_plot.analysis import CSV_FIELDS


def _done_name(f):
    """Where the done flags are: /done (format 2) or /samples/done (format 1)."""
    return "done" if "done" in f else "samples/done"


def _format(path):
    with h5py.File(path, "r", locking=False) as f:
        return f.attrs["format"].decode() if isinstance(f.attrs["format"], bytes) else str(
            f.attrs["format"])


def _need_format2(path):
    fmt = _format(path)
    if fmt != "hopscan-scan/2":
        pytest.skip(f"the built hopscan writes {fmt}, not hopscan-scan/2: nothing to open "
                    "with the netCDF readers yet")


def _is_png(path):
    with open(path, "rb") as fh:
        return fh.read(8) == b"\x89PNG\r\n\x1a\n"


def _is_pdf(path):
    with open(path, "rb") as fh:
        return fh.read(5) == b"%PDF-"


def _check_figure(prefix):
    assert _is_png(f"{prefix}.png") and os.path.getsize(f"{prefix}.png") > 10000
    assert _is_pdf(f"{prefix}.pdf") and os.path.getsize(f"{prefix}.pdf") > 5000


def test_info(real_scan, exe):
    res = exe("info", real_scan)
    assert res.rc == 0, res.err
    assert "N = 200" in res.out and "135/135 samples" in res.out
    assert "L:          [1, 3, dense]" in res.out and "(D = 4, 10, 20)" in res.out


def test_reader_matches_file_summary(real_scan):
    """Recomputing the means from the probes gives the writer's summaries (DESIGN contract)."""
    sc = hp.load_scans([real_scan])
    assert sc.N == 200 and sc.complete and sc.shape == (5, 3, 3, 3)
    assert list(sc.L) == [1, 3, 0] and list(sc.D) == [4, 10, 20]
    ds = hp.open_scan(real_scan)
    for kind, obs in (("train", "m_train"), ("test", "m_test"), ("feature", "mu")):
        mean, sem, n = sc.stats(obs)
        assert np.allclose(mean, ds[f"mean_{kind}"], atol=1e-12, equal_nan=True)
        assert np.allclose(sem, ds[f"sem_{kind}"], atol=1e-12, equal_nan=True)
        frac = sc.stats("frac_" + ("mu" if kind == "feature" else kind))[0]
        assert np.allclose(frac, ds[f"frac_retrieved_{kind}"], equal_nan=True)
        assert np.all(n == 3)


@pytest.mark.parametrize("engine", ["h5netcdf", "netcdf4"])
def test_real_file_opens_labelled_in_xarray(real_scan, engine):
    """xarray.open_dataset on the file gives one labelled Dataset (issue 12): coordinates with
    the grid's values, NaN fill values, long_name, and the same numbers as the package reads."""
    _need_format2(real_scan)
    with xr.open_dataset(real_scan, engine=engine) as ds:
        assert ds.attrs["format"] == "hopscan-scan/2" and int(ds.attrs["N"]) == 200
        assert np.allclose(ds["alpha"], np.geomspace(0.02, 1.0, 5))
        assert np.allclose(ds["alpha_D"], [0.02, 0.05, 0.1])
        assert list(ds["L"].values) == [1, 3, 0] and list(ds["sample"].values) == [0, 1, 2]
        assert list(ds["D"].values) == [4, 10, 20]
        assert list(ds["P"].values) == list(np.rint(ds["alpha"].values * 200).astype(int))
        for kind in ("train", "test", "feature"):
            m = ds[f"m_{kind}"]
            assert m.dims == ("alpha", "alpha_D", "L", "sample", f"probe_{kind}")
            assert list(ds[f"probe_{kind}"].values) == [0, 1, 2, 3]
            assert np.isnan(m.encoding["_FillValue"]) and m.dtype == np.float32
            assert "long_name" in m.attrs and m.attrs.get("units") == "1"
            assert ds[f"mean_{kind}"].dims == ("alpha", "alpha_D", "L")
            assert np.isnan(ds[f"mean_{kind}"].encoding["_FillValue"])
        assert ds["done"].dims == ("alpha", "alpha_D", "L", "sample")
        assert int(ds["done"].sum()) == 135
        point = ds["m_test"].sel(alpha=0.3, alpha_D=0.05, method="nearest").sel(L=3)
        assert point.shape == (3, 4) and np.all(np.isfinite(point))
        want = hp.load_scans([real_scan]).stats("m_test")[0]
        got = ds["m_test"].where(ds["done"] == 1).mean("probe_test").mean("sample")
        assert np.allclose(got.values, want, atol=1e-6)
        for name in ds.variables:
            assert "long_name" in ds[name].attrs, name


def test_real_file_ncdump(real_scan):
    _need_format2(real_scan)
    if not shutil.which("ncdump"):
        pytest.skip("ncdump is not installed (Debian netcdf-bin)")
    out = subprocess.run(["ncdump", "-h", real_scan], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "m_test(alpha, alpha_D, L, sample, probe_test)" in out.stdout
    assert ':format = "hopscan-scan/2"' in out.stdout


def test_map_all_observables(real_scan, tool, exe, tmp_path):
    for obs in ("m_test", "m_train", "mu", "frac_test"):
        fmt = [] if obs == "m_test" else ["--format", "png"]
        res = (exe if obs == "m_test" else tool)("map", real_scan, "--obs", obs, *fmt, "-o",
                                                 tmp_path / f"map-{obs}")
        assert res.rc == 0, res.err
        if obs == "m_test":
            _check_figure(tmp_path / f"map-{obs}")
        else:
            assert _is_png(tmp_path / f"map-{obs}.png")
        assert res.err == ""  # complete scan: no completion note
    res = tool("map", real_scan, "--transitions", "--bootstrap", "100", "--L", "3,dense",
               "--theory",
               "-o", tmp_path / "map-tr.png")
    assert res.rc == 0, res.err
    assert _is_png(tmp_path / "map-tr.png") and not os.path.exists(tmp_path / "map-tr.pdf")


def test_curves_fig1_and_fig3a(real_scan, tool, tmp_path):
    res = tool("curves", real_scan, "--alpha-D", "0.05", "--L", "3", "-o", tmp_path / "fig1",
               "--csv", tmp_path / "fig1.csv")
    assert res.rc == 0, res.err
    _check_figure(tmp_path / "fig1")
    rows = open(tmp_path / "fig1.csv").read().splitlines()
    assert rows[0] == "alpha,P,alpha_D,D,L,observable,mean,sem,n_samples"
    assert len(rows) == 1 + 3 * 5  # 3 observables x 5 alphas
    want = hp.open_scan(real_scan)["mean_test"].values[:, 1, 1]
    got = [float(r.split(",")[6]) for r in rows[1:] if r.split(",")[5] == "m_test"]
    assert np.allclose(got, want, rtol=1e-5)
    res = tool("curves", real_scan, "--L", "1,3,dense", "--theory", "-o", tmp_path / "fig3a")
    assert res.rc == 0, res.err
    _check_figure(tmp_path / "fig3a")


def test_transitions_csv(real_scan, tool, tmp_path):
    out = tmp_path / "tr.csv"
    res = tool("transitions", real_scan, "--bootstrap", "200", "-o", out)
    assert res.rc == 0, res.err
    lines = open(out).read().splitlines()
    assert lines[0] == ",".join(CSV_FIELDS)
    assert len(lines) == 1 + 3 * 3 * 3  # (alpha_D, L) x 3 lines
    rows = hp.read_transitions_csv(str(out))
    for r in rows:
        assert r["status"] in ("ok", "left", "right", "none")
        if r["status"] == "ok":
            assert 0.02 <= r["alpha_c"] <= 1.0
    # the lines alone in the alpha-alpha_D plane
    res = tool("transitions", real_scan, "--bootstrap", "50", "--plot", tmp_path / "lines",
               "--theory")
    assert res.rc == 0, res.err
    assert res.out.startswith("alpha_D,")  # CSV still on standard output
    _check_figure(tmp_path / "lines")
    # the overlay from the CSV works too
    res = tool("map", "--transitions-from", out, real_scan, "-o", tmp_path / "m")
    assert res.rc == 0, res.err
    _check_figure(tmp_path / "m")
    # reproducible
    res2 = tool("transitions", real_scan, "--bootstrap", "200")
    assert res2.out == open(out).read()


def test_dgen_from_real_scans(real_scans_N, tool, tmp_path):
    res = tool("dgen", *real_scans_N, "--k", "2", "--threshold", "0.5", "-o", tmp_path / "dg")
    assert res.rc == 0, res.err
    _check_figure(tmp_path / "dg")
    text = open(tmp_path / "dg.csv").read().splitlines()
    assert text[0].startswith("N,L,D_gen")
    assert {ln.split(",")[0] for ln in text[1:] if not ln.startswith("#")} == {"200", "300",
                                                                                "400"}
    assert {ln.split(",")[1] for ln in text[1:] if not ln.startswith("#")} == {"1", "0"}


def test_combine_real_parts(real_dir, real_scan, tool, tmp_path):
    # independent samples (another seed) are appended
    other = make_real_scan(real_dir, N=200, seed=8)
    sc = hp.load_scans([real_scan, other])
    assert sc.shape == (5, 3, 3, 6) and sc.complete
    a, b = hp.load_scans([real_scan]), hp.load_scans([other])
    m = sc.stats("m_test")[0]
    assert np.allclose(m, 0.5 * (a.stats("m_test")[0] + b.stats("m_test")[0]))
    # the same scan split in two parts with half the samples done in each
    p1, p2 = tmp_path / "part1.h5", tmp_path / "part2.h5"
    shutil.copy(real_scan, p1)
    shutil.copy(real_scan, p2)
    for p, keep in ((p1, [0]), (p2, [1, 2])):
        with h5py.File(p, "r+") as f:
            d = f[_done_name(f)][...]
            d[..., [s for s in range(3) if s not in keep]] = 0
            f[_done_name(f)][...] = d
    res = tool("info", p1)
    assert res.rc == 0 and "45/135 samples" in res.out and "partial" in res.out
    both = hp.load_scans([str(p1), str(p2)])
    assert both.complete
    assert np.allclose(both.stats("mu")[0], a.stats("mu")[0])
    res = tool("curves", p1, "--alpha-D", "0.1", "--L", "1", "-o", tmp_path / "c")
    assert res.rc == 0 and "45/135 samples done" in res.err
    # a different N does not combine
    other_N = make_real_scan(real_dir, N=300, template=DGEN_CONFIG)
    res = tool("map", real_scan, other_N)
    assert res.rc == 2 and "N differs (200 vs 300)" in res.err


def test_read_while_scan_runs(real_dir, tool):
    """The tool opens a file that a running scan holds open (no HDF5 lock error)."""
    exe = os.environ.get("HOPSCAN")
    if not exe:
        pytest.skip("HOPSCAN is not set")
    cfg = os.path.join(real_dir, "running.yaml")
    out = os.path.join(real_dir, "running.h5")
    text = REAL_CONFIG.format(N=600, seed=3).replace("samples: 3", "samples: 6")
    text += "checkpoint: {every_seconds: 1}\n"
    with open(cfg, "w") as fh:
        fh.write(text)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OPENBLAS_NUM_THREADS="1")
    mpirun = os.environ.get("HOPSCAN_MPIRUN", "mpirun")
    proc = subprocess.Popen([mpirun, "--allow-run-as-root", "--oversubscribe", "-np", "2", exe,
                             "run", cfg, "-o", out], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=env, text=True)
    try:
        for _ in range(600):
            if os.path.exists(out) or proc.poll() is not None:
                break
            time.sleep(0.05)
        res = tool("info", out)
        assert res.rc == 0, res.err
        assert "/270 samples" in res.out
    finally:
        log, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, log
    res = tool("info", out)
    assert res.rc == 0 and "270/270 samples" in res.out


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def test_read_killed_scan(real_dir, tool, tmp_path):
    """A scan killed with SIGKILL (mpirun and its ranks) after its first checkpoint: the file
    reads, counts only the done samples, plots, and opens in xarray with both engines."""
    from conftest import _hopscan, mpirun_cmd

    exe = _hopscan()
    cfg = os.path.join(real_dir, "killed.yaml")
    out = os.path.join(real_dir, "killed.h5")
    # the slower couplings engine and many samples: the scan must outlive its first checkpoint
    text = (REAL_CONFIG.format(N=600, seed=4).replace("samples: 3", "samples: 40")
            .replace("max_sweeps: 100}", "max_sweeps: 100, engine: couplings}"))
    with open(cfg, "w") as fh:
        fh.write(text + "checkpoint: {every_seconds: 1}\n")
    proc = subprocess.Popen(mpirun_cmd(2, exe, "run", cfg, "-o", out, "--progress=json"),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=mpi_env(), start_new_session=True)
    try:
        for line in proc.stdout:  # until the first checkpoint is on disk
            if line.startswith("{") and json.loads(line).get("event") == "checkpoint":
                break
        pids = [proc.pid] + _children(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: mpirun and the ranks
        proc.wait()
    for pid in pids[1:]:
        for _ in range(500):
            if not os.path.exists(f"/proc/{pid}"):
                break
            time.sleep(0.01)
    total = 5 * 3 * 3 * 40
    sc = hp.load_scans([out])
    assert 0 < sc.samples_done < total and sc.samples_total == total
    mean, _, n = sc.stats("m_test")
    assert np.all(np.isnan(mean[n == 0])) and np.all(np.isfinite(mean[n > 0]))
    res = tool("info", out)
    assert res.rc == 0 and f"{sc.samples_done}/{total} samples" in res.out
    assert "partial" in res.out
    res = tool("map", out, "-o", tmp_path / "killed.png")
    assert res.rc == 0 and "partial" in res.err, res.err
    if _format(out) == "hopscan-scan/2":
        for engine in ("h5netcdf", "netcdf4"):
            with xr.open_dataset(out, engine=engine) as ds:
                assert int(ds["done"].sum()) == sc.samples_done
                m = ds["m_test"].where(ds["done"] == 1).mean(["sample", "probe_test"])
                assert np.allclose(m.values, mean, equal_nan=True, atol=1e-6)


HOPFIELD_CONFIG = """\
model: hopfield
N: {N}
alpha: [0.05, 0.1, 0.14, 0.2, 0.3]
samples: 3
probes: {{train: 4, test: 2, feature: 0}}
dynamics: {{order: random, max_sweeps: 100}}
seed: {seed}
"""


def test_classic_hopfield_scan(real_dir, tool, tmp_path):
    """A real classic-Hopfield file (no features, length-1 alpha_D and L axes)."""
    p = make_real_scan(real_dir, N=300, seed=5, name="hopfield", template=HOPFIELD_CONFIG)
    sc = hp.load_scans([p])
    assert sc.is_hopfield and not sc.has("mu") and sc.shape == (5, 1, 1, 3)
    res = tool("curves", p, "-o", tmp_path / "hc")
    assert res.rc == 0, res.err
    _check_figure(tmp_path / "hc")
    res = tool("transitions", p, "--bootstrap", "100")
    assert res.rc == 0, res.err
    rows = [ln.split(",") for ln in res.out.splitlines()[1:]]
    assert [r[3] for r in rows] == ["storage"]  # the only line of the classic model
    res = tool("map", p, "--obs", "mu")
    assert res.rc == 2 and "no feature probes" in res.err


def test_docs_analysis_in_ten_lines(real_scan, tmp_path):
    """The xarray example of docs/postprocess.md runs on a real file as printed there, and its
    number is the file's own summary at that point."""
    _need_format2(real_scan)
    doc = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "postprocess.md")
    section = open(doc).read().split("## Analysis in ten lines", 1)[1].splitlines()[1:]
    lines = []
    for ln in section:  # the indented code block right after the heading
        if ln.startswith("    ") or ln == "":
            lines.append(ln[4:])
        elif lines:
            break
    assert sum(1 for ln in lines if ln.strip()) <= 11 and "xr.open_dataset" in "".join(lines)
    code = "\n".join(lines).replace("out/demo.h5", real_scan).replace(
        '"map.png"', repr(str(tmp_path / "map.png")))
    out = subprocess.run([PYTHON_EXE, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, MPLBACKEND="Agg"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert os.path.getsize(tmp_path / "map.png") > 0
    with xr.open_dataset(real_scan) as ds:
        want = ds["mean_test"].sel(alpha=0.3, alpha_D=0.05, method="nearest").sel(L=3).item()
    assert float(out.stdout.split()[0]) == pytest.approx(want, rel=1e-6)
