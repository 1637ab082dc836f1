/* Element-wise kernels in three builds: generic x86-64, AVX2+FMA, AVX-512 (see ckernels.h).
 * exp is Cephes' expf in every build (range reduction by ln 2, degree-6 polynomial, about 2 ulp on
 * [-87, 88]; below -87 gives 0), so the paths differ only by rounding order; the one exception is
 * the AVX-512 softmax, whose exponentials are 2^t with a 1.5e-7 polynomial (exp2_softmax512). */
#include "ckernels.h"
#include "simd.h"
#include <math.h>

#define EXP_LOW -87.0f
#define LOG2E 1.44269504088896341f
#define LN2_HI 0.693359375f
#define LN2_LO -2.12194440e-4f
#define P0 1.9875691500e-4f
#define P1 1.3981999507e-3f
#define P2 8.3333519073e-3f
#define P3 4.1665795894e-2f
#define P4 1.6666665459e-1f
#define P5 5.0000001201e-1f

/* ---------- generic ---------- */

static inline float exp_scalar(float x) {
    if (!(x >= EXP_LOW)) return 0.0f;
    float n = nearbyintf(x * LOG2E);
    float r = x - n * LN2_HI - n * LN2_LO;
    float p = P0;
    p = p * r + P1;
    p = p * r + P2;
    p = p * r + P3;
    p = p * r + P4;
    p = p * r + P5;
    p = p * (r * r) + r + 1.0f;
    return ldexpf(p, (int)n);
}

static void softmax_rows_generic(int rows, int cols, float *x, int ld, int first, int step, int limit, float *inverse_out) {
    for (int r = 0; r < rows; r++) {
        float *row = x + (long)r * ld;
        int count = first + r * step;
        if (count > limit) count = limit;
        if (count > cols) count = cols;
        float max = -INFINITY;
        for (int c = 0; c < count; c++) max = row[c] > max ? row[c] : max;
        float total = 0;
        for (int c = 0; c < count; c++) {
            row[c] = exp_scalar(row[c] - max);
            total += row[c];
        }
        float inverse = 1.0f / total;
        if (inverse_out) inverse_out[r] = inverse;
        else for (int c = 0; c < count; c++) row[c] *= inverse;
        for (int c = count; c < cols; c++) row[c] = 0;
    }
}

static void layer_norm_generic(int rows, int dim, const float *x, const float *w, const float *b, float *out, float eps) {
    for (int r = 0; r < rows; r++) {
        const float *in = x + (long)r * dim;
        float *o = out + (long)r * dim;
        float mean = 0;
        for (int i = 0; i < dim; i++) mean += in[i];
        mean /= dim;
        float variance = 0;
        for (int i = 0; i < dim; i++) variance += (in[i] - mean) * (in[i] - mean);
        float scale = 1.0f / sqrtf(variance / dim + eps);
        for (int i = 0; i < dim; i++) o[i] = (in[i] - mean) * scale * w[i] + b[i];
    }
}

static void bias_activation_generic(int rows, int cols, float *x, int ld, const float *bias, int relu) {
    for (int r = 0; r < rows; r++) {
        float *row = x + (long)r * ld;
        for (int c = 0; c < cols; c++) {
            float v = row[c] + bias[c];
            row[c] = relu && v < 0 ? 0 : v;
        }
    }
}

/* ---------- AVX2 + FMA ---------- */

AVX2 static inline __m256 exp256(__m256 x) {
    __m256 keep = _mm256_cmp_ps(x, _mm256_set1_ps(EXP_LOW), _CMP_GE_OQ);
    x = _mm256_and_ps(x, keep);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
    __m256 p = _mm256_set1_ps(P0);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P5));
    p = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_and_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(e)), keep);
}

