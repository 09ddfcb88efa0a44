# agree module: the one way ranks agree on a status, at 1 and 3 ranks.
hopscan_mpi_test(test_agree_np1 ${CMAKE_CURRENT_SOURCE_DIR}/test_agree.c EXE test_agree NP 1)
hopscan_mpi_test(test_agree_np3 ${CMAKE_CURRENT_SOURCE_DIR}/test_agree.c EXE test_agree NP 3)
