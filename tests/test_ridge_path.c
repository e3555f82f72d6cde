/* math/ridge_path: ridge with an intercept for a few alphas by one Cholesky factorisation per
 * alpha (the dual form for wide data). Against the normal equations solved by Gauss-Jordan
 * elimination in long double here, the same bits on 1 and 2 threads, the choice on validation
 * rows, prle__ridge_path_best against its parts (its walk over the grid against the whole
 * grid), and an alpha whose system is not positive
 * definite (a NaN intercept, skipped by the choice).
 * LABELS: unit */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prle_test.h"

#include "math/ridge_path.h"

/* coef (d) and the intercept of the ridge at alpha, from (Xc^T Xc + alpha I) w = Xc^T yc by
 * Gauss-Jordan elimination with partial pivoting in long double. */
static double reference(double *coef, const prle_matrix *x, const float *y, double alpha)
{
    size_t n = x->rows, d = x->cols;
    long double *a = calloc(d * (d + 1), sizeof *a), *mu = calloc(d, sizeof *mu), ym = 0;
    for (size_t i = 0; i < n; i++) {
        ym += y[i];
        for (size_t j = 0; j < d; j++)
            mu[j] += x->data[i * d + j];
    }
    ym /= n;
    for (size_t j = 0; j < d; j++)
        mu[j] /= n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            long double xj = x->data[i * d + j] - mu[j];
            for (size_t k = 0; k < d; k++)
                a[j * (d + 1) + k] += xj * (x->data[i * d + k] - mu[k]);
            a[j * (d + 1) + d] += xj * (y[i] - ym);
        }
    for (size_t j = 0; j < d; j++)
        a[j * (d + 1) + j] += alpha;
    for (size_t c = 0; c < d; c++) {
        size_t p = c;
        for (size_t r = c + 1; r < d; r++)
            if (fabsl(a[r * (d + 1) + c]) > fabsl(a[p * (d + 1) + c]))
                p = r;
        for (size_t k = 0; k <= d; k++) {
            long double t = a[c * (d + 1) + k];
            a[c * (d + 1) + k] = a[p * (d + 1) + k], a[p * (d + 1) + k] = t;
        }
        for (size_t r = 0; r < d; r++) {
            if (r == c)
                continue;
            long double f = a[r * (d + 1) + c] / a[c * (d + 1) + c];
            for (size_t k = c; k <= d; k++)
                a[r * (d + 1) + k] -= f * a[c * (d + 1) + k];
        }
    }
    long double icpt = ym;
    for (size_t j = 0; j < d; j++) {
        coef[j] = (double)(a[j * (d + 1) + d] / a[j * (d + 1) + j]);
        icpt -= mu[j] * coef[j];
    }
    free(a), free(mu);
    return (double)icpt;
}

/* The n_alpha ridges (coef (n_alpha, d), intercept) against reference()'s, within tol. */
static void expect_reference(const double *coef, const double *icpt, const prle_matrix *x,
                             const float *y, const double *alphas, size_t n_alpha, double tol)
{
    size_t d = x->cols;
    double *ref = malloc(d * sizeof *ref);
    for (size_t m = 0; ref && m < n_alpha; m++) {
        PT_NEAR(icpt[m], reference(ref, x, y, alphas[m]), tol);
        for (size_t j = 0; j < d; j++)
            PT_NEAR(coef[m * d + j], ref[j], tol);
    }
    free(ref);
}

/* n rows of d columns with offsets, y linear in them plus noise */
static void problem(prle_matrix *x, float *y, size_t n, size_t d, uint64_t seed)
{
    PT_OK(prle_matrix_alloc(x, n, d));
    pt_fill_normal(x->data, n * d, seed, "test.ridge_path.x");
    for (size_t i = 0; i < n; i++) {
        double s = 0.5;
        for (size_t j = 0; j < d; j++) {
            x->data[i * d + j] += 0.1f * (float)j;
            s += (j % 3 ? 0.3 : -0.7) * x->data[i * d + j];
        }
        y[i] = (float)(s + 0.1 * sin(7.0 * (double)i));
    }
}

static void test_ridge_path__normal_equations(void)
{
    enum { N = 60, D = 7 };
    prle_matrix x = {0};
    float y[N];
    problem(&x, y, N, D, 1);
    const double alphas[] = {1e-3, 1.0, 100.0};
    double coef[3 * D], icpt[3];
    prle__ridge_path r = {0};
    PT_OK(prle__ridge_path_fit(&r, &x, y, 1));
    PT_EQ_INT(prle__ridge_path_solve(coef, icpt, &r, alphas, 3, 1), 0);
    expect_reference(coef, icpt, &x, y, alphas, 3, 1e-10);
    /* a larger alpha shrinks the coefficients */
    double n0 = 0, n2 = 0;
    for (size_t j = 0; j < D; j++)
        n0 += coef[j] * coef[j], n2 += coef[2 * D + j] * coef[2 * D + j];
    PT_CHECK(n2 < 0.5 * n0);
    prle__ridge_path_dispose(&r);
    prle_matrix_dispose(&x);
}

