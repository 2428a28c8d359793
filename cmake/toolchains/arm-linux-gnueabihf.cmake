# Cross-compilation for 32-bit ARM Linux, hard float, NEON (armv7-a with
# VFPv4 + NEON, as Cortex-A7/A9/A15 boards). Debian's armhf default has no
# NEON, hence -mfpu. Tests run under qemu-arm.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(TSR_CROSS_TRIPLE arm-linux-gnueabihf)

set(CMAKE_C_COMPILER ${TSR_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${TSR_CROSS_TRIPLE}-g++)
# -Wno-type-limits: range checks written for a 64-bit size_t ("size >
# INT64_MAX") are always false with a 32-bit one, which is what they should be.
# -D_FILE_OFFSET_BITS=64: 64-bit file offsets and inode numbers (files over
# 2 GiB; readdir/stat fail with EOVERFLOW on a host file system otherwise).
set(CMAKE_C_FLAGS_INIT "-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard -D_FILE_OFFSET_BITS=64 -Wno-type-limits")
set(CMAKE_CXX_FLAGS_INIT "-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard")

# LD_LIBRARY_PATH=/lib (under the -L prefix: the cross libc) keeps ld.so and
# libc from the same package when a multiarch libc6:<arch> is installed too.
set(CMAKE_CROSSCOMPILING_EMULATOR "qemu-arm;-L;/usr/${TSR_CROSS_TRIPLE};-E;LD_LIBRARY_PATH=/lib")

include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
