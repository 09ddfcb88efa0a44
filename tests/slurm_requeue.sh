#!/usr/bin/env bash
# Integration test on a real one-node Slurm cluster (slurm/local-cluster.sh): the job template
# slurm/hopscan.sbatch must carry a scan across interruptions with no loss and no difference.
#
#   A  warning signal: a job gets SIGUSR1 mid-run (scancel --signal=USR1 --batch, what
#      --signal=B:USR1@N delivers before the time limit); the batch script forwards it, hopscan
#      exits 75, the job requeues itself (Restarts=1, log "restart 1") and finishes by itself.
#   B  time limit, no signal: a job with --time=1 is killed by Slurm (TIMEOUT) mid-run; a second
#      submission of the same command resumes the file and completes it.
#   C  a transition search (config section `search`) gets SIGUSR1 mid-run like A: it exits 75,
#      requeues, replays its decisions from the file and finishes; every result and search
#      variable is bit-identical to a direct run of the same search.
# First, `sbatch --test-only` must accept the template and every jobs/*.sbatch.
# Both outputs must have m_KIND, sweeps_KIND bit-identical to a direct `mpirun -np 2 hopscan run` of the same
# config, and every sample marked done.
#
# The scan is sized by a short calibration run so that one full scan takes about
# HOPSCAN_SLURM_TEST_SECONDS (default 120) seconds of one worker: long enough that job B cannot
# finish inside its one-minute limit, short enough to keep the test at a few minutes; the search
# of job C takes about a quarter of that. The references and the jobs run at the same time (jobs use --overcommit: a -np 2 hopscan keeps one
# core busy, its master sleeps).
#
# Needs root (it starts Slurm daemons); exits 77 (ctest: skipped) otherwise. The cluster is
# stopped on exit, also on failure, unless it was already running before the test.
# Environment: HOPSCAN (the binary) and HOPSCAN_SOURCE_DIR, set by ctest.
set -euo pipefail

: "${HOPSCAN:?HOPSCAN must name the hopscan binary}"
: "${HOPSCAN_SOURCE_DIR:?HOPSCAN_SOURCE_DIR must name the source tree}"
SRC=$HOPSCAN_SOURCE_DIR
PY=/usr/bin/python3
CLUSTER=$SRC/slurm/local-cluster.sh
TEMPLATE=$SRC/slurm/hopscan.sbatch
TARGET_SECONDS=${HOPSCAN_SLURM_TEST_SECONDS:-120}
DEADLINE=$((SECONDS + 780)) # ctest TIMEOUT is 900 s: fail with logs before it kills us

say() { echo "[slurm_requeue $(date +%T)] $*"; }
fail() {
  echo "[slurm_requeue] FAIL: $*" >&2
  exit 1
}

if [[ $(id -u) -ne 0 ]]; then
  say "SKIP: needs root to run a local Slurm cluster (slurm/local-cluster.sh)"
  exit 77
fi

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
export HDF5_USE_FILE_LOCKING=FALSE # read files that a running scan holds open
# three -np 2 runs share the machine: do not pin them all to the same cores
MPI_FLAGS=(--oversubscribe --bind-to none)

work=$(mktemp -d /tmp/hopscan-slurm-test.XXXXXX)
jobs_submitted=()
ref_pid=
refc_pid=
we_started=0
ok=0

