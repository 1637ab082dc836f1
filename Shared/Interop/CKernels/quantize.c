/* Int8 dense layers (rs_quantize_rows_s8, rs_dequantize_rows, rs_requantize_rows and the fused
 * LayerNorm and head-input quantizers): per-row activation quantization before the int8 GEMM, and
 * its f32 result (scales, bias, residual, ReLU) after. Generic, AVX2 and AVX-512 builds agree bit
 * for bit: every build computes each value with the same operations in the same order, and the
 * scalar helpers below are what the generic loops and the vector builds' tails use. */
#include "ckernels.h"
#include "simd.h"
#include <math.h>
#include <stdlib.h>

/* One product of an int8 GEMM back in f32: (row scale * column scale) * acc, plus the bias. */
static inline float product_value(float row_scale, float col_scale, int32_t acc, const float *bias, int c) {
    float v = (row_scale * col_scale) * (float)acc;
    return bias ? v + bias[c] : v;
}
static inline float relu_if(int relu, float v) { return relu ? (v > 0.0f ? v : 0.0f) : v; }

static void quantize_rows_generic(int rows, int cols, const float *restrict x, int ld, int8_t *restrict out, float *restrict scales) {
    for (int r = 0; r < rows; r++) {
        const float *row = x + (long)r * ld;
        float largest = 0.0f;
        for (int c = 0; c < cols; c++) largest = fmaxf(largest, fabsf(row[c]));
        float scale = largest > 0.0f ? largest / 127.0f : 1.0f;
        float inverse = 1.0f / scale;
        int8_t *q = out + (long)r * cols;
        for (int c = 0; c < cols; c++) q[c] = scalar_code(row[c], inverse);
        scales[r] = scale;
    }
}
/* The codes of one f32 row whose largest magnitude is `top`, and its scale: scale = top / 127 (1 for
 * a zero row), codes rounded to nearest even (MXCSR's default) and saturated to int8 (|x| / scale
 * <= 127), 64 at a time through store_codes64. Every AVX-512 quantizer ends here, so they agree. */
AVX512 static inline float quantize_row512(const float *row, int cols, float top, int8_t *q) {
    float scale = top > 0.0f ? top / 127.0f : 1.0f;
    __m512 inverse = _mm512_set1_ps(1.0f / scale);
    int c = 0;
    for (; c + 64 <= cols; c += 64) {
        __m512i w[4];
        for (int i = 0; i < 4; i++) w[i] = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(row + c + 16 * i), inverse));
        store_codes64(q + c, w[0], w[1], w[2], w[3]);
    }
    for (; c < cols; c += 16) {
        __mmask16 m = tail_mask(cols - c);
        __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + c), inverse));
        _mm512_mask_cvtsepi32_storeu_epi8(q + c, m, v);
    }
    return scale;
}

AVX512 static void quantize_rows_avx512(int rows, int cols, const float *restrict x, int ld, int8_t *restrict out, float *restrict scales) {
    const __m512 sign = _mm512_set1_ps(-0.0f);
    for (int r = 0; r < rows; r++) {
        const float *row = x + (long)r * ld;
        __m512 largest = _mm512_setzero_ps();
        for (int c = 0; c < cols; c += 16) {
            __mmask16 m = tail_mask(cols - c);
            largest = _mm512_max_ps(largest, _mm512_andnot_ps(sign, _mm512_maskz_loadu_ps(m, row + c)));
        }
        scales[r] = quantize_row512(row, cols, _mm512_reduce_max_ps(largest), out + (long)r * cols);
    }
}
static void dequantize_rows_generic(int rows, int cols, const int32_t *restrict acc, const float *restrict row_scales,
                                    const float *restrict col_scales, const float *restrict bias, int relu, int accumulate,
                                    float *restrict out, int ld) {
    for (int r = 0; r < rows; r++) {
        const int32_t *a = acc + (long)r * cols;
        float *o = out + (long)r * ld;
        for (int c = 0; c < cols; c++) {
            float v = product_value(row_scales[r], col_scales[c], a[c], bias, c);
            o[c] = relu_if(relu, accumulate ? v + o[c] : v);
        }
    }
}
AVX512 static void dequantize_rows_avx512(int rows, int cols, const int32_t *restrict acc, const float *restrict row_scales,
                                          const float *restrict col_scales, const float *restrict bias, int relu, int accumulate,
                                          float *restrict out, int ld) {
    const __m512 zero = _mm512_setzero_ps();
    for (int r = 0; r < rows; r++) {
        const int32_t *a = acc + (long)r * cols;
        float *o = out + (long)r * ld;
        __m512 rs = _mm512_set1_ps(row_scales[r]);
        for (int c = 0; c < cols; c += 16) {
            __mmask16 m = tail_mask(cols - c);
            __m512 v = _mm512_mul_ps(_mm512_mul_ps(rs, _mm512_maskz_loadu_ps(m, col_scales + c)),
                                     _mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(m, a + c)));
            if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + c));
            if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, o + c));
            if (relu) v = _mm512_max_ps(v, zero);
            _mm512_mask_storeu_ps(o + c, m, v);
        }
    }
}

