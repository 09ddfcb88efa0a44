# app layer: the module include graph is acyclic and MPI_COMM_WORLD stays in main.c. (The
# subcommands themselves are exercised by plan_cli, config_cli, bench_cli, scan_* and
# output_status_cli.)
hopscan_cli_test(app_layers NP 0 COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/app_layers.py)
