# Shared by the Linux cross toolchain files: TSR_CROSS_TRIPLE names the
# Debian multiarch triple. Libraries and headers come from the cross libc
# (/usr/<triple>) and from Debian multiarch packages (`dpkg --add-architecture`
# then `apt-get install libfoo-dev:arm64`: /usr/lib/<triple>, /usr/include);
# programs (glslc, protoc-c) from the build machine.
set(CMAKE_FIND_ROOT_PATH /usr/${TSR_CROSS_TRIPLE} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_LIBRARY_ARCHITECTURE ${TSR_CROSS_TRIPLE})

# pkg-config must see only the target's .pc files, never the build machine's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${TSR_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# gcc's format-truncation, stringop-overflow and maybe-uninitialized
# diagnostics depend on what gets inlined, which differs per target: on the
# cross builds they flag code the native -Werror build (the ci preset)
# accepts. Off here only.
string(APPEND CMAKE_C_FLAGS_INIT " -Wno-format-truncation -Wno-stringop-overflow -Wno-maybe-uninitialized")
