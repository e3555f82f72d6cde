#include "math/blas.h"

#include <cblas.h>
#include <limits.h>

#include "core/error.h"

/* OpenBLAS extensions, declared by its cblas.h in Debian's builds; declared here in case a
 * reference cblas.h is found instead. */
extern void openblas_set_num_threads(int num_threads);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);

static blasint as_blasint(size_t v)
{
    PRLE_ASSERT(v <= (size_t)INT_MAX);
    return (blasint)v;
}

void prle__sgemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha,
                 const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                 size_t ldc)
{
    if (m == 0 || n == 0)
        return;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, as_blasint(m), as_blasint(n), as_blasint(k),
                alpha, a, as_blasint(lda), b, as_blasint(ldb), beta, c, as_blasint(ldc));
}

void prle__sgemv(bool trans_a, size_t m, size_t n, float alpha, const float *a, size_t lda,
                 const float *x, float beta, float *y)
{
    if (m == 0 || n == 0)
        return;
    cblas_sgemv(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, as_blasint(m),
                as_blasint(n), alpha, a, as_blasint(lda), x, 1, beta, y, 1);
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
