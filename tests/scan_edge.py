#!/usr/bin/python3
"""Edge cases and refusals of `hopscan run`:
- more worker groups than tasks (one task, three groups) and a single-point grid work and match
  -np 1 bit for bit;
- the default output name (CONFIG's basename with .h5 in the current directory);
- a scan whose J would not fit (parallel.mem_per_rank tiny) is refused before starting: exit 2,
  the plan's message, no file;
- a bad config and bad options exit 2 with nothing written; --help exits 0;
- group_size larger than the workers is refused with exit 2;
- re-running a complete scan does nothing and exits 0; resuming with a changed config exits 2
  naming the key and both values; --overwrite starts afresh with the new config;
- a second concurrent run on the same output is refused (exit 2) while the first goes on; the
  first, stopped by SIGUSR1, releases its lock and the same command resumes it.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scan_lib as S  # noqa: E402

NAME = "scan_edge"


def more_groups_than_tasks(d):
    cfg = S.write_config(os.path.join(d, "one.yaml"), alpha="[0.3]", alpha_D="[0.1]", L="[1]",
                         samples=1, g=1)
    ref, out = os.path.join(d, "one_np1.h5"), os.path.join(d, "one_np4.h5")
    if S.run_ok(1, ["run", cfg, "-o", ref, "--quiet"], what="one task np 1") and \
            S.run_ok(4, ["run", cfg, "-o", out, "--quiet"], what="one task, 3 groups"):
        S.check(S.all_done(out), "one task, 3 groups: not done")
        S.same_probes(ref, out, "one task, 3 groups")
        S.check_summaries(out, "one task, 3 groups")


def single_point(d):
    cfg = S.write_config(os.path.join(d, "point.yaml"), alpha="[0.1]", alpha_D="[0.05]", L="[3]",
                         samples=5, g=1)
    ref, out = os.path.join(d, "point_np1.h5"), os.path.join(d, "point_np3.h5")
    if S.run_ok(1, ["run", cfg, "-o", ref, "--quiet"], what="single point np 1") and \
            S.run_ok(3, ["run", cfg, "-o", out, "--quiet"], what="single point np 3"):
        S.check(S.all_done(out), "single point: not done")
        S.same_probes(ref, out, "single point")
        S.check_summaries(out, "single point")
        with S.h5py.File(out, "r", locking=False) as f:
            S.check(f["m_train"].shape == (1, 1, 1, 5, 6), "single point: m_train shape")


def default_output(d):
    sub = os.path.join(d, "cwd")
    os.mkdir(sub)
    cfg = S.write_config(os.path.join(d, "named.scan.yaml"), alpha="[0.1]", alpha_D="[0.05]",
                         L="[1]", samples=2)
    rc, so, se, _ = S.run(2, ["run", cfg, "--quiet"], cwd=sub)
    if S.check(rc == 0, f"default output: exit {rc}: {se}"):
        S.check(os.path.exists(os.path.join(sub, "named.scan.h5")),
                f"default output: named.scan.h5 not in the current directory: {os.listdir(sub)}")
        S.check(so == "", f"--quiet printed: {so!r}")
    # Text progress: banner with the layout, resume state, checkpoint line, end summary.
    rc, so, se, _ = S.run(4, ["run", cfg, "-o", os.path.join(sub, "t.h5")])
    if S.check(rc == 0, f"text progress run: exit {rc}: {se}"):
        for want in ("hopscan 0.", "4 ranks: master + 3 groups of 1", "2 samples to compute",
                     "checkpoint 1: 2/2 samples in the file", "complete: 2/2 samples"):
            S.check(want in so, f"text progress: no {want!r} in {so!r}")
    rc, so, se, _ = S.run(3, ["run", cfg, "-o", os.path.join(sub, "t.h5")])
    S.check(rc == 0 and "resuming: 2 of 2 samples already done" in so,
            f"text progress on a complete file: exit {rc}: {so!r}")


def refusals(d):
    # J does not fit: plan's message, exit 2, nothing written.
    cfg = S.write_config(os.path.join(d, "tiny.yaml"), g="auto", extra=", mem_per_rank: 10K")
    out = os.path.join(d, "tiny.h5")
    for np_ in (1, 3):
        rc, so, se, _ = S.run(np_, ["run", cfg, "-o", out])
        S.check(rc == 2, f"mem_per_rank 10K np {np_}: exit {rc} (expected 2)\n{se}")
        S.check("fit" in se and "per rank" in se,
                f"mem_per_rank 10K np {np_}: no plan message saying what fits: {se!r}")
        S.check(not os.path.exists(out), f"mem_per_rank 10K np {np_}: {out} was written")
        S.check(se.count("hopscan:") == 1, f"mem_per_rank 10K np {np_}: message printed "
                f"{se.count('hopscan:')} times: {se!r}")
    # group_size bigger than the workers.
    cfg = S.write_config(os.path.join(d, "g3.yaml"), g=3)
    rc, so, se, _ = S.run(3, ["run", cfg, "-o", out])
    S.check(rc == 2 and "group_size" in se, f"group_size 3 at np 3: exit {rc}: {se!r}")
    S.check(not os.path.exists(out), "group_size 3 at np 3: file written")
    # A bad config: exit 2 naming the key, nothing written.
    bad = os.path.join(d, "bad.yaml")
    with open(os.path.join(d, "g3.yaml")) as f:
        text = f.read().replace("samples: 3", "samples: -3")
    with open(bad, "w") as f:
        f.write(text)
    rc, so, se, _ = S.run(2, ["run", bad, "-o", out])
    S.check(rc == 2 and "samples" in se and "bad.yaml:" in se,
            f"bad config: exit {rc}, message {se!r}")
    S.check(not os.path.exists(out), "bad config: file written")
    rc, so, se, _ = S.run(2, ["run", os.path.join(d, "missing.yaml"), "-o", out])
    S.check(rc == 2 and "missing.yaml" in se, f"missing config: exit {rc}, {se!r}")
    # Options.
    rc, so, se, _ = S.run(1, ["run", cfg, "--bogus"])
    S.check(rc == 2 and "--bogus" in se, f"unknown option: exit {rc}, {se!r}")
    rc, so, se, _ = S.run(1, ["run"])
    S.check(rc == 2 and "CONFIG" in se, f"no config: exit {rc}, {se!r}")
    rc, so, se, _ = S.run(1, ["run", cfg, "--progress=xml"])
    S.check(rc == 2 and "--progress" in se, f"--progress=xml: exit {rc}, {se!r}")
    rc, so, se, _ = S.run(2, ["run", "--help"])
    S.check(rc == 0 and "usage:" in so and so.count("usage:") == 1, f"--help: exit {rc}, {so!r}")
    S.check(not os.path.exists(out), "options: file written")


def resume_rules(d):
    cfg = S.write_config(os.path.join(d, "r.yaml"), g=1, samples=2)
    out = os.path.join(d, "r.h5")
    if not S.run_ok(2, ["run", cfg, "-o", out, "--quiet"], what="resume rules: first run"):
        return
    before = os.stat(out).st_mtime_ns
    # Complete file, same config: nothing to do, exit 0, results unchanged.
    probes = S.read_probes(out)
    rc, so, se, _ = S.run(2, ["run", cfg, "-o", out, "--progress=json"])
    S.check(rc == 0, f"rerun of a complete scan: exit {rc}: {se}")
    S.check('"this_run":0' in so, f"rerun of a complete scan computed something: {so}")
    after = S.read_probes(out)
    S.check(all(probes[k].tobytes() == after[k].tobytes() for k in probes),
            "rerun of a complete scan changed the results")
    # Changed config: refused, naming the key and both values; file untouched.
    changed = S.write_config(os.path.join(d, "r2.yaml"), g=1, samples=2, seed=7)
    rc, so, se, _ = S.run(2, ["run", changed, "-o", out])
    S.check(rc == 2, f"resume with changed seed: exit {rc} (expected 2)")
    S.check("seed" in se and "7" in se and "1" in se,
            f"resume with changed seed: message does not name the key and values: {se!r}")
    S.check(S.read_probes(out)["train/m"].tobytes() == probes["train/m"].tobytes(),
            "refused resume changed the file")
    # --overwrite starts afresh with the new config.
    if S.run_ok(2, ["run", changed, "-o", out, "--overwrite", "--quiet"], what="--overwrite"):
        with S.h5py.File(out, "r", locking=False) as f:
            S.check("seed: 7" in S.summary_oracle.attr_str(f, "config_yaml"), "--overwrite kept the old config")
        S.check(S.all_done(out), "--overwrite: not complete")
        S.check(S.read_probes(out)["train/m"].tobytes() != probes["train/m"].tobytes(),
                "--overwrite: same values as the old seed")
    S.check(os.stat(out).st_mtime_ns != before, "--overwrite did not rewrite the file")


def concurrent(d):
    # A large scan that never runs to the end here: the first run is stopped by SIGUSR1 once the
    # second has been refused; then a resume shows the lock was released, and is stopped too.
    cfg = S.write_config(os.path.join(d, "slow.yaml"), N=1500, samples=20, every=0.1)
    out = os.path.join(d, "slow.h5")
    first = S.start(2, ["run", cfg, "-o", out, "--progress=json"])
    ev = S.wait_event(first, "start", timeout=60)
    if not S.check(ev is not None, "concurrent: the first run did not start"):
        first.kill()
        return
    rc, so, se, dt = S.run(2, ["run", cfg, "-o", out])
    still = first.poll() is None
    print(f"concurrent: second run exit {rc} after {dt:.2f} s; first still running: {still}",
          flush=True)
    S.check(still, "concurrent: the first run ended before the second was refused (too short)")
    S.check(rc == 2, f"second concurrent run: exit {rc} (expected 2): {se!r}")
    S.check("lock" in se.lower() or "in use" in se.lower() or "another" in se.lower(),
            f"second concurrent run: message does not say why: {se!r}")
    S.wait_event(first, "checkpoint", timeout=120)
    if first.poll() is None:
        os.kill(first.pid, S.signal.SIGUSR1)
    rest, err = first.communicate(timeout=300)
    S.check(first.returncode == 75, f"first run: exit {first.returncode}\n{err}")
    n_done, total = S.done_count(out)
    # The stopped run released its lock: the same command resumes (then it is stopped as well).
    again = S.start(2, ["run", cfg, "-o", out, "--progress=json"])
    ev = S.wait_event(again, "start", timeout=60)
    S.check(ev is not None and ev.get("done") == n_done and n_done > 0,
            f"concurrent: resume after the stop did not start from {n_done} done: {ev}")
    if again.poll() is None:
        os.kill(again.pid, S.signal.SIGUSR1)
    rest, err = again.communicate(timeout=300)
    S.check(again.returncode == 75, f"concurrent: resume exit {again.returncode}\n{err}")
    S.check(S.done_count(out)[0] >= n_done, "concurrent: done count went down")
    S.check_summaries(out, "concurrent")


def main():
    d = S.tmpdir("hopscan-scan-edge-")
    t0 = time.monotonic()
    for part in (more_groups_than_tasks, single_point, default_output, refusals, resume_rules,
                 concurrent):
        t = time.monotonic()
        part(d)
        print(f"{part.__name__}: {time.monotonic() - t:.1f} s", flush=True)
    print(f"{NAME}: {time.monotonic() - t0:.1f} s in all", flush=True)
    S.cleanup(d)
    return S.finish(NAME)


if __name__ == "__main__":
    sys.exit(main())
