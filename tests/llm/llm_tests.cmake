# Language-model tests. Included from tests/CMakeLists.txt.
tsr_add_test(test_llm_sampler llm/test_llm_sampler.c)
tsr_add_test(test_llm_synth llm/test_llm_synth.c)
# K-quant models generated at test time vs llama.cpp's logits (tests/llm/kquant).
tsr_add_test(test_llm_kquant llm/test_llm_kquant.c)
set_property(TEST test_llm_kquant APPEND PROPERTY ENVIRONMENT "TSR_KQUANT_DIR=${CMAKE_CURRENT_SOURCE_DIR}/llm/kquant")
if(NOT TSR_NO_FILEIO) # loads the fixtures with tsr_llm_load_file
  tsr_add_test(test_llm_models llm/test_llm_models.c)
  set_tests_properties(test_llm_models PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900)
  # FIFO, device, directory, link and over-limit inputs (must not block: a short timeout).
  tsr_add_test(test_inputs llm/test_inputs.c)
  set_tests_properties(test_inputs PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 60)
  # Unknown, unavailable and failing targets; fallback only when asked, reported.
  tsr_add_test(test_policy llm/test_policy.c)
  set_tests_properties(test_policy PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
  # GGUF metadata and .tsr tensor kinds against the rest of the file (crafted at run time).
  tsr_add_test(test_consistency llm/test_consistency.c)
  set_tests_properties(test_consistency PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
  # Every allocation of a load-and-prepare failed in turn: clean status, nothing leaked.
  tsr_add_test(test_alloc_fail llm/test_alloc_fail.c)
  set_tests_properties(test_alloc_fail PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900)
endif()

# `tsr run` end to end: stdout must be exactly llama2.c's output.
if(TARGET tsr)
  set(_m "${TSR_MODELS_DIR}/llm")
  set(_d "${CMAKE_CURRENT_SOURCE_DIR}/llm")
  string(REPLACE ";" "|" _emu "${CMAKE_CROSSCOMPILING_EMULATOR}") # qemu-user in cross builds
  function(tsr_llm_cli_test name expected fixtures args)
    add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} "-DTSR=$<TARGET_FILE:tsr>" "-DARGS=${args}" "-DEMULATOR=${_emu}"
             "-DEXPECTED=${expected}" "-DFIXTURES=${fixtures}" "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/${name}.out"
             -P ${_d}/run_tsr.cmake)
    set_tests_properties(${name} PROPERTIES SKIP_REGULAR_EXPRESSION "SKIPPED" TIMEOUT 600)
  endfunction()
  set(_bin "${_m}/llama2c/stories260K.bin")
  set(_tok "${_m}/llama2c/tok512.bin")
  set(_gguf "${_m}/gguf/stories260K.gguf")
  set(_gold "${_m}/llama2c/stories260K_greedy200.txt")
  add_test(NAME tsr_info_llama2c COMMAND ${CMAKE_COMMAND} "-DTSR=$<TARGET_FILE:tsr>" "-DEMULATOR=${_emu}"
           "-DARGS=info|${_bin}|-z|${_tok}|--ctx|256" "-DFIXTURES=${_bin}|${_tok}"
           "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/tsr_info_llama2c.out"
           "-DMATCH=dim 64, feed-forward 172, layers 5, heads 8, kv heads 4.*vocabulary: +512 tokens, BOS 1, EOS 2.*tensors: +47.*blk.4.ffn_down.weight +f32 +.64, 172.*KV cache 320.0 KiB .256 tokens"
           -P ${_d}/run_tsr.cmake)
  set_tests_properties(tsr_info_llama2c PROPERTIES SKIP_REGULAR_EXPRESSION "SKIPPED")
  tsr_llm_cli_test(tsr_run_llama2c_golden "${_gold}" "${_bin}|${_tok}|${_gold}"
                   "run|-m|${_bin}|-z|${_tok}|-n|200|--temp|0|--threads|1")
  tsr_llm_cli_test(tsr_run_gguf_golden "${_gold}" "${_gguf}|${_gold}"
                   "run|-m|${_gguf}|-n|200|--temp|0|--target|cpu")
  tsr_llm_cli_test(tsr_run_llama2c_prompt_once "${_d}/l2c_once_n60.txt" "${_bin}|${_tok}"
                   "run|-m|${_bin}|-z|${_tok}|-p|Once upon a time|-n|60|--temp|0|--threads|1")
  tsr_llm_cli_test(tsr_run_llama2c_prompt_lily "${_d}/l2c_lily_n40.txt" "${_bin}|${_tok}"
                   "run|-m|${_bin}|-z|${_tok}|-p|Lily and Tom went to the park|-n|40|--temp|0|--ctx|128|--batch|16")
endif()

# The golden text on every CPU kernel variant and thread count.
if(NOT TSR_NO_FILEIO) # loads the fixtures with tsr_llm_load_file
  tsr_add_test(test_cpu_golden llm/test_cpu_golden.c)
  set_tests_properties(test_cpu_golden PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
endif()
