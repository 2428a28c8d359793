# Perception-op kernels (conv, pool, resize, reduce, concat, gather, qlinear,
# frame preprocessing, detection post-processing).
set(_tsr_vk ${CMAKE_CURRENT_LIST_DIR})
target_sources(tessera_obj PRIVATE
  ${_tsr_vk}/conv/conv_ref.c
  ${_tsr_vk}/conv/conv_gemm.c
  ${_tsr_vk}/conv/conv_dw.c
  ${_tsr_vk}/conv/conv_tgemm.c
  ${_tsr_vk}/conv/conv_f32_scalar.c
  ${_tsr_vk}/pool/pool_ref.c
  ${_tsr_vk}/pool/pool_fast.c
  ${_tsr_vk}/resize/resize_ref.c
  ${_tsr_vk}/resize/resize_fast.c
  ${_tsr_vk}/reduce/reduce_ref.c
  ${_tsr_vk}/reduce/reduce_fast.c
  ${_tsr_vk}/concat/concat_ref.c
  ${_tsr_vk}/concat/concat_fast.c
  ${_tsr_vk}/concat/concat_rows.c
  ${_tsr_vk}/copy/copy.c
  ${_tsr_vk}/gather/gather_ref.c
  ${_tsr_vk}/gather/gather_nd_ref.c
  ${_tsr_vk}/topk/topk_ref.c
  ${_tsr_vk}/grid_sample/grid_sample_ref.c
  ${_tsr_vk}/qlinear/qlinear_ref.c
  ${_tsr_vk}/qlinear/qconv.c
  ${_tsr_vk}/qlinear/qconv_scalar.c
  ${_tsr_vk}/qlinear/qconv_dw.c
  ${_tsr_vk}/qlinear/qfast.c
  ${_tsr_vk}/frame/frame_ref.c
  ${_tsr_vk}/detect/detect_ref.c)

# x86-64 variants: each file is compiled for its ISA only; the registry lists
# them under TSR_VISION_X86 and the CPU target picks them by CPU features.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(_tsr_avx2 -mavx2 -mfma -mf16c ${TSR_SANITIZE_KERNEL_FLAGS})
  set(_tsr_avx512 -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512dq -mavx512vl ${TSR_SANITIZE_KERNEL_FLAGS})
  set(_tsr_avx512vnni ${_tsr_avx512} -mavx512vnni)
  set(_tsr_vx_avx2 ${_tsr_vk}/conv/x86/conv_f32_avx2.c ${_tsr_vk}/qlinear/x86/qconv_avx2.c
    ${_tsr_vk}/qlinear/x86/qconv_dw_avx2.c ${_tsr_vk}/pool/x86/pool_avx2.c
    ${_tsr_vk}/qlinear/x86/qfast_avx2.c ${_tsr_vk}/resize/x86/resize_avx2.c
    ${_tsr_vk}/conv/x86/unary_erf_avx2.c)
  set(_tsr_vx_avx512 ${_tsr_vk}/conv/x86/conv_f32_avx512.c ${_tsr_vk}/qlinear/x86/qconv_dw_avx512.c
    ${_tsr_vk}/qlinear/x86/qconv_dw3_avx512.c
    ${_tsr_vk}/pool/x86/pool_avx512.c ${_tsr_vk}/qlinear/x86/qfast_avx512.c
    ${_tsr_vk}/resize/x86/resize_avx512.c ${_tsr_vk}/conv/x86/unary_erf_avx512.c
    ${_tsr_vk}/copy/x86/copy_avx512.c)
  set(_tsr_vx_avx512vnni ${_tsr_vk}/qlinear/x86/qconv_avx512vnni.c ${_tsr_vk}/qlinear/x86/qmm_avx512vnni.c)
  target_sources(tessera_obj PRIVATE ${_tsr_vx_avx2} ${_tsr_vx_avx512} ${_tsr_vx_avx512vnni})
  set_source_files_properties(${_tsr_vx_avx2} TARGET_DIRECTORY tessera_obj PROPERTIES COMPILE_OPTIONS "${_tsr_avx2}")
  set_source_files_properties(${_tsr_vx_avx512} TARGET_DIRECTORY tessera_obj PROPERTIES COMPILE_OPTIONS "${_tsr_avx512}")
  if(_tsr_vx_avx512vnni)
    set_source_files_properties(${_tsr_vx_avx512vnni} TARGET_DIRECTORY tessera_obj PROPERTIES COMPILE_OPTIONS "${_tsr_avx512vnni}")
  endif()
  target_compile_definitions(tessera_obj PRIVATE TSR_VISION_X86=1)
  # Frame preprocessing (kernels/frame): rounds as the reference does, so no
  # FMA contraction.
  target_sources(tessera_obj PRIVATE ${_tsr_vk}/frame/x86/frame_avx2.c)
  set_source_files_properties(${_tsr_vk}/frame/x86/frame_avx2.c TARGET_DIRECTORY tessera_obj
    PROPERTIES COMPILE_OPTIONS "${_tsr_avx2};-ffp-contract=off")
  target_compile_definitions(tessera_obj PRIVATE TSR_FRAME_X86=1)
endif()
