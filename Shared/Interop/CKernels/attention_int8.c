/* Int8 attention for candidates (SequenceModel+Int8Attention.swift): per request, each layer's
 * history side becomes two int8 matrices (queries-times-keys and values-times-output, quantized
 * per column by rs_quantize_columns_s8); per micro-batch, the scores come from one int8 GEMM and
 * rs_softmax_codes turns them into u8 attention weights for a u8 x s8 GEMM. Generic, AVX2 and
 * AVX-512 builds agree bit for bit. */
#include "ckernels.h"
#include "simd.h"
#include <math.h>

static void quantize_columns_generic(int rows, int cols, const float *x, int ld, int8_t *out, int ldo, float *scales) {
    for (int c = 0; c < cols; c++) scales[c] = 0.0f;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) scales[c] = fmaxf(scales[c], fabsf(x[(long)r * ld + c]));
    for (int c = 0; c < cols; c++) scales[c] = scales[c] > 0.0f ? scales[c] / 127.0f : 1.0f;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) out[(long)r * ldo + c] = scalar_code(x[(long)r * ld + c], 1.0f / scales[c]);
}

/* Column maxima accumulate in `scales` row by row (16 columns a vector); the codes then go out 64
 * at a time with store_codes64, as the row quantizer's do. */
AVX512 static void quantize_columns_avx512(int rows, int cols, const float *x, int ld, int8_t *out, int ldo, float *scales) {
    const __m512 sign = _mm512_set1_ps(-0.0f);
    for (int c = 0; c < cols; c++) scales[c] = 0.0f;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c += 16) {
            __mmask16 k = tail_mask(cols - c);
            __m512 v = _mm512_andnot_ps(sign, _mm512_maskz_loadu_ps(k, x + (long)r * ld + c));
            _mm512_mask_storeu_ps(scales + c, k, _mm512_max_ps(v, _mm512_maskz_loadu_ps(k, scales + c)));
        }
    for (int c = 0; c < cols; c++) scales[c] = scales[c] > 0.0f ? scales[c] / 127.0f : 1.0f;
    for (int r = 0; r < rows; r++) {
        const float *row = x + (long)r * ld;
        int8_t *q = out + (long)r * ldo;
        int c = 0;
        for (; c + 64 <= cols; c += 64) {
            __m512i w[4];
            for (int i = 0; i < 4; i++) {
                __m512 inverse = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_loadu_ps(scales + c + 16 * i));
                w[i] = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(row + c + 16 * i), inverse));
            }
            store_codes64(q + c, w[0], w[1], w[2], w[3]);
        }
        for (; c < cols; c += 16) {
            __mmask16 k = tail_mask(cols - c);
            __m512 inverse = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_mask_loadu_ps(_mm512_set1_ps(1.0f), k, scales + c));
            __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, row + c), inverse));
            _mm512_mask_cvtsepi32_storeu_epi8(q + c, k, v);
        }
    }
}

AVX2 static void quantize_columns_avx2(int rows, int cols, const float *x, int ld, int8_t *out, int ldo, float *scales) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int c = 0; c < cols; c++) scales[c] = 0.0f;
    int whole = cols & ~7;
    for (int r = 0; r < rows; r++) {
        const float *row = x + (long)r * ld;
        for (int c = 0; c < whole; c += 8)
            _mm256_storeu_ps(scales + c, _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(row + c)), _mm256_loadu_ps(scales + c)));
        for (int c = whole; c < cols; c++) scales[c] = fmaxf(scales[c], fabsf(row[c]));
    }
    for (int c = 0; c < cols; c++) scales[c] = scales[c] > 0.0f ? scales[c] / 127.0f : 1.0f;
    for (int r = 0; r < rows; r++) {
        const float *row = x + (long)r * ld;
        int8_t *q = out + (long)r * ldo;
        int c = 0;
        for (; c + 32 <= cols; c += 32) {
            __m256i w[4];
            for (int i = 0; i < 4; i++) {
                __m256 inverse = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_loadu_ps(scales + c + 8 * i));
                w[i] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row + c + 8 * i), inverse));
            }
            store_codes32(q + c, w[0], w[1], w[2], w[3]);
        }
        for (; c + 8 <= cols; c += 8) {
            __m256 inverse = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_loadu_ps(scales + c));
            store_codes8(q + c, _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row + c), inverse)), 8, 0);
        }
        for (; c < cols; c++) q[c] = scalar_code(row[c], 1.0f / scales[c]);
    }
}

void rs_quantize_columns_s8(int path, int rows, int cols, const float *x, int ld, int8_t *out, int ldo, float *scales) {
    if (path == RS_PATH_AVX512) quantize_columns_avx512(rows, cols, x, ld, out, ldo, scales);
    else if (path == RS_PATH_AVX2) quantize_columns_avx2(rows, cols, x, ld, out, ldo, scales);
    else quantize_columns_generic(rows, cols, x, ld, out, ldo, scales);
}

