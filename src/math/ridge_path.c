#include "math/ridge_path.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/matrix_int.h"
#include "math/blas.h"

void prle__ridge_path_dispose(prle__ridge_path *r)
{
    free(r->mean), free(r->gram), free(r->xty), prle_free(r->xct);
    memset(r, 0, sizeof *r);
}

int prle__ridge_path_fit(prle__ridge_path *r, const prle_matrix *x, const float *y, int nt)
{
    size_t n = x->rows, d = x->cols, nd, mm;
    double *xc = NULL;
    int err = 0;
    memset(r, 0, sizeof *r);
    r->d = d;
    r->dual = n < d;
    r->m = r->dual ? n : d;
    if (!prle__mul_ok(&nd, n, d) || !prle__mul_ok(&mm, r->m, r->m) ||
        !(xc = prle_aligned_alloc(nd * sizeof *xc)) || !(r->mean = calloc(d, sizeof *r->mean)) ||
        !(r->gram = malloc(mm * sizeof *r->gram)) || !(r->xty = calloc(r->m, sizeof *r->xty))) {
        err = prle__error_nomem("ridge");
        goto done;
    }
    prle__matrix_col_mean(r->mean, x);
    r->ymean = 0.0;
    for (size_t i = 0; i < n; i++)
        r->ymean += y[i];
    r->ymean /= (double)n;
    (void)nt;
    /* Xc (n, d), or Xc^T (d, n) for the dual */
    size_t si = r->dual ? 1 : d, sj = r->dual ? n : 1;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && nd >= 65536)
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            xc[i * si + j * sj] = (double)x->data[i * d + j] - r->mean[j];
    if (r->dual) {
        for (size_t i = 0; i < n; i++)
            r->xty[i] = (double)y[i] - r->ymean;
        prle__dgram(r->gram, xc, d, n, nt); /* Xc Xc^T = (Xc^T)^T Xc^T */
        r->xct = xc;
        xc = NULL;
    } else {
        for (size_t i = 0; i < n; i++) { /* rows in order */
            double yc = (double)y[i] - r->ymean;
            for (size_t j = 0; j < d; j++)
                r->xty[j] += xc[i * d + j] * yc;
        }
        prle__dgram(r->gram, xc, n, d, nt);
    }
done:
    prle_free(xc);
    if (err < 0)
        prle__ridge_path_dispose(r);
    return err;
}

/* One alpha on the calling thread: f (m, m) and w (m) scratch. 0, or 1 when the
 * factorisation fails. */
static int solve_one(double *coef, double *intercept, const prle__ridge_path *r, double alpha,
                     double *f, double *w)
{
    size_t d = r->d, m = r->m;
    /* the upper triangle row-major is the lower one column-major: LAPACK reads it in place */
    memcpy(f, r->gram, m * m * sizeof *f);
    for (size_t j = 0; j < m; j++)
        f[j * m + j] += alpha;
    memcpy(w, r->xty, m * sizeof *w);
    lapack_int ld = (lapack_int)(m ? m : 1);
    if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)m, f, ld) != 0 ||
        LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', (lapack_int)m, 1, f, ld, w, ld) != 0) {
        *intercept = NAN;
        return 1;
    }
    if (r->dual) /* coef = Xc^T w */
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t i = 0; i < m; i++)
                s += r->xct[j * m + i] * w[i];
            coef[j] = s;
        }
    else
        memcpy(coef, w, d * sizeof *coef);
    double c = r->ymean;
    for (size_t j = 0; j < d; j++)
        c -= r->mean[j] * coef[j];
    *intercept = c;
    return 0;
}

int prle__ridge_path_solve(double *coef, double *intercept, const prle__ridge_path *r,
                           const double *alphas, size_t n_alpha, int nt)
{
    size_t d = r->d, mm;
    int failed = 0, nomem = 0;
    if (!prle__mul_ok(&mm, r->m, r->m + 1) || mm > SIZE_MAX / sizeof(double))
        return prle__error_nomem("ridge");
    (void)nt;
    prle__blas_pin_serial(); /* LAPACK's BLAS on one thread (math/blas.h) */
#pragma omp parallel num_threads(nt) if (nt > 1 && n_alpha > 1 && r->m >= 64)
    {
        double *f = malloc((mm ? mm : 1) * sizeof *f); /* (m, m), then w (m) */
        if (!f) {
#pragma omp atomic write
            nomem = 1;
        }
#pragma omp for schedule(dynamic, 1) reduction(+ : failed)
        for (size_t a = 0; a < n_alpha; a++)
            if (f)
                failed += solve_one(coef + a * d, intercept + a, r, alphas[a], f, f + r->m * r->m);
        free(f);
    }
    prle__blas_unpin();
    return nomem ? prle__error_nomem("ridge factorisation") : failed;
}

void prle__ridge_path_predict(float *yhat, const double *coef, double intercept,
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

size_t prle__ridge_path_choose(const double *coef, const double *intercept, size_t n_alpha,
                               const prle_matrix *x, const float *y, float *yhat)
{
    size_t best = n_alpha, d = x->cols;
    double best_mse = DBL_MAX;
    for (size_t a = 0; a < n_alpha; a++) {
        if (isnan(intercept[a]))
            continue;
        double mse = 0.0;
        prle__ridge_path_predict(yhat, coef + a * d, intercept[a], x);
        for (size_t i = 0; i < x->rows; i++)
            mse += ((double)yhat[i] - y[i]) * ((double)yhat[i] - y[i]);
        if (mse < best_mse || best == n_alpha)
            best_mse = mse, best = a;
    }
    return best;
}

int prle__ridge_path_best(double *coef_out, double *intercept_out, const prle_matrix *x,
                          const float *y, const prle_matrix *xv, const float *yv,
                          const double *alphas, size_t n_alpha, int nt)
{
    size_t d = x->cols, n_solve = xv ? n_alpha : 1;
    prle__ridge_path r = {0};
    double *coef = malloc(n_solve * (d ? d : 1) * sizeof *coef);
    double *icpt = malloc(n_solve * sizeof *icpt);
    float *yhat = xv ? malloc((xv->rows ? xv->rows : 1) * sizeof *yhat) : NULL;
    int err;
    if (!coef || !icpt || (xv && !yhat)) {
        err = prle__error_nomem("ridge path");
        goto done;
    }
    if ((err = prle__ridge_path_fit(&r, x, y, nt)) < 0 ||
        (err = prle__ridge_path_solve(coef, icpt, &r, alphas, n_solve, nt)) < 0)
        goto done;
    size_t best = xv ? prle__ridge_path_choose(coef, icpt, n_solve, xv, yv, yhat)
                     : (isnan(icpt[0]) ? n_solve : 0);
    if (best == n_solve) {
        err = (int)n_alpha;
        goto done;
    }
    memcpy(coef_out, coef + best * d, d * sizeof *coef_out);
    *intercept_out = icpt[best];
    err = (int)best;
done:
    prle__ridge_path_dispose(&r);
    free(coef);
    free(icpt);
    free(yhat);
    return err;
}
