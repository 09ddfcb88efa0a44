"""pytest: real scan files made by hopscan (format hopscan-scan/2) open as ONE labelled Dataset
with both xarray engines (h5netcdf and netcdf4) and in `ncdump -h`: coordinates, auxiliary
coordinates, long_name/units, NaN fill values; the same for a hopfield scan (a kind with 0 probes
has no variables) and for the file of a scan killed with SIGKILL after its first checkpoint
(the kill helpers of tests/scan_lib.py, as in tests/scan_kill.py). Also pins the result values:
m_KIND and sweeps_KIND hold bit for bit the bytes that format 1 (/probes/KIND/{m,sweeps}, main at
adaf6c8) wrote for the same scan.

Run by ctest (output_netcdf) with Debian's /usr/bin/python3; needs HOPSCAN (the program)."""
import hashlib
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scan_lib as S  # noqa: E402

with warnings.catch_warnings():  # Debian's netCDF4 warns about a numpy ABI size at import
    warnings.simplefilter("ignore", RuntimeWarning)
    import netCDF4  # noqa: E402,F401
import xarray as xr  # noqa: E402

ENGINES = ("h5netcdf", "netcdf4")

# SHA-256 of the raw bytes of each result array of the scan of scan_lib.write_config() defaults
# (rfhm, N 200, seed 1, 6 x 3 x 2 x 3 samples, 6 probes per kind), as written by main at adaf6c8
# in format 1 (/probes/KIND/m and /probes/KIND/sweeps; -np 2).
PINNED = {
    "m_train": "773da13b769e4d73205e94f1f5d8fe3a3d65964b776731e1324af3ef8f053403",
    "sweeps_train": "58c49121ebe4c982ee5500ef956a4af646e7bb3e612c92fd8391b61569814d7d",
    "m_test": "9959610268986e4da79bea87c721de680fc8429caf46dac9aede9f148be5691e",
    "sweeps_test": "580c6fa5dccb827f7244e07e3562c7e0987bef82a7a570f885b5439d075c08b7",
    "m_feature": "6d8888d715a07d87c27bdc6cafdaf82525a959901478e0866b29975191a3f477",
    "sweeps_feature": "ff2986f3bc2a37331dafd05275417f80dccc0319ba48f99b0dc4c0caa8bf271e",
}

