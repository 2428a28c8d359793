# Cross-compilation for 64-bit ARM Linux (Debian's gcc-aarch64-linux-gnu).
# Cross-built tests run under qemu-user through CMAKE_CROSSCOMPILING_EMULATOR;
# QEMU_CPU in the environment picks the CPU model (cortex-a72: NEON,
# cortex-a76: + dotprod/fp16, max: + i8mm).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(TSR_CROSS_TRIPLE aarch64-linux-gnu)

set(CMAKE_C_COMPILER ${TSR_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${TSR_CROSS_TRIPLE}-g++)
# -fno-tree-loop-vectorize: Debian's gcc 12.2 for aarch64 crashes (internal
# compiler error in vect_transform_reduction) vectorizing fmax reductions at
# -O3; the NEON kernels are written with intrinsics and do not depend on it.
set(CMAKE_C_FLAGS_INIT "-march=armv8-a -fno-tree-loop-vectorize")

# LD_LIBRARY_PATH=/lib (under the -L prefix: the cross libc) keeps ld.so and
# libc from the same package when a multiarch libc6:<arch> is installed too.
set(CMAKE_CROSSCOMPILING_EMULATOR "qemu-aarch64;-L;/usr/${TSR_CROSS_TRIPLE};-E;LD_LIBRARY_PATH=/lib")

include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