AVX2 static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AVX2 static void softmax_rows_avx2(int rows, int cols, float *x, int ld, int first, int step, int limit, float *inverse_out) {
    for (int r = 0; r < rows; r++) {
        float *row = x + (long)r * ld;
        int count = first + r * step;
        if (count > limit) count = limit;
        if (count > cols) count = cols;
        __m256 m = _mm256_set1_ps(-INFINITY);
        int c = 0;
        for (; c + 8 <= count; c += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(row + c));
        float max = hmax256(m);
        for (; c < count; c++) max = row[c] > max ? row[c] : max;
        __m256 shift = _mm256_set1_ps(max), sum = _mm256_setzero_ps();
        for (c = 0; c + 8 <= count; c += 8) {
            __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(row + c), shift));
            _mm256_storeu_ps(row + c, e);
            sum = _mm256_add_ps(sum, e);
        }
        if (c < count) {
            float tail[8];
            for (int j = 0; j < 8; j++) tail[j] = c + j < count ? row[c + j] - max : -INFINITY;
            __m256 e = exp256(_mm256_loadu_ps(tail));
            _mm256_storeu_ps(tail, e);
            sum = _mm256_add_ps(sum, e);
            for (int j = 0; c + j < count; j++) row[c + j] = tail[j];
        }
        __m256 inverse = _mm256_set1_ps(1.0f / hsum256(sum));
        if (inverse_out) {
            inverse_out[r] = _mm256_cvtss_f32(inverse);
        } else {
            for (c = 0; c + 8 <= count; c += 8) _mm256_storeu_ps(row + c, _mm256_mul_ps(_mm256_loadu_ps(row + c), inverse));
            for (; c < count; c++) row[c] *= _mm256_cvtss_f32(inverse);
        }
        for (c = count; c < cols; c++) row[c] = 0;
    }
}

AVX2 static void layer_norm_avx2(int rows, int dim, const float *x, const float *w, const float *b, float *out, float eps) {
    if (dim % 8 != 0) {
        layer_norm_generic(rows, dim, x, w, b, out, eps);
        return;
    }
    for (int r = 0; r < rows; r++) {
        const float *in = x + (long)r * dim;
        float *o = out + (long)r * dim;
        __m256 s = _mm256_setzero_ps();
        for (int i = 0; i < dim; i += 8) s = _mm256_add_ps(s, _mm256_loadu_ps(in + i));
        __m256 mean = _mm256_set1_ps(hsum256(s) / dim);
        __m256 v = _mm256_setzero_ps();
        for (int i = 0; i < dim; i += 8) {
            __m256 centered = _mm256_sub_ps(_mm256_loadu_ps(in + i), mean);
            v = _mm256_fmadd_ps(centered, centered, v);
        }
        __m256 scale = _mm256_set1_ps(1.0f / sqrtf(hsum256(v) / dim + eps));
        for (int i = 0; i < dim; i += 8) {
            __m256 normed = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(in + i), mean), scale);
            _mm256_storeu_ps(o + i, _mm256_fmadd_ps(normed, _mm256_loadu_ps(w + i), _mm256_loadu_ps(b + i)));
        }
    }
}

AVX2 static void bias_activation_avx2(int rows, int cols, float *x, int ld, const float *bias, int relu) {
    __m256 zero = _mm256_setzero_ps();
    for (int r = 0; r < rows; r++) {
        float *row = x + (long)r * ld;
        int c = 0;
        for (; c + 8 <= cols; c += 8) {
            __m256 v = _mm256_add_ps(_mm256_loadu_ps(row + c), _mm256_loadu_ps(bias + c));
            _mm256_storeu_ps(row + c, relu ? _mm256_max_ps(v, zero) : v);
        }
        for (; c < cols; c++) {
            float v = row[c] + bias[c];
            row[c] = relu && v < 0 ? 0 : v;
        }
    }
}

/* ---------- AVX-512 ---------- */


AVX512 static inline __m512 exp512(__m512 x) {
    __mmask16 keep = _mm512_cmp_ps_mask(x, _mm512_set1_ps(EXP_LOW), _CMP_GE_OQ);
    x = _mm512_maskz_mov_ps(keep, x);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HI), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_LO), r);
    __m512 p = _mm512_set1_ps(P0);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P5));
    p = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
    return _mm512_maskz_mov_ps(keep, _mm512_scalef_ps(p, n));
}


/* Four independent maxima over whole vectors, then the tail: a single accumulator merged by masked
 * loads made one dependency chain through the row. */
