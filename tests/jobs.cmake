# jobs/: the job scripts are generated from jobs/jobs.list and the configs (committed = generated)
# and every Slurm shell script parses. No Slurm needed (sbatch --test-only is in slurm_requeue).
hopscan_cli_test(jobs_generated NP 0 TIMEOUT 300 LABELS cli
                 COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/jobs_generated.sh)
