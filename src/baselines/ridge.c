/* OLS and ridge regression in double. The reference path is one SVD of the centred data
 * (LAPACKE dgesdd): with X_c = U S V^T, coef = V diag(f(s)) U^T y_c, f(s) = s / (s^2 + alpha)
 * (ridge) or 1 / s above the rcond cut (minimum-norm least squares, as LAPACK gelsd); intercept
 * = mean(y) - mean(x) . coef, scikit-learn's fit_intercept. Ridges with an intercept take a
 * cheaper road to the same answer: a Cholesky of X_c^T X_c + alpha I when n >= d, of X_c X_c^T
 * + alpha I when n < d (math/ridge_path.h). */
#include "baselines/baselines_int.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/matrix_int.h"
#include "math/ridge_path.h"
#include "math/blas.h"

struct prle_ridge {
    double *coef; /* (d) */
    double intercept;
    size_t d;
    prle_ridge_params params;
};

prle_ridge_params prle_ridge_default_params(void)
{
    return (prle_ridge_params){.alpha = 1.0, .rcond = FLT_EPSILON, .fit_intercept = true};
}

int prle_ridge_params_check(const prle_ridge_params *p)
{
    if (!p)
        return prle__error_set(PRLE_EINVAL, "ridge: params is NULL");
    if (!(p->alpha >= 0) || !isfinite(p->alpha))
        return prle__error_set(PRLE_EINVAL, "ridge: alpha must be >= 0, got %g", p->alpha);
    if (!(p->rcond >= 0 && p->rcond < 1))
        return prle__error_set(PRLE_EINVAL, "ridge: rcond must be in [0, 1), got %g", p->rcond);
    return 0;
}

/* A model of d zero coefficients with the base's parameters at `alpha`; NULL without memory. */
static prle_ridge *model_new(size_t d, const prle_ridge_params *base, double alpha)
{
    prle_ridge *mod = calloc(1, sizeof *mod);
    if (!mod || !(mod->coef = calloc(d ? d : 1, sizeof(double)))) {
        free(mod);
        return NULL;
    }
    mod->d = d;
    mod->params = *base;
    mod->params.alpha = alpha;
    return mod;
}

/* Alphas > 0 with an intercept: the centred Gram matrix once (Xc^T Xc, or Xc Xc^T when n < d),
 * one Cholesky factorisation per alpha (math/ridge_path.h), cheaper than the SVD of X (issue
 * 15; the oracle's 25 local ridges on STS-B, ~290 rows of 500 features each: 0.05 s against
 * 0.8 s). 1 when a factorisation fails (alpha too small for the Gram matrix's rounding): the
 * caller takes the SVD. */
static int fit_path_gram(prle_ridge **outs, const double *alphas, size_t n_alpha,
                         const prle_matrix *x, const float *y, const prle_ridge_params *base)
{
    prle__ridge_path r = {0};
    size_t d = x->cols;
    double *coef = NULL, *icpt = NULL;
    int err = prle__ridge_path_fit(&r, x, y, 1); /* callers run two paths side by side */
    if (err == 0 && (!(coef = malloc(n_alpha * (d ? d : 1) * sizeof *coef)) ||
                     !(icpt = malloc(n_alpha * sizeof *icpt))))
        err = prle__error_nomem("ridge");
    if (err == 0 && (err = prle__ridge_path_solve(coef, icpt, &r, alphas, n_alpha, 1)) > 0)
        err = 1;
    for (size_t m = 0; err == 0 && m < n_alpha; m++) {
        prle_ridge *mod = outs[m] = model_new(d, base, alphas[m]);
        if (!mod) {
            err = prle__error_nomem("ridge");
            break;
        }
        memcpy(mod->coef, coef + m * d, d * sizeof *coef);
        mod->intercept = icpt[m];
    }
    prle__ridge_path_dispose(&r);
    free(coef);
    free(icpt);
    if (err != 0)
        for (size_t m = 0; m < n_alpha; m++)
            prle_ridge_free(outs[m]), outs[m] = NULL;
    return err;
}

