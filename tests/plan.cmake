# plan module: memory/cost model and group size (2 ranks for the collective memory detection),
# and the `hopscan plan` command's output on a small config.
hopscan_mpi_test(test_plan ${CMAKE_CURRENT_SOURCE_DIR}/test_plan.c NP 2)
hopscan_cli_test(plan_cli NP 0 COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/plan_cli.sh)
