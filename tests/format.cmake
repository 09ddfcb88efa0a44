# Formatting is part of the build contract: every C file must be clang-format clean.
find_program(CLANG_FORMAT clang-format)
if(CLANG_FORMAT)
  add_test(NAME format_check
           COMMAND sh -c "${CLANG_FORMAT} --dry-run --Werror src/*.c include/hopscan/*.h tests/*.c tests/*.h"
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(format_check PROPERTIES LABELS unit)
endif()