int prle__ridge_fit_path(prle_ridge **outs, const double *alphas, size_t n_alpha,
                         const prle_matrix *x, const float *y, const prle_ridge_params *base)
{
    int err;
    size_t n = x->rows, d = x->cols, r = n < d ? n : d, nd;
    double *a = NULL, *u = NULL, *vt = NULL, *s = NULL, *xm = NULL, *uty = NULL, *yc = NULL;
    double ym = 0;

    if ((err = prle_ridge_params_check(base)) < 0 || (err = prle__check_xy(x, y, 2, "ridge")) < 0)
        return err;
    for (size_t k = 0; k < n_alpha; k++) {
        outs[k] = NULL;
        if (!(alphas[k] >= 0) || !isfinite(alphas[k]))
            return prle__error_set(PRLE_EINVAL, "ridge: alpha must be >= 0, got %g", alphas[k]);
    }
    bool all_positive = n_alpha > 0;
    for (size_t k = 0; k < n_alpha; k++)
        all_positive = all_positive && alphas[k] > 0;
    if (all_positive && base->fit_intercept &&
        (err = fit_path_gram(outs, alphas, n_alpha, x, y, base)) <= 0)
        return err; /* 1: a factorisation failed, the SVD below */
    if (!prle__mul_ok(&nd, n, d) || !prle__mul_ok(&nd, nd, sizeof(double)))
        return prle__error_nomem("ridge: x");
    a = malloc(nd);
    u = malloc(n * r * sizeof(double));
    vt = malloc(r * d * sizeof(double));
    s = malloc(r * sizeof(double));
    xm = calloc(d, sizeof(double));
    uty = calloc(r, sizeof(double));
    yc = malloc(n * sizeof(double));
    if (!a || !u || !vt || !s || !xm || !uty || !yc) {
        err = prle__error_nomem("ridge");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const float *row = prle_matrix_row(x, i);
        for (size_t j = 0; j < d; j++) {
            a[i * d + j] = row[j];
            xm[j] += row[j];
        }
        ym += y[i];
    }
    if (base->fit_intercept) {
        for (size_t j = 0; j < d; j++)
            xm[j] /= (double)n;
        ym /= (double)n;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < d; j++)
                a[i * d + j] -= xm[j];
    } else {
        memset(xm, 0, d * sizeof(double));
        ym = 0;
    }
    for (size_t i = 0; i < n; i++)
        yc[i] = (double)y[i] - ym;

    prle__blas_pin_serial(); /* LAPACK's BLAS on one thread (math/blas.h) */
    lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', (lapack_int)n, (lapack_int)d, a,
                                     (lapack_int)d, s, u, (lapack_int)r, vt, (lapack_int)d);
    prle__blas_unpin();
    if (info != 0) {
        err = prle__error_set(info < 0 ? PRLE_EINVAL : PRLE_ERROR,
                              "ridge: LAPACKE_dgesdd returned %d", (int)info);
        goto done;
    }
    for (size_t i = 0; i < n; i++) /* U^T y_c (r), rows of U in order */
        for (size_t k = 0; k < r; k++)
            uty[k] += u[i * r + k] * yc[i];

    for (size_t m = 0; m < n_alpha; m++) {
        prle_ridge *mod = outs[m] = model_new(d, base, alphas[m]);
        if (!mod) {
            err = prle__error_nomem("ridge");
            goto done;
        }
        double alpha = alphas[m], cut = base->rcond * (r ? s[0] : 0);
        for (size_t k = 0; k < r; k++) {
            double f;
            if (alpha > 0)
                f = s[k] / (s[k] * s[k] + alpha);
            else
                f = s[k] > cut && s[k] > 0 ? 1.0 / s[k] : 0.0;
            double c = f * uty[k];
            if (c == 0)
                continue;
            for (size_t j = 0; j < d; j++)
                mod->coef[j] += c * vt[k * d + j];
        }
        double b = ym;
        for (size_t j = 0; j < d; j++)
            b -= xm[j] * mod->coef[j];
        mod->intercept = base->fit_intercept ? b : 0.0;
    }
    err = 0;
done:
    if (err < 0)
        for (size_t m = 0; m < n_alpha; m++) {
            prle_ridge_free(outs[m]);
            outs[m] = NULL;
        }
    free(a), free(u), free(vt), free(s), free(xm), free(uty), free(yc);
    return err;
}

int prle_ridge_fit(prle_ridge **out, const prle_matrix *x, const float *y,
                   const prle_ridge_params *params)
{
    if (!out)
        return prle__error_set(PRLE_EINVAL, "ridge: out is NULL");
    if (!params)
        return prle_ridge_params_check(params);
    return prle__ridge_fit_path(out, &params->alpha, 1, x, y, params);
}

int prle_ridge_predict(float *y_out, const prle_ridge *m, const prle_matrix *x)
{
    if (!m || !x || !y_out || (x->rows && !x->data))
        return prle__error_set(PRLE_EINVAL, "ridge: NULL argument to predict");
    if (x->cols != m->d)
        return prle__error_set(PRLE_ESHAPE, "ridge: x has %zu columns, fitted on %zu", x->cols,
                               m->d);
    for (size_t i = 0; i < x->rows; i++) {
        const float *row = prle_matrix_row(x, i);
        double acc = m->intercept;
        for (size_t j = 0; j < m->d; j++)
            acc += m->coef[j] * row[j];
        y_out[i] = (float)acc;
    }
    return 0;
}

const double *prle_ridge_coef(const prle_ridge *m)
{
    return m ? m->coef : NULL;
}

double prle_ridge_intercept(const prle_ridge *m)
{
    return m ? m->intercept : 0.0;
}

size_t prle_ridge_n_features(const prle_ridge *m)
{
    return m ? m->d : 0;
}

void prle_ridge_free(prle_ridge *m)
{
    if (!m)
        return;
    free(m->coef);
    free(m);
}
