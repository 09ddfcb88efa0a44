# scheduler and progress modules: progress lines with an injected clock; the master-worker
# protocol with a synthetic workload at 1-4 ranks and group sizes 1-2 (folded groups of 3 at
# -np 4 g 2), complete runs and stops by a signal on rank 0, on one worker, on every rank.
hopscan_unit_test(test_progress ${CMAKE_CURRENT_SOURCE_DIR}/test_progress.c)
set(_sched_src ${CMAKE_CURRENT_SOURCE_DIR}/test_scheduler.c)
foreach(_np 1 2 3 4)
  hopscan_mpi_test(scheduler_complete_np${_np}_g1 ${_sched_src} EXE test_scheduler NP ${_np}
                   ARGS complete 1)
endforeach()
hopscan_mpi_test(scheduler_complete_np3_g2 ${_sched_src} EXE test_scheduler NP 3 ARGS complete 2)
hopscan_mpi_test(scheduler_complete_np4_g2 ${_sched_src} EXE test_scheduler NP 4 ARGS complete 2)
hopscan_mpi_test(scheduler_stop_rank0_np1 ${_sched_src} EXE test_scheduler NP 1 ARGS stop_rank0 1)
hopscan_mpi_test(scheduler_stop_rank0_np2 ${_sched_src} EXE test_scheduler NP 2 ARGS stop_rank0 1)
hopscan_mpi_test(scheduler_stop_rank0_np4 ${_sched_src} EXE test_scheduler NP 4 ARGS stop_rank0 1)
hopscan_mpi_test(scheduler_stop_rank0_np3_g2 ${_sched_src} EXE test_scheduler NP 3
                 ARGS stop_rank0 2)
hopscan_mpi_test(scheduler_stop_worker_np3_g2 ${_sched_src} EXE test_scheduler NP 3
                 ARGS stop_worker 2)
hopscan_mpi_test(scheduler_stop_worker_np4 ${_sched_src} EXE test_scheduler NP 4
                 ARGS stop_worker 1)
hopscan_mpi_test(scheduler_stop_all_np4_g2 ${_sched_src} EXE test_scheduler NP 4 ARGS stop_all 2)
foreach(_np 1 2 4)
  hopscan_mpi_test(scheduler_stop_in_epoch_np${_np} ${_sched_src} EXE test_scheduler NP ${_np}
                   ARGS stop_in_epoch 1)
endforeach()
hopscan_mpi_test(scheduler_stop_in_epoch_np4_g2_noprefetch ${_sched_src} EXE test_scheduler NP 4
                 ARGS stop_in_epoch 2 noprefetch)
# The same without prefetch (a leader asks only when its task is done).
hopscan_mpi_test(scheduler_complete_np3_g1_noprefetch ${_sched_src} EXE test_scheduler NP 3
                 ARGS complete 1 noprefetch)
hopscan_mpi_test(scheduler_complete_np4_g2_noprefetch ${_sched_src} EXE test_scheduler NP 4
                 ARGS complete 2 noprefetch)
hopscan_mpi_test(scheduler_stop_rank0_np4_noprefetch ${_sched_src} EXE test_scheduler NP 4
                 ARGS stop_rank0 1 noprefetch)
hopscan_mpi_test(scheduler_stop_worker_np3_g2_noprefetch ${_sched_src} EXE test_scheduler NP 3
                 ARGS stop_worker 2 noprefetch)
# The master with an injected clock and stop source (no real time, no real signal decides).
foreach(_sc fakeclock frozenclock fakestop)
  foreach(_np 1 3)
    hopscan_mpi_test(scheduler_${_sc}_np${_np} ${_sched_src} EXE test_scheduler NP ${_np}
                     ARGS ${_sc} 1)
  endforeach()
endforeach()
hopscan_mpi_test(scheduler_fakeclock_np4_g2 ${_sched_src} EXE test_scheduler NP 4 ARGS fakeclock 2)
