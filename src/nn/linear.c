#include "nn/linear.h"

#include "math/blas.h"

void prle__linear_fwd(float *y, const float *x, const float *w, const float *b, size_t n,
                      size_t din, size_t dout, int nt)
{
    prle__gemm(false, true, n, dout, din, 1.0f, x, din, w, din, 0.0f, y, dout, nt);
    if (!b)
        return;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * dout >= 65536)
    for (size_t i = 0; i < n; i++) {
        float *yi = y + i * dout;
#pragma omp simd
        for (size_t j = 0; j < dout; j++)
            yi[j] += b[j];
    }
}

void prle__colsum_add(float *out, const float *a, size_t n, size_t d, int nt)
{
    /* column blocks: each output element is summed by one thread, rows in order */
    const size_t blk = 256;
    size_t nblk = (d + blk - 1) / blk;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * d >= 65536)
    for (size_t c = 0; c < nblk; c++) {
        size_t j0 = c * blk, j1 = j0 + blk < d ? j0 + blk : d;
        for (size_t i = 0; i < n; i++) {
            const float *ai = a + i * d;
#pragma omp simd
            for (size_t j = j0; j < j1; j++)
                out[j] += ai[j];
        }
    }
}

void prle__linear_bwd(float *dx, float *dw, float *db, const float *dy, const float *x,
                      const float *w, size_t n, size_t din, size_t dout, int nt)
{
    if (dx)
        prle__gemm(false, false, n, din, dout, 1.0f, dy, dout, w, din, 1.0f, dx, din, nt);
    if (dw)
        prle__gemm(true, false, dout, din, n, 1.0f, dy, dout, x, din, 1.0f, dw, din, nt);
    if (db)
        prle__colsum_add(db, dy, n, dout, nt);
}
