# Writes version_info.h with the version, the git commit (with -dirty) and the build flags.
# Rewritten only when its content changes, so an unchanged tree does not rebuild.
execute_process(COMMAND git -C ${SRC} describe --always --dirty --abbrev=12
                OUTPUT_VARIABLE GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT GIT_COMMIT)
  set(GIT_COMMIT "unknown")
endif()
set(CONTENT "#define HOPSCAN_VERSION \"${VERSION}\"\n#define HOPSCAN_GIT_COMMIT \"${GIT_COMMIT}\"\n#define HOPSCAN_COMPILER \"${COMPILER}\"\n#define HOPSCAN_CFLAGS \"${FLAGS}\"\n")
if(EXISTS ${OUT})
  file(READ ${OUT} OLD)
else()
  set(OLD "")
endif()
if(NOT "${OLD}" STREQUAL "${CONTENT}")
  file(WRITE ${OUT} "${CONTENT}")
endif()