/* One int8 layer's product requantized for the next int8 layer with no f32 pass between them:
   each row's values are computed as rs_dequantize_rows computes them (without accumulate), once for
   their largest magnitude and again to quantize them as rs_quantize_rows_s8 would. The row of
   int32 products stays in L1 between the passes. */
static inline float requantized_value(float row_scale, float col_scale, int32_t acc, const float *bias, int c, int relu) {
    return relu_if(relu, product_value(row_scale, col_scale, acc, bias, c));
}
static void requantize_rows_generic(int rows, int cols, const int32_t *restrict acc, const float *restrict row_scales,
                                    const float *restrict col_scales, const float *restrict bias, int relu, int8_t *restrict out,
                                    float *restrict out_scales) {
    for (int r = 0; r < rows; r++) {
        const int32_t *a = acc + (long)r * cols;
        float largest = 0.0f;
        for (int c = 0; c < cols; c++) largest = fmaxf(largest, fabsf(requantized_value(row_scales[r], col_scales[c], a[c], bias, c, relu)));
        float scale = largest > 0.0f ? largest / 127.0f : 1.0f;
        float inverse = 1.0f / scale;
        int8_t *q = out + (long)r * cols;
        for (int c = 0; c < cols; c++) q[c] = scalar_code(requantized_value(row_scales[r], col_scales[c], a[c], bias, c, relu), inverse);
        out_scales[r] = scale;
    }
}
AVX512 static inline __m512 requantized_value512(__m512 rs, const float *col_scales, const int32_t *a, const float *bias, int c,
                                                 __mmask16 m, int relu) {
    __m512 v = _mm512_mul_ps(_mm512_mul_ps(rs, _mm512_maskz_loadu_ps(m, col_scales + c)), _mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(m, a + c)));
    if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + c));
    return relu ? _mm512_max_ps(v, _mm512_setzero_ps()) : v;
}
/* Each row's values are computed once into `values` (the row stays in L1) with four running maxima,
 * then scaled and narrowed from there. */
AVX512 static void requantize_rows_avx512(int rows, int cols, const int32_t *restrict acc, const float *restrict row_scales,
                                          const float *restrict col_scales, const float *restrict bias, int relu, int8_t *restrict out,
                                          float *restrict out_scales, float *restrict values) {
    const __m512 sign = _mm512_set1_ps(-0.0f);
    for (int r = 0; r < rows; r++) {
        const int32_t *a = acc + (long)r * cols;
        __m512 rs = _mm512_set1_ps(row_scales[r]);
        __m512 largest[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        for (int c = 0; c < cols; c += 16) {
            __m512 v = requantized_value512(rs, col_scales, a, bias, c, tail_mask(cols - c), relu);
            _mm512_storeu_ps(values + c, v);
            largest[(c >> 4) & 3] = _mm512_max_ps(largest[(c >> 4) & 3], _mm512_andnot_ps(sign, v));
        }
        float top = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(largest[0], largest[1]), _mm512_max_ps(largest[2], largest[3])));
        out_scales[r] = quantize_row512(values, cols, top, out + (long)r * cols);
    }
}

/* ---------- AVX2 + FMA: the same computations eight lanes at a time, the same bits ---------- */

