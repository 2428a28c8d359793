# Runs `tsr ARGS` (ARGS separated by '|') and compares its stdout byte for byte
# with the file EXPECTED. Fixtures listed in FIXTURES ('|'-separated) that are
# missing make the test print SKIPPED (ctest: SKIP_REGULAR_EXPRESSION).
# Usage: cmake -DTSR=... -DARGS=... -DEXPECTED=... -DFIXTURES=... -DOUT=... -P run_tsr.cmake
string(REPLACE "|" ";" args "${ARGS}")
string(REPLACE "|" ";" fixtures "${FIXTURES}")
foreach(f IN LISTS fixtures)
  if(NOT EXISTS "${f}")
    message("SKIPPED: fixture ${f} not found")
    return()
  endif()
endforeach()
execute_process(COMMAND "${TSR}" ${args} OUTPUT_FILE "${OUT}" ERROR_VARIABLE err RESULT_VARIABLE rc)
message("${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tsr exited with ${rc}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${OUT}" "${EXPECTED}" RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  file(READ "${OUT}" got)
  file(READ "${EXPECTED}" want)
  message(FATAL_ERROR "stdout differs from ${EXPECTED}\n--- got:\n${got}\n--- expected:\n${want}")
endif()
