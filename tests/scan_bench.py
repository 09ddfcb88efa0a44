#!/usr/bin/python3
"""Scan throughput and the master's CPU use (issue 5 part 7; not part of ctest).

Runs one fixed scan with `mpirun -np K hopscan run` for each K given and prints samples/s (from the
end event of --progress=json), wall time, and the CPU time rank 0 used (utime + stime from
/proc/PID/stat) between the start and end events, as a percentage of one core.

usage: scan_bench.py [CONFIG] [K ...]   (default: configs/demo.yaml, K = 1 2 3)
   HOPSCAN=build/hopscan /usr/bin/python3 tests/scan_bench.py configs/demo.yaml 1 2
"""
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scan_lib as S  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    except (OSError, IndexError):
        return None


def bench(cfg, k, d):
    out = os.path.join(d, f"bench_np{k}.h5")
    t0 = time.monotonic()
    p = S.start(k, ["run", cfg, "-o", out, "--overwrite", "--progress=json"])
    ranks = S.rank_pids(p.pid, k)
    pid0 = ranks.get(0)
    # Rank 0's CPU time between the start event (file open, tasks listed) and the end event
    # (final checkpoint written): the scheduling loop, without MPI start-up and shutdown.
    c_start = t_start = c_end = t_end = None
    end = None
    for line in p.stdout:
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if obj.get("event") == "start":
            c_start, t_start = cpu_seconds(pid0), time.monotonic()
        elif obj.get("event") == "end":
            c_end, t_end = cpu_seconds(pid0), time.monotonic()
            end = obj
    p.wait()
    wall = time.monotonic() - t0
    p.stderr.read()
    if p.returncode != 0 or end is None or c_start is None or c_end is None:
        print(f"-np {k}: exit {p.returncode}")
        return
    master = (c_end - c_start) / max(t_end - t_start, 1e-9)
    role = "master and worker" if k == 1 else "master only"
    print(f"-np {k}: {end['this_run']} samples in {end['elapsed']:.2f} s of scan "
          f"({end['rate']:.1f} samples/s), {wall:.2f} s with start-up; rank 0 ({role}) used "
          f"{100 * master:.1f}% of a core over the scan; {end['checkpoints']} checkpoints, "
          f"{end['checkpoint_seconds']:.3f} s writing", flush=True)


def main():
    args = sys.argv[1:]
    cfg = os.path.join(S.SOURCE, "configs", "demo.yaml")
    if args and not args[0].isdigit():
        cfg = args.pop(0)
    ks = [int(a) for a in args] or [1, 2, 3]
    print(f"config {cfg}; {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="hopscan-bench-") as d:
        for k in ks:
            bench(cfg, k, d)
    return 0


if __name__ == "__main__":
    sys.exit(main())
