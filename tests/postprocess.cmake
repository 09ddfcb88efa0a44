# Postprocess (postprocess/hopscan-plot, Python): the pytest suite. It makes its own small real
# scans with the hopscan binary named by HOPSCAN (set in HOPSCAN_TEST_ENV) under mpirun -np 2,
# and runs every subcommand on them. Debian's python3 is used on purpose (it has h5py, xarray,
# h5netcdf, netCDF4 and scipy from .ci/install-deps).
find_program(HOPSCAN_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT HOPSCAN_SYSTEM_PYTHON)
  set(HOPSCAN_SYSTEM_PYTHON /usr/bin/python3)
endif()
add_test(NAME postprocess_pytest
         COMMAND ${HOPSCAN_SYSTEM_PYTHON} -m pytest -q -p no:cacheprovider
                 ${CMAKE_SOURCE_DIR}/postprocess/tests
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(postprocess_pytest PROPERTIES ENVIRONMENT "${HOPSCAN_TEST_ENV}"
                     LABELS postprocess PROCESSORS 2 TIMEOUT 600)
