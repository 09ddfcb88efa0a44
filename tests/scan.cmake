# Scan-level tests of `hopscan run` (issue 5 part 6, issue 6 parts 1-2): the real program under
# mpirun on small RFHM scans, files checked with h5py (/usr/bin/python3, Debian's h5py).
#   ctest -L scan --output-on-failure
set(_scan_py /usr/bin/python3)
# -np 1, 2, 3, 4 and group sizes 1 and 2 give bit-identical /probes; summaries recomputed.
hopscan_cli_test(scan_determinism NP 0 TIMEOUT 300 LABELS "scan;mpi"
                 COMMAND ${_scan_py} ${CMAKE_CURRENT_SOURCE_DIR}/scan_determinism.py)
# More groups than tasks, a single point, default output name, refusals (J does not fit, bad
# config and options), resume rules (changed config, --overwrite), a concurrent second run.
hopscan_cli_test(scan_edge NP 0 TIMEOUT 300 LABELS "scan;mpi"
                 COMMAND ${_scan_py} ${CMAKE_CURRENT_SOURCE_DIR}/scan_edge.py)
# kill -9 at 12 moments (start-up, flushes, one rank), resume, bit-identical to uninterrupted.
hopscan_cli_test(scan_kill NP 0 TIMEOUT 400 LABELS "scan;mpi"
                 COMMAND ${_scan_py} ${CMAKE_CURRENT_SOURCE_DIR}/scan_kill.py 3)
# Transition search: bit-identical at -np 1-4 and across kill -9 / SIGUSR1 and resume, a
# consistent file (crossings, done = requested), and the Hopfield capacity located near 0.138.
hopscan_cli_test(search_scan NP 0 TIMEOUT 400 LABELS "scan;mpi"
                 COMMAND ${_scan_py} ${CMAKE_CURRENT_SOURCE_DIR}/search_scan.py)
