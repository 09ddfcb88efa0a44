# MPI + BLACS/PBLAS + parallel HDF5 end to end, through mpirun (issue 3).
hopscan_mpi_test(toolchain_np2 ${CMAKE_CURRENT_SOURCE_DIR}/test_toolchain.c NP 2)