AVX512 static inline float row_max512(const float *row, int count) {
    __m512 m0 = _mm512_set1_ps(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
    int c = 0;
    for (; c + 64 <= count; c += 64) {
        m0 = _mm512_max_ps(m0, _mm512_loadu_ps(row + c));
        m1 = _mm512_max_ps(m1, _mm512_loadu_ps(row + c + 16));
        m2 = _mm512_max_ps(m2, _mm512_loadu_ps(row + c + 32));
        m3 = _mm512_max_ps(m3, _mm512_loadu_ps(row + c + 48));
    }
    for (; c + 16 <= count; c += 16) m0 = _mm512_max_ps(m0, _mm512_loadu_ps(row + c));
    if (c < count) m1 = _mm512_mask_max_ps(m1, tail_mask(count - c), m1, _mm512_maskz_loadu_ps(tail_mask(count - c), row + c));
    return _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
}

static inline int visible_columns(int r, int cols, int first, int step, int limit) {
    int count = first + r * step;
    if (count > limit) count = limit;
    return count > cols ? cols : count;
}

/* Rows go in blocks of 64: every row's maximum first, then every row's exponentials, so one row's
 * horizontal reductions overlap the next row's work instead of stalling it. */
AVX512 static void softmax_rows_avx512(int rows, int cols, float *x, int ld, int first, int step, int limit, float *inverse_out) {
    const __m512 log2e = _mm512_set1_ps(LOG2E);
    float shifts[64];
    for (int block = 0; block < rows; block += 64) {
        int end = block + 64 < rows ? block + 64 : rows;
        for (int r = block; r < end; r++)
            shifts[r - block] = row_max512(x + (long)r * ld, visible_columns(r, cols, first, step, limit)) * LOG2E;
        for (int r = block; r < end; r++) {
            float *row = x + (long)r * ld;
            int count = visible_columns(r, cols, first, step, limit);
            __m512 shift = _mm512_set1_ps(shifts[r - block]), sum = _mm512_setzero_ps();
            for (int c = 0; c < count; c += 16) {
                __mmask16 k = tail_mask(count - c);
                __m512 e = exp2_softmax512(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(k, row + c), log2e, shift));
                _mm512_mask_storeu_ps(row + c, k, e);
                sum = _mm512_mask_add_ps(sum, k, sum, e);
            }
            float total = _mm512_reduce_add_ps(sum);
            if (inverse_out) {
                inverse_out[r] = 1.0f / total;
            } else {
                __m512 inverse = _mm512_set1_ps(1.0f / total);
                for (int c = 0; c < count; c += 16) {
                    __mmask16 k = tail_mask(count - c);
                    _mm512_mask_storeu_ps(row + c, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, row + c), inverse));
                }
            }
            for (int c = count; c < cols; c += 16) _mm512_mask_storeu_ps(row + c, tail_mask(cols - c), _mm512_setzero_ps());
        }
    }
}

AVX512 static void layer_norm_avx512(int rows, int dim, const float *x, const float *w, const float *b, float *out, float eps) {
    if (dim % 16 != 0) {
        layer_norm_generic(rows, dim, x, w, b, out, eps);
        return;
    }
    float means[16], scales[16];
    for (int block = 0; block < rows; block += 16) {
        int count = rows - block < 16 ? rows - block : 16;
        layer_norm_stats16(x + (long)block * dim, count, dim, eps, means, scales);
        for (int r = 0; r < count; r++) {
            const float *in = x + (long)(block + r) * dim;
            float *o = out + (long)(block + r) * dim;
            __m512 mean = _mm512_set1_ps(means[r]), scale = _mm512_set1_ps(scales[r]);
            for (int i = 0; i < dim; i += 16) _mm512_storeu_ps(o + i, layer_norm_value512(in, w, b, i, mean, scale));
        }
    }
}

AVX512 static void bias_activation_avx512(int rows, int cols, float *x, int ld, const float *bias, int relu) {
    __m512 zero = _mm512_setzero_ps();
    for (int r = 0; r < rows; r++) {
        float *row = x + (long)r * ld;
        for (int c = 0; c < cols; c += 16) {
            __mmask16 k = tail_mask(cols - c);
            __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(k, row + c), _mm512_maskz_loadu_ps(k, bias + c));
            _mm512_mask_storeu_ps(row + c, k, relu ? _mm512_max_ps(v, zero) : v);
        }
    }
}

/* ---------- dispatch ---------- */

void rs_softmax_rows(int path, int rows, int cols, float *x, int ld, int first, int step, int limit, float *inverse_out) {
    switch (path) {
    case RS_PATH_AVX512: softmax_rows_avx512(rows, cols, x, ld, first, step, limit, inverse_out); break;
    case RS_PATH_AVX2: softmax_rows_avx2(rows, cols, x, ld, first, step, limit, inverse_out); break;
    default: softmax_rows_generic(rows, cols, x, ld, first, step, limit, inverse_out);
    }
}

