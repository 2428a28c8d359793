# Tests of the bare build (TSR_NO_THREADS + TSR_NO_FILEIO). Included from
# tests/CMakeLists.txt.
if(TSR_NO_THREADS AND TSR_NO_FILEIO)
  add_test(NAME bare_symbols COMMAND ${CMAKE_COMMAND} "-DNM=${CMAKE_NM}" "-DLIB=$<TARGET_FILE:tessera>"
           -P ${CMAKE_CURRENT_SOURCE_DIR}/bare/check_symbols.cmake)
endif()