static void test_ridge_path__threads_and_choice(void)
{
    enum { N = 300, NV = 80, D = 70 }; /* D >= 64: the alphas go to both threads */
    prle_matrix x = {0}, xv = {0};
    float y[N], yv[NV], yhat[NV];
    problem(&x, y, N, D, 2);
    problem(&xv, yv, NV, D, 3);
    const double alphas[] = {1e-2, 1e-1, 1, 10, 100, 1e3, 1e4};
    enum { A = sizeof alphas / sizeof *alphas };
    double *c1 = malloc(A * D * sizeof *c1), *c2 = malloc(A * D * sizeof *c2), i1[A], i2[A];
    prle__ridge_path r1 = {0}, r2 = {0};
    PT_OK(prle__ridge_path_fit(&r1, &x, y, 1));
    PT_OK(prle__ridge_path_fit(&r2, &x, y, 2));
    PT_EQ_INT(prle__ridge_path_solve(c1, i1, &r1, alphas, A, 1), 0);
    PT_EQ_INT(prle__ridge_path_solve(c2, i2, &r2, alphas, A, 2), 0);
    PT_CHECK(memcmp(c1, c2, A * D * sizeof *c1) == 0 && memcmp(i1, i2, sizeof i1) == 0);
    /* the choice is the alpha of the lowest validation MSE, computed here */
    size_t want = 0;
    double best = INFINITY;
    for (size_t m = 0; m < A; m++) {
        double mse = 0;
        for (size_t i = 0; i < NV; i++) {
            double p = i1[m];
            for (size_t j = 0; j < D; j++)
                p += (double)xv.data[i * D + j] * c1[m * D + j];
            float pf = (float)p;
            mse += ((double)pf - yv[i]) * ((double)pf - yv[i]);
        }
        if (mse < best)
            best = mse, want = m;
    }
    size_t got = prle__ridge_path_choose(c1, i1, A, &xv, yv, yhat);
    PT_EQ_INT(got, want);
    /* the whole path in one call: the chosen ridge's bits; without validation rows alphas[0] */
    double cb[D], ib;
    PT_EQ_INT(prle__ridge_path_best(cb, &ib, &x, y, &xv, yv, alphas, A, 2), (int)want);
    PT_CHECK(memcmp(cb, c1 + want * D, sizeof cb) == 0 && ib == i1[want]);
    PT_EQ_INT(prle__ridge_path_best(cb, &ib, &x, y, NULL, NULL, alphas + 3, A - 3, 1), 0);
    PT_CHECK(memcmp(cb, c1 + 3 * D, sizeof cb) == 0 && ib == i1[3]);
    /* a failed alpha is skipped; all failed: n_alpha */
    i1[want] = NAN;
    PT_CHECK(prle__ridge_path_choose(c1, i1, A, &xv, yv, yhat) != want);
    for (size_t m = 0; m < A; m++)
        i1[m] = NAN;
    PT_EQ_INT(prle__ridge_path_choose(c1, i1, A, &xv, yv, yhat), A);
    free(c1), free(c2);
    prle__ridge_path_dispose(&r1), prle__ridge_path_dispose(&r2);
    prle_matrix_dispose(&x), prle_matrix_dispose(&xv);
}

/* prle__ridge_path_best walks the grid from its middle instead of solving every alpha: on
 * problems whose best alpha is at either end of a 12-point grid or inside it, the walk's
 * choice and bits are the whole grid's (prle__ridge_path_solve + _choose), on 1 and 2 threads. */
