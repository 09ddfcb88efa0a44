# Slurm integration test (issue 6): starts a real one-node cluster with slurm/local-cluster.sh,
# runs scans through slurm/hopscan.sbatch, interrupts them (warning signal + requeue; time limit +
# resubmission) and compares /probes bit for bit with a direct mpirun run. Needs root (skipped
# otherwise, exit 77) and takes a few minutes; it uses both cores, so it runs with nothing else.
#   ctest -L slurm --output-on-failure
hopscan_cli_test(slurm_requeue NP 0 TIMEOUT 900 LABELS slurm
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/slurm_requeue.sh)
set_tests_properties(slurm_requeue PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)

# The same template run as a plain script (no Slurm, no root): exit codes, SIGUSR1 forwarding to
# mpirun, exit 75 and resume. Seconds.
hopscan_cli_test(slurm_template NP 0 TIMEOUT 300 LABELS slurm
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/slurm_template.sh)
set_tests_properties(slurm_template PROPERTIES PROCESSORS 2)
