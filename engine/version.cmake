# Writes the build's version.cpp from engine/version.cpp.in with the source commit of this build
# (git describe, "-dirty" with uncommitted changes). Run at configure time and before every
# build; configure_file rewrites the file only when its text changes, so an unchanged commit
# rebuilds nothing. Needs SOURCE_DIR, OUT and PROJECT_VERSION.
execute_process(COMMAND git -C ${SOURCE_DIR} describe --always --dirty --abbrev=12
                OUTPUT_VARIABLE ULRSEG_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT ULRSEG_GIT_COMMIT)
  set(ULRSEG_GIT_COMMIT unknown)
endif()
configure_file(${SOURCE_DIR}/engine/version.cpp.in ${OUT} @ONLY)
