#include "nn/gemm.h"

#include <pthread.h>

#include "math/blas.h"

/* Below this m n k OpenBLAS runs a product on one thread anyway (interface/gemm.c:
 * SMP_THRESHOLD_MIN 65536 x GEMM_MULTITHREAD_THRESHOLD 4): no blocks needed. */
#define SERIAL_MNK 262144.0
#define MAX_BLOCKS 8
#define MIN_BLOCK 32

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
    (void)nt; /* the blocks do not depend on it, only who computes them */
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
}

static pthread_mutex_t pin_mu = PTHREAD_MUTEX_INITIALIZER;
static int pin_depth, pin_saved;

void prle__blas_pin_serial(void)
{
    pthread_mutex_lock(&pin_mu);
    if (pin_depth++ == 0) {
        pin_saved = prle__blas_threads();
        if (pin_saved != 1)
            prle__blas_set_threads(1);
    }
    pthread_mutex_unlock(&pin_mu);
}

void prle__blas_unpin(void)
{
    pthread_mutex_lock(&pin_mu);
    if (pin_depth > 0 && --pin_depth == 0 && pin_saved != 1)
        prle__blas_set_threads(pin_saved);
    pthread_mutex_unlock(&pin_mu);
}
