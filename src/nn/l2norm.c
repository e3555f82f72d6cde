#include "nn/l2norm.h"

#include <math.h>

void prle__l2norm_fwd(float *y, float *norm, const float *x, size_t n, size_t d, int nt)
{
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * d >= 65536)
    for (size_t i = 0; i < n; i++) {
        const float *xi = x + i * d;
        float *yi = y + i * d;
        double s = 0;
        for (size_t j = 0; j < d; j++)
            s += (double)xi[j] * xi[j];
        double nr = sqrt(s);
        if (nr < PRLE__L2_EPS)
            nr = PRLE__L2_EPS;
        float inv = (float)(1.0 / nr);
#pragma omp simd
        for (size_t j = 0; j < d; j++)
            yi[j] = xi[j] * inv;
        norm[i] = (float)nr;
    }
}

void prle__l2norm_bwd(float *dx, const float *dy, const float *y, const float *norm, size_t n,
                      size_t d, int nt)
{
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * d >= 65536)
    for (size_t i = 0; i < n; i++) {
        const float *yi = y + i * d, *dyi = dy + i * d;
        float *dxi = dx + i * d;
        float inv = (float)(1.0 / (double)norm[i]);
        if ((double)norm[i] <= PRLE__L2_EPS) { /* floor hit: y = x / 1e-12 */
            for (size_t j = 0; j < d; j++)
                dxi[j] += dyi[j] * inv;
            continue;
        }
        double dot = 0;
        for (size_t j = 0; j < d; j++)
            dot += (double)yi[j] * dyi[j];
        float fd = (float)dot;
#pragma omp simd
        for (size_t j = 0; j < d; j++)
            dxi[j] += (dyi[j] - yi[j] * fd) * inv;
    }
}
