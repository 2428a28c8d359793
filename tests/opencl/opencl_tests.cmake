# OpenCL target tests. Included from tests/CMakeLists.txt when the target is
# built; each one reports itself skipped on a machine without an OpenCL
# device (exit 77 / "SKIPPED").
get_property(_tsr_opencl_inc GLOBAL PROPERTY TSR_OPENCL_INCLUDE_DIRS)
tsr_add_test(test_opencl opencl/test_opencl.c)
target_include_directories(test_opencl PRIVATE ${_tsr_opencl_inc})
target_link_libraries(test_opencl PRIVATE tsr_conformance)
set_tests_properties(test_opencl PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900)

# `tsr run --target opencl` on stories260K: llama2.c's greedy text, byte for
# byte, as on the CPU.
if(TARGET tsr)
  set(_m "${TSR_MODELS_DIR}/llm")
  set(_bin "${_m}/llama2c/stories260K.bin")
  set(_tok "${_m}/llama2c/tok512.bin")
  set(_gguf "${_m}/gguf/stories260K.gguf")
  set(_gold "${_m}/llama2c/stories260K_greedy200.txt")
  function(tsr_opencl_cli_test name expected fixtures args)
    add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} "-DTSR=$<TARGET_FILE:tsr>" "-DARGS=${args}"
             "-DEXPECTED=${expected}" "-DFIXTURES=${fixtures}" "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/${name}.out"
             -P ${CMAKE_CURRENT_SOURCE_DIR}/opencl/run_tsr_opencl.cmake)
    set_tests_properties(${name} PROPERTIES SKIP_REGULAR_EXPRESSION "SKIPPED" TIMEOUT 600
      ENVIRONMENT "POCL_CACHE_DIR=${CMAKE_BINARY_DIR}/pocl-cache;LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp")
  endfunction()
  tsr_opencl_cli_test(tsr_run_llama2c_golden_opencl "${_gold}" "${_bin}|${_tok}|${_gold}"
                      "run|-m|${_bin}|-z|${_tok}|-n|200|--temp|0|--target|opencl")
  tsr_opencl_cli_test(tsr_run_gguf_golden_opencl_kv16 "${_gold}" "${_gguf}|${_gold}"
                      "run|-m|${_gguf}|-n|200|--temp|0|--kv-type|f16|--target|opencl")
  tsr_opencl_cli_test(tsr_run_llama2c_prompt_lily_opencl "${CMAKE_CURRENT_SOURCE_DIR}/llm/l2c_lily_n40.txt"
                      "${_bin}|${_tok}"
                      "run|-m|${_bin}|-z|${_tok}|-p|Lily and Tom went to the park|-n|40|--temp|0|--ctx|128|--batch|16|--target|opencl")
endif()
