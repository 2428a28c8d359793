# tsr command-line behaviour on bad input, bad options, target policy and
# failing writes: exit codes (0 ok, 1 error, 2 usage) and the message.
# Included from tests/CMakeLists.txt when the tsr tool is built.
set(_cli "${CMAKE_CURRENT_SOURCE_DIR}/cli/expect.cmake")
set(_gguf "${TSR_MODELS_DIR}/llm/gguf/stories260K.gguf")
set(_pilot "${TSR_MODELS_DIR}/onnx/pilotnet/nvidia_pilotnet.onnx")
set(_frame "${TSR_MODELS_DIR}/onnx/pilotnet/frame_00010.png")
# tsr_cli_test(NAME RC ERR_REGEX FIXTURES ARGS [extra -D definitions...])
function(tsr_cli_test name rc err fixtures args)
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} "-DTSR=$<TARGET_FILE:tsr>" "-DARGS=${args}" "-DRC=${rc}"
           "-DERR=${err}" "-DFIXTURES=${fixtures}" "-DWORK=${CMAKE_CURRENT_BINARY_DIR}/cli_work/${name}" ${ARGN}
           -P ${_cli})
  set_tests_properties(${name} PROPERTIES SKIP_REGULAR_EXPRESSION "SKIPPED" TIMEOUT 180)
endfunction()

# Inputs: regular files only, within their limits; nothing blocks or reads forever.
tsr_cli_test(tsr_input_fifo_model 1 "fifo.gguf: the model is a FIFO, not a regular file" "" "info|@W@/fifo.gguf")
tsr_cli_test(tsr_input_link_onnx 1 "zero.onnx: the model is a character device" "" "info|@W@/zero.onnx")
tsr_cli_test(tsr_input_devzero_prompt 1 "/dev/zero: the prompt file is a character device" "${_gguf}"
             "run|-m|${_gguf}|-f|/dev/zero|-n|1")
tsr_cli_test(tsr_input_fifo_prompt 1 "fifo: the prompt file is a FIFO" "${_gguf}" "run|-m|${_gguf}|-f|@W@/fifo|-n|1")
tsr_cli_test(tsr_input_dir_prompt 1 "dir: the prompt file is a directory" "${_gguf}" "run|-m|${_gguf}|-f|@W@/dir|-n|1")
tsr_cli_test(tsr_input_big_prompt 1 "big.txt: the prompt file is 17825792 bytes, over the limit of 16777216" "${_gguf}"
             "run|-m|${_gguf}|-f|@W@/big.txt|-n|1")
tsr_cli_test(tsr_input_fifo_image 2 "fifo.png: the image is a FIFO" "${_pilot}" "run|-m|${_pilot}|-i|@W@/fifo.png")

# Float options: NaN and infinities are usage errors naming the option.
tsr_cli_test(tsr_opt_nan_temp 2 "invalid value 'nan' for --temp" "${_gguf}" "run|-m|${_gguf}|--temp|nan|-n|1")
tsr_cli_test(tsr_opt_inf_top_p 2 "invalid value 'inf' for --top-p" "${_gguf}" "run|-m|${_gguf}|--top-p|inf|-n|1")
tsr_cli_test(tsr_opt_ninf_min_p 2 "invalid value '-inf' for --min-p" "${_gguf}" "run|-m|${_gguf}|--min-p|-inf|-n|1")
tsr_cli_test(tsr_opt_nan_repeat 2 "invalid value 'NAN' for --repeat-penalty" "${_gguf}"
             "run|-m|${_gguf}|--repeat-penalty|NAN|-n|1")
tsr_cli_test(tsr_opt_nan_seconds 2 "--seconds needs a finite number" "${_pilot}" "bench|-m|${_pilot}|--seconds|nan")
tsr_cli_test(tsr_opt_nan_scale 2 "bad scale 'nan'" "${_pilot}" "run|-m|${_pilot}|-i|${_frame}|-p|scale=nan")
tsr_cli_test(tsr_opt_inf_mean 2 "bad number in '1/inf/3'" "${_pilot}" "run|-m|${_pilot}|-i|${_frame}|-p|mean=1/inf/3")

# Writers: beside the destination, renamed into place; a failure removes only
# the temporary file.
tsr_cli_test(tsr_convert_dev_full 1 "/dev/full: .*write failed" "${_pilot}" "convert|${_pilot}|-o|/dev/full")
tsr_cli_test(tsr_convert_keeps_existing 1 "existing.tsr: .*write failed" "${_pilot}"
             "convert|${_pilot}|-o|@W@/existing.tsr" -DLIMIT_FSIZE=8 "-DCHECK_FILE=@W@/existing.tsr|keep me")
