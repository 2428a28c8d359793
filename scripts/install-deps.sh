#!/usr/bin/env bash
# Installs the Debian 12 packages Tessera's build and tests need. Idempotent:
# prints nothing and touches nothing when everything is already installed.
set -euo pipefail

PACKAGES=(
  build-essential pkg-config cmake ninja-build
  clang libclang-rt-14-dev
  libcunit1-dev libbenchmark-dev
  libvulkan-dev mesa-vulkan-drivers vulkan-tools vulkan-validationlayers
  glslc libshaderc-dev glslang-dev glslang-tools spirv-tools
  opencl-headers ocl-icd-opencl-dev pocl-opencl-icd clinfo
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user
  g++-aarch64-linux-gnu g++-arm-linux-gnueabihf
  libprotobuf-c-dev protobuf-c-compiler libonnx-dev libstb-dev
  python3 python3-venv
)

# Target libraries for the ARM cross builds (Debian multiarch): CUnit for
# the tests; libprotobuf-c for the ONNX importer (protoc-c, the generator,
# is the build machine's: protobuf-c-compiler above); the Vulkan and OpenCL
# loaders so those targets build for arm64.
CROSS_ARCHS=(arm64 armhf)
PACKAGES+=(
  libcunit1-dev:arm64 libcunit1-dev:armhf
  libprotobuf-c-dev:arm64 libprotobuf-c-dev:armhf
  libvulkan-dev:arm64 ocl-icd-opencl-dev:arm64
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
for a in "${CROSS_ARCHS[@]}"; do
  dpkg --print-foreign-architectures | grep -qx "$a" || $SUDO dpkg --add-architecture "$a"
done
# A mirror caught mid-sync fails one index; the install below says if that mattered.
$SUDO apt-get update -qq || echo "install-deps: apt-get update reported errors; trying the install anyway" >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
