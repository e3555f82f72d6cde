/* LABELS: unit */
#include "prle_test.h"

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

/* The library's products at OpenBLAS thread count 1 and 2 (the count in force, as a host
 * program or prle_init may leave it) and at 1 and 2 threads of our own: equal bits, and the
 * naive loops within rounding. The shapes are those of a training step at H = 500, B = 64, where
 * OpenBLAS's own threaded sgemm gives other bits than its serial one under the Haswell and Zen
 * kernels (OPENBLAS_CORETYPE), and a few odd ones. */
static void test_blas__products_independent_of_threads(void)
{
    const size_t shapes[][5] = {{0, 1, 64, 500, 500},  {1, 0, 500, 500, 64},  {0, 0, 64, 500, 500},
                                {0, 1, 64, 64, 500},   {1, 1, 37, 129, 300},  {0, 0, 2, 1000, 200},
                                {0, 1, 128, 700, 600}, {0, 1, 300, 200, 250}, {0, 0, 3, 5, 4}};
    int before = prle__blas_threads();
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        bool ta = shapes[s][0], tb = shapes[s][1];
        size_t m = shapes[s][2], n = shapes[s][3], k = shapes[s][4];
        size_t lda = ta ? m : k, ldb = tb ? k : n;
        float *a = malloc(m * k * sizeof *a), *b = malloc(k * n * sizeof *b);
        float *c[4], *r = malloc(m * n * sizeof *r);
        fill(a, m * k, 40 + s);
        fill(b, k * n, 50 + s);
        fill(r, m * n, 60 + s);
        for (int v = 0; v < 4; v++) {
            c[v] = malloc(m * n * sizeof *c[v]);
            memcpy(c[v], r, m * n * sizeof *r);
        }
        /* v = 0, 1: prle__gemm on 1 and 2 of our threads; 2, 3: prle__sgemm; OpenBLAS's count
           in force is 1 for even v, 2 for odd v */
        for (int v = 0; v < 4; v++) {
            prle__blas_set_threads(v % 2 ? 2 : 1);
            if (v < 2)
                prle__gemm(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 1.0f, c[v], n, v + 1);
            else
                prle__sgemm(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 1.0f, c[v], n);
            PT_EQ_INT(prle__blas_threads(), v % 2 ? 2 : 1); /* the count in force is restored */
        }
        prle__ref_sgemm(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 1.0f, r, n);
        if (memcmp(c[0], c[1], m * n * sizeof *r) != 0)
            PT_FAIL_AT("%zux%zux%zu: prle__gemm differs between 1 and 2 threads", m, n, k);
        if (memcmp(c[2], c[3], m * n * sizeof *r) != 0)
            PT_FAIL_AT("%zux%zux%zu: prle__sgemm differs between OpenBLAS at 1 and 2 threads", m, n,
                       k);
        double worst = 0;
        for (int v = 0; v < 4; v++)
            for (size_t i = 0; i < m * n; i++)
                worst = fmax(worst, fabs((double)c[v][i] - r[i]));
        if (!(worst < 1e-5 * (double)k))
            PT_FAIL_AT("%zux%zux%zu: differs from the naive loops by %g", m, n, k, worst);
        for (int v = 0; v < 4; v++)
            free(c[v]);
        free(a), free(b), free(r);
    }
    prle__blas_set_threads(before);
}

/* sgemv (farthest-first's distance rows), A x and A^T u, at OpenBLAS thread count 1 and 2:
 * equal bits. */
static void test_blas__sgemv_independent_of_threads(void)
{
    size_t m = 3000, n = 500;
    int before = prle__blas_threads();
    float *a = malloc(m * n * sizeof *a), *x = malloc(n * sizeof *x), *u = malloc(m * sizeof *u);
    float *y[2], *w[2];
    fill(a, m * n, 8);
    fill(x, n, 9);
    fill(u, m, 10);
    for (int t = 0; t < 2; t++) {
        y[t] = malloc(m * sizeof *y[t]);
        w[t] = malloc(n * sizeof *w[t]);
        prle__blas_set_threads(t + 1);
        prle__sgemv(false, m, n, 1.0f, a, n, x, 0.0f, y[t]);
        prle__sgemv(true, m, n, 1.0f, a, n, u, 0.0f, w[t]);
    }
    PT_CHECK(memcmp(y[0], y[1], m * sizeof *y[0]) == 0);
    PT_CHECK(memcmp(w[0], w[1], n * sizeof *w[0]) == 0);
    prle__blas_set_threads(before);
    free(a), free(x), free(u), free(y[0]), free(y[1]), free(w[0]), free(w[1]);
}