tsr_cli_test(tsr_convert_readonly_dir 1 "cannot create a temporary file beside .*ro/existing.tsr" "${_pilot}"
             "convert|${_pilot}|-o|@W@/ro/existing.tsr" -DREADONLY_DIR=1 "-DCHECK_FILE=@W@/ro/existing.tsr|keep me")
tsr_cli_test(tsr_convert_onto_dir 1 "dir is a directory" "${_pilot}" "convert|${_pilot}|-o|@W@/dir")
tsr_cli_test(tsr_convert_ok 0 "" "${_pilot}" "convert|${_pilot}|-o|@W@/existing.tsr")

# One failure policy for both workloads: an unknown target is a usage error;
# a target that cannot run the model fails unless --fallback cpu, and then the
# summary says so. (null runs nothing: it stands for such a target.)
tsr_cli_test(tsr_target_unknown_llm 2 "unknown target 'bogus'" "${_gguf}" "run|-m|${_gguf}|-n|1|--target|bogus")
tsr_cli_test(tsr_target_unknown_net 2 "unknown target 'bogus'" "${_pilot}" "run|-m|${_pilot}|-i|${_frame}|--target|bogus")
tsr_cli_test(tsr_target_unknown_bench 2 "unknown target 'bogus'" "${_gguf}" "bench|-m|${_gguf}|--target|bogus")
tsr_cli_test(tsr_target_null_llm 1 "no target supports it" "${_gguf}" "run|-m|${_gguf}|-n|1|--target|null")
tsr_cli_test(tsr_target_null_net 1 "no target supports it" "${_pilot}" "run|-m|${_pilot}|-i|${_frame}|--target|null")
tsr_cli_test(tsr_target_null_fallback_llm 0 "fallback: 352 of 352 nodes on cpu" "${_gguf}"
             "run|-m|${_gguf}|-n|1|--temp|0|--target|null|--fallback|cpu")
tsr_cli_test(tsr_target_null_fallback_net 0 "" "${_pilot}"
             "run|-m|${_pilot}|-i|${_frame}|--target|null|--fallback|cpu" "-DOUT_MATCH=fallback: 12 of 12 nodes on cpu")
tsr_cli_test(tsr_fallback_bad_value 2 "invalid value 'gpu' for --fallback" "${_gguf}" "run|-m|${_gguf}|--fallback|gpu")

# tsr run --image/--task: a wrong task for the network, a file that is no
# image, a network without a preset are errors naming what was wrong.
set(_yolox "${TSR_MODELS_DIR}/onnx/yolox_nano/yolox_nano.onnx")
set(_mnist "${TSR_MODELS_DIR}/onnx/mnist-cntk-2018/model.onnx")
set(_photo "${PROJECT_SOURCE_DIR}/tests/data/astronaut.jpg")
tsr_cli_test(tsr_task_wrong_task 2 "--task classify does not fit .*preset yolox_nano is a detect network" "${_yolox}"
             "run|-m|${_yolox}|--image|${_photo}|--task|classify")
tsr_cli_test(tsr_task_bad_image 1 "LICENSES.md: cannot decode the image" "${_yolox}"
             "run|-m|${_yolox}|--image|${PROJECT_SOURCE_DIR}/tests/data/LICENSES.md")
tsr_cli_test(tsr_task_fifo_image 1 "fifo.png: the image is a FIFO" "${_yolox}" "run|-m|${_yolox}|--image|@W@/fifo.png")
tsr_cli_test(tsr_task_no_preset 2 "model.onnx: no preset matches the file name" "${_mnist}"
             "run|-m|${_mnist}|--image|${_photo}")
tsr_cli_test(tsr_task_unknown_preset 2 "unknown preset 'nope'" "${_yolox}"
             "run|-m|${_yolox}|--image|${_photo}|--preset|nope")
tsr_cli_test(tsr_task_preset_mismatch 1 "input images is not the f32 \\[1,3,240,320\\] preset ultraface expects" "${_yolox}"
             "run|-m|${_yolox}|--image|${_photo}|--preset|ultraface")

# A strict command line: numbers and lists parsed whole (a bad value exits 2
# naming the option and value), --opt=value everywhere, a positional MODEL for
# run/bench, 'tsr CMD --help' complete without a model, exit codes documented.
# bench --threads is parsed before the loop: a target whose driver calls strtok
# (vulkan) once printed hundreds of 'threads 0' rows for --threads 1.
tsr_cli_test(tsr_cli_bench_threads_once 0 "" "${_pilot}"
             "bench|-m|${_pilot}|--target|vulkan|--fallback|cpu|--threads|1|--iters|2" "-DOUT_COUNT=^threads [0-9]+:" -DOUT_N=1)
