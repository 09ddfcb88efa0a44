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

# Failed writes at 2 and 3 ranks with ROMIO (hopscan's default MPI-IO component): during an epoch
# whose rows come from every rank or from one rank only, and while a resume repairs a stale
# summary. Open MPI's default OMPIO deadlocks when a collective write fails at >= 3 ranks (see
# docs/output.md); with ROMIO, ranks whose transfer succeeded waited in HDF5's view reset until
# the output module completed it (output_transfer). The np1/np2 test_output runs use OMPIO.
foreach(np 2 3)
  hopscan_mpi_test(test_output_write_error_np${np} ${CMAKE_CURRENT_SOURCE_DIR}/test_output.c
                   NP ${np} EXE test_output ARGS write-error)
  set_tests_properties(test_output_write_error_np${np} PROPERTIES TIMEOUT 120 LABELS "mpi;output"
                       ENVIRONMENT "${HOPSCAN_TEST_ENV};OMPI_MCA_io=romio321")
endforeach()

# Read-only and full file systems under the output (real tmpfs mounts; root only, else skipped).
hopscan_cli_test(output_fs_faults NP 0 TIMEOUT 360 LABELS "mpi;output"
                 COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/output_fs_faults.sh)
set_tests_properties(output_fs_faults PROPERTIES SKIP_RETURN_CODE 77)

# The output schema expanded for a config, as JSON: tests/output_check.py compares files with it.
add_executable(output_schema_dump ${CMAKE_CURRENT_SOURCE_DIR}/output_schema_dump.c)
target_link_libraries(output_schema_dump PRIVATE hopscan_core)

# Real scan files open as one labelled Dataset with xarray (engines h5netcdf and netcdf4) and in
# ncdump, also after a kill; the result values are pinned to format 1's bytes.
hopscan_cli_test(output_netcdf NP 0 TIMEOUT 300 LABELS "mpi;output;scan"
                 COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider
                         ${CMAKE_CURRENT_SOURCE_DIR}/output_netcdf_test.py)
