# Kernel tests: rng (unit), couplings/dynamics/probes under MPI, science statistics.
hopscan_unit_test(test_rng ${CMAKE_CURRENT_SOURCE_DIR}/test_rng.c)
add_library(hopscan_kernel_common STATIC ${CMAKE_CURRENT_SOURCE_DIR}/kernel_common.c)
target_link_libraries(hopscan_kernel_common PUBLIC hopscan_testutil)
add_executable(test_kernel ${CMAKE_CURRENT_SOURCE_DIR}/test_kernel.c)
target_link_libraries(test_kernel PRIVATE hopscan_kernel_common)
hopscan_mpi_test(kernel_np1 "" NP 1 EXE test_kernel)
hopscan_mpi_test(kernel_np3 "" NP 3 EXE test_kernel)
hopscan_mpi_test(kernel_np4 "" NP 4 EXE test_kernel)
