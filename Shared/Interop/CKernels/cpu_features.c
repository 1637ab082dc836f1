#include "ckernels.h"
#include <cpuid.h>
#include <string.h>

static uint64_t xgetbv0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

uint32_t rs_cpu_features(void) {
    unsigned a, b, c, d;
    uint32_t features = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1;
    int avx = (c >> 28) & 1;
    if (c & (1u << 29)) features |= RS_CPU_F16C;
    int fma = (c >> 12) & 1;
    if (!osxsave || !avx) return features;
    uint64_t xcr0 = xgetbv0();
    int ymm = (xcr0 & 0x6) == 0x6;           /* SSE and AVX state */
    int zmm = (xcr0 & 0xE6) == 0xE6;         /* plus opmask, ZMM_Hi256, Hi16_ZMM */
    int tiles = (xcr0 & 0x60000) == 0x60000; /* XTILECFG and XTILEDATA */
    if (!ymm) return features;
    if (fma) features |= RS_CPU_FMA;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return features;
    if (b & (1u << 5)) features |= RS_CPU_AVX2;
    if (zmm) {
        if (b & (1u << 16)) features |= RS_CPU_AVX512F;
        if (b & (1u << 17)) features |= RS_CPU_AVX512DQ;
        if (b & (1u << 28)) features |= RS_CPU_AVX512CD;
        if (b & (1u << 30)) features |= RS_CPU_AVX512BW;
        if (b & (1u << 31)) features |= RS_CPU_AVX512VL;
        if (d & (1u << 23)) features |= RS_CPU_AVX512_FP16;
        if (c & (1u << 11)) features |= RS_CPU_AVX512_VNNI;
    }
    if (tiles) {
        if (d & (1u << 24)) features |= RS_CPU_AMX_TILE;
        if (d & (1u << 22)) features |= RS_CPU_AMX_BF16;
        if (d & (1u << 25)) features |= RS_CPU_AMX_INT8;
    }
    unsigned a1, b1, c1, d1;
    if (zmm && __get_cpuid_count(7, 1, &a1, &b1, &c1, &d1) && (a1 & (1u << 5))) features |= RS_CPU_AVX512_BF16;
    if (__get_cpuid_count(7, 1, &a1, &b1, &c1, &d1) && (a1 & (1u << 4))) features |= RS_CPU_AVX_VNNI;
    return features;
}

void rs_cpu_brand(char out[49]) {
    unsigned regs[12] = {0};
    memset(out, 0, 49);
    unsigned max = __get_cpuid_max(0x80000000, 0);
    if (max < 0x80000004) return;
    for (unsigned i = 0; i < 3; i++) __get_cpuid(0x80000002 + i, &regs[i * 4], &regs[i * 4 + 1], &regs[i * 4 + 2], &regs[i * 4 + 3]);
    memcpy(out, regs, 48);
}
