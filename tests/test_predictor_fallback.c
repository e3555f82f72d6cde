/* The predictor's linear fallback: where the ridge yardstick beats the fit on the held-out
 * rows, a fit with a linear kernel too, kept when it scores lower there; the override that
 * turns it off.
 * LABELS: unit */
#include "prle_test.h"

#include "predictor_fixture.h"
#include "prle/predictor.h"

/* y = sum of 10 of `cols` columns, weights in [-2, 2], + noise 0.05: linear in many features */
static void linear_problem(prle_matrix *x, float *y, size_t n, size_t cols, uint32_t seed)
{
    PT_OK(prle_matrix_alloc(x, n, cols));
    uint32_t ws = 77;
    float w[10];
    for (int j = 0; j < 10; j++)
        w[j] = 2.0f * uni(&ws);
    for (size_t i = 0; i < n; i++) {
        float *r = prle_matrix_row(x, i);
        for (size_t j = 0; j < cols; j++)
            r[j] = uni(&seed);
        y[i] = 0.05f * uni(&seed);
        for (size_t j = 0; j < 10; j++)
            y[i] += w[j] * r[j * (cols / 10)];
    }
}

/* Where the ridge yardstick beats the fit, a linear kernel is fitted too and kept when it
 * scores better on the held-out rows (here it does, and predicts the test rows better);
 * with linear_fallback false the kernel stays resmlp (where PRLE beats the ridge,
 * test_predictor's first fit keeps it too) */
static void test_predictor__linear_fallback(void)
{
    enum { N = 240, NV = 60, NT = 200, C = 60 };
    static float y[N], yv[NV], yt[NT], a[NT], b[NT];
    prle_matrix x, xv, xt;
    linear_problem(&x, y, N, C, 11);
    linear_problem(&xv, yv, NV, C, 12);
    linear_problem(&xt, yt, NT, C, 13);
    prle_predictor_params pp = prle_predictor_default_params();
    pp.n_threads = 1;
    PT_CHECK(pp.linear_fallback);
    prle_predictor *p = NULL, *q = NULL;
    PT_OK(prle_predictor_fit(&p, &x, y, &xv, yv, &pp));
    pp.linear_fallback = false;
    PT_OK(prle_predictor_fit(&q, &x, y, &xv, yv, &pp));
    if (p && q) {
        prle_predictor_yardstick yp, yq;
        PT_OK(prle_predictor_yardstick_get(&yp, p));
        PT_OK(prle_predictor_yardstick_get(&yq, q));
        PT_CHECK(yq.ridge_mse < yq.mse); /* the ridge wins against the resmlp kernel */
        PT_EQ_INT(prle_kernel_type(prle_predictor_kernel(q)), PRLE_HEAD_RESMLP);
        PT_EQ_INT(prle_kernel_type(prle_predictor_kernel(p)), PRLE_HEAD_LINEAR);
        PT_CHECK(yp.mse < 0.5 * yq.mse);        /* 0.043 against 0.19 */
        PT_NEAR(yp.ridge_mse, yq.ridge_mse, 0); /* the same yardstick for both */
        PT_OK(prle_predictor_predict(a, p, &xt));
        PT_OK(prle_predictor_predict(b, q, &xt));
        PT_CHECK(r2(yt, a, NT) > r2(yt, b, NT) + 0.01); /* 0.980 against 0.956 */
        /* the row map of the first fit: prototypes name rows of x */
        size_t rows[64];
        PT_CHECK(prle_predictor_n_prototypes(p) <= 64);
        prle_predictor_prototype_rows(rows, p);
        for (size_t k = 0; k < prle_predictor_n_prototypes(p); k++)
            PT_CHECK(rows[k] < N);
    }
    prle_predictor_free(p), prle_predictor_free(q);
    /* the override, as bindings pass it */
    const char *off[1] = {"linear_fallback=false"}, *bad[1] = {"linear_fallback=no"};
    PT_OK(prle_predictor_params_from_overrides(&pp, off, 1));
    PT_CHECK(!pp.linear_fallback);
    PT_FAILS(prle_predictor_params_from_overrides(&pp, bad, 1), PRLE_EINVAL, "true or false");
    prle_matrix_dispose(&x), prle_matrix_dispose(&xv), prle_matrix_dispose(&xt);
}

int main(void)
{
    prle_init(0);
    PT_RUN(test_predictor__linear_fallback);
    return pt_report();
}
