# Runs `tsr ARGS` (ARGS separated by '|') and compares its stdout byte for byte
# with the file EXPECTED, or matches it against the regular expression MATCH. Fixtures listed in FIXTURES ('|'-separated) that are
# missing make the test print SKIPPED (ctest: SKIP_REGULAR_EXPRESSION), or fail
# where fixtures are required; the models folder is decided at run time
# (tests/models.cmake).
# Usage: cmake -DTSR=... [-DEMULATOR=qemu-aarch64|-L|...] -DARGS=... -DEXPECTED=... -DFIXTURES=... -DOUT=... -P run_tsr.cmake
include("${CMAKE_CURRENT_LIST_DIR}/../models.cmake")
tsr_models_rebase(ARGS FIXTURES EXPECTED)
string(REPLACE "|" ";" args "${ARGS}")
string(REPLACE "|" ";" fixtures "${FIXTURES}")
foreach(f IN LISTS fixtures)
  if(NOT EXISTS "${f}")
    tsr_models_missing("${f}")
  endif()
endforeach()
string(REPLACE "|" ";" emulator "${EMULATOR}") # empty, or e.g. qemu-aarch64;-L;...
execute_process(COMMAND ${emulator} "${TSR}" ${args} OUTPUT_FILE "${OUT}" ERROR_VARIABLE err RESULT_VARIABLE rc)
message("${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tsr exited with ${rc}")
endif()
if(DEFINED MATCH)
  file(READ "${OUT}" got)
  if(NOT got MATCHES "${MATCH}")
    message(FATAL_ERROR "stdout does not match ${MATCH}:\n${got}")
  endif()
  return()
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${OUT}" "${EXPECTED}" RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  file(READ "${OUT}" got)
  file(READ "${EXPECTED}" want)
  message(FATAL_ERROR "stdout differs from ${EXPECTED}\n--- got:\n${got}\n--- expected:\n${want}")
endif()
