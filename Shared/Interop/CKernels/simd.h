/* What the kernel files share: the AVX-512 target attribute, tail masks, int8 and u8 code stores,
 * and the f32 softmax's exp2. */
#ifndef RS_SIMD_H
#define RS_SIMD_H
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))

static inline __mmask16 tail_mask(int remaining) { return remaining >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << remaining) - 1); }

/* 64 int32 codes (four vectors, in order) stored as 64 int8 with signed saturation: two saturating
   packs and one dword permute (the packs interleave 128-bit lanes). A masked narrowing store per 16
   values (vpmovsdb to memory) was most of the quantize kernel's time. */
AVX512 static inline void store_codes64(int8_t *q, __m512i a, __m512i b, __m512i c, __m512i d) {
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    __m512i packed = _mm512_packs_epi16(_mm512_packs_epi32(a, b), _mm512_packs_epi32(c, d));
    _mm512_storeu_si512(q, _mm512_permutexvar_epi32(order, packed));
}
/* 64 int32 codes in [0, 255] (four vectors, in order) stored as 64 u8: store_codes64 with unsigned
   saturation. */
AVX512 static inline void store_ucodes64(uint8_t *q, __m512i a, __m512i b, __m512i c, __m512i d) {
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    __m512i packed = _mm512_packus_epi16(_mm512_packs_epi32(a, b), _mm512_packs_epi32(c, d));
    _mm512_storeu_si512(q, _mm512_permutexvar_epi32(order, packed));
}

/* exp2_softmax512's polynomial for 2^f on [0, 1). */
#define EXP2_C5 1.8776139477e-3f
#define EXP2_C4 8.9893853292e-3f
#define EXP2_C3 5.5826134980e-2f
#define EXP2_C2 2.4015374482e-1f
#define EXP2_C1 6.9315302372e-1f
#define EXP2_C0 9.9999994040e-1f

/* e^(s - max) for the softmax, as 2^t with t = s log2(e) - max log2(e) (one FMA a vector):
 * VREDUCEPS splits off t's fraction f = t - floor(t), a degree-5 polynomial gives 2^f (relative
 * error 1.5e-7 on [0, 1), fitted for this), VSCALEFPS multiplies by 2^floor(t). About half the
 * instructions of kernels.c's exp512, where the softmax spent most of its time. What it gives up:
 * t's own rounding (|t| * 6e-8 relative, so only where e^(s - max) is already small beside a row
 * sum of at least 1), and below 2^-125 it returns about 2^-125 instead of 0 (never a subnormal).
 * An error common to a whole row (max log2(e) rounded) cancels in the normalization. */
AVX512 static inline __m512 exp2_softmax512(__m512 t) {
    t = _mm512_max_ps(t, _mm512_set1_ps(-125.0f));
    __m512 f = _mm512_reduce_ps(t, 0x01);
    __m512 p = _mm512_set1_ps(EXP2_C5);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(EXP2_C4));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(EXP2_C3));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(EXP2_C2));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(EXP2_C1));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(EXP2_C0));
    return _mm512_scalef_ps(p, t);
}

#endif
