# Perception-op kernels (conv, pool, resize, reduce, concat, gather, qlinear).
target_sources(tessera_obj PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/conv/conv_ref.c
  ${CMAKE_CURRENT_LIST_DIR}/pool/pool_ref.c
  ${CMAKE_CURRENT_LIST_DIR}/resize/resize_ref.c
  ${CMAKE_CURRENT_LIST_DIR}/reduce/reduce_ref.c
  ${CMAKE_CURRENT_LIST_DIR}/concat/concat_ref.c
  ${CMAKE_CURRENT_LIST_DIR}/gather/gather_ref.c
  ${CMAKE_CURRENT_LIST_DIR}/qlinear/qlinear_ref.c)
