/* What the kernel files share: the AVX2 and AVX-512 target attributes, tail masks, int8 and u8
 * code stores, and the f32 softmax's exp2. */
#ifndef RS_SIMD_H
#define RS_SIMD_H
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))

/* One value's int8 code: x / scale (as x * inverse) rounded to nearest even (the vector builds'
   conversion under MXCSR's default) and held to [-127, 127]. */
static inline int8_t scalar_code(float x, float inverse) {
    float v = rintf(x * inverse);
    return (int8_t)(v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v));
}

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

/* The AVX2 twins of the two stores above, for 32 codes in four vectors of eight: the packs
   interleave the two 128-bit lanes, one dword permute puts them back in order. */
AVX2 static inline void store_codes32(int8_t *q, __m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
    _mm256_storeu_si256((__m256i *)q, _mm256_permutevar8x32_epi32(packed, order));
}
AVX2 static inline void store_ucodes32(uint8_t *q, __m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    __m256i packed = _mm256_packus_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
    _mm256_storeu_si256((__m256i *)q, _mm256_permutevar8x32_epi32(packed, order));
}
/* The first `count` (at most 8) of eight int32 codes, narrowed by truncation: the callers' codes are
   already within the target type's range. */
AVX2 static inline void store_codes8(void *q, __m256i v, int count, int is_unsigned) {
    int32_t lanes[8];
    _mm256_storeu_si256((__m256i *)lanes, v);
    for (int i = 0; i < count; i++) {
        if (is_unsigned) ((uint8_t *)q)[i] = (uint8_t)lanes[i];
        else ((int8_t *)q)[i] = (int8_t)lanes[i];
    }
}
AVX2 static inline float hmax256(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
AVX2 static inline int32_t hsum256_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    return _mm_cvtsi128_si32(_mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1)));
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

/* Lane r of the result: the sum (or maximum) of v[r]'s 16 lanes, for 16 vectors at once (a
 * transposing tree: 30 instructions where 16 horizontal reductions take about 130). */
#define TRANSPOSE_REDUCE16(NAME, OP)                                                                                   \
    AVX512 static inline __m512 NAME(const __m512 v[16]) {                                                             \
        __m512 b[8], c[4], d[2];                                                                                       \
        for (int i = 0; i < 8; i++) b[i] = OP(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1])); \
        for (int i = 0; i < 4; i++) {                                                                                  \
            __m512d lo = _mm512_castps_pd(b[2 * i]), hi = _mm512_castps_pd(b[2 * i + 1]);                              \
            c[i] = OP(_mm512_castpd_ps(_mm512_unpacklo_pd(lo, hi)), _mm512_castpd_ps(_mm512_unpackhi_pd(lo, hi)));     \
        }                                                                                                              \
        for (int i = 0; i < 2; i++) d[i] = OP(_mm512_shuffle_f32x4(c[2 * i], c[2 * i + 1], 0x88), _mm512_shuffle_f32x4(c[2 * i], c[2 * i + 1], 0xDD)); \
        return OP(_mm512_shuffle_f32x4(d[0], d[1], 0x88), _mm512_shuffle_f32x4(d[0], d[1], 0xDD));                    \
    }
TRANSPOSE_REDUCE16(transpose_sum16, _mm512_add_ps)
TRANSPOSE_REDUCE16(transpose_max16, _mm512_max_ps)

/* Means and 1 / sqrt(variance + eps) of up to 16 rows (dim % 16 == 0), shared by the LayerNorm
 * kernels so they agree bit for bit. LayerNorm rows are short (64 values): one horizontal
 * reduction per row per statistic was most of the kernel's time. */
AVX512 static inline void layer_norm_stats16(const float *x, int rows, int dim, float eps, float *means, float *scales) {
    __m512 v[16];
    for (int r = 0; r < 16; r++) {
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        if (r < rows) {
            const float *in = x + (long)r * dim;
            int i = 0;
            for (; i + 32 <= dim; i += 32) {
                s0 = _mm512_add_ps(s0, _mm512_loadu_ps(in + i));
                s1 = _mm512_add_ps(s1, _mm512_loadu_ps(in + i + 16));
            }
            if (i < dim) s0 = _mm512_add_ps(s0, _mm512_loadu_ps(in + i));
        }
        v[r] = _mm512_add_ps(s0, s1);
    }
    _mm512_storeu_ps(means, _mm512_div_ps(transpose_sum16(v), _mm512_set1_ps((float)dim)));
    for (int r = 0; r < 16; r++) {
        __m512 v0 = _mm512_setzero_ps(), v1 = _mm512_setzero_ps();
        if (r < rows) {
            const float *in = x + (long)r * dim;
            __m512 mean = _mm512_set1_ps(means[r]);
            int i = 0;
            for (; i + 32 <= dim; i += 32) {
                __m512 c0 = _mm512_sub_ps(_mm512_loadu_ps(in + i), mean), c1 = _mm512_sub_ps(_mm512_loadu_ps(in + i + 16), mean);
                v0 = _mm512_fmadd_ps(c0, c0, v0);
                v1 = _mm512_fmadd_ps(c1, c1, v1);
            }
            if (i < dim) {
                __m512 c0 = _mm512_sub_ps(_mm512_loadu_ps(in + i), mean);
                v0 = _mm512_fmadd_ps(c0, c0, v0);
            }
        }
        v[r] = _mm512_add_ps(v0, v1);
    }
    __m512 variance = _mm512_add_ps(_mm512_div_ps(transpose_sum16(v), _mm512_set1_ps((float)dim)), _mm512_set1_ps(eps));
    _mm512_storeu_ps(scales, _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_sqrt_ps(variance)));
}

AVX512 static inline __m512 layer_norm_value512(const float *in, const float *w, const float *b, int i, __m512 mean, __m512 scale) {
    __m512 normed = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(in + i), mean), scale);
    return _mm512_fmadd_ps(normed, _mm512_loadu_ps(w + i), _mm512_loadu_ps(b + i));
}

#endif
