#!/usr/bin/env bash
# The job template slurm/hopscan.sbatch run as a plain script (no Slurm, no root needed), with the
# real hopscan: usage and config errors give 2 without running anything further; SIGUSR1 sent
# to the script (what Slurm's --signal=B:USR1 does) is forwarded to mpirun, the scan stops at a
# checkpoint and the script exits 75 telling how to resume (no SLURM_JOB_ID: nothing to
# requeue); running it again resumes and exits 0. The requeue itself is tested on a real Slurm
# by slurm_requeue.sh.
# Environment: HOPSCAN (the binary) and HOPSCAN_SOURCE_DIR, set by ctest.
set -euo pipefail

: "${HOPSCAN:?HOPSCAN must name the hopscan binary}"
: "${HOPSCAN_SOURCE_DIR:?HOPSCAN_SOURCE_DIR must name the source tree}"
TEMPLATE=$HOPSCAN_SOURCE_DIR/slurm/hopscan.sbatch
PY=/usr/bin/python3
export HOPSCAN_BIN=$HOPSCAN HOPSCAN_MPIRUN_ARGS="-np 2 --oversubscribe --bind-to none"
export HDF5_USE_FILE_LOCKING=FALSE
unset SLURM_JOB_ID SLURM_RESTART_COUNT SLURM_SUBMIT_DIR

work=$(mktemp -d /tmp/hopscan-template-test.XXXXXX)
pid=
ok=0
cleanup() {
  local rc=$?
  set +e
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; fi
  wait 2>/dev/null
  if ((!ok)); then
    for f in "$work"/*.log; do
      echo "=== $f"
      tail -n 30 "$f"
    done
    echo "work dir kept: $work"
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
fail() {
  echo "[slurm_template] FAIL: $*" >&2
  exit 1
}
cd "$work"

source "$(dirname "${BASH_SOURCE[0]}")/slurm_lib.sh" # progress FILE

# 1. usage and config errors: exit 2, no scan file
set +e
bash "$TEMPLATE" >usage.log 2>&1
rc=$?
set -e
((rc == 2)) || fail "no arguments: exit $rc, expected 2"
printf 'model: rfhm\nN: 100\nalpha: [0.1]\nalpha_D: [-0.1]\n' >bad.yaml
set +e
bash "$TEMPLATE" bad.yaml bad.h5 >bad.log 2>&1
rc=$?
set -e
((rc == 2)) || fail "bad config: exit $rc, expected 2"
grep -q "alpha_D" bad.log || fail "bad config: hopscan's message naming alpha_D is not in the log"
grep -q "not requeued" bad.log || fail "bad config: the template did not report 'not requeued'"
[[ ! -e bad.h5 ]] || fail "bad config: an output file was written"

# 2. SIGUSR1 to the script mid-run: forwarded, exit 75, resumable
cat >scan.yaml <<'EOF'
model: rfhm
N: 1000
alpha: [0.05, 0.1, 0.2, 0.4]
alpha_D: [0.05, 0.1]
L: [1, 3]
samples: 40
probes: {train: 8, test: 8, feature: 8}
seed: 5
checkpoint: {every_seconds: 0.5}
EOF
bash "$TEMPLATE" scan.yaml out.h5 >run1.log 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  read -r d n < <(progress out.h5)
  ((d > 0)) && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
((d > 0)) || fail "no progress in the first run"
((d < n)) || fail "the scan completed before the signal (machine too fast for this test?)"
kill -USR1 "$pid"
set +e
wait "$pid"
rc=$?
set -e
pid=
((rc == 75)) || fail "after SIGUSR1: exit $rc, expected 75"
grep -q "received SIGUSR1, forwarding it to mpirun" run1.log || fail "the signal was not forwarded"
grep -q "run the same command again to resume" run1.log || fail "no resume hint in the log"
read -r d1 n1 < <(progress out.h5)
((d1 > 0 && d1 < n1)) || fail "after the stop $d1/$n1 samples are done; expected a partial scan"

# 3. the same command again resumes and completes
set +e
bash "$TEMPLATE" scan.yaml out.h5 >run2.log 2>&1
rc=$?
set -e
((rc == 0)) || fail "resume: exit $rc, expected 0"
grep -q "scan complete" run2.log || fail "resume: no 'scan complete' in the log"
read -r d2 n2 < <(progress out.h5)
((d2 == n2 && n2 > 0)) || fail "resume left $d2/$n2 samples done"
ok=1
echo "[slurm_template] PASS: stopped at $d1/$n1 by SIGUSR1 (exit 75), resumed to $d2/$n2 (exit 0)"
