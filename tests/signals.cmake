# Stop by signal (issue 6 part 3): SIGTERM, SIGINT, SIGUSR1 to mpirun and to rank 0 alone; exit 75,
# a consistent file, resume bit-identical to an uninterrupted run (":long" cases: a long scan,
# resumed and stopped again; mpirun delivers SIGTERM/SIGINT only after ~2 s). Split in two so
# ctest -j2 can run them side by side.
#   ctest -L signals --output-on-failure
hopscan_cli_test(signals_to_mpirun NP 0 TIMEOUT 400 LABELS "scan;signals;mpi"
                 COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/signals_stop.py
                         USR1:mpirun:3 TERM:mpirun:3:long INT:mpirun:2:long
                         TERM:mpirun:1:long)
hopscan_cli_test(signals_to_rank0 NP 0 TIMEOUT 400 LABELS "scan;signals;mpi"
                 COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/signals_stop.py
                         USR1:rank0:3 TERM:rank0:3 INT:rank0:3 USR1:rank0:1)
# Unit test of the signals module itself (real raise(), no MPI).
hopscan_unit_test(test_signals ${CMAKE_CURRENT_SOURCE_DIR}/test_signals.c)
