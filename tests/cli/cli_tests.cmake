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
