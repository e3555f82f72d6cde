#include "math/ridge_eig.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/matrix_int.h"
#include "math/blas.h"

void prle__ridge_eig_dispose(prle__ridge_eig *r)
{
    free(r->mean), free(r->v), free(r->l), free(r->vtb);
    memset(r, 0, sizeof *r);
}

int prle__ridge_eig_fit(prle__ridge_eig *r, const prle_matrix *x, const float *y, int nt)
{
    size_t n = x->rows, d = x->cols, nd;
    double *xc = NULL, *b = NULL;
    int err = 0;
    memset(r, 0, sizeof *r);
    r->d = d;
    if (!prle__mul_ok(&nd, n, d) || !(xc = prle_aligned_alloc(nd * sizeof *xc)) ||
        !(r->mean = calloc(d, sizeof *r->mean)) || !(r->v = malloc(d * d * sizeof *r->v)) ||
        !(r->l = malloc(d * sizeof *r->l)) || !(r->vtb = calloc(d, sizeof *r->vtb)) ||
        !(b = calloc(d, sizeof *b))) {
        err = prle__error_nomem("ridge");
        goto done;
    }
    prle__matrix_col_mean(r->mean, x);
    r->ymean = 0.0;
    for (size_t i = 0; i < n; i++)
        r->ymean += y[i];
    r->ymean /= (double)n;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && nd >= 65536)
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            xc[i * d + j] = (double)x->data[i * d + j] - r->mean[j];
    for (size_t i = 0; i < n; i++) { /* rows in order, as before */
        double yc = (double)y[i] - r->ymean;
        for (size_t j = 0; j < d; j++)
            b[j] += xc[i * d + j] * yc;
    }
    prle__dgram(r->v, xc, n, d, nt);
    prle__blas_pin_serial(); /* LAPACK's BLAS on one thread (math/blas.h) */
    lapack_int info =
        LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)d, r->v, (lapack_int)d, r->l);
    prle__blas_unpin();
    if (info != 0) {
        err = prle__error_set(PRLE_ERROR, "ridge: LAPACKE_dsyevd returned %d", (int)info);
        goto done;
    }
    for (size_t k = 0; k < d; k++) {
        double s = 0.0;
        for (size_t j = 0; j < d; j++)
            s += r->v[j * d + k] * b[j];
        r->vtb[k] = s;
    }
done:
    prle_free(xc);
    free(b);
    if (err < 0)
        prle__ridge_eig_dispose(r);
    return err;
}

double prle__ridge_eig_coef(double *coef, const prle__ridge_eig *r, double alpha)
{
    size_t d = r->d;
    double intercept = r->ymean;
    for (size_t j = 0; j < d; j++) {
        double s = 0.0;
        for (size_t k = 0; k < d; k++)
            s += r->v[j * d + k] * r->vtb[k] / (fmax(r->l[k], 0.0) + alpha);
        coef[j] = s;
        intercept -= r->mean[j] * s;
    }
    return intercept;
}

void prle__ridge_eig_predict(float *yhat, const double *coef, double intercept,
                             const prle_matrix *x)
{
    size_t d = x->cols;
    for (size_t i = 0; i < x->rows; i++) {
        double s = intercept;
        for (size_t j = 0; j < d; j++)
            s += (double)x->data[i * d + j] * coef[j];
        yhat[i] = (float)s;
    }
}

size_t prle__ridge_eig_choose(const prle__ridge_eig *r, const double *alphas, size_t n_alpha,
                              const prle_matrix *x, const float *y, double *coef, float *yhat)
{
    size_t best = 0;
    double best_mse = DBL_MAX;
    for (size_t a = 0; a < n_alpha; a++) {
        double mse = 0.0, c = prle__ridge_eig_coef(coef, r, alphas[a]);
        prle__ridge_eig_predict(yhat, coef, c, x);
        for (size_t i = 0; i < x->rows; i++)
            mse += ((double)yhat[i] - y[i]) * ((double)yhat[i] - y[i]);
        if (mse < best_mse)
            best_mse = mse, best = a;
    }
    return best;
}
