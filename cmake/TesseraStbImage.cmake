# tsr_stb_image: stb_image compiled from Debian's header (libstb-dev) into a
# small static library for the tools and tests that decode images. Built from
# the header rather than linked against libstb.so, so that a cross build needs
# only the (architecture independent) header. Defined once per build.
include_guard(GLOBAL)
find_path(TSR_STB_INCLUDE stb/stb_image.h)
if(NOT TSR_STB_INCLUDE)
  message(FATAL_ERROR "tessera: stb/stb_image.h not found (Debian: libstb-dev); tsr decodes image inputs with it")
endif()
add_library(tsr_stb_image STATIC ${PROJECT_SOURCE_DIR}/tools/tsr/stb_image_impl.c)
target_include_directories(tsr_stb_image SYSTEM PUBLIC ${TSR_STB_INCLUDE})
target_compile_options(tsr_stb_image PRIVATE -w)
target_link_libraries(tsr_stb_image PRIVATE m)
# stb_image_write (PNG) and stb_easy_font, for tsr run --save: same way.
find_path(TSR_STB_WRITE_INCLUDE stb/stb_image_write.h)
if(NOT TSR_STB_WRITE_INCLUDE)
  message(FATAL_ERROR "tessera: stb/stb_image_write.h not found (Debian: libstb-dev); tsr run --save writes PNGs with it")
endif()
add_library(tsr_stb_image_write STATIC ${PROJECT_SOURCE_DIR}/tools/tsr/stb_image_write_impl.c)
target_include_directories(tsr_stb_image_write SYSTEM PUBLIC ${TSR_STB_WRITE_INCLUDE})
target_include_directories(tsr_stb_image_write PRIVATE ${PROJECT_SOURCE_DIR})
target_compile_options(tsr_stb_image_write PRIVATE -w)
target_link_libraries(tsr_stb_image_write PRIVATE m)