void rs_layer_norm(int path, int rows, int dim, const float *x, const float *w, const float *b, float *out, float eps) {
    switch (path) {
    case RS_PATH_AVX512: layer_norm_avx512(rows, dim, x, w, b, out, eps); break;
    case RS_PATH_AVX2: layer_norm_avx2(rows, dim, x, w, b, out, eps); break;
    default: layer_norm_generic(rows, dim, x, w, b, out, eps);
    }
}

void rs_bias_activation(int path, int rows, int cols, float *x, int ld, const float *bias, int relu) {
    switch (path) {
    case RS_PATH_AVX512: bias_activation_avx512(rows, cols, x, ld, bias, relu); break;
    case RS_PATH_AVX2: bias_activation_avx2(rows, cols, x, ld, bias, relu); break;
    default: bias_activation_generic(rows, cols, x, ld, bias, relu);
    }
}

AVX2 static void exp_avx2(int count, const float *x, float *out) {
    int i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(out + i, exp256(_mm256_loadu_ps(x + i)));
    for (; i < count; i++) out[i] = exp_scalar(x[i]);
}

AVX512 static void exp_avx512(int count, const float *x, float *out) {
    for (int i = 0; i < count; i += 16) {
        __mmask16 k = tail_mask(count - i);
        _mm512_mask_storeu_ps(out + i, k, exp512(_mm512_maskz_loadu_ps(k, x + i)));
    }
}

void rs_exp(int path, int count, const float *x, float *out) {
    switch (path) {
    case RS_PATH_AVX512: exp_avx512(count, x, out); break;
    case RS_PATH_AVX2: exp_avx2(count, x, out); break;
    default:
        for (int i = 0; i < count; i++) out[i] = exp_scalar(x[i]);
    }
}

/* ---------- row scaling (the softmax's deferred normalization) ---------- */

static void scale_rows_generic(int rows, int cols, float *x, int ld, const float *scales) {
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) x[(long)r * ld + c] *= scales[r];
}

AVX512 static void scale_rows_avx512(int rows, int cols, float *x, int ld, const float *scales) {
    for (int r = 0; r < rows; r++) {
        float *row = x + (long)r * ld;
        __m512 s = _mm512_set1_ps(scales[r]);
        for (int c = 0; c < cols; c += 16) {
            __mmask16 k = tail_mask(cols - c);
            _mm512_mask_storeu_ps(row + c, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, row + c), s));
        }
    }
}

AVX2 static void scale_rows_avx2(int rows, int cols, float *x, int ld, const float *scales) {
    for (int r = 0; r < rows; r++) {
        float *row = x + (long)r * ld;
        __m256 s = _mm256_set1_ps(scales[r]);
        int c = 0;
        for (; c + 8 <= cols; c += 8) _mm256_storeu_ps(row + c, _mm256_mul_ps(_mm256_loadu_ps(row + c), s));
        for (; c < cols; c++) row[c] *= scales[r];
    }
}

void rs_scale_rows(int path, int rows, int cols, float *x, int ld, const float *scales) {
    switch (path) {
    case RS_PATH_AVX512: scale_rows_avx512(rows, cols, x, ld, scales); break;
    case RS_PATH_AVX2: scale_rows_avx2(rows, cols, x, ld, scales); break;
    default: scale_rows_generic(rows, cols, x, ld, scales);
    }
}

/* ---------- the scoring head's input rows [z, e, z * e] ---------- */

static void head_features_generic(int rows, int dim, const float *z, const float *e, float *out) {
    for (int r = 0; r < rows; r++) {
        const float *zr = z + (long)r * dim, *er = e + (long)r * dim;
        float *o = out + (long)r * 3 * dim;
        for (int i = 0; i < dim; i++) {
            o[i] = zr[i];
            o[dim + i] = er[i];
            o[2 * dim + i] = zr[i] * er[i];
        }
    }
}

AVX512 static void head_features_avx512(int rows, int dim, const float *z, const float *e, float *out) {
    for (int r = 0; r < rows; r++) {
        const float *zr = z + (long)r * dim, *er = e + (long)r * dim;
        float *o = out + (long)r * 3 * dim;
        for (int i = 0; i < dim; i += 16) {
            __mmask16 k = tail_mask(dim - i);
            __m512 a = _mm512_maskz_loadu_ps(k, zr + i), b = _mm512_maskz_loadu_ps(k, er + i);
            _mm512_mask_storeu_ps(o + i, k, a);
            _mm512_mask_storeu_ps(o + dim + i, k, b);
            _mm512_mask_storeu_ps(o + 2 * dim + i, k, _mm512_mul_ps(a, b));
        }
    }
}

