# Every ARM kernel variant, by the ISA flags its file is compiled with.
# aarch64: NEON is baseline; dotprod and i8mm files get their -march.
# 32-bit ARM: NEON files only (the toolchain's -mfpu=neon-vfpv4 enables them).
set(TSR_ARM_NEON_SOURCES
  matmul/arm/qmm_neon.c
  matmul/arm/gemm_neon.c
  norm/arm/norm_neon.c
  softmax/arm/softmax_neon.c
  attention/arm/attention_neon.c)
set(TSR_ARM_NEONDOT_SOURCES
  matmul/arm/qmm_neondot.c)
set(TSR_ARM_NEONI8MM_SOURCES
  matmul/arm/qmm_neoni8mm.c)