/* quantize_row512's twin: codes 32 at a time, then eight, then one by one as the generic loop. */
AVX2 static inline float quantize_row256(const float *row, int cols, float top, int8_t *q) {
    float scale = top > 0.0f ? top / 127.0f : 1.0f;
    float inverse = 1.0f / scale;
    __m256 inverse8 = _mm256_set1_ps(inverse);
    int c = 0;
    for (; c + 32 <= cols; c += 32) {
        __m256i w[4];
        for (int i = 0; i < 4; i++) w[i] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row + c + 8 * i), inverse8));
        store_codes32(q + c, w[0], w[1], w[2], w[3]);
    }
    for (; c + 8 <= cols; c += 8) store_codes8(q + c, _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row + c), inverse8)), 8, 0);
    for (; c < cols; c++) q[c] = scalar_code(row[c], inverse);
    return scale;
}

AVX2 static void quantize_rows_avx2(int rows, int cols, const float *restrict x, int ld, int8_t *restrict out, float *restrict scales) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int r = 0; r < rows; r++) {
        const float *row = x + (long)r * ld;
        __m256 largest = _mm256_setzero_ps();
        int c = 0;
        for (; c + 8 <= cols; c += 8) largest = _mm256_max_ps(largest, _mm256_andnot_ps(sign, _mm256_loadu_ps(row + c)));
        float top = hmax256(largest);
        for (; c < cols; c++) top = fmaxf(top, fabsf(row[c]));
        scales[r] = quantize_row256(row, cols, top, out + (long)r * cols);
    }
}

/* product_value and requantized_value eight lanes at a time. */
AVX2 static inline __m256 product_value256(__m256 rs, const float *col_scales, const int32_t *a, const float *bias, int c) {
    __m256 v = _mm256_mul_ps(_mm256_mul_ps(rs, _mm256_loadu_ps(col_scales + c)), _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(a + c))));
    return bias ? _mm256_add_ps(v, _mm256_loadu_ps(bias + c)) : v;
}
AVX2 static inline __m256 requantized_value256(__m256 rs, const float *col_scales, const int32_t *a, const float *bias, int c, int relu) {
    __m256 v = product_value256(rs, col_scales, a, bias, c);
    return relu ? _mm256_max_ps(v, _mm256_setzero_ps()) : v;
}

AVX2 static void dequantize_rows_avx2(int rows, int cols, const int32_t *restrict acc, const float *restrict row_scales,
                                      const float *restrict col_scales, const float *restrict bias, int relu, int accumulate,
                                      float *restrict out, int ld) {
    for (int r = 0; r < rows; r++) {
        const int32_t *a = acc + (long)r * cols;
        float *o = out + (long)r * ld;
        __m256 rs = _mm256_set1_ps(row_scales[r]);
        int c = 0;
        for (; c + 8 <= cols; c += 8) {
            __m256 v = product_value256(rs, col_scales, a, bias, c);
            if (accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(o + c));
            if (relu) v = _mm256_max_ps(v, _mm256_setzero_ps());
            _mm256_storeu_ps(o + c, v);
        }
        for (; c < cols; c++) {
            float v = product_value(row_scales[r], col_scales[c], a[c], bias, c);
            o[c] = relu_if(relu, accumulate ? v + o[c] : v);
        }
    }
}

/* requantize_rows_avx512's twin: each row's values once into `values`, then its codes. */
AVX2 static void requantize_rows_avx2(int rows, int cols, const int32_t *restrict acc, const float *restrict row_scales,
                                      const float *restrict col_scales, const float *restrict bias, int relu, int8_t *restrict out,
                                      float *restrict out_scales, float *restrict values) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int r = 0; r < rows; r++) {
        const int32_t *a = acc + (long)r * cols;
        __m256 rs = _mm256_set1_ps(row_scales[r]);
        __m256 largest[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
        int c = 0;
        for (; c + 8 <= cols; c += 8) {
            __m256 v = requantized_value256(rs, col_scales, a, bias, c, relu);
            _mm256_storeu_ps(values + c, v);
            largest[(c >> 3) & 1] = _mm256_max_ps(largest[(c >> 3) & 1], _mm256_andnot_ps(sign, v));
        }
        float top = hmax256(_mm256_max_ps(largest[0], largest[1]));
        for (; c < cols; c++) {
            values[c] = requantized_value(row_scales[r], col_scales[c], a[c], bias, c, relu);
            top = fmaxf(top, fabsf(values[c]));
        }
        out_scales[r] = quantize_row256(values, cols, top, out + (long)r * cols);
    }
}

