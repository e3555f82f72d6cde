#include "nn/layernorm.h"

#include <math.h>

#include "nn/linear.h"

void prle__layernorm_fwd(float *y, float *mean, float *rstd, const float *x, const float *g,
                         const float *b, size_t n, size_t d, int nt)
{
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * d >= 65536)
    for (size_t i = 0; i < n; i++) {
        const float *xi = x + i * d;
        float *yi = y + i * d;
        double s = 0;
        for (size_t j = 0; j < d; j++)
            s += xi[j];
        double mu = s / (double)d, v = 0;
        for (size_t j = 0; j < d; j++) {
            double c = xi[j] - mu;
            v += c * c;
        }
        float m = (float)mu, r = (float)(1.0 / sqrt(v / (double)d + PRLE__LN_EPS));
#pragma omp simd
        for (size_t j = 0; j < d; j++)
            yi[j] = (xi[j] - m) * r * g[j] + b[j];
        mean[i] = m;
        rstd[i] = r;
    }
}

void prle__layernorm_bwd(float *dx, float *dg, float *db, const float *dy, const float *x,
                         const float *mean, const float *rstd, const float *g, size_t n, size_t d,
                         int nt)
{
    (void)nt;
    if (dx) {
#pragma omp parallel for schedule(static) num_threads(nt) if (n * d >= 65536)
        for (size_t i = 0; i < n; i++) {
            const float *xi = x + i * d, *dyi = dy + i * d;
            float *dxi = dx + i * d;
            float m = mean[i], r = rstd[i];
            double s1 = 0, s2 = 0; /* mean of g*dy and of g*dy*xhat */
            for (size_t j = 0; j < d; j++) {
                float dn = g[j] * dyi[j];
                s1 += dn;
                s2 += (double)dn * (double)((xi[j] - m) * r);
            }
            float m1 = (float)(s1 / (double)d), m2 = (float)(s2 / (double)d);
#pragma omp simd
            for (size_t j = 0; j < d; j++) {
                float xhat = (xi[j] - m) * r;
                dxi[j] += (g[j] * dyi[j] - m1 - xhat * m2) * r;
            }
        }
    }
    if (db)
        prle__colsum_add(db, dy, n, d, nt);
    if (dg) {
        const size_t blk = 256;
        size_t nblk = (d + blk - 1) / blk;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * d >= 65536)
        for (size_t c = 0; c < nblk; c++) {
            size_t j0 = c * blk, j1 = j0 + blk < d ? j0 + blk : d;
            for (size_t i = 0; i < n; i++) {
                const float *xi = x + i * d, *dyi = dy + i * d;
                float m = mean[i], r = rstd[i];
#pragma omp simd
                for (size_t j = j0; j < j1; j++)
                    dg[j] += dyi[j] * ((xi[j] - m) * r);
            }
        }
    }
}
