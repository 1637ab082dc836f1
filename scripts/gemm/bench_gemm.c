/* Single-thread SGEMM rates on the shapes RecServe's model runs, for one library per build
 * (scripts/bench-gemm.sh builds this once per library: OpenBLAS, BLIS, oneDNN, libxsmm).
 * Row-major, as the model stores its matrices; the attention shapes address one head's 32
 * columns inside 64-wide rows (lda/ldb 64), as the model does. Prints one line per shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(USE_CBLAS)
#include <cblas.h>
static const char *library = LIBNAME;
static void gemm(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}
#elif defined(USE_DNNL)
#include <oneapi/dnnl/dnnl.h>
static const char *library = "oneDNN dnnl_sgemm";
static void gemm(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc) {
    dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}
#elif defined(USE_XSMM)
#include <libxsmm.h>
static const char *library = "libxsmm JIT (libxsmm_sgemm: JIT kernels, BLAS fallback for shapes it does not generate)";
/* Column-major libxsmm: row-major C = op(A) op(B) is column-major C' = op(B)' op(A)'. */
static void gemm(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc) {
    const char tA = tb ? 'T' : 'N', tB = ta ? 'T' : 'N';
    const float alpha = 1, beta = 0;
    const libxsmm_blasint M = n, N = m, K = k, LDA = ldb, LDB = lda, LDC = ldc;
    libxsmm_sgemm(&tA, &tB, &M, &N, &K, &alpha, b, &LDA, a, &LDB, &beta, c, &LDC);
}
#endif

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

struct shape { const char *name; int ta, tb, m, n, k, lda, ldb; };

int main(void) {
    struct shape shapes[] = {
        {"history projection 200x64 . 64x64", 0, 0, 200, 64, 64, 64, 64},
        {"candidate projection 256x64 . 64x64", 0, 0, 256, 64, 64, 64, 64},
        {"FFN up 256x64 . 64x256", 0, 0, 256, 256, 64, 64, 256},
        {"FFN down 256x256 . 256x64", 0, 0, 256, 64, 256, 256, 64},
        {"head scores 256x32 . (200x32)T, ld 64", 0, 1, 256, 200, 32, 64, 64},
        {"head values 256x200 . 200x32, ldb 64", 0, 0, 256, 32, 200, 200, 64},
        {"square 1024^3 (peak)", 0, 0, 1024, 1024, 1024, 1024, 1024},
    };
    float *a = malloc(sizeof(float) * 1024 * 1024), *b = malloc(sizeof(float) * 1024 * 1024), *c = malloc(sizeof(float) * 1024 * 1024);
    for (int i = 0; i < 1024 * 1024; i++) { a[i] = (float)(i % 7) / 7; b[i] = (float)(i % 5) / 5; }
#if defined(USE_XSMM)
    libxsmm_init();
#endif
    for (unsigned s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        struct shape h = shapes[s];
        double flop = 2.0 * h.m * h.n * h.k, best = 1e9;
        int reps = flop > 1e9 ? 3 : (int)(2e8 / flop) + 1;
        for (int round = 0; round < 7; round++) {
            double start = now();
            for (int r = 0; r < reps; r++) gemm(h.ta, h.tb, h.m, h.n, h.k, a, h.lda, b, h.ldb, c, h.n);
            double t = (now() - start) / reps;
            if (round > 0 && t < best) best = t;
        }
        printf("%-44s %-40.40s %8.1f GFLOP/s\n", h.name, library, flop / best / 1e9);
    }
    return 0;
}