void rs_requantize_rows(int path, int rows, int cols, const int32_t *acc, const float *row_scales, const float *col_scales,
                        const float *bias, int relu, int8_t *out, float *out_scales) {
    /* The row buffer lives on the stack, so rows wider than any FFN we serve take the generic path
       (same bits, slower) rather than a deep stack. */
    if (path == RS_PATH_AVX512 && cols <= 4096) {
        float values[(cols + 15) & ~15];
        requantize_rows_avx512(rows, cols, acc, row_scales, col_scales, bias, relu, out, out_scales, values);
    } else if (path == RS_PATH_AVX2 && cols <= 4096) {
        float values[cols];
        requantize_rows_avx2(rows, cols, acc, row_scales, col_scales, bias, relu, out, out_scales, values);
    } else requantize_rows_generic(rows, cols, acc, row_scales, col_scales, bias, relu, out, out_scales);
}

void rs_quantize_rows_s8(int path, int rows, int cols, const float *x, int ld, int8_t *out, float *scales) {
    if (path == RS_PATH_AVX512) quantize_rows_avx512(rows, cols, x, ld, out, scales);
    else if (path == RS_PATH_AVX2) quantize_rows_avx2(rows, cols, x, ld, out, scales);
    else quantize_rows_generic(rows, cols, x, ld, out, scales);
}

/* rs_layer_norm then rs_quantize_rows_s8 of its rows, bit for bit, with no f32 rows written, for
 * 64-wide rows (the model's width), 16 rows at a time: their statistics and largest magnitudes
 * come from transposing reductions, their normalized values wait in an L1 scratch block. */
AVX512 static void layer_norm_quantize64_avx512(int rows, const float *x, const float *w, const float *b, float eps, int8_t *out,
                                                float *scales) {
    const __m512 sign = _mm512_set1_ps(-0.0f);
    float means[16], inverse_stds[16], tops[16], values[16 * 64];
    for (int block = 0; block < rows; block += 16) {
        int count = rows - block < 16 ? rows - block : 16;
        layer_norm_stats16(x + (long)block * 64, count, 64, eps, means, inverse_stds);
        __m512 largest[16];
        for (int r = 0; r < 16; r++) {
            largest[r] = _mm512_setzero_ps();
            if (r >= count) continue;
            const float *in = x + (long)(block + r) * 64;
            __m512 mean = _mm512_set1_ps(means[r]), scale = _mm512_set1_ps(inverse_stds[r]);
            for (int i = 0; i < 64; i += 16) {
                __m512 v = layer_norm_value512(in, w, b, i, mean, scale);
                _mm512_storeu_ps(values + r * 64 + i, v);
                largest[r] = _mm512_max_ps(largest[r], _mm512_andnot_ps(sign, v));
            }
        }
        _mm512_storeu_ps(tops, transpose_max16(largest));
        for (int r = 0; r < count; r++) scales[block + r] = quantize_row512(values + r * 64, 64, tops[r], out + (long)(block + r) * 64);
    }
}

/* rs_head_features then rs_quantize_rows_s8 of its rows, bit for bit, with no feature rows written,
 * for 64-wide z and e, 16 rows at a time: each row's [z, e, z * e] is computed once for its
 * largest magnitude (reduced across the 16 rows by one transposing reduction) and again for its
 * codes. */
