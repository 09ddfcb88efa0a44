# Output module: the parallel-HDF5 scan file and `hopscan status`.
foreach(np 1 2 3)
  hopscan_mpi_test(test_output_np${np} ${CMAKE_CURRENT_SOURCE_DIR}/test_output.c NP ${np}
                   EXE test_output)
  set_tests_properties(test_output_np${np} PROPERTIES TIMEOUT 180 LABELS "mpi;output")
endforeach()

# Readers (h5py, hopscan status) while a 2-rank writer holds the file open, after kill -9 of the
# writer's ranks, and resume after that kill.
hopscan_cli_test(output_concurrent NP 0 TIMEOUT 300 LABELS "mpi;output"
                 COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/output_concurrent.sh
                         $<TARGET_FILE:test_output>)

# `hopscan status` usage errors and help.
hopscan_cli_test(output_status_cli NP 0 LABELS "cli;output"
                 COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/output_status_cli.sh)
