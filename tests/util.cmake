# util, err and cli modules: unit tests (no MPI).
hopscan_unit_test(test_util ${CMAKE_CURRENT_SOURCE_DIR}/test_util.c)
hopscan_unit_test(test_err ${CMAKE_CURRENT_SOURCE_DIR}/test_err.c)
hopscan_unit_test(test_cli ${CMAKE_CURRENT_SOURCE_DIR}/test_cli.c)
