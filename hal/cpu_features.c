/* CPU feature detection: x86 CPUID + XGETBV, ARM hwcaps. Result is a value. */
#include <stdio.h>
#include <string.h>

#include "tessera/tessera.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define TSR_X86 1
#endif

#if defined(__linux__) && (defined(__aarch64__) || defined(__arm__))
#include <sys/auxv.h>
#define TSR_ARM_LINUX 1
#endif

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#if TSR_X86
static uint64_t xgetbv0(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}

static void detect_x86(tsr_cpu_features *f) {
  unsigned a, b, c, d;
  snprintf(f->arch, sizeof(f->arch), "%s", sizeof(void *) == 8 ? "x86_64" : "x86");
  if (!__get_cpuid(0, &a, &b, &c, &d)) return;
  unsigned max_leaf = a;
  __get_cpuid(1, &a, &b, &c, &d);
  bool osxsave = (c >> 27) & 1;
  bool fma = (c >> 12) & 1, f16c = (c >> 29) & 1, avx = (c >> 28) & 1;
  uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  bool ymm_ok = (xcr0 & 0x6) == 0x6;
  bool zmm_ok = (xcr0 & 0xe6) == 0xe6;
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    bool avx2 = (b >> 5) & 1;
    bool avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1, avx512bw = (b >> 30) & 1,
         avx512vl = (b >> 31) & 1;
    bool vnni = (c >> 11) & 1;
    if (avx && avx2 && fma && f16c && ymm_ok) f->isa |= TSR_ISA_AVX2;
    if ((f->isa & TSR_ISA_AVX2) && avx512f && avx512dq && avx512bw && avx512vl && zmm_ok) {
      f->isa |= TSR_ISA_AVX512;
      if (vnni) f->isa |= TSR_ISA_AVX512VNNI;
    }
    unsigned a1, b1, c1, d1;
    __cpuid_count(7, 1, a1, b1, c1, d1);
    if ((f->isa & TSR_ISA_AVX512) && ((a1 >> 5) & 1)) f->isa |= TSR_ISA_AVX512BF16;
    if ((f->isa & TSR_ISA_AVX2) && ((a1 >> 4) & 1)) f->isa |= TSR_ISA_AVXVNNI;
    (void)d1, (void)b1, (void)c1;
  }
  __get_cpuid(0x80000000, &a, &b, &c, &d);
  if (a >= 0x80000004) {
    unsigned regs[12];
    for (unsigned i = 0; i < 3; ++i) {
      __get_cpuid(0x80000002 + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2],
                  &regs[4 * i + 3]);
    }
    char brand[49];
    memcpy(brand, regs, 48);
    brand[48] = '\0';
    const char *s = brand;
    while (*s == ' ') ++s;
    snprintf(f->brand, sizeof(f->brand), "%s", s);
  }
}
#endif

#if TSR_ARM_LINUX
static void detect_arm(tsr_cpu_features *f) {
#if defined(__aarch64__)
  snprintf(f->arch, sizeof(f->arch), "aarch64");
  unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
  f->isa |= TSR_ISA_NEON; /* AdvSIMD is mandatory on aarch64 */
  if (hw & (1ul << 20)) f->isa |= TSR_ISA_NEONDOT;   /* HWCAP_ASIMDDP */
  if (hw & (1ul << 10)) f->isa |= TSR_ISA_NEONFP16;  /* HWCAP_ASIMDHP */
  if (hw & (1ul << 22)) f->isa |= TSR_ISA_SVE;       /* HWCAP_SVE */
  if (hw2 & (1ul << 13)) f->isa |= TSR_ISA_NEONI8MM; /* HWCAP2_I8MM */
  if (hw2 & (1ul << 14)) f->isa |= TSR_ISA_NEONBF16; /* HWCAP2_BF16 */
#else
  snprintf(f->arch, sizeof(f->arch), "arm");
  unsigned long hw = getauxval(AT_HWCAP);
  if (hw & (1ul << 12)) f->isa |= TSR_ISA_NEON; /* HWCAP_NEON */
#endif
}
#endif

void tsr_cpu_detect(tsr_cpu_features *out) {
  memset(out, 0, sizeof(*out));
  out->n_cpus = 1;
#if defined(_SC_NPROCESSORS_ONLN)
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n > 0) out->n_cpus = (uint32_t)n;
#endif
#if TSR_X86
  detect_x86(out);
#elif TSR_ARM_LINUX
  detect_arm(out);
#else
  snprintf(out->arch, sizeof(out->arch), "unknown");
#endif
}

static const struct {
  uint32_t bit;
  const char *name;
} kIsaNames[] = {
    {TSR_ISA_AVX2, "avx2"},         {TSR_ISA_AVX512, "avx512"},
    {TSR_ISA_AVX512VNNI, "avx512vnni"}, {TSR_ISA_AVX512BF16, "avx512bf16"},
    {TSR_ISA_AVXVNNI, "avxvnni"},   {TSR_ISA_NEON, "neon"},
    {TSR_ISA_NEONDOT, "neondot"},   {TSR_ISA_NEONI8MM, "neoni8mm"},
    {TSR_ISA_NEONFP16, "neonfp16"}, {TSR_ISA_NEONBF16, "neonbf16"},
    {TSR_ISA_SVE, "sve"},
};

void tsr_isa_format(uint32_t isa, char *out, size_t out_size) {
  if (out_size == 0) return;
  out[0] = '\0';
  size_t used = 0;
  for (size_t i = 0; i < sizeof(kIsaNames) / sizeof(kIsaNames[0]); ++i) {
    if (!(isa & kIsaNames[i].bit)) continue;
    int n = snprintf(out + used, out_size - used, "%s%s", used ? " " : "", kIsaNames[i].name);
    if (n < 0 || (size_t)n >= out_size - used) break;
    used += (size_t)n;
  }
  if (used == 0) snprintf(out, out_size, "scalar");
}

uint32_t tsr_isa_parse(const char *name, bool *out_ok) {
  *out_ok = true;
  if (strcmp(name, "scalar") == 0) return 0;
  for (size_t i = 0; i < sizeof(kIsaNames) / sizeof(kIsaNames[0]); ++i) {
    if (strcmp(name, kIsaNames[i].name) == 0) return kIsaNames[i].bit;
  }
  *out_ok = false;
  return 0;
}
