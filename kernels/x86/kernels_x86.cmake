# Every x86 kernel variant, by the ISA flags its file is compiled with.
set(TSR_X86_AVX2_SOURCES
  matmul/x86/qmm_avx2.c
  matmul/x86/gemm_avx2.c)
set(TSR_X86_AVX512_SOURCES
  matmul/x86/qmm_avx512.c
  matmul/x86/gemm_avx512.c)
set(TSR_X86_AVX512VNNI_SOURCES
  matmul/x86/qmm_avx512vnni.c)