/* 255 * 2^(t - top) for the codes, as 2^u with u = t - (top - log2(255)): the codes are u8, so a
 * degree-3 polynomial for 2^f (relative error 7.5e-5, under 0.02 of a code) does; u >= -125 keeps
 * every result normal (codes there are 0 anyway). The scalar twin gives the same bits. */
#define LOG2_255 7.99435343685886f
#define CODE_C3 7.8025825322e-2f
#define CODE_C2 2.2606885433e-1f
#define CODE_C1 6.9583094120e-1f
#define CODE_C0 9.9992561340e-1f

static inline float code_value(float u) {
    u = u > -125.0f ? u : -125.0f;
    float whole = floorf(u), f = u - whole;
    float p = fmaf(fmaf(fmaf(CODE_C3, f, CODE_C2), f, CODE_C1), f, CODE_C0);
    return ldexpf(p, (int)whole);
}

AVX512 static inline __m512i code512(__m512 u) {
    u = _mm512_max_ps(u, _mm512_set1_ps(-125.0f));
    __m512 f = _mm512_reduce_ps(u, 0x01);
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(CODE_C3), f, _mm512_set1_ps(CODE_C2));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(CODE_C1));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(CODE_C0));
    return _mm512_cvtps_epi32(_mm512_scalef_ps(p, u));
}

/* t = (score * row_scale) * col_scale + col_bias: the caller folds 1/sqrt(head dim) and log2(e)
 * into col_scale and col_bias, so t is already in powers of two. */
static inline float code_exponent(int32_t score, float row_scale, float col_scale, float col_bias) {
    return fmaf((float)score * row_scale, col_scale, col_bias);
}

static void softmax_codes_generic(int rows, int cols, const int32_t *scores, int ld, const float *row_scales, const float *col_scales,
                                  const float *col_bias, uint8_t *codes, int ldc, float *inverse_sums) {
    for (int r = 0; r < rows; r++) {
        const int32_t *s = scores + (long)r * ld;
        float top = -INFINITY;
        for (int c = 0; c < cols; c++) top = fmaxf(top, code_exponent(s[c], row_scales[r], col_scales[c], col_bias[c]));
        float shift = top - LOG2_255;
        int32_t total = 0;
        for (int c = 0; c < cols; c++) {
            int32_t code = (int32_t)nearbyintf(code_value(code_exponent(s[c], row_scales[r], col_scales[c], col_bias[c]) - shift));
            codes[(long)r * ldc + c] = (uint8_t)code;
            total += code;
        }
        inverse_sums[r] = 1.0f / (float)total;
    }
}

AVX512 static inline __m512 code_exponent512(const int32_t *s, __m512 row_scale, const float *col_scales, const float *col_bias, __mmask16 k) {
    __m512 score = _mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(k, s));
    return _mm512_fmadd_ps(_mm512_mul_ps(score, row_scale), _mm512_maskz_loadu_ps(k, col_scales), _mm512_maskz_loadu_ps(k, col_bias));
}

/* Rows go in blocks of 16: each row's exponents t are computed once (into `scratch`, with four
 * running maxima), then every row's codes; so one row's horizontal reductions overlap other rows'
 * work, and the codes go out 64 at a time. */
AVX512 static void softmax_codes_avx512(int rows, int cols, const int32_t *scores, int ld, const float *row_scales, const float *col_scales,
                                        const float *col_bias, uint8_t *codes, int ldc, float *inverse_sums, float *scratch) {
    int stride = (cols + 15) & ~15;
    float tops[16];
    for (int block = 0; block < rows; block += 16) {
        int end = block + 16 < rows ? block + 16 : rows;
        for (int r = block; r < end; r++) {
            const int32_t *s = scores + (long)r * ld;
            float *t = scratch + (long)(r - block) * stride;
            __m512 rs = _mm512_set1_ps(row_scales[r]);
            __m512 m[4] = {_mm512_set1_ps(-INFINITY), _mm512_set1_ps(-INFINITY), _mm512_set1_ps(-INFINITY), _mm512_set1_ps(-INFINITY)};
            int c = 0;
            for (; c + 16 <= cols; c += 16) {
                __m512 v = code_exponent512(s + c, rs, col_scales + c, col_bias + c, 0xFFFF);
                _mm512_storeu_ps(t + c, v);
                m[(c >> 4) & 3] = _mm512_max_ps(m[(c >> 4) & 3], v);
            }
            if (c < cols) {
                __mmask16 k = tail_mask(cols - c);
                __m512 v = code_exponent512(s + c, rs, col_scales + c, col_bias + c, k);
                _mm512_storeu_ps(t + c, v);
                m[3] = _mm512_mask_max_ps(m[3], k, m[3], v);
            }
            tops[r - block] = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m[0], m[1]), _mm512_max_ps(m[2], m[3])));
        }
        for (int r = block; r < end; r++) {
            const float *t = scratch + (long)(r - block) * stride;
            __m512 shift = _mm512_set1_ps(tops[r - block] - LOG2_255);
            __m512i total = _mm512_setzero_si512();
            uint8_t *out = codes + (long)r * ldc;
            int c = 0;
            for (; c + 64 <= cols; c += 64) {
                __m512i w[4];
                for (int i = 0; i < 4; i++) {
                    w[i] = code512(_mm512_sub_ps(_mm512_loadu_ps(t + c + 16 * i), shift));
                    total = _mm512_add_epi32(total, w[i]);
                }
                store_ucodes64(out + c, w[0], w[1], w[2], w[3]);
            }
            for (; c < cols; c += 16) {
                __mmask16 k = tail_mask(cols - c);
                __m512i code = _mm512_maskz_mov_epi32(k, code512(_mm512_sub_ps(_mm512_loadu_ps(t + c), shift)));
                _mm512_mask_cvtusepi32_storeu_epi8(out + c, k, code);
                total = _mm512_add_epi32(total, code);
            }
            inverse_sums[r] = 1.0f / (float)_mm512_reduce_add_epi32(total);
        }
    }
}

