/* The one BLAS wrapper: src/math/blas.c is the only file that includes cblas.h.
 *
 * Reproducibility (README "Reproducibility"): OpenBLAS picks its kernels for the processor
 * (OPENBLAS_CORETYPE may force a type), and with some of them (Haswell, Zen) the bits of a
 * threaded product depend on its thread count; its threaded and serial drivers also block the
 * inner dimension differently. So the library never lets OpenBLAS thread: prle__sgemm and
 * prle__sgemv run it on one thread whatever count is in force, and parallel products are
 * prle__gemm's fixed blocks. A product's bits then depend on its arguments and the machine's
 * kernels only, never on a thread count. */
#ifndef PRLE_MATH_BLAS_H
#define PRLE_MATH_BLAS_H

#include <stdbool.h>
#include <stddef.h>

/**
 * C = alpha * op(A) op(B) + beta * C, row-major; op(X) = X or X^T per trans_a / trans_b.
 * op(A) is (m, k), op(B) is (k, n), C is (m, n); lda/ldb/ldc are row strides.
 * One OpenBLAS call on one thread (prle__blas_pin_serial around it); safe inside OpenMP regions.
 */
void prle__sgemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha,
                 const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                 size_t ldc);

/**
 * prle__sgemm's contract, computed as fixed blocks of C's rows or columns (up to 8, chosen
 * from m, n, k only), each one prle__sgemm call, the blocks spread over `nt` OpenMP threads:
 * the same bits for any `nt`. Products at or below 262,144 multiply-adds are one call.
 */
void prle__gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha,
                const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                size_t ldc, int nt);

/**
 * C (n, n) = A^T A for A (m, n) row-major, double, the upper triangle written in fixed column
 * panels of C (chosen from n only), each one serial dgemm of A^T A[:, panel] over the rows it
 * needs, the panels spread over `nt` OpenMP threads: the same bits for any nt. The strictly
 * lower triangle is left as it was.
 */
void prle__dgram(double *c, const double *a, size_t m, size_t n, int nt);

/**
 * C (n, m) = A (n, k) op(B), op(B) (k, m): B is (m, k) row-major (a linear layer's weights)
 * or, with `b_kmajor`, (k, m). Unlike the products above, row i of C depends on row i of A
 * only, never on n or on the other rows: each element is one chain of fused multiply-adds
 * over k in order (8-lane AVX2 or fmaf, the same roundings), so a row predicted alone and in
 * a batch get the same bits, and so do any thread counts. `packed` holds
 * prle__gemm_rows_pack_floats(m, k) floats of scratch.
 */
void prle__gemm_rows(size_t n, size_t m, size_t k, const float *a, size_t lda, const float *b,
                     size_t ldb, bool b_kmajor, float *c, size_t ldc, float *packed, int nt);

/** Scratch floats prle__gemm_rows needs for op(B) of (k, m). */
size_t prle__gemm_rows_pack_floats(size_t m, size_t k);

/** Packs op(B) as prle__gemm_rows does, for a B used many times (prle__gemm_rows_packed). */
void prle__gemm_rows_pack(float *packed, const float *b, size_t ldb, bool b_kmajor, size_t m,
                          size_t k);

/** prle__gemm_rows with op(B) packed beforehand by prle__gemm_rows_pack: the same bits. */
void prle__gemm_rows_packed(size_t n, size_t m, size_t k, const float *a, size_t lda,
                            const float *packed, float *c, size_t ldc, int nt);

/** y = alpha * op(A) x + beta * y, A (m, n) row-major; OpenBLAS on one thread. */
void prle__sgemv(bool trans_a, size_t m, size_t n, float alpha, const float *a, size_t lda,
                 const float *x, float beta, float *y);

/**
 * Holds OpenBLAS at one thread until the matching prle__blas_unpin (nestable, thread-safe:
 * the first pin saves the count in force, the last unpin restores it). Process-wide. The
 * wrappers above pin themselves; LAPACKE calls (which run OpenBLAS underneath) are wrapped
 * in a pin by their callers.
 */
void prle__blas_pin_serial(void);

/** Ends a prle__blas_pin_serial. */
void prle__blas_unpin(void);

/**
 * OpenBLAS's own threaded sgemm at the count in force, prle__sgemm's contract: its bits may
 * depend on that count. For bench_gemm's reference rate only; the library never calls it.
 */
void prle__sgemm_blas_threaded(bool trans_a, bool trans_b, size_t m, size_t n, size_t k,
                               float alpha, const float *a, size_t lda, const float *b, size_t ldb,
                               float beta, float *c, size_t ldc);

/** Sets OpenBLAS's own thread count (process-wide; tests and benches only). */
void prle__blas_set_threads(int n);

/** Threads OpenBLAS reports it will use. */
int prle__blas_threads(void);

/** OpenBLAS's build description (core type, threading), a static string. */
const char *prle__blas_config(void);

#endif
