#include "nn/act.h"

#include <math.h>

/* Elements below which a loop stays on one thread. `simd` makes the compiler vectorise the
 * loops (branch-free ReLU: random signs otherwise cost a mispredicted branch per element);
 * element-wise float operations give the same bits either way. */
#define PAR_MIN 65536
#define SQRT1_2 0.70710678118654752440f
#define INV_SQRT_2PI 0.39894228040143267794f

static inline float gelu(float x)
{
    return 0.5f * x * (1.0f + erff(x * SQRT1_2));
}

static inline float gelu_grad(float x)
{
    float cdf = 0.5f * (1.0f + erff(x * SQRT1_2));
    float pdf = expf(-0.5f * x * x) * INV_SQRT_2PI;
    return cdf + x * pdf;
}

void prle__act_fwd(float *y, const float *x, size_t n, prle__act act, int nt)
{
    (void)nt;
    if (act == PRLE__ACT_RELU) {
#pragma omp parallel for simd schedule(static) num_threads(nt) if (parallel : n >= PAR_MIN)
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
    } else {
#pragma omp parallel for simd schedule(static) num_threads(nt) if (parallel : n >= PAR_MIN)
        for (size_t i = 0; i < n; i++)
            y[i] = gelu(x[i]);
    }
}

void prle__act_bwd(float *dx, const float *dy, const float *x, size_t n, prle__act act, int nt)
{
    (void)nt;
    if (act == PRLE__ACT_RELU) {
#pragma omp parallel for simd schedule(static) num_threads(nt) if (parallel : n >= PAR_MIN)
        for (size_t i = 0; i < n; i++)
            dx[i] += x[i] > 0.0f ? dy[i] : 0.0f;
    } else {
#pragma omp parallel for simd schedule(static) num_threads(nt) if (parallel : n >= PAR_MIN)
        for (size_t i = 0; i < n; i++)
            dx[i] += dy[i] * gelu_grad(x[i]);
    }
}

void prle__dropout_mask(float *mask, size_t n, float p, prle_rng *rng)
{
    float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++)
        mask[i] = prle_rng_uniform(rng) < (double)p ? 0.0f : keep;
}

void prle__dropout_fwd(float *y, const float *x, const float *mask, size_t n, int nt)
{
    (void)nt;
#pragma omp parallel for simd schedule(static) num_threads(nt) if (parallel : n >= PAR_MIN)
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] * mask[i];
}

void prle__dropout_bwd(float *dx, const float *dy, const float *mask, size_t n, int nt)
{
    (void)nt;
#pragma omp parallel for simd schedule(static) num_threads(nt) if (parallel : n >= PAR_MIN)
    for (size_t i = 0; i < n; i++)
        dx[i] += dy[i] * mask[i];
}
