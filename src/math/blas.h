/* The one BLAS wrapper: src/math/blas.c is the only file that includes cblas.h. */
#ifndef PRLE_MATH_BLAS_H
#define PRLE_MATH_BLAS_H

#include <stdbool.h>
#include <stddef.h>

/**
 * C = alpha * op(A) op(B) + beta * C, row-major; op(X) = X or X^T per trans_a / trans_b.
 * op(A) is (m, k), op(B) is (k, n), C is (m, n); lda/ldb/ldc are row strides.
 * Inside an OpenMP parallel region OpenBLAS (OpenMP build) runs single-threaded.
 */
void prle__sgemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha,
                 const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                 size_t ldc);

/** y = alpha * op(A) x + beta * y, A (m, n) row-major. */
void prle__sgemv(bool trans_a, size_t m, size_t n, float alpha, const float *a, size_t lda,
                 const float *x, float beta, float *y);

/** Sets OpenBLAS's own thread count (process-wide; called by prle_init only). */
void prle__blas_set_threads(int n);

/** Threads OpenBLAS reports it will use. */
int prle__blas_threads(void);

/** OpenBLAS's build description (core type, threading), a static string. */
const char *prle__blas_config(void);

#endif
