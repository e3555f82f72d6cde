#include "nn/linear.h"

#include "math/blas.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static void add_bias(float *y, const float *b, size_t n, size_t dout, int nt)
{
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * dout >= 65536)
    for (size_t i = 0; i < n; i++) {
        float *yi = y + i * dout;
#pragma omp simd
        for (size_t j = 0; j < dout; j++)
            yi[j] += b[j];
    }
}

void prle__linear_fwd(float *y, const float *x, const float *w, const float *b, size_t n,
                      size_t din, size_t dout, int nt)
{
    prle__gemm(false, true, n, dout, din, 1.0f, x, din, w, din, 0.0f, y, dout, nt);
    if (b)
        add_bias(y, b, n, dout, nt);
}

void prle__linear_fwd_rows(float *y, const float *x, const float *w, const float *b, size_t n,
                           size_t din, size_t dout, float *pack, int nt)
{
    prle__gemm_rows(n, dout, din, x, din, w, din, false, y, dout, pack, nt);
    if (b)
        add_bias(y, b, n, dout, nt);
}

void prle__linear_fwd_packed(float *y, const float *x, const float *packed, const float *b,
                             size_t n, size_t din, size_t dout, int nt)
{
    prle__gemm_rows_packed(n, dout, din, x, din, packed, y, dout, nt);
    if (b)
        add_bias(y, b, n, dout, nt);
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

void prle__linear_bwd_adam(float *dx, float *db, const float *dy, const float *x, float *w,
                           float *mw, float *vw, size_t n, size_t din, size_t dout,
                           const prle__adam_coef *c, float *scratch, int nt)
{
    if (dx)
        prle__gemm(false, false, n, din, dout, 1.0f, dy, dout, w, din, 1.0f, dx, din, nt);
    if (db)
        prle__colsum_add(db, dy, n, dout, nt);
    const size_t R = PRLE__LINEAR_ADAM_ROWS;
    size_t nblk = (dout + R - 1) / R;
    (void)nt;
#pragma omp parallel num_threads(nt) if (nblk > 1)
    {
#ifdef _OPENMP
        float *g = scratch + (size_t)omp_get_thread_num() * R * din;
#else
        float *g = scratch;
#endif
#pragma omp for schedule(static)
        for (size_t b = 0; b < nblk; b++) {
            size_t r0 = b * R, rows = dout - r0 < R ? dout - r0 : R;
            /* dW[r0 .. r0 + rows) = dy[:, r0 ..]^T x, one product on this thread */
            prle__sgemm(true, false, rows, din, n, 1.0f, dy + r0, dout, x, din, 0.0f, g, din);
            prle__adam_range(w + r0 * din, g, mw + r0 * din, vw + r0 * din, rows * din, c);
        }
    }
}

void prle__linear_bwd(float *dx, float *dw, float *db, const float *dy, const float *x,
                      const float *w, size_t n, size_t din, size_t dout, int nt)
{
    if (dx)
        prle__gemm(false, false, n, din, dout, 1.0f, dy, dout, w, din, 1.0f, dx, din, nt);
    if (!dw)
        return;
    /* dw in the row blocks of prle__linear_bwd_adam: the same bits as its fused step */
    const size_t R = PRLE__LINEAR_ADAM_ROWS;
    size_t nblk = (dout + R - 1) / R;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (nblk > 1)
    for (size_t b = 0; b < nblk; b++) {
        size_t r0 = b * R, rows = dout - r0 < R ? dout - r0 : R;
        prle__sgemm(true, false, rows, din, n, 1.0f, dy + r0, dout, x, din, 1.0f, dw + r0 * din,
                    din);
    }
    if (db)
        prle__colsum_add(db, dy, n, dout, nt);
}