AVX512 static void head_features_quantize64_avx512(int rows, const float *z, const float *e, int8_t *out, float *scales) {
    const __m512 sign = _mm512_set1_ps(-0.0f);
    float tops[16];
    for (int block = 0; block < rows; block += 16) {
        int count = rows - block < 16 ? rows - block : 16;
        __m512 largest[16];
        for (int r = 0; r < 16; r++) {
            largest[r] = _mm512_setzero_ps();
            if (r >= count) continue;
            const float *zr = z + (long)(block + r) * 64, *er = e + (long)(block + r) * 64;
            for (int i = 0; i < 64; i += 16) {
                __m512 a = _mm512_loadu_ps(zr + i), b = _mm512_loadu_ps(er + i);
                __m512 m = _mm512_max_ps(_mm512_andnot_ps(sign, a), _mm512_andnot_ps(sign, b));
                largest[r] = _mm512_max_ps(largest[r], _mm512_max_ps(m, _mm512_andnot_ps(sign, _mm512_mul_ps(a, b))));
            }
        }
        _mm512_storeu_ps(tops, transpose_max16(largest));
        for (int r = 0; r < count; r++) {
            const float *zr = z + (long)(block + r) * 64, *er = e + (long)(block + r) * 64;
            float row_scale = tops[r] > 0.0f ? tops[r] / 127.0f : 1.0f;
            __m512 inverse = _mm512_set1_ps(1.0f / row_scale);
            __m512i zc[4], ec[4], pc[4];
            for (int i = 0; i < 4; i++) {
                __m512 a = _mm512_loadu_ps(zr + 16 * i), b = _mm512_loadu_ps(er + 16 * i);
                zc[i] = _mm512_cvtps_epi32(_mm512_mul_ps(a, inverse));
                ec[i] = _mm512_cvtps_epi32(_mm512_mul_ps(b, inverse));
                pc[i] = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_mul_ps(a, b), inverse));
            }
            int8_t *q = out + (long)(block + r) * 192;
            store_codes64(q, zc[0], zc[1], zc[2], zc[3]);
            store_codes64(q + 64, ec[0], ec[1], ec[2], ec[3]);
            store_codes64(q + 128, pc[0], pc[1], pc[2], pc[3]);
            scales[block + r] = row_scale;
        }
    }
}

/* A row of `count` floats for the fused kernels' fallbacks; like any allocation in this process,
   running out of memory ends it. */
static float *row_buffer(int count) {
    float *row = malloc(sizeof(float) * (size_t)(count > 0 ? count : 1));
    if (!row) abort();
    return row;
}

void rs_head_features_quantize(int path, int rows, int dim, const float *z, const float *e, int8_t *out, float *scales) {
    if (path == RS_PATH_AVX512 && dim == 64) {
        head_features_quantize64_avx512(rows, z, e, out, scales);
        return;
    }
    float *features = row_buffer(3 * dim);
    for (int r = 0; r < rows; r++) {
        rs_head_features(path, 1, dim, z + (long)r * dim, e + (long)r * dim, features);
        rs_quantize_rows_s8(path, 1, 3 * dim, features, 3 * dim, out + (long)r * 3 * dim, scales + r);
    }
    free(features);
}

void rs_layer_norm_quantize(int path, int rows, int dim, const float *x, const float *weight, const float *bias, float eps, int8_t *out,
                            float *scales) {
    if (path == RS_PATH_AVX512 && dim == 64) {
        layer_norm_quantize64_avx512(rows, x, weight, bias, eps, out, scales);
        return;
    }
    /* Row by row through one row buffer: the kernels are row-independent, so this is what the two
       calls give. */
    float *normed = row_buffer(dim);
    for (int r = 0; r < rows; r++) {
        rs_layer_norm(path, 1, dim, x + (long)r * dim, weight, bias, normed, eps);
        rs_quantize_rows_s8(path, 1, dim, normed, dim, out + (long)r * dim, scales + r);
    }
    free(normed);
}

void rs_dequantize_rows(int path, int rows, int cols, const int32_t *acc, const float *row_scales, const float *col_scales,
                        const float *bias, int relu, int accumulate, float *out, int ld) {
    if (path == RS_PATH_AVX512) dequantize_rows_avx512(rows, cols, acc, row_scales, col_scales, bias, relu, accumulate, out, ld);
    else if (path == RS_PATH_AVX2) dequantize_rows_avx2(rows, cols, acc, row_scales, col_scales, bias, relu, accumulate, out, ld);
    else dequantize_rows_generic(rows, cols, acc, row_scales, col_scales, bias, relu, accumulate, out, ld);
}
