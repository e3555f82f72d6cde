/* Synthetic problems of the predictor's tests (tests/test_predictor*.c): a small LCG's
 * uniform draws, a smooth nonlinear label of D = 6 columns, and R^2. Include after
 * prle_test.h. */
#ifndef PRLE_TEST_PREDICTOR_FIXTURE_H
#define PRLE_TEST_PREDICTOR_FIXTURE_H

#include <math.h>

#include "prle/prle.h"

enum { D = 6 };

static inline float uni(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / 16777216.0f * 2.0f - 1.0f;
}

/* y = 3 sin(2 x0) + x1^2 + 0.5 x2 + noise: smooth, nonlinear, in about [-3.5, 4.5] */
static inline void problem(prle_matrix *x, float *y, size_t n, uint32_t seed)
{
    PT_OK(prle_matrix_alloc(x, n, D));
    for (size_t i = 0; i < n; i++) {
        float *r = prle_matrix_row(x, i);
        for (size_t j = 0; j < D; j++)
            r[j] = uni(&seed);
        y[i] = 3.0f * sinf(2.0f * r[0]) + r[1] * r[1] + 0.5f * r[2] + 0.05f * uni(&seed);
    }
}

static inline double r2(const float *y, const float *yhat, size_t n)
{
    double mean = 0, se = 0, var = 0;
    for (size_t i = 0; i < n; i++)
        mean += y[i] / (double)n;
    for (size_t i = 0; i < n; i++)
        se += (yhat[i] - y[i]) * (yhat[i] - y[i]), var += (y[i] - mean) * (y[i] - mean);
    return 1.0 - se / var;
}

#endif
