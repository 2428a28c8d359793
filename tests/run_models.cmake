# Runs a command whose arguments name model fixtures, with the models folder
# decided at run time (tests/models.cmake): every argument under the models
# folder must exist, or the test is skipped (failed in CI). The command's
# stdout and stderr pass through untouched, for PASS_REGULAR_EXPRESSION.
# Usage: cmake [-DEMULATOR=qemu|-L|prefix] -P run_models.cmake -- prog arg...
include("${CMAKE_CURRENT_LIST_DIR}/models.cmake")
set(cmd "")
if(EMULATOR)
  string(REPLACE "|" ";" cmd "${EMULATOR}")
endif()
set(_seen_dashes OFF)
math(EXPR _last "${CMAKE_ARGC} - 1")
foreach(i RANGE 0 ${_last})
  set(a "${CMAKE_ARGV${i}}")
  if(_seen_dashes)
    tsr_models_rebase(a)
    # A fixture path, possibly as NAME=path or path:shape (tsr run --input).
    string(REGEX REPLACE "^[A-Za-z0-9_]+=" "" f "${a}")
    string(REGEX REPLACE ":[0-9x]+$" "" f "${f}")
    string(FIND "${f}" "${TSR_MODELS_RUN}/" at)
    if(at EQUAL 0 AND NOT EXISTS "${f}")
      tsr_models_missing("${f}")
    endif()
    list(APPEND cmd "${a}")
  elseif(a STREQUAL "--")
    set(_seen_dashes ON)
  endif()
endforeach()
execute_process(COMMAND ${cmd} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${cmd} exited with ${rc}")
endif()