HOPFIELD = """model: hopfield
N: 120
alpha: [0.05, 0.1, 0.2]
samples: 2
probes: {train: 3, test: 2}
seed: 4
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("netcdf"))


@pytest.fixture(scope="module")
def rfhm_scan(workdir):
    cfg = S.write_config(os.path.join(workdir, "rfhm.yaml"))
    out = os.path.join(workdir, "rfhm.h5")
    rc, so, se, _ = S.run(2, ["run", cfg, "-o", out, "--quiet"])
    assert rc == 0, se
    return out


@pytest.fixture(scope="module")
def hopfield_scan(workdir):
    cfg = os.path.join(workdir, "hopfield.yaml")
    with open(cfg, "w") as f:
        f.write(HOPFIELD)
    out = os.path.join(workdir, "hopfield.h5")
    rc, so, se, _ = S.run(2, ["run", cfg, "-o", out, "--quiet"])
    assert rc == 0, se
    return out


@pytest.fixture(scope="module")
def killed_scan(workdir):
    """A scan killed (SIGKILL of mpirun and every rank) right after its first checkpoint."""
    cfg = S.write_config(os.path.join(workdir, "k.yaml"), N=700, samples=4, every=0.05)
    out = os.path.join(workdir, "killed.h5")
    p = S.start(3, ["run", cfg, "-o", out, "--progress=json"])
    ranks = S.rank_pids(p.pid, 3)
    ev = S.wait_event(p, "checkpoint", timeout=120)
    finished = p.poll() == 0
    S.kill9_all(p, ranks)
    p.stdout.close()
    p.stderr.close()
    assert ev is not None and not finished, "the scan was not killed mid-way"
    return out


def open_ds(path, engine, **kw):
    return xr.open_dataset(path, engine=engine, **kw)


def test_results_bit_identical_to_format1(rfhm_scan):
    ds = open_ds(rfhm_scan, "h5netcdf", mask_and_scale=False)
    for name, want in PINNED.items():
        a = np.ascontiguousarray(ds[name].values)
        assert a.dtype == (np.float32 if name.startswith("m_") else np.int32)
        assert hashlib.sha256(a.tobytes()).hexdigest() == want, name
    ds.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_one_labelled_dataset(rfhm_scan, engine):
    ds = open_ds(rfhm_scan, engine)
    assert dict(ds.sizes) == {"alpha": 6, "alpha_D": 3, "L": 2, "sample": 3, "probe_train": 6,
                              "probe_test": 6, "probe_feature": 6}
    assert set(ds.coords) == {"alpha", "alpha_D", "L", "sample", "probe_train", "probe_test",
                              "probe_feature", "P", "D"}
    assert np.allclose(ds.alpha_D, [0.05, 0.1, 0.2]) and list(ds.L.values) == [1, 3]
    assert list(ds.sample.values) == [0, 1, 2] and list(ds.probe_test.values) == list(range(6))
    assert list(ds.P.dims) == ["alpha"] and list(ds.D.values) == [10, 20, 40]
    assert ds.m_train.dims == ("alpha", "alpha_D", "L", "sample", "probe_train")
    assert ds.done.dims == ("alpha", "alpha_D", "L", "sample") and bool((ds.done == 1).all())
    for kind in ("train", "test", "feature"):
        assert ds[f"mean_{kind}"].dims == ("alpha", "alpha_D", "L")
        assert np.isnan(ds[f"m_{kind}"].encoding["_FillValue"])
        assert ds[f"sweeps_{kind}"].encoding["_FillValue"] == -2
    for name in list(ds.variables):
        assert ds[name].attrs.get("long_name"), name
    assert ds.m_train.attrs["units"] == "1" and "units" not in ds.sweeps_train.attrs
    assert ds.attrs["format"] == "hopscan-scan/2" and ds.attrs["model"] == "rfhm"
    assert int(ds.attrs["N"]) == 200 and int(ds.attrs["seed"]) == 1
    assert "retrieval_threshold: 0.9" in ds.attrs["config_yaml"]
    # Analysis by labels: a point, averaged over samples and probes, equals the file's summary.
    pt = dict(alpha=ds.alpha[2], alpha_D=0.1, L=3)
    m = ds.m_test.sel(pt).mean("probe_test").mean("sample")
    assert float(m) == pytest.approx(float(ds.mean_test.sel(pt)), abs=1e-6)
    ds.close()


def test_ncdump(rfhm_scan):
    p = subprocess.run(["ncdump", "-h", rfhm_scan], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "float m_train(alpha, alpha_D, L, sample, probe_train) ;" in p.stdout
    assert "m_train:_FillValue = NaNf ;" in p.stdout
    assert 'm_train:coordinates = "P D" ;' in p.stdout
    assert ':format = "hopscan-scan/2" ;' in p.stdout
    assert "group: provenance {" in p.stdout


@pytest.mark.parametrize("engine", ENGINES)
def test_hopfield_kind_without_probes_has_no_variables(hopfield_scan, engine):
    ds = open_ds(hopfield_scan, engine)
    assert dict(ds.sizes) == {"alpha": 3, "alpha_D": 1, "L": 1, "sample": 2, "probe_train": 3,
                              "probe_test": 2}
    assert "m_feature" not in ds and "mean_feature" not in ds
    assert float(ds.alpha_D) == 0.0 and int(ds.L) == 0
    assert bool((ds.done == 1).all())
    ds.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_killed_scan_opens(killed_scan, engine):
    ds = open_ds(killed_scan, engine)
    done = ds.done.values == 1
    assert done.any() and not done.all()
    for kind in ("train", "test", "feature"):
        m = ds[f"m_{kind}"].values
        assert np.isfinite(m[done]).all()
        # Summaries: NaN exactly where no sample of the point is done.
        none_done = ~done.any(axis=3)
        assert np.isnan(ds[f"mean_{kind}"].values[none_done]).all()
        assert np.isfinite(ds[f"mean_{kind}"].values[~none_done]).all()
        # Decoded: the -2 fill of rows never written reads as NaN (missing).
        assert np.isnan(ds[f"sweeps_{kind}"].values[~done]).any()
    raw = open_ds(killed_scan, engine, mask_and_scale=False)
    assert (raw.sweeps_train.values[~done] == -2).any()
    assert (raw.sweeps_train.values[done] >= -1).all()
    raw.close()
    # The usual analysis: trust done samples only.
    mean = ds.m_train.where(ds.done == 1).mean(("sample", "probe_train"))
    assert mean.dims == ("alpha", "alpha_D", "L")
    ds.close()
    p = subprocess.run(["ncdump", "-h", killed_scan], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
