#!/usr/bin/python3
"""The same scan with -np 1, 2, 3 and 4 (oversubscribed), group sizes 1 and 2, and each dynamics
engine (auto, couplings, overlaps) gives bit-identical m_KIND, sweeps_KIND and m_components_KIND
(mixture kinds included); every file is complete, its summaries equal a recomputation from m_KIND, and it
passes the output contract checker. A scan with another seed differs (the comparison can fail).

usage: scan_determinism.py   (HOPSCAN, HOPSCAN_SOURCE_DIR from ctest)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scan_lib as S  # noqa: E402


def main():
    d = S.tmpdir("hopscan-scan-det-")
    mix = ", mixture: {count: 3, sizes: [3, 5]}"  # mixture kinds are deterministic too
    cfg1 = S.write_config(os.path.join(d, "g1.yaml"), g=1, every=0.3, mixture=mix)
    cfg2 = S.write_config(os.path.join(d, "g2.yaml"), g=2, every=0.3, mixture=mix)
    ref = os.path.join(d, "ref.h5")
    # -np 1 is the reference: master and worker in one rank.
    if not S.run_ok(1, ["run", cfg1, "-o", ref, "--quiet"], what="np 1 g 1"):
        return S.finish("scan_determinism")
    S.check(S.all_done(ref), "np 1: not every sample is done")
    S.check_summaries(ref, "np 1")
    checker = os.path.join(S.SOURCE, "tests", "output_check.py")
    cfgc = S.write_config(os.path.join(d, "c.yaml"), g=1, every=0.3, engine="couplings", mixture=mix)
    cfgo = S.write_config(os.path.join(d, "o.yaml"), g=2, every=0.3, engine="overlaps", mixture=mix)
    cases = [(2, 1, cfg1, "auto"), (3, 1, cfg1, "auto"), (4, 1, cfg1, "auto"),
             (3, 2, cfg2, "auto"), (4, 2, cfg2, "auto"), (2, 1, cfgc, "couplings"),
             (3, 2, cfgo, "overlaps")]
    for np_, g, cfg, engine in cases:
        out = os.path.join(d, f"np{np_}_g{g}_{engine}.h5")
        rc, so, se, dt = S.run(np_, ["run", cfg, "-o", out, "--progress=json"])
        label = f"np {np_} g {g} engine {engine}"
        print(f"{label}: exit {rc} in {dt:.2f} s", flush=True)
        if not S.check(rc == 0, f"{label}: exit {rc}\n{so}\n{se}"):
            continue
        S.check(S.all_done(out), f"{label}: not every sample is done")
        S.check(S.same_probes(ref, out, label), f"{label}: results differ from np 1")
        S.check_summaries(out, label)
        # The start banner tells the layout: groups of g (np 4 g 2 folds the third worker in).
        start = [ln for ln in so.splitlines() if '"event":"start"' in ln]
        if S.check(len(start) == 1, f"{label}: one start event"):
            want_groups = (np_ - 1) // g
            S.check(f'"groups":{want_groups},' in start[0], f"{label}: groups in {start[0]}")
        if os.path.exists(checker):
            p = S.subprocess.run(["/usr/bin/python3", checker, "--complete", out],
                                 capture_output=True, text=True)
            S.check(p.returncode == 0, f"{label}: output_check.py: {p.stdout}{p.stderr}")
    # The comparison is able to fail: another seed gives other values.
    cfg3 = S.write_config(os.path.join(d, "seed2.yaml"), g=1, seed=2, mixture=mix)
    other = os.path.join(d, "seed2.h5")
    if S.run_ok(2, ["run", cfg3, "-o", other, "--quiet"], what="seed 2"):
        pa, pb = S.read_probes(ref), S.read_probes(other)
        S.check(pa["train/m"].tobytes() != pb["train/m"].tobytes(),
                "seed 2 gives the same m_train as seed 1")
        S.check(pa["mixture5/m_components"].tobytes() != pb["mixture5/m_components"].tobytes(),
                "seed 2 gives the same m_components_mixture5 as seed 1")
    S.cleanup(d)
    return S.finish("scan_determinism")


if __name__ == "__main__":
    sys.exit(main())
