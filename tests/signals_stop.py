#!/usr/bin/python3
"""Stop by signal (issue 6 part 3): SIGTERM, SIGINT and SIGUSR1, each sent to mpirun and to rank 0's
process alone, after the scan's first checkpoint. Each time: the program says it stopped by that
signal and exits 75 (mpirun passes 75 on; for SIGTERM/SIGINT to mpirun itself, Open MPI 4.1's
mpirun exits 1 whatever the ranks return, so there 1 is accepted and the ranks' own message is
checked); the file is consistent (h5py opens it, `hopscan status` reads it, the summaries equal a
recomputation, some but not all samples are done); and resuming completes the scan with results
bit-identical to an uninterrupted run. The time from the signal to the exit is printed (never
asserted).

usage: signals_stop.py CASE...   CASE = SIGNAL:TARGET:NP[:long], e.g. USR1:mpirun:3 TERM:rank0:1

Open MPI 4.1's mpirun passes SIGTERM/SIGINT on to the ranks only after ~2 s (its job-abort path),
so those cases use a long scan (":long") that is still running then; they check resumability by
resuming and stopping the resume (SIGUSR1) rather than by running it to the end.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scan_lib as S  # noqa: E402

NAME = "signals_stop"


def one_case(d, cfg, ref, long_cfg, case):
    signame, target, np_, *opt = case.split(":")
    np_ = int(np_)
    long_scan = "long" in opt
    if long_scan:
        cfg = long_cfg
    sig = getattr(signal, "SIG" + signame)
    label = f"SIG{signame} to {target} at -np {np_}"
    out = os.path.join(d, f"{signame}_{target}_{np_}.h5")
    p = S.start(np_, ["run", cfg, "-o", out, "--progress=json"])
    ranks = S.rank_pids(p.pid, np_)
    ev = S.wait_event(p, "checkpoint", timeout=120)
    if not S.check(ev is not None and p.poll() is None,
                   f"{label}: no checkpoint before the end, cannot test a stop"):
        S.kill9_all(p, ranks)
        return
    pid = p.pid if target == "mpirun" else ranks.get(0)
    if not S.check(pid is not None, f"{label}: rank 0's process not found"):
        S.kill9_all(p, ranks)
        return
    t0 = time.monotonic()
    os.kill(pid, sig)
    try:
        rest, err = p.communicate(timeout=120)
    except S.subprocess.TimeoutExpired:
        S.kill9_all(p, ranks)
        S.check(False, f"{label}: still running 120 s after the signal")
        return
    dt = time.monotonic() - t0
    rc = p.returncode
    print(f"{label}: exit {rc} {dt:.2f} s after the signal", flush=True)
    mpirun_term = target == "mpirun" and signame in ("TERM", "INT")
    S.check(rc == 75 or (mpirun_term and rc == 1), f"{label}: exit {rc} (expected 75)\n{err}")
    # mpirun turns SIGINT into SIGTERM for the ranks.
    want = "SIGTERM" if mpirun_term else f"SIG{signame}"
    S.check(f"stopped by {want}" in err, f"{label}: no 'stopped by {want}' message: {err!r}")
    S.check('"event":"end","outcome":"stopped"' in rest, f"{label}: no end event: {rest[-300:]!r}")
    if not S.h5py_opens(out, label):
        return
    n_done, total = S.done_count(out)
    print(f"{label}: {n_done}/{total} samples saved", flush=True)
    S.check(0 < n_done < total, f"{label}: {n_done}/{total} done after the stop")
    S.status_ok(out, label)
    S.check_summaries(out, label)  # the final epoch completed: no stale summary here
    if long_scan:  # resume, see it start from what was saved, stop it again
        again = S.start(np_, ["run", cfg, "-o", out, "--progress=json"])
        ev = S.wait_event(again, "start", timeout=60)
        S.check(ev is not None and ev.get("done") == n_done,
                f"{label}: the resume did not start from the {n_done} saved samples: {ev}")
        if again.poll() is None:
            os.kill(again.pid, signal.SIGUSR1)
        again.communicate(timeout=120)
        S.check(again.returncode == 75, f"{label}: stopped resume exit {again.returncode}")
        S.check(S.done_count(out)[0] >= n_done, f"{label}: the resume lost samples")
        return
    rc, so, se, dt = S.run(np_, ["run", cfg, "-o", out, "--quiet"])
    if S.check(rc == 0, f"{label}: resume exit {rc}\n{se}"):
        S.check(S.all_done(out), f"{label}: resume not complete")
        S.same_probes(ref, out, f"{label}, resumed")


def main():
    cases = sys.argv[1:] or ["USR1:mpirun:3"]
    d = S.tmpdir("hopscan-signals-")
    # A checkpoint every 0.05 s: the first one comes after the first tasks, so the signal (sent at
    # the first checkpoint) lands with most of the scan left, however fast the machine is.
    cfg = S.write_config(os.path.join(d, "s.yaml"), N=600, samples=4, every=0.05, g=1)
    long_cfg = S.write_config(os.path.join(d, "long.yaml"), N=1500, samples=40, every=0.05, g=1)
    ref = os.path.join(d, "ref.h5")
    rc, so, se, dt = S.run(2, ["run", cfg, "-o", ref, "--quiet"])
    if S.check(rc == 0, f"reference run: exit {rc}\n{se}"):
        print(f"reference run: {dt:.2f} s at -np 2", flush=True)
        for case in cases:
            one_case(d, cfg, ref, long_cfg, case)
    S.cleanup(d)
    return S.finish(NAME)


if __name__ == "__main__":
    sys.exit(main())
