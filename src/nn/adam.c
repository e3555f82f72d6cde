#include "nn/adam.h"

#include <math.h>

#include "core/cpu.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

prle__adam_params prle__adam_default_params(void)
{
    return (prle__adam_params){1e-3, 0.9, 0.999, 1e-8, 0.0};
}

/* The same arithmetic, in the same order, as the vector path below. */
static inline void adam_one(float *p, const float *g, float *m, float *v, const prle__adam_coef *c)
{
    float gi = *g + c->wd * *p;
    float mi = *m + c->w1 * (gi - *m);
    float vi = *v * c->b2 + c->w2 * (gi * gi);
    float den = sqrtf(vi) / c->bc2s + c->eps;
    *m = mi;
    *v = vi;
    *p = *p + c->neg_step * (mi / den);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* 8 lanes where the processor has AVX (no FMA: the same roundings as the SSE and scalar code) */
__attribute__((target("avx"))) static size_t adam_avx(float *p, const float *g, float *m, float *v,
                                                      size_t n, const prle__adam_coef *c)
{
    size_t i = 0;
    const __m256 w1 = _mm256_set1_ps(c->w1), b2 = _mm256_set1_ps(c->b2);
    const __m256 w2 = _mm256_set1_ps(c->w2), wd = _mm256_set1_ps(c->wd);
    const __m256 ib = _mm256_set1_ps(c->bc2s), ep = _mm256_set1_ps(c->eps);
    const __m256 ns = _mm256_set1_ps(c->neg_step);
    for (; i + 8 <= n; i += 8) {
        __m256 pi = _mm256_loadu_ps(p + i), mi = _mm256_loadu_ps(m + i);
        __m256 vi = _mm256_loadu_ps(v + i);
        __m256 gi = _mm256_add_ps(_mm256_loadu_ps(g + i), _mm256_mul_ps(wd, pi));
        mi = _mm256_add_ps(mi, _mm256_mul_ps(w1, _mm256_sub_ps(gi, mi)));
        vi = _mm256_add_ps(_mm256_mul_ps(vi, b2), _mm256_mul_ps(w2, _mm256_mul_ps(gi, gi)));
        __m256 den = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), ib), ep);
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        _mm256_storeu_ps(p + i, _mm256_add_ps(pi, _mm256_mul_ps(ns, _mm256_div_ps(mi, den))));
    }
    return i;
}
#endif

void prle__adam_range(float *p, const float *g, float *m, float *v, size_t n,
                      const prle__adam_coef *c)
{
    size_t i = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    if (prle__cpu_avx())
        i = adam_avx(p, g, m, v, n, c);
#endif
#if defined(__SSE2__)
    /* sqrt and division are correctly rounded in SSE as in scalar code: equal results */
    const __m128 w1 = _mm_set1_ps(c->w1), b2 = _mm_set1_ps(c->b2), w2 = _mm_set1_ps(c->w2);
    const __m128 wd = _mm_set1_ps(c->wd), ib = _mm_set1_ps(c->bc2s);
    const __m128 ep = _mm_set1_ps(c->eps), ns = _mm_set1_ps(c->neg_step);
    for (; i + 4 <= n; i += 4) { /* after the AVX lanes: the rest of 8 */
        __m128 pi = _mm_loadu_ps(p + i), mi = _mm_loadu_ps(m + i), vi = _mm_loadu_ps(v + i);
        __m128 gi = _mm_add_ps(_mm_loadu_ps(g + i), _mm_mul_ps(wd, pi));
        mi = _mm_add_ps(mi, _mm_mul_ps(w1, _mm_sub_ps(gi, mi)));
        vi = _mm_add_ps(_mm_mul_ps(vi, b2), _mm_mul_ps(w2, _mm_mul_ps(gi, gi)));
        __m128 den = _mm_add_ps(_mm_div_ps(_mm_sqrt_ps(vi), ib), ep);
        _mm_storeu_ps(m + i, mi);
        _mm_storeu_ps(v + i, vi);
        _mm_storeu_ps(p + i, _mm_add_ps(pi, _mm_mul_ps(ns, _mm_div_ps(mi, den))));
    }
#endif
    for (; i < n; i++)
        adam_one(p + i, g + i, m + i, v + i, c);
}

prle__adam_coef prle__adam_coef_at(const prle__adam_params *ap, uint64_t t)
{
    double bc1 = 1.0 - pow(ap->beta1, (double)t), bc2 = 1.0 - pow(ap->beta2, (double)t);
    return (prle__adam_coef){(float)(1.0 - ap->beta1), (float)ap->beta2, (float)(1.0 - ap->beta2),
                             (float)ap->weight_decay,  (float)sqrt(bc2), (float)ap->eps,
                             (float)(-(ap->lr / bc1))};
}

void prle__adam_step(float *p, const float *g, float *m, float *v, size_t n,
                     const prle__adam_params *ap, uint64_t t, int nt)
{
    prle__adam_coef c = prle__adam_coef_at(ap, t);
    const size_t blk = 16384; /* fixed blocks: the split does not depend on the thread count */
    size_t nblk = (n + blk - 1) / blk;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (nblk > 1)
    for (size_t b = 0; b < nblk; b++) {
        size_t i0 = b * blk, len = i0 + blk <= n ? blk : n - i0;
        prle__adam_range(p + i0, g + i0, m + i0, v + i0, len, &c);
    }
}

int prle__epoch_budget(size_t rows, size_t batch)
{
    size_t b = batch ? batch : 1, steps = rows ? (rows + b - 1) / b : 1;
    size_t epochs = (PRLE__STEP_BUDGET + steps - 1) / steps;
    return epochs < 20 ? 20 : epochs > 1000 ? 1000 : (int)epochs;
}

int prle__patience_epochs(size_t rows, size_t batch)
{
    size_t b = batch ? batch : 1, steps = rows ? (rows + b - 1) / b : 1;
    size_t epochs = (PRLE__PATIENCE_STEPS + steps - 1) / steps;
    return epochs < 3 ? 3 : epochs > 50 ? 50 : (int)epochs;
}
