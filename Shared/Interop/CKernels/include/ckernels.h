/* RecServe's CPU feature detection and the element-wise kernels that need a vector ISA chosen at
 * run time (softmax with exp, LayerNorm, bias and ReLU epilogues). Each kernel is compiled for
 * the generic x86-64 baseline, for AVX2+FMA and for AVX-512 with per-function target attributes,
 * so one binary runs everywhere and never executes an instruction the CPU lacks. */
#ifndef RECSERVE_CKERNELS_H
#define RECSERVE_CKERNELS_H
#include <stdint.h>

enum {
    RS_CPU_AVX2 = 1u << 0,
    RS_CPU_FMA = 1u << 1,
    RS_CPU_AVX512F = 1u << 2,
    RS_CPU_AVX512BW = 1u << 3,
    RS_CPU_AVX512VL = 1u << 4,
    RS_CPU_AVX512DQ = 1u << 5,
    RS_CPU_AVX512CD = 1u << 6,
    RS_CPU_AVX512_BF16 = 1u << 7,
    RS_CPU_AVX512_FP16 = 1u << 8,
    RS_CPU_AMX_TILE = 1u << 9,
    RS_CPU_AMX_BF16 = 1u << 10,
    RS_CPU_AMX_INT8 = 1u << 11,
    RS_CPU_F16C = 1u << 12,
    RS_CPU_AVX512_VNNI = 1u << 13,
    RS_CPU_AVX_VNNI = 1u << 14,
};

/* Features the CPU has and the OS has enabled (XGETBV), as RS_CPU_* bits. */
uint32_t rs_cpu_features(void);
/* The CPU's brand string (48 characters and a NUL). */
void rs_cpu_brand(char out[49]);

/* Kernel paths: which compiled variant runs. Callers pass one the CPU supports. */
enum { RS_PATH_GENERIC = 0, RS_PATH_AVX2 = 1, RS_PATH_AVX512 = 2 };

/* Softmax of each row over its first visible(r) = min(cols, limit, first_visible + r * step)
 * columns; later columns become 0 (the attention mask). With inverse_sums, rows are left
 * unnormalized (exp(x - max)) and 1/sum is written per row, so the caller can scale the (much
 * narrower) product P·V instead. */
void rs_softmax_rows(int path, int rows, int cols, float *x, int ld, int first_visible, int step, int limit, float *inverse_sums);
/* x[r][c] *= scales[r] for c < cols. */
void rs_scale_rows(int path, int rows, int cols, float *x, int ld, const float *scales);
/* x = max(x, 0) over n values. */
void rs_relu(int path, long n, float *x);
/* dy = x > 0 ? dy : 0 over n values (x: the ReLU's input). */
void rs_relu_backward(int path, long n, const float *x, float *dy);

/* For each row r: index[r] = the first c minimizing offset[c] + x[r * ld + c] over c < cols, and
 * value[r] that minimum (k-means' nearest centroid, with offset = |centroid|^2). */
void rs_argmin_rows(int path, int rows, int cols, const float *x, int ld, const float *offset, int *index, float *value);
/* Row-wise LayerNorm; out may alias x. */
void rs_layer_norm(int path, int rows, int dim, const float *x, const float *weight, const float *bias, float *out, float eps);
/* x[r][c] += bias[c] for every row, then max(0, ·) when relu is non-zero. */
void rs_bias_activation(int path, int rows, int cols, float *x, int ld, const float *bias, int relu);
/* The scoring head's input: row r of out is [z[r], e[r], z[r] * e[r]] (3 * dim floats). */
void rs_head_features(int path, int rows, int dim, const float *z, const float *e, float *out);
/* exp of each value (the kernels' exp, exposed for tests). */
void rs_exp(int path, int count, const float *x, float *out);

/* Symmetric int8 quantization of each row: scales[r] = max_c |x[r][c]| / 127 (1 for a zero row),
 * out[r * cols + c] = round-to-nearest-even(x[r][c] / scales[r]), within [-127, 127]. */
void rs_quantize_rows_s8(int path, int rows, int cols, const float *x, int ld, int8_t *out, float *scales);
/* rs_layer_norm then rs_quantize_rows_s8 of its result (rows x dim, packed), bit for bit, in one
 * kernel: a LayerNorm whose only reader is an int8 product. */
void rs_layer_norm_quantize(int path, int rows, int dim, const float *x, const float *weight, const float *bias, float eps, int8_t *out,
                            float *scales);
/* rs_head_features then rs_quantize_rows_s8 of its result (rows x 3 * dim), bit for bit, in one
 * kernel: the scoring head's input when its first layer is int8. */
void rs_head_features_quantize(int path, int rows, int dim, const float *z, const float *e, int8_t *out, float *scales);
/* The int8 product's f32 result: out[r][c] = (accumulate ? out[r][c] : 0) + row_scales[r] *
 * col_scales[c] * acc[r * cols + c] + (bias ? bias[c] : 0), then max(0, ·) when relu. */
void rs_dequantize_rows(int path, int rows, int cols, const int32_t *acc, const float *row_scales, const float *col_scales,
                        const float *bias, int relu, int accumulate, float *out, int ld);
/* rs_dequantize_rows (no accumulate) then rs_quantize_rows_s8 of its result, in one kernel with no
 * f32 rows written: out and out_scales are what those two would give, bit for bit. */
void rs_requantize_rows(int path, int rows, int cols, const int32_t *acc, const float *row_scales, const float *col_scales,
                        const float *bias, int relu, int8_t *out, float *out_scales);

/* Int8 attention (attention_int8.c). Symmetric int8 quantization of each column of a rows x cols
 * matrix: scales[c] = max_r |x[r][c]| / 127 (1 for a zero column), out[r * ldo + c] =
 * round-to-nearest-even(x[r][c] * (1 / scales[c])), within [-127, 127]. */
void rs_quantize_columns_s8(int path, int rows, int cols, const float *x, int ld, int8_t *out, int ldo, float *scales);
/* Softmax of int32 attention scores as u8 codes: t[r][c] = (scores[r][c] * row_scales[r]) *
 * col_scales[c] + col_bias[c] (powers of two), codes[r][c] = round(255 * 2^(t - max_c t)) (2^x to
 * 7.5e-5), so each row's largest weight is 255, and inverse_sums[r] = 1 / sum_c codes[r][c].
 * scratch: rs_softmax_codes_scratch(cols) floats the kernel may overwrite. */
int rs_softmax_codes_scratch(int cols);
void rs_softmax_codes(int path, int rows, int cols, const int32_t *scores, int ld, const float *row_scales, const float *col_scales,
                      const float *col_bias, uint8_t *codes, int ldc, float *inverse_sums, float *scratch);

#endif