static void test_ridge_path__walk_is_the_grid(void)
{
    enum { N = 40, NV = 60, D = 30, A = 12 };
    double alphas[A];
    for (size_t m = 0; m < A; m++)
        alphas[m] = pow(10.0, -4.0 + (double)m);
    const double noise[] = {0.0, 0.5, 1.0, 2.0, 30.0};
    enum { P = sizeof noise / sizeof *noise };
    bool low = false, high = false, inside = false;
    for (size_t t = 0; t < P; t++) {
        prle_matrix x = {0}, xv = {0};
        float y[N], yv[NV], yhat[NV], e[N + NV];
        problem(&x, y, N, D, 10 + t);
        problem(&xv, yv, NV, D, 20 + t);
        pt_fill_normal(e, N + NV, 30 + t, "test.ridge_path.noise");
        for (size_t i = 0; i < N; i++)
            y[i] += (float)noise[t] * e[i];
        for (size_t i = 0; i < NV; i++)
            yv[i] += (float)noise[t] * e[N + i];
        double *c = malloc(A * D * sizeof *c), ic[A], cb[D], ib;
        prle__ridge_path r = {0};
        PT_OK(prle__ridge_path_fit(&r, &x, y, 1));
        PT_EQ_INT(prle__ridge_path_solve(c, ic, &r, alphas, A, 1), 0);
        size_t want = prle__ridge_path_choose(c, ic, A, &xv, yv, yhat);
        low |= want == 0, high |= want == A - 1, inside |= want > 0 && want < A - 1;
        for (int nt = 1; nt <= 2; nt++) {
            PT_EQ_INT(prle__ridge_path_best(cb, &ib, &x, y, &xv, yv, alphas, A, nt), (int)want);
            PT_CHECK(memcmp(cb, c + want * D, sizeof cb) == 0 && ib == ic[want]);
        }
        free(c);
        prle__ridge_path_dispose(&r);
        prle_matrix_dispose(&x), prle_matrix_dispose(&xv);
    }
    PT_CHECK(low && high && inside); /* the walk went both ways and stopped inside */
}

/* Fewer rows than columns: the dual form, systems of order n, the same ridge as the normal
 * equations of order d; the same bits on 1 and 2 threads (n >= 64: both threads) */
static void test_ridge_path__wide_rows(void)
{
    enum { N = 70, D = 150 };
    prle_matrix x = {0};
    float y[N];
    problem(&x, y, N, D, 5);
    const double alphas[] = {1e-2, 1.0, 50.0};
    double *c1 = malloc(3 * D * sizeof *c1), *c2 = malloc(3 * D * sizeof *c2), i1[3], i2[3];
    prle__ridge_path r = {0};
    PT_OK(prle__ridge_path_fit(&r, &x, y, 2));
    PT_CHECK(r.dual && r.m == N);
    PT_EQ_INT(prle__ridge_path_solve(c1, i1, &r, alphas, 3, 1), 0);
    PT_EQ_INT(prle__ridge_path_solve(c2, i2, &r, alphas, 3, 2), 0);
    PT_CHECK(memcmp(c1, c2, 3 * D * sizeof *c1) == 0 && memcmp(i1, i2, sizeof i1) == 0);
    expect_reference(c1, i1, &x, y, alphas, 3, 1e-9);
    free(c1), free(c2);
    prle__ridge_path_dispose(&r);
    prle_matrix_dispose(&x);
}

/* G + alpha I not positive definite: that alpha's intercept is NaN, the others solve */
static void test_ridge_path__not_positive_definite(void)
{
    enum { N = 30, D = 4 };
    prle_matrix x = {0};
    float y[N];
    problem(&x, y, N, D, 4);
    prle__ridge_path r = {0};
    PT_OK(prle__ridge_path_fit(&r, &x, y, 1));
    for (size_t j = 0; j < D * D; j++) /* -I: positive definite only for alpha > 1 */
        r.gram[j] = j % (D + 1) == 0 ? -1.0 : 0.0;
    const double alphas[] = {0.5, 3.0};
    double coef[2 * D], icpt[2];
    PT_EQ_INT(prle__ridge_path_solve(coef, icpt, &r, alphas, 2, 2), 1);
    PT_CHECK(isnan(icpt[0]) && isfinite(icpt[1]));
    for (size_t j = 0; j < D; j++) /* (alpha - 1) w = Xc^T yc */
        PT_NEAR(coef[D + j], r.xty[j] / 2.0, 1e-12 * fabs(r.xty[j]) + 1e-300);
    /* a row that is not finite: no alpha factorises, the whole path says n_alpha */
    x.data[0] = NAN;
    double cb[D] = {0}, ib = 7.0;
    PT_EQ_INT(prle__ridge_path_best(cb, &ib, &x, y, &x, y, alphas, 2, 1), 2);
    PT_CHECK(ib == 7.0 && cb[0] == 0.0); /* nothing written */
    prle__ridge_path_dispose(&r);
    prle_matrix_dispose(&x);
}

int main(void)
{
    prle_init(2);
    PT_RUN(test_ridge_path__normal_equations);
    PT_RUN(test_ridge_path__threads_and_choice);
    PT_RUN(test_ridge_path__walk_is_the_grid);
    PT_RUN(test_ridge_path__wide_rows);
    PT_RUN(test_ridge_path__not_positive_definite);
    return pt_report();
}