/* code512's AVX2 twin: 2^floor(u) goes into the exponent field by an integer add (exactly what
 * VSCALEFPS and ldexpf give: p >= 0.9999 and u >= -125 keep the result normal). */
AVX2 static inline __m256i code256(__m256 u) {
    u = _mm256_max_ps(u, _mm256_set1_ps(-125.0f));
    __m256 whole = _mm256_floor_ps(u), f = _mm256_sub_ps(u, whole);
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(CODE_C3), f, _mm256_set1_ps(CODE_C2));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(CODE_C1));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(CODE_C0));
    __m256i scaled = _mm256_add_epi32(_mm256_castps_si256(p), _mm256_slli_epi32(_mm256_cvttps_epi32(whole), 23));
    return _mm256_cvtps_epi32(_mm256_castsi256_ps(scaled));
}

/* One row at a time: its exponents t into `scratch` with their maximum, padded with -inf to whole
 * vectors (a code of 0, so the padding adds nothing to the sum), then its codes 32 at a time. */
AVX2 static void softmax_codes_avx2(int rows, int cols, const int32_t *scores, int ld, const float *row_scales, const float *col_scales,
                                    const float *col_bias, uint8_t *codes, int ldc, float *inverse_sums, float *t) {
    int padded = (cols + 7) & ~7;
    for (int r = 0; r < rows; r++) {
        const int32_t *s = scores + (long)r * ld;
        __m256 rs = _mm256_set1_ps(row_scales[r]);
        __m256 m[2] = {_mm256_set1_ps(-INFINITY), _mm256_set1_ps(-INFINITY)};
        int c = 0;
        for (; c + 8 <= cols; c += 8) {
            __m256 score = _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(s + c)));
            __m256 v = _mm256_fmadd_ps(_mm256_mul_ps(score, rs), _mm256_loadu_ps(col_scales + c), _mm256_loadu_ps(col_bias + c));
            _mm256_storeu_ps(t + c, v);
            m[(c >> 3) & 1] = _mm256_max_ps(m[(c >> 3) & 1], v);
        }
        float top = hmax256(_mm256_max_ps(m[0], m[1]));
        for (; c < cols; c++) {
            t[c] = code_exponent(s[c], row_scales[r], col_scales[c], col_bias[c]);
            top = fmaxf(top, t[c]);
        }
        for (; c < padded; c++) t[c] = -INFINITY;
        __m256 shift = _mm256_set1_ps(top - LOG2_255);
        __m256i total = _mm256_setzero_si256();
        uint8_t *out = codes + (long)r * ldc;
        c = 0;
        for (; c + 32 <= cols; c += 32) {
            __m256i w[4];
            for (int i = 0; i < 4; i++) {
                w[i] = code256(_mm256_sub_ps(_mm256_loadu_ps(t + c + 8 * i), shift));
                total = _mm256_add_epi32(total, w[i]);
            }
            store_ucodes32(out + c, w[0], w[1], w[2], w[3]);
        }
        for (; c < padded; c += 8) {
            __m256i code = code256(_mm256_sub_ps(_mm256_loadu_ps(t + c), shift));
            store_codes8(out + c, code, cols - c < 8 ? cols - c : 8, 1);
            total = _mm256_add_epi32(total, code);
        }
        inverse_sums[r] = 1.0f / (float)hsum256_epi32(total);
    }
}

/* Sixteen rows of exponents, each padded to whole vectors (softmax_codes_avx512's blocks). */
int rs_softmax_codes_scratch(int cols) { return 16 * ((cols + 15) & ~15); }

void rs_softmax_codes(int path, int rows, int cols, const int32_t *scores, int ld, const float *row_scales, const float *col_scales,
                      const float *col_bias, uint8_t *codes, int ldc, float *inverse_sums, float *scratch) {
    if (path == RS_PATH_AVX512) softmax_codes_avx512(rows, cols, scores, ld, row_scales, col_scales, col_bias, codes, ldc, inverse_sums, scratch);
    else if (path == RS_PATH_AVX2) softmax_codes_avx2(rows, cols, scores, ld, row_scales, col_scales, col_bias, codes, ldc, inverse_sums, scratch);
    else softmax_codes_generic(rows, cols, scores, ld, row_scales, col_scales, col_bias, codes, ldc, inverse_sums);
}