void rs_head_features(int path, int rows, int dim, const float *z, const float *e, float *out) {
    if (path == RS_PATH_AVX512) head_features_avx512(rows, dim, z, e, out);
    else head_features_generic(rows, dim, z, e, out);
}

/* ReLU and its backward pass over a flat array (training). The same loop per ISA: with restrict
   and a target attribute the compiler vectorizes it into compares and blends. */
#define RELU_BODY for (long i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
#define RELU_BACKWARD_BODY for (long i = 0; i < n; i++) dy[i] = x[i] > 0.0f ? dy[i] : 0.0f;

static void relu_generic(long n, float *restrict x) { RELU_BODY }
AVX2 static void relu_avx2(long n, float *restrict x) { RELU_BODY }
AVX512 static void relu_avx512(long n, float *restrict x) { RELU_BODY }

static void relu_backward_generic(long n, const float *restrict x, float *restrict dy) { RELU_BACKWARD_BODY }
AVX2 static void relu_backward_avx2(long n, const float *restrict x, float *restrict dy) { RELU_BACKWARD_BODY }
AVX512 static void relu_backward_avx512(long n, const float *restrict x, float *restrict dy) { RELU_BACKWARD_BODY }

void rs_relu(int path, long n, float *x) {
    switch (path) {
    case RS_PATH_AVX512: relu_avx512(n, x); break;
    case RS_PATH_AVX2: relu_avx2(n, x); break;
    default: relu_generic(n, x);
    }
}

void rs_relu_backward(int path, long n, const float *x, float *dy) {
    switch (path) {
    case RS_PATH_AVX512: relu_backward_avx512(n, x, dy); break;
    case RS_PATH_AVX2: relu_backward_avx2(n, x, dy); break;
    default: relu_backward_generic(n, x, dy);
    }
}

/* ---- argmin of rows (k-means assignment) ---- */

static void argmin_rows_generic(int rows, int cols, const float *x, int ld, const float *offset, int *index, float *value) {
    for (int r = 0; r < rows; r++) {
        const float *row = x + (long)r * ld;
        int best = 0;
        float best_value = INFINITY;
        for (int c = 0; c < cols; c++) {
            float v = offset[c] + row[c];
            if (v < best_value) { best_value = v; best = c; }
        }
        index[r] = best;
        value[r] = best_value;
    }
}

AVX512 static void argmin_rows_avx512(int rows, int cols, const float *x, int ld, const float *offset, int *index, float *value) {
    const __m512i step = _mm512_set1_epi32(16);
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int r = 0; r < rows; r++) {
        const float *row = x + (long)r * ld;
        __m512 best = _mm512_set1_ps(INFINITY);
        __m512i best_index = _mm512_setzero_si512();
        __m512i at = lanes;
        int c = 0;
        for (; c + 16 <= cols; c += 16) {
            __m512 v = _mm512_add_ps(_mm512_loadu_ps(offset + c), _mm512_loadu_ps(row + c));
            __mmask16 better = _mm512_cmp_ps_mask(v, best, _CMP_LT_OQ);
            best = _mm512_mask_mov_ps(best, better, v);
            best_index = _mm512_mask_mov_epi32(best_index, better, at);
            at = _mm512_add_epi32(at, step);
        }
        float lane_value[16];
        int lane_index[16];
        _mm512_storeu_ps(lane_value, best);
        _mm512_storeu_si512(lane_index, best_index);
        int winner = 0;
        float winner_value = INFINITY;
        for (int l = 0; l < 16; l++) {
            /* Ties go to the lower index, as in the generic path. */
            if (lane_value[l] < winner_value || (lane_value[l] == winner_value && lane_index[l] < winner)) {
                winner_value = lane_value[l];
                winner = lane_index[l];
            }
        }
        for (; c < cols; c++) {
            float v = offset[c] + row[c];
            if (v < winner_value) { winner_value = v; winner = c; }
        }
        index[r] = winner;
        value[r] = winner_value;
    }
}

void rs_argmin_rows(int path, int rows, int cols, const float *x, int ld, const float *offset, int *index, float *value) {
    switch (path) {
    case RS_PATH_AVX512: argmin_rows_avx512(rows, cols, x, ld, offset, index, value); break;
    default: argmin_rows_generic(rows, cols, x, ld, offset, index, value);
    }
}
