/* The rule of kernel.standardize_inputs = null (issue 12): whether the kernel's inputs are
 * standardised, from two ridges on the training rows, raw and standardised columns, compared
 * on the validation rows. */
#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/matrix_int.h"
#include "core/threads.h"
#include "kernel/kernel_int.h"
#include "math/paired_gain.h"

static const double ALPHAS[] = PRLE__RIDGE_REF_ALPHAS;
#define N_ALPHAS PRLE__RIDGE_N_REF_ALPHAS

/* Validation squared errors of the best ridge on path r into e (n_val), the ridge into *c
 * (coef: d doubles); 0, or 1 when no alpha factorised. */
static int val_errors(double *e, prle__ridge_choice *c, const prle__ridge_path *r,
                      const prle_matrix *xv, const float *yv, float *yhat, int nt)
{
    int best = prle__ridge_path_best_of(c->coef, &c->intercept, r, xv, yv, ALPHAS, N_ALPHAS, nt);
    if (best < 0)
        return best;
    if ((size_t)best == N_ALPHAS)
        return 1;
    c->alpha = ALPHAS[best];
    prle__ridge_path_predict(yhat, c->coef, c->intercept, xv);
    for (size_t i = 0; i < xv->rows; i++)
        e[i] = ((double)yhat[i] - yv[i]) * ((double)yhat[i] - yv[i]);
    return 0;
}

int prle__kernel_standardize_test(prle_standardize_test *out, const prle_matrix *x_train,
                                  const float *y_train, const prle_matrix *x_val,
                                  const float *y_val, int n_threads, prle__ridge_choice *raw_out)
{
    prle_standardize_test t = {NAN, NAN, 0.0, NAN, false};
    if (!out || !x_train || !y_train || !x_val || !y_val)
        return prle__error_set(PRLE_EINVAL, "standardize test: NULL argument");
    if (x_train->rows < 2 || x_val->rows < 2)
        return prle__error_set(PRLE_EINVAL,
                               "standardize test needs 2 training and 2 validation rows, got %zu "
                               "and %zu",
                               x_train->rows, x_val->rows);
    if (x_val->cols != x_train->cols)
        return prle__error_set(PRLE_ESHAPE, "validation rows are %zu wide, training rows %zu",
                               x_val->cols, x_train->cols);
    size_t d = x_train->cols, nv = x_val->rows;
    int nt = prle__threads_resolve(n_threads), err, raw = 1, std = 1;
    prle__ridge_path r = {0};
    prle__ridge_choice craw = {.d = d}, cstd = {.d = d};
    double *e = malloc(2 * nv * sizeof *e);
    double *s = malloc(d * sizeof *s);
    float *yhat = malloc(nv * sizeof *yhat);
    craw.coef = malloc(d * sizeof *craw.coef);
    cstd.coef = malloc(d * sizeof *cstd.coef);
    if (!craw.coef || !cstd.coef || !e || !s || !yhat) {
        err = prle__error_nomem("standardize test");
        goto done;
    }
    if ((err = prle__ridge_path_fit(&r, x_train, y_train, nt)) < 0)
        goto done;
    prle__matrix_col_scale(s, r.mean, x_train); /* about the column means the path holds */
    double ss = 0.0;
    for (size_t j = 0; j < d; j++) {
        ss += s[j] * s[j]; /* a constant column's is 1: it cannot lift the mean above 1 */
        s[j] = 1.0 / s[j];
    }
    t.col_sd = sqrt(ss / (double)d);
    if ((err = raw = val_errors(e, &craw, &r, x_val, y_val, yhat, nt)) < 0 ||
        (err = prle__ridge_path_scale(&r, s, nt)) < 0 ||
        (err = std = val_errors(e + nv, &cstd, &r, x_val, y_val, yhat, nt)) < 0)
        goto done;
    if (raw_out && !raw) {
        *raw_out = craw;
        craw.coef = NULL;
    }
    err = 0;
    if (raw || std) /* a ridge that did not factorise decides nothing */
        goto done;
    double m_raw = 0.0, m_std = 0.0;
    prle__paired_diff pd = {0};
    for (size_t i = 0; i < nv; i++) {
        m_raw += e[i], m_std += e[nv + i];
        prle__paired_diff_add(&pd, e[i] - e[nv + i]);
    }
    m_raw /= (double)nv, m_std /= (double)nv;
    double se = prle__paired_diff_se(&pd);
    t.mse_raw = m_raw, t.mse_std = m_std;
    t.gain_se = se > 0.0 ? (m_raw - m_std) / se : 0.0;
    t.standardize = se > 0.0 && prle__gain_kept(m_raw, m_std, se); /* equal rows: no gain_se */
done:
    if (t.col_sd > PRLE__KERNEL_UNIT_SCALE)
        t.standardize = true;
    *out = t;
    prle__ridge_path_dispose(&r);
    prle__ridge_choice_dispose(&craw);
    prle__ridge_choice_dispose(&cstd);
    free(e), free(s), free(yhat);
    return err;
}

int prle_kernel_standardize_test(prle_standardize_test *out, const prle_matrix *x_train,
                                 const float *y_train, const prle_matrix *x_val, const float *y_val,
                                 int n_threads)
{
    return prle__kernel_standardize_test(out, x_train, y_train, x_val, y_val, n_threads, NULL);
}
