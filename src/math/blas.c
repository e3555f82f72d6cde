#include "math/blas.h"

#include <cblas.h>
#include <limits.h>
#include <pthread.h>

#include "core/error.h"

/* OpenBLAS extensions, declared by its cblas.h in Debian's builds; declared here in case a
 * reference cblas.h is found instead. */
extern void openblas_set_num_threads(int num_threads);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);

/* Below this m n k OpenBLAS 0.3.21 runs a product on one thread anyway (interface/gemm.c:
 * SMP_THRESHOLD_MIN 65536 x GEMM_MULTITHREAD_THRESHOLD 4): one call, no blocks. */
#define SERIAL_MNK 262144.0
#define MAX_BLOCKS 8
#define MIN_BLOCK 32

static blasint as_blasint(size_t v)
{
    PRLE_ASSERT(v <= (size_t)INT_MAX);
    return (blasint)v;
}

static pthread_mutex_t pin_mu = PTHREAD_MUTEX_INITIALIZER;
static int pin_depth, pin_saved;

void prle__blas_pin_serial(void)
{
    pthread_mutex_lock(&pin_mu);
    if (pin_depth++ == 0) {
        pin_saved = openblas_get_num_threads();
        if (pin_saved != 1)
            openblas_set_num_threads(1);
    }
    pthread_mutex_unlock(&pin_mu);
}

void prle__blas_unpin(void)
{
    pthread_mutex_lock(&pin_mu);
    if (pin_depth > 0 && --pin_depth == 0 && pin_saved != 1)
        openblas_set_num_threads(pin_saved);
    pthread_mutex_unlock(&pin_mu);
}

void prle__sgemm_blas_threaded(bool trans_a, bool trans_b, size_t m, size_t n, size_t k,
                               float alpha, const float *a, size_t lda, const float *b, size_t ldb,
                               float beta, float *c, size_t ldc)
{
    if (m == 0 || n == 0)
        return;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, as_blasint(m), as_blasint(n), as_blasint(k),
                alpha, a, as_blasint(lda), b, as_blasint(ldb), beta, c, as_blasint(ldc));
}

void prle__sgemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha,
                 const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                 size_t ldc)
{
    prle__blas_pin_serial();
    prle__sgemm_blas_threaded(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    prle__blas_unpin();
}

void prle__gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha,
                const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                size_t ldc, int nt)
{
    double mnk = (double)m * (double)n * (double)k;
    bool by_rows = m >= n;
    size_t dim = by_rows ? m : n;
    if (mnk <= SERIAL_MNK || dim < 2 * MIN_BLOCK) {
        prle__sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    size_t nblk = (dim + MIN_BLOCK - 1) / MIN_BLOCK;
    if (nblk > MAX_BLOCKS)
        nblk = MAX_BLOCKS;
    size_t bs = (dim + nblk - 1) / nblk;
    bs = (bs + 15) / 16 * 16;
    nblk = (dim + bs - 1) / bs;
    (void)nt;                /* the blocks do not depend on it, only who computes them */
    prle__blas_pin_serial(); /* once for all blocks: their own pins only count */
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (size_t blk = 0; blk < nblk; blk++) {
        size_t lo = blk * bs, len = lo + bs <= dim ? bs : dim - lo;
        if (by_rows) /* rows lo.. of op(A) and C */
            prle__sgemm(trans_a, trans_b, len, n, k, alpha, trans_a ? a + lo : a + lo * lda, lda, b,
                        ldb, beta, c + lo * ldc, ldc);
        else /* columns lo.. of op(B) and C */
            prle__sgemm(trans_a, trans_b, m, len, k, alpha, a, lda, trans_b ? b + lo * ldb : b + lo,
                        ldb, beta, c + lo, ldc);
    }
    prle__blas_unpin();
}

void prle__dgram(double *c, const double *a, size_t m, size_t n, int nt)
{
    if (n == 0)
        return;
    const size_t np = 16; /* panels: later ones hold more of the triangle, so more than nt */
    size_t w = (n + np - 1) / np;
    (void)nt;
    prle__blas_pin_serial();
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1 && n >= 64)
    for (size_t p = 0; p < np; p++) {
        size_t j0 = p * w, j1 = j0 + w < n ? j0 + w : n;
        if (j0 >= j1)
            continue;
        /* C[0 .. j1, j0 .. j1) = A[:, 0 .. j1)^T A[:, j0 .. j1) */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, as_blasint(j1), as_blasint(j1 - j0),
                    as_blasint(m), 1.0, a, as_blasint(n), a + j0, as_blasint(n), 0.0, c + j0,
                    as_blasint(n));
    }
    prle__blas_unpin();
}

void prle__sgemv(bool trans_a, size_t m, size_t n, float alpha, const float *a, size_t lda,
                 const float *x, float beta, float *y)
{
    if (m == 0 || n == 0)
        return;
    prle__blas_pin_serial();
    cblas_sgemv(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, as_blasint(m), as_blasint(n),
                alpha, a, as_blasint(lda), x, 1, beta, y, 1);
    prle__blas_unpin();
}

void prle__blas_set_threads(int n)
{
    openblas_set_num_threads(n);
}

int prle__blas_threads(void)
{
    return openblas_get_num_threads();
}

const char *prle__blas_config(void)
{
    return openblas_get_config();
}
