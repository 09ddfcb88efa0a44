# `hopscan bench`: option errors and a tiny end-to-end run (no timing is asserted).
hopscan_cli_test(bench_cli NP 0 COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/bench_cli.sh)
