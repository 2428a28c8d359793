# Runs `tsr ARGS` (ARGS separated by '|') on the Vulkan target and compares
# its stdout byte for byte with the file EXPECTED; stderr must name a Vulkan
# target (tsr falls back to the CPU when the target is unavailable, which
# would prove nothing). Prints SKIPPED (ctest: SKIP_REGULAR_EXPRESSION) when a
# fixture is missing or this machine has no Vulkan device.
# Usage: cmake -DTSR=... -DARGS=... -DEXPECTED=... -DFIXTURES=... -DOUT=... -P run_tsr_vulkan.cmake
include("${CMAKE_CURRENT_LIST_DIR}/../models.cmake")
tsr_models_rebase(ARGS FIXTURES EXPECTED)
string(REPLACE "|" ";" args "${ARGS}")
string(REPLACE "|" ";" fixtures "${FIXTURES}")
foreach(f IN LISTS fixtures)
  if(NOT EXISTS "${f}")
    tsr_models_missing("${f}")
  endif()
endforeach()
execute_process(COMMAND "${TSR}" targets OUTPUT_VARIABLE targets RESULT_VARIABLE rc)
if(NOT targets MATCHES "\nvulkan:[0-9]+ +gpu ")
  message("SKIPPED: no Vulkan device on this machine\n${targets}")
  return()
endif()
execute_process(COMMAND "${TSR}" ${args} OUTPUT_FILE "${OUT}" ERROR_VARIABLE err RESULT_VARIABLE rc)
message("${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tsr exited with ${rc}")
endif()
if(NOT err MATCHES "\\[vulkan:[0-9]+\\]")
  message(FATAL_ERROR "tsr did not run on a Vulkan target:\n${err}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${OUT}" "${EXPECTED}" RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  file(READ "${OUT}" got)
  file(READ "${EXPECTED}" want)
  message(FATAL_ERROR "stdout differs from ${EXPECTED}\n--- got:\n${got}\n--- expected:\n${want}")
endif()
