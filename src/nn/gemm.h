/* Matrix products whose bits do not depend on the thread count (STYLE.md §9, §10). */
#ifndef PRLE_NN_GEMM_H
#define PRLE_NN_GEMM_H

#include <stdbool.h>
#include <stddef.h>

/**
 * prle__sgemm's contract (row-major C (m, n) = alpha op(A) op(B) + beta C), computed as fixed
 * blocks of C's rows or columns (up to 8, chosen from m, n, k only), each one prle__sgemm
 * call, the blocks spread over `nt` OpenMP threads.
 *
 * Why: the bits OpenBLAS 0.3.21 (OpenMP build) produces depend on its thread count, even
 * inside a parallel region where it runs serially: it still partitions for that many threads
 * and blocks the inner dimension differently (seen at 64 x 500 x 500, k between GEMM_Q and
 * 2 GEMM_Q). Adam turns last-bit differences of tiny gradients into different models within
 * an epoch. So callers that must not depend on the thread count hold OpenBLAS at one thread
 * (prle__blas_pin_serial) and get their parallelism from these blocks instead.
 */
void prle__gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha,
                const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                size_t ldc, int nt);

/**
 * Holds OpenBLAS at one thread until the matching prle__blas_unpin (nestable, thread-safe:
 * the first pin saves the count in force, the last unpin restores it). Process-wide: other
 * BLAS callers run single-threaded meanwhile. A no-op when prle_init already chose 1.
 */
void prle__blas_pin_serial(void);

/** Ends a prle__blas_pin_serial. */
void prle__blas_unpin(void);

#endif