tsr_cli_test(tsr_cli_bench_threads_two 0 "" "${_pilot}" "bench|${_pilot}|--threads|1,2|--iters|2"
             "-DOUT_COUNT=^threads [12]:" -DOUT_N=2)
tsr_cli_test(tsr_cli_bench_threads_bad 2 "invalid value '1,x' for --threads" "${_pilot}"
             "bench|-m|${_pilot}|--threads|1,x")
tsr_cli_test(tsr_cli_bench_threads_empty 2 "invalid value '1,,2' for --threads" "${_pilot}"
             "bench|-m|${_pilot}|--threads|1,,2")
tsr_cli_test(tsr_cli_run_threads_list 2 "invalid value '1,2' for --threads" "${_pilot}"
             "run|-m|${_pilot}|-i|${_frame}|--threads|1,2")
tsr_cli_test(tsr_cli_bench_iters_bad 2 "invalid value '5x' for --iters" "${_pilot}" "bench|-m|${_pilot}|--iters|5x")
tsr_cli_test(tsr_cli_letterbox_bad 2 "bad letterbox value 'abc'" "${_pilot}"
             "run|-m|${_pilot}|-i|${_frame}|-p|letterbox=abc")
tsr_cli_test(tsr_cli_llm_bench_p_abc 2 "invalid value 'abc' for -p" "${_gguf}" "bench|-m|${_gguf}|-p|abc")
tsr_cli_test(tsr_cli_llm_bench_p_trailing 2 "invalid value '16,' for --n-prompt" "${_gguf}"
             "bench|-m|${_gguf}|--n-prompt|16,")
tsr_cli_test(tsr_cli_llm_bench_r_bad 2 "invalid value '3x' for -r" "${_gguf}" "bench|-m|${_gguf}|-r|3x")
tsr_cli_test(tsr_cli_llm_bench_p_list 0 "" "${_gguf}" "bench|-m|${_gguf}|-p|16,64|-n|0|-r|1"
             "-DOUT_COUNT= pp(16|64) \\|" -DOUT_N=2)
tsr_cli_test(tsr_cli_tokenize_no_text 2 "tsr tokenize: no text given" "${_gguf}" "tokenize|-m|${_gguf}")
tsr_cli_test(tsr_cli_mkmodel_bad_dim 2 "invalid value '64x' for --dim" "${_gguf}"
             "mkmodel|-o|@W@/m.gguf|--vocab|${_gguf}|--dim|64x|--layers|1|--heads|1|--ffn|64")
tsr_cli_test(tsr_cli_eq_run_llm 0 "" "${_gguf}" "run|--model=${_gguf}|--n-predict=1|--temp=0|--prompt=Once")
tsr_cli_test(tsr_cli_eq_bad_value 2 "invalid value 'abc' for --temp" "${_gguf}" "run|--model=${_gguf}|--temp=abc")
tsr_cli_test(tsr_cli_eq_bench_net 0 "" "${_pilot}" "bench|--model=${_pilot}|--threads=1|--iters=2"
             "-DOUT_COUNT=^threads 1:" -DOUT_N=1)
tsr_cli_test(tsr_cli_eq_tokenize 0 "" "${_gguf}" "tokenize|--model=${_gguf}|--prompt=Hello")
tsr_cli_test(tsr_cli_positional_run_llm 0 "" "${_gguf}" "run|${_gguf}|-n|1|--temp|0")
tsr_cli_test(tsr_cli_positional_run_net 0 "" "${_pilot}" "run|${_pilot}|-i|${_frame}")
tsr_cli_test(tsr_cli_positional_bench_llm 0 "" "${_gguf}" "bench|${_gguf}|-p|8|-n|0|-r|1" "-DOUT_MATCH=pp8")
tsr_cli_test(tsr_cli_help_run 0 "" "" "run|--help" "-DOUT_MATCH=--top-p.*--preprocess")
tsr_cli_test(tsr_cli_help_bench 0 "" "" "bench|--help" "-DOUT_MATCH=--n-prompt.*--seconds")
tsr_cli_test(tsr_cli_help_info 0 "" "" "info|--help" "-DOUT_MATCH=--kv-type.*--shape")
tsr_cli_test(tsr_cli_help_exit_codes 0 "" "" "--help" "-DOUT_MATCH=0 ok, 1 runtime failure.*2 usage error")