/* Pins nest; the last unpin restores the count in force before the first pin. */
/* prle__gemm_rows: every element is the fmaf chain over k in order (the contract, computed
 * here one element at a time), for both layouts of B, packed beforehand or not, any batch and
 * any thread count; so a row gets the same bits alone, at another place in a batch and in a
 * batch of another size. */
static void test_blas__gemm_rows_batch_independent(void)
{
    const size_t shapes[][3] = {
        {13, 37, 500}, {70, 16, 33}, {7, 500, 3}, {1, 5, 1}, {130, 100, 64}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        size_t n = shapes[s][0], m = shapes[s][1], k = shapes[s][2];
        float *a = malloc(n * k * sizeof *a), *b = malloc(m * k * sizeof *b);
        float *bt = malloc(m * k * sizeof *bt), *c = malloc(n * m * sizeof *c);
        float *c2 = malloc(n * m * sizeof *c2), *one = malloc(m * sizeof *one);
        float *pack = malloc(prle__gemm_rows_pack_floats(m, k) * sizeof *pack);
        fill(a, n * k, 6 + s);
        fill(b, m * k, 7 + s);
        for (size_t j = 0; j < m; j++)
            for (size_t kk = 0; kk < k; kk++)
                bt[kk * m + j] = b[j * k + kk];
        prle__gemm_rows(n, m, k, a, k, b, k, false, c, m, pack, 1);
        prle__gemm_rows(n, m, k, a, k, bt, m, true, c2, m, pack, 2);
        float *c3 = malloc(n * m * sizeof *c3);
        prle__gemm_rows_pack(pack, b, k, false, m, k);
        prle__gemm_rows_packed(n, m, k, a, k, pack, c3, m, 2);
        size_t bad = memcmp(c3, c, n * m * sizeof *c3) != 0, bad_alone = 0;
        free(c3);
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < m; j++) {
                float want = 0.0f;
                for (size_t kk = 0; kk < k; kk++)
                    want = fmaf(a[i * k + kk], b[j * k + kk], want);
                bad += c[i * m + j] != want || c2[i * m + j] != want;
            }
            prle__gemm_rows(1, m, k, a + i * k, k, b, k, false, one, m, pack, 2);
            bad_alone += memcmp(one, c + i * m, m * sizeof *one) != 0;
        }
        if (bad || bad_alone)
            PT_FAIL_AT("%zux%zux%zu: %zu elements off the fmaf chain, %zu rows differ alone", n, m,
                       k, bad, bad_alone);
        free(a), free(b), free(bt), free(c), free(c2), free(one), free(pack);
    }
}

static void test_blas__pin_nests_and_restores(void)
{
    int before = prle__blas_threads();
    prle__blas_set_threads(2);
    prle__blas_pin_serial();
    prle__blas_pin_serial();
    PT_EQ_INT(prle__blas_threads(), 1);
    prle__blas_unpin();
    PT_EQ_INT(prle__blas_threads(), 1);
    prle__blas_unpin();
    PT_EQ_INT(prle__blas_threads(), 2);
    prle__blas_unpin(); /* unbalanced: nothing happens */
    PT_EQ_INT(prle__blas_threads(), 2);
    prle__blas_set_threads(before);
}

int main(void)
{
    prle_init(0);
    PT_RUN(test_blas__sgemm_matches_reference);
    PT_RUN(test_blas__sgemv_matches_reference);
    PT_RUN(test_blas__products_independent_of_threads);
    PT_RUN(test_blas__sgemv_independent_of_threads);
    PT_RUN(test_blas__gemm_rows_batch_independent);
    PT_RUN(test_blas__pin_nests_and_restores);
    return pt_report();
}
