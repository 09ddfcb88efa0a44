#!/usr/bin/python3
"""Kill safety and resume (issue 6 parts 1-2): a scan is killed with SIGKILL at 12 moments spread
over its life — during start-up, at fixed times, right when a checkpoint begins (--progress=json
event checkpoint_begin: the kill lands in or just after the flush), right after a checkpoint, and
by killing one rank (a worker, or rank 0) instead of mpirun. After every kill the file (if it
exists yet) opens in h5py and in xarray (both engines), `hopscan status` reads it, the done
count never goes down, and the next run resumes it (the killed run's lock does not block). The last run completes, and its
results (m_KIND, sweeps_KIND) are bit-identical to an uninterrupted run's.

usage: scan_kill.py [NP]   (default 3: the master and two groups)
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scan_lib as S  # noqa: E402

NAME = "scan_kill"


def main():
    np_ = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    d = S.tmpdir("hopscan-scan-kill-")
    cfg = S.write_config(os.path.join(d, "k.yaml"), N=700, samples=4, every=0.05, g=1,
                         mixture=", mixture: {count: 3, sizes: [3]}")  # resume covers mixtures
    ref = os.path.join(d, "ref.h5")
    t0 = time.monotonic()
    p = S.start(np_, ["run", cfg, "-o", ref, "--progress=json"])
    end = S.wait_event(p, "end", timeout=600)
    p.communicate()
    wall = time.monotonic() - t0
    if not S.check(p.returncode == 0 and end is not None, f"reference run: exit {p.returncode}"):
        return S.finish(NAME)
    # Kill moments scale with this machine's speed: start-up s0, then fractions of the scan T.
    T = end["elapsed"]
    s0 = max(wall - T, 0.0)
    print(f"reference run: {wall:.2f} s at -np {np_} (start-up {s0:.2f} s, scan {T:.2f} s)",
          flush=True)

    def at(f):
        return s0 + f * T

    out = os.path.join(d, "killed.h5")
    # (kind, argument): "time" s after launch; "event" name and its ordinal; "rank" r at s.
    moments = [("time", 0.02), ("time", 0.6 * s0), ("event", ("checkpoint_begin", 1)),
               ("time", at(0.05)), ("event", ("checkpoint_begin", 2)), ("rank", (1, at(0.1))),
               ("time", at(0.15)), ("event", ("checkpoint", 1)), ("rank", (0, at(0.1))),
               ("event", ("checkpoint_begin", 3)), ("time", at(0.2)), ("time", at(0.25))]
    last_done = 0
    completed_early = 0
    for i, (kind, arg) in enumerate(moments):
        t0 = time.monotonic()
        p = S.start(np_, ["run", cfg, "-o", out, "--progress=json"])
        ranks = S.rank_pids(p.pid, np_)
        where = ""
        if kind == "time":
            while time.monotonic() - t0 < arg and p.poll() is None:
                time.sleep(0.002)
            where = f"{arg:.2f} s after launch"
        elif kind == "event":
            name, nth = arg
            ev = None
            for _ in range(nth):
                ev = S.wait_event(p, name, timeout=60)
                if ev is None:
                    break
            where = f"at {name} #{nth}" + ("" if ev else " (never came)")
        else:
            r, at = arg
            while time.monotonic() - t0 < at and p.poll() is None:
                time.sleep(0.002)
            if r in ranks:
                try:
                    os.kill(ranks[r], signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:  # mpirun notices the dead rank and tears the job down by itself
                p.wait(timeout=20)
            except S.subprocess.TimeoutExpired:
                pass
            where = f"kill -9 of rank {r} at {at:.2f} s"
        finished = p.poll() == 0
        S.kill9_all(p, ranks)
        dt = time.monotonic() - t0
        p.stdout.close()
        p.stderr.close()
        if finished:
            completed_early += 1
        if not os.path.exists(out):
            print(f"kill {i + 1:2d} {where}: no file yet ({dt:.2f} s)", flush=True)
            continue
        label = f"kill {i + 1} ({where})"
        S.xarray_opens(out, label)
        if S.h5py_opens(out, label):
            n_done, total = S.done_count(out)
            S.check(n_done >= last_done, f"{label}: done count went down {last_done} -> {n_done}")
            last_done = n_done
            S.status_ok(out, label)
            # The summaries are recomputed after the done flags within an epoch: a kill between the two
            # leaves it stale until the next epoch (the resume). Reported, not a failure.
            stale = S.summaries_stale(out)
            if stale:
                print(f"kill {i + 1:2d} landed inside a flush: summaries older than "
                      f"the done flags ({stale})", flush=True)
            print(f"kill {i + 1:2d} {where}: {n_done}/{total} samples done in the file "
                  f"({dt:.2f} s{', run had completed' if finished else ''})", flush=True)
    S.check(completed_early < len(moments) // 2,
            f"{completed_early} of {len(moments)} runs completed before their kill: the kills "
            "did not interrupt the scan")
    # Resume to the end and compare with the uninterrupted run.
    rc, so, se, dt = S.run(np_, ["run", cfg, "-o", out, "--quiet"])
    if S.check(rc == 0, f"final resume: exit {rc}\n{se}"):
        print(f"final resume: {dt:.2f} s", flush=True)
        S.check(S.all_done(out), "final resume: not complete")
        S.same_probes(ref, out, "killed and resumed vs uninterrupted")
        S.check_summaries(out, "final")
    S.cleanup(d)
    return S.finish(NAME)


if __name__ == "__main__":
    sys.exit(main())
