# Vulkan target tests. Included from tests/CMakeLists.txt when the target is
# built; each one reports itself skipped on a machine without a Vulkan device.
#
# The validation layer and its synchronization checks are on (any validation
# error fails the run) except under the sanitizers: Debian's layer (1.3.239)
# leaks the state of every command buffer when synchronization validation is
# on (fixed upstream by Vulkan-ValidationLayers 70f49f5, "sync: Call Destroy
# instead of reset"), and its frames cannot be told apart by an LSan
# suppression. The ci preset runs the same tests with the layer.
if(TSR_SANITIZE)
  set(_tsr_vk_env "")
else()
  set(_tsr_vk_env "TESSERA_VALIDATION=1")
  set_property(TEST test_conformance APPEND PROPERTY ENVIRONMENT "TESSERA_VALIDATION=1")
endif()

tsr_add_test(test_vulkan vulkan/test_vulkan.c)
target_link_libraries(test_vulkan PRIVATE tsr_conformance)
set_tests_properties(test_vulkan PROPERTIES TIMEOUT 900 SKIP_RETURN_CODE 77)
if(_tsr_vk_env)
  set_property(TEST test_vulkan APPEND PROPERTY ENVIRONMENT "${_tsr_vk_env}")
endif()

# `tsr run --target vulkan` on stories260K: llama2.c's greedy text, byte for
# byte, as on the CPU.
if(TARGET tsr)
  set(_m "${TSR_MODELS_DIR}/llm")
  set(_bin "${_m}/llama2c/stories260K.bin")
  set(_tok "${_m}/llama2c/tok512.bin")
  set(_gguf "${_m}/gguf/stories260K.gguf")
  set(_gold "${_m}/llama2c/stories260K_greedy200.txt")
  function(tsr_vulkan_cli_test name expected fixtures args)
    add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} "-DTSR=$<TARGET_FILE:tsr>" "-DARGS=${args}"
             "-DEXPECTED=${expected}" "-DFIXTURES=${fixtures}" "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/${name}.out"
             -P ${CMAKE_CURRENT_SOURCE_DIR}/vulkan/run_tsr_vulkan.cmake)
    set_tests_properties(${name} PROPERTIES SKIP_REGULAR_EXPRESSION "SKIPPED" TIMEOUT 600
      ENVIRONMENT "MESA_SHADER_CACHE_DIR=${CMAKE_BINARY_DIR}/mesa-cache;LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp")
  endfunction()
  tsr_vulkan_cli_test(tsr_run_llama2c_golden_vulkan "${_gold}" "${_bin}|${_tok}|${_gold}"
                      "run|-m|${_bin}|-z|${_tok}|-n|200|--temp|0|--target|vulkan")
  tsr_vulkan_cli_test(tsr_run_gguf_golden_vulkan "${_gold}" "${_gguf}|${_gold}"
                      "run|-m|${_gguf}|-n|200|--temp|0|--target|vulkan")
  tsr_vulkan_cli_test(tsr_run_gguf_golden_vulkan_kv16 "${_gold}" "${_gguf}|${_gold}"
                      "run|-m|${_gguf}|-n|200|--temp|0|--kv-type|f16|--target|vulkan")
  tsr_vulkan_cli_test(tsr_run_llama2c_prompt_lily_vulkan "${CMAKE_CURRENT_SOURCE_DIR}/llm/l2c_lily_n40.txt"
                      "${_bin}|${_tok}"
                      "run|-m|${_bin}|-z|${_tok}|-p|Lily and Tom went to the park|-n|40|--temp|0|--ctx|128|--batch|16|--target|vulkan")
endif()
