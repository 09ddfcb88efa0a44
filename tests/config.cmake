# config module: unit tests (bad-config table, defaults, canonical round trip) and CLI checks.
hopscan_unit_test(test_config ${CMAKE_CURRENT_SOURCE_DIR}/test_config.c)
hopscan_cli_test(config_cli NP 0 COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/config_cli.sh)
hopscan_cli_test(configs_validate NP 0 COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/configs_validate.sh)
# search module: the transition search's decisions on synthetic curves (unit, no MPI).
hopscan_unit_test(test_search ${CMAKE_CURRENT_SOURCE_DIR}/test_search.c)