cleanup() {
  local rc=$? j
  set +e
  trap - EXIT
  for j in "${jobs_submitted[@]}"; do
    squeue -h -j "$j" -o %i 2>/dev/null | grep -q . && scancel "$j" 2>/dev/null
  done
  for j in $ref_pid $refc_pid; do kill -0 "$j" 2>/dev/null && kill "$j" 2>/dev/null; done
  wait 2>/dev/null
  if ((!ok)); then
    say "--- logs (work dir $work kept) ---"
    for f in "$work"/*.out "$work"/*.log; do
      [[ -f $f ]] || continue
      echo "=== $f"
      tail -n 40 "$f"
    done
    for j in "${jobs_submitted[@]}"; do scontrol show job "$j" 2>/dev/null | head -8; done
  fi
  if ((we_started)); then "$CLUSTER" stop; fi
  ((ok)) && rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# ---- helpers --------------------------------------------------------------------------------
source "$(dirname "${BASH_SOURCE[0]}")/slurm_lib.sh" # progress FILE

job_field() { # JOBID FIELD -> value of FIELD in `scontrol show job`
  scontrol show job -o "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}

submit() { # sbatch options and arguments -> sets $job (not in a subshell: records the id)
  local out
  out=$(sbatch --parsable "$@") || fail "sbatch $* failed"
  job=${out%%;*}
  jobs_submitted+=("$job")
}

wait_job_end() { # JOBID -> waits for a final state (a requeued job passes through PENDING)
  local j=$1 st
  while ((SECONDS < DEADLINE)); do
    st=$(job_field "$j" JobState)
    case $st in
    COMPLETED | FAILED | TIMEOUT | CANCELLED | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
      echo "$st"
      return 0
      ;;
    "") fail "job $j vanished from scontrol" ;;
    esac
    sleep 1
  done
  fail "job $j did not end in time (state $st)"
}

# probes_equal A B: every m_KIND and sweeps_KIND bit-identical, and every sample done in both
probes_equal() {
  "$PY" - "$1" "$2" <<'EOF'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
names = [n for n in a if n.startswith(("m_", "sweeps_")) and isinstance(a[n], h5py.Dataset)]
bad = []
if not names:
    bad.append("no result variables (m_KIND, sweeps_KIND)")
for n in sorted(names):
    x, y = a[n][...], b.get(n)
    if y is None:
        bad.append(f"{n} missing in {sys.argv[2]}")
        continue
    y = y[...]
    if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
        diff = int(np.sum(x.view(np.uint8) != y.view(np.uint8))) if x.shape == y.shape else -1
        bad.append(f"{n} differs ({diff} bytes)")
for f in (a, b):
    d = f["done"][...]
    if not (d == 1).all():
        bad.append(f"{f.filename}: {int((d != 1).sum())} samples not done")
print("\n".join(bad) if bad else f"{len(names)} result variables bit-identical")
sys.exit(1 if bad else 0)
EOF
}

# search_equal A B: a search's results, done flags and search variables bit-identical, every
# line done in both
search_equal() {
  "$PY" - "$1" "$2" <<'EOF'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
names = [n for n in a if isinstance(a[n], h5py.Dataset) and (n.startswith(("m_", "sweeps_",
         "crossing_", "statistic")) or n in ("done", "search_samples", "line_done", "n_crossings"))]
bad = [] if len(names) >= 12 else [f"only {names} in {sys.argv[1]}"]
for n in sorted(names):
    x, y = a[n][...], b[n][...] if n in b else None
    if y is None or x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
        bad.append(f"{n} differs")
for f in (a, b):
    if not (f["line_done"][...] == 1).all():
        bad.append(f"{f.filename}: a search line is not done")
print("\n".join(bad) if bad else f"{len(names)} search variables bit-identical, "
      f"{int(a['done'][...].sum())} samples")
sys.exit(1 if bad else 0)
EOF
}

# ---- cluster --------------------------------------------------------------------------------
if "$CLUSTER" status >/dev/null 2>&1; then
  say "local cluster already running: using it, leaving it running"
else
  "$CLUSTER" start || fail "could not start the local Slurm cluster"
  we_started=1
fi
cd "$work"

# ---- sbatch --test-only: Slurm accepts the template and every shipped job script ------------
# --test-only parses the script's #SBATCH lines with the options given, checks them against the
# cluster and submits nothing. The shipped jobs ask for up to 257 tasks and 4G per CPU, more than
# this one-node cluster has, so the sizes are overridden here (command-line options win over
# #SBATCH lines); everything else (name, time, signal, requeue, output) is the scripts' own.
test_only() { # SCRIPT
  local out
  if ! out=$(sbatch --test-only --nodes=1 --ntasks=1 --mem-per-cpu=64M "$1" 2>&1); then
    fail "sbatch --test-only refused ${1#"$SRC"/}: $out"
  fi
  grep -q "to start at" <<<"$out" || fail "sbatch --test-only ${1#"$SRC"/}: unexpected answer: $out"
}
n_test_only=0
for script in "$TEMPLATE" "$SRC"/jobs/*.sbatch; do
  test_only "$script"
  n_test_only=$((n_test_only + 1))
done
((n_test_only >= 2)) || fail "sbatch --test-only: no job scripts found under $SRC/jobs"
say "sbatch --test-only accepts the template and $((n_test_only - 1)) job scripts"

# ---- the scan: sized by calibration ---------------------------------------------------------
write_config() { # SAMPLES -> config text
  cat <<EOF
# slurm_requeue test scan: RFHM, N = 2000, 16 grid points
model: rfhm
N: 2000
alpha: [0.05, 0.1, 0.2, 0.4]
alpha_D: [0.05, 0.1]
L: [1, 3]
coefficients: pm1
samples: $1
probes: {train: 8, test: 8, feature: 8}
dynamics: {order: random, max_sweeps: 200, engine: couplings}  # the engine the sizing was tuned on
retrieval_threshold: 0.9
seed: 20260601
checkpoint: {every_seconds: 2}
parallel: {group_size: auto}
EOF
}
write_config 2 >calib.yaml
t0=$(date +%s.%N)
mpirun "${MPI_FLAGS[@]}" -np 2 "$HOPSCAN" run calib.yaml -o calib.h5 >calib.log 2>&1 ||
  fail "calibration run failed: $(tail -5 calib.log)"
t1=$(date +%s.%N)
samples=$("$PY" -c "
import math; dt = max($t1 - $t0 - 0.5, 0.2)   # minus start-up
print(min(2000, max(8, math.ceil($TARGET_SECONDS * 32 / dt / 16))))")
write_config "$samples" >scan.yaml
say "calibration: 32 samples in $("$PY" -c "print(round($t1 - $t0, 2))") s; test scan has" \
  "$samples samples per point ($((samples * 16)) in all, about $TARGET_SECONDS s of one worker)"
"$HOPSCAN" plan scan.yaml --ranks 2 >plan.log 2>&1 || fail "hopscan plan refused the test config"

# the search of job C: the same networks, along alpha over the grid's range, 4 lines
search_samples=$(((samples + 7) / 8))
{
  write_config "$search_samples" | grep -v '^alpha: '
  cat <<EOF
search: {along: alpha, range: [0.05, 0.4], observable: train, statistic: mean, level: 0.95,
         tolerance: 0.03, coarse: 5}
EOF
} >search.yaml
"$HOPSCAN" plan search.yaml --ranks 2 >plan-search.log 2>&1 || fail "hopscan plan refused search.yaml"

# ---- start everything at once ---------------------------------------------------------------
mpirun "${MPI_FLAGS[@]}" -np 2 "$HOPSCAN" run scan.yaml -o ref.h5 >ref.log 2>&1 &
ref_pid=$!
mpirun "${MPI_FLAGS[@]}" -np 2 "$HOPSCAN" run search.yaml -o refc.h5 >refc.log 2>&1 &
refc_pid=$!

export HOPSCAN_BIN=$HOPSCAN HOPSCAN_MPIRUN_ARGS="${MPI_FLAGS[*]}"
# A: template defaults (warning signal, requeue); --overcommit lets the jobs share the 2 CPUs
submit --overcommit --job-name=sigA "$TEMPLATE" scan.yaml a.h5
jobA=$job
# B: one-minute limit and no warning signal (@0 disables the template's --signal)
submit --overcommit --job-name=limB --time=1 --signal=B:USR1@0 "$TEMPLATE" scan.yaml b.h5
jobB=$job
# C: a search, template defaults like A
submit --overcommit --job-name=srchC "$TEMPLATE" search.yaml c.h5
jobC=$job
say "references pid $ref_pid, $refc_pid; job A $jobA (signal), job B $jobB (time limit)," \
  "job C $jobC (search, signal)"

# resumed LOG TOTAL: the rerun logged in LOG must have kept the samples already in the file
# ("resuming: K of TOTAL samples already done" with K > 0, or "K samples to compute" with
# K < TOTAL)
resumed() {
  local k
  k=$(grep -o 'resuming: [0-9]* of' "$1" | tail -1 | cut -d' ' -f2)
  if [[ -n $k ]]; then
    ((k > 0)) || fail "$1: the rerun found no samples done: it did not resume"
    say "$1: the rerun resumed with $k of $2 samples done"
    return 0
  fi
  k=$(grep -o '[0-9]* samples to compute' "$1" | tail -1 | cut -d' ' -f1)
  [[ -n $k ]] || fail "$1: no 'resuming:' or 'samples to compute' line from hopscan"
  ((k < $2)) || fail "$1: the rerun computed $k of $2 samples: it did not resume"
  say "$1: the rerun computed $k of $2 samples"
}

# ---- A: warning signal mid-run --------------------------------------------------------------
while :; do
  ((SECONDS < DEADLINE)) || fail "job A made no progress"
  read -r d n < <(progress a.h5)
  if ((d > 0 && d * 20 >= n)); then break; fi # at least 5 % saved
  st=$(job_field "$jobA" JobState)
  [[ $st == PENDING || $st == RUNNING ]] || fail "job A ended ($st) before the signal"
  sleep 0.5
done
((d < n)) || fail "job A completed before it could be signalled; raise HOPSCAN_SLURM_TEST_SECONDS"
say "job A at $d/$n samples: scancel --signal=USR1 --batch $jobA"
scancel --signal=USR1 --batch "$jobA"

# ---- C: warning signal mid-search -----------------------------------------------------------
while :; do
  ((SECONDS < DEADLINE)) || fail "job C made no progress"
  read -r dC lines < <(search_progress c.h5)
  if ((dC >= 4 * search_samples)); then break; fi # the first points saved
  st=$(job_field "$jobC" JobState)
  [[ $st == PENDING || $st == RUNNING ]] || fail "job C ended ($st) before the signal"
  sleep 0.5
done
[[ $lines != all ]] || fail "job C's search finished before it could be signalled"
say "job C at $dC samples, lines done: $lines: scancel --signal=USR1 --batch $jobC"
scancel --signal=USR1 --batch "$jobC"

# ---- B: killed at the time limit, resumed by a second submission ----------------------------
stB=$(wait_job_end "$jobB")
read -r dB nB < <(progress b.h5)
say "job B ended $stB at $dB/$nB samples"
[[ $stB == TIMEOUT ]] || fail "job B ended $stB, expected TIMEOUT (scan too short?)"
[[ $(job_field "$jobB" Restarts) == 0 ]] || fail "job B was requeued after its time limit"
((dB > 0 && dB < nB)) || fail "job B left $dB/$nB samples done; expected a partial scan"
"$HOPSCAN" status b.h5 >statusB1.log 2>&1 || fail "hopscan status failed on the timed-out file"
submit --overcommit --job-name=limB "$TEMPLATE" scan.yaml b.h5
jobB2=$job
say "job B resubmitted as job $jobB2"

# ---- A: requeued, finished by itself --------------------------------------------------------
stA=$(wait_job_end "$jobA")
say "job A ended $stA, restarts $(job_field "$jobA" Restarts), exit $(job_field "$jobA" ExitCode)"
[[ $stA == COMPLETED ]] || fail "job A ended $stA, expected COMPLETED"
[[ $(job_field "$jobA" Restarts) == 1 ]] || fail "job A: Restarts=$(job_field "$jobA" Restarts), expected 1"
[[ $(job_field "$jobA" ExitCode) == 0:0 ]] || fail "job A: ExitCode=$(job_field "$jobA" ExitCode)"
logA=sigA-$jobA.out
grep -q "received SIGUSR1" "$logA" || fail "job A log: the batch script never got SIGUSR1"
grep -q "hopscan exited with status 75" "$logA" || fail "job A log: hopscan did not exit 75"
grep -q "job $jobA restart 0 " "$logA" || fail "job A log: no 'restart 0' line"
grep -q "job $jobA restart 1 " "$logA" || fail "job A log: no 'restart 1' line"
grep -q "scan complete" "$logA" || fail "job A log: no 'scan complete'"
resumed "$logA" "$n"
"$HOPSCAN" status a.h5 >statusA.log 2>&1 || fail "hopscan status a.h5 failed: $(cat statusA.log)"

# ---- C: requeued, the search finished by itself ---------------------------------------------
stC=$(wait_job_end "$jobC")
say "job C ended $stC, restarts $(job_field "$jobC" Restarts), exit $(job_field "$jobC" ExitCode)"
[[ $stC == COMPLETED ]] || fail "job C ended $stC, expected COMPLETED"
[[ $(job_field "$jobC" Restarts) == 1 ]] || fail "job C: Restarts=$(job_field "$jobC" Restarts), expected 1"
logC=srchC-$jobC.out
grep -q "hopscan exited with status 75" "$logC" || fail "job C log: hopscan did not exit 75"
grep -q "scan complete" "$logC" || fail "job C log: no 'scan complete'"
grep -q 'resuming: [1-9][0-9]* of' "$logC" || fail "job C log: the requeued search did not resume"
"$HOPSCAN" status c.h5 >statusC.log 2>&1 || fail "hopscan status c.h5 failed: $(cat statusC.log)"
grep -q "search along alpha" statusC.log || fail "hopscan status c.h5 shows no search: $(cat statusC.log)"

# ---- B: the resubmission completes ----------------------------------------------------------
stB2=$(wait_job_end "$jobB2")
say "job $jobB2 ended $stB2, exit $(job_field "$jobB2" ExitCode)"
[[ $stB2 == COMPLETED ]] || fail "resubmitted job B ended $stB2, expected COMPLETED"
grep -q "scan complete" "limB-$jobB2.out" || fail "resubmitted job B log: no 'scan complete'"
resumed "limB-$jobB2.out" "$nB"
"$HOPSCAN" status b.h5 >statusB2.log 2>&1 || fail "hopscan status b.h5 failed"

# ---- bit-for-bit against the direct runs ----------------------------------------------------
reference_done() { # PID LOG WHAT: waits for a direct run, fails unless it exited 0
  local rc
  set +e
  wait "$1"
  rc=$?
  set -e
  ((rc == 0)) || fail "$3 exited $rc: $(tail -5 "$2")"
}
reference_done "$ref_pid" ref.log "reference mpirun"
ref_pid=
probes_equal ref.h5 a.h5 || fail "job A (signal + requeue) differs from the direct run"
probes_equal ref.h5 b.h5 || fail "job B (time limit + resubmission) differs from the direct run"
reference_done "$refc_pid" refc.log "reference search"
refc_pid=
search_equal refc.h5 c.h5 || fail "job C (search, signal + requeue) differs from the direct run"

ok=1
say "PASS in $SECONDS s"
