#!/bin/bash
# Job scripts: every jobs/*.sbatch is exactly what jobs/generate.sh makes from jobs/jobs.list and
# its config (so resources and plan figures cannot drift from the configs), and every shell
# script shipped for Slurm parses (`bash -n`). `sbatch --test-only` runs in tests/slurm_requeue.sh.
set -u
. "${HOPSCAN_SOURCE_DIR:?}/tests/check_lib.sh" # fail, tmp (cwd), check
src=$HOPSCAN_SOURCE_DIR
HOPSCAN=${HOPSCAN:?} bash "$src/jobs/generate.sh" --check >gen.txt 2>&1
check "jobs/*.sbatch equal jobs/generate.sh's output (run jobs/generate.sh to update)" test $? -eq 0
n=0
for f in "$src"/jobs/*.sbatch "$src"/jobs/generate.sh "$src"/slurm/*.sbatch "$src"/slurm/*.sh; do
  check "bash -n ${f#"$src"/}" bash -n "$f"
  n=$((n + 1))
done
check "syntax-checked the job scripts and the template ($n files)" test "$n" -ge 29
[ "$fail" -eq 0 ] && echo "jobs_generated: all checks passed" || cat gen.txt
exit "$fail"
