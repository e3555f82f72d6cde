/* LABELS: unit */
#include "prle_test.h"

#include "core/threads.h"
#include "math/blas.h"
#include "math/ref_ops.h"

static void fill(float *x, size_t n, uint64_t seed)
{
    prle_rng r;
    prle_rng_init(&r, seed, "test.blas", 0);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(2.0 * prle_rng_uniform(&r) - 1.0);
}

static void check_case(bool ta, bool tb, size_t m, size_t n, size_t k)
{
    float *a = malloc(m * k * sizeof *a), *b = malloc(k * n * sizeof *b);
    float *c = malloc(m * n * sizeof *c), *r = malloc(m * n * sizeof *r);
    fill(a, m * k, 1);
    fill(b, k * n, 2);
    fill(c, m * n, 3);
    memcpy(r, c, m * n * sizeof *r);
    prle__sgemm(ta, tb, m, n, k, 0.5f, a, ta ? m : k, b, tb ? k : n, 2.0f, c, n);
    prle__ref_sgemm(ta, tb, m, n, k, 0.5f, a, ta ? m : k, b, tb ? k : n, 2.0f, r, n);
    double worst = 0;
    for (size_t i = 0; i < m * n; i++)
        worst = fmax(worst, fabs((double)c[i] - r[i]));
    PT_CHECK(worst < 1e-4 * (double)k);
    free(a), free(b), free(c), free(r);
}

static void test_blas__sgemm_matches_reference(void)
{
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            check_case(ta, tb, 7, 5, 3);
            check_case(ta, tb, 65, 33, 129);
        }
}

static void test_blas__sgemv_matches_reference(void)
{
    float a[12], x[4], y[3] = {1, 2, 3}, yr[3];
    fill(a, 12, 4);
    fill(x, 4, 5);
    prle__ref_sgemm(false, false, 3, 1, 4, 1.0f, a, 4, x, 1, 0.0f, yr, 1);
    prle__sgemv(false, 3, 4, 1.0f, a, 4, x, 0.0f, y);
    for (int i = 0; i < 3; i++)
        PT_NEAR(y[i], yr[i], 1e-6);
}

/* OpenBLAS's gemm splits the output, not the inner sum: 1 and 2 threads agree bit for bit
 * (STYLE.md §10). A BLAS that breaks this breaks reproducibility across thread counts. */
static void test_blas__result_independent_of_threads(void)
{
    size_t m = 300, n = 200, k = 500;
    float *a = malloc(m * k * sizeof *a), *b = malloc(k * n * sizeof *b);
    float *c1 = calloc(m * n, sizeof *c1), *c2 = calloc(m * n, sizeof *c2);
    fill(a, m * k, 6);
    fill(b, k * n, 7);
    prle__blas_set_threads(1);
    prle__sgemm(false, true, m, n, k / 2, 1.0f, a, k, b, k, 0.0f, c1, n);
    prle__blas_set_threads(2);
    prle__sgemm(false, true, m, n, k / 2, 1.0f, a, k, b, k, 0.0f, c2, n);
    PT_CHECK(memcmp(c1, c2, m * n * sizeof *c1) == 0);
    prle__blas_set_threads(prle__threads_resolve(0));
    free(a), free(b), free(c1), free(c2);
}

int main(void)
{
    prle_init(0);
    PT_RUN(test_blas__sgemm_matches_reference);
    PT_RUN(test_blas__sgemv_matches_reference);
    PT_RUN(test_blas__result_independent_of_threads);
    return pt_report();
}
