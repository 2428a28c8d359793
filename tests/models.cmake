# Model fixtures for the tests run as CMake scripts (run_tsr*.cmake,
# run_models.cmake), decided when the test runs, as tests/models_dir.h does
# for the C tests: paths were configured under the default folder
# (../shared/models next to the source tree); $TESSERA_MODELS, when set at
# run time, replaces that folder. A missing fixture prints SKIPPED (the tests'
# SKIP_REGULAR_EXPRESSION), or fails the test in CI (CI=true) or with
# TESSERA_REQUIRE_MODELS=1 (TESSERA_REQUIRE_MODELS=0 turns that off).
get_filename_component(TSR_MODELS_DEFAULT "${CMAKE_CURRENT_LIST_DIR}/../../shared/models" ABSOLUTE)
if(DEFINED ENV{TESSERA_MODELS} AND NOT "$ENV{TESSERA_MODELS}" STREQUAL "")
  set(TSR_MODELS_RUN "$ENV{TESSERA_MODELS}")
else()
  set(TSR_MODELS_RUN "${TSR_MODELS_DEFAULT}")
endif()
if(DEFINED ENV{TESSERA_REQUIRE_MODELS} AND NOT "$ENV{TESSERA_REQUIRE_MODELS}" STREQUAL "")
  if("$ENV{TESSERA_REQUIRE_MODELS}" STREQUAL "0")
    set(TSR_MODELS_REQUIRED OFF)
  else()
    set(TSR_MODELS_REQUIRED ON)
  endif()
elseif("$ENV{CI}" STREQUAL "true" OR "$ENV{CI}" STREQUAL "1")
  set(TSR_MODELS_REQUIRED ON)
else()
  set(TSR_MODELS_REQUIRED OFF)
endif()

# Rewrites the variables named in ARGN: the default models folder becomes the
# run-time one.
macro(tsr_models_rebase)
  foreach(_tsr_v ${ARGN})
    string(REPLACE "${TSR_MODELS_DEFAULT}" "${TSR_MODELS_RUN}" ${_tsr_v} "${${_tsr_v}}")
  endforeach()
endmacro()

# Fixture |path| is missing: skip (return from the script), or fail.
macro(tsr_models_missing path)
  if(TSR_MODELS_REQUIRED)
    message(FATAL_ERROR "fixture ${path} not found, and fixtures are required here "
                        "(CI=$ENV{CI}, TESSERA_REQUIRE_MODELS=$ENV{TESSERA_REQUIRE_MODELS}); "
                        "point TESSERA_MODELS at the models folder")
  endif()
  message("SKIPPED: fixture ${path} not found (set TESSERA_MODELS)")
  return()
endmacro()
