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
    free(r->mean), free(r->gram), free(r->xty), prle_free(r->xct), free(r->scale);
    memset(r, 0, sizeof *r);
}

void prle__ridge_choice_dispose(prle__ridge_choice *c)
{
    free(c->coef);
    memset(c, 0, sizeof *c);
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

int prle__ridge_path_scale(prle__ridge_path *r, const double *s, int nt)
{
    size_t d = r->d, m = r->m;
    if (!(r->scale = malloc((d ? d : 1) * sizeof *r->scale)))
        return prle__error_nomem("ridge scale");
    memcpy(r->scale, s, d * sizeof *s);
    if (r->dual) { /* Xc^T's rows scaled, then Xc S^2 Xc^T again */
        for (size_t j = 0; j < d; j++)
            for (size_t i = 0; i < m; i++)
                r->xct[j * m + i] *= s[j];
        prle__dgram(r->gram, r->xct, d, m, nt);
    } else {
        for (size_t i = 0; i < d; i++) {
            r->xty[i] *= s[i];
            for (size_t j = 0; j < d; j++)
                r->gram[i * d + j] *= s[i] * s[j];
        }
    }
    return 0;
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
    if (r->scale) /* the coefficients of the raw columns */
        for (size_t j = 0; j < d; j++)
            coef[j] *= r->scale[j];
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

/* The validation MSE of one solved ridge: DBL_MAX when it did not factorise. */
static double path_mse(const double *coef, double intercept, const prle_matrix *xv, const float *yv,
                       float *yhat)
{
    if (isnan(intercept))
        return DBL_MAX;
    double mse = 0.0;
    prle__ridge_path_predict(yhat, coef, intercept, xv);
    for (size_t i = 0; i < xv->rows; i++)
        mse += ((double)yhat[i] - yv[i]) * ((double)yhat[i] - yv[i]);
    return mse;
}

/* Solves alphas [a, b) (clipped to the grid) that are not solved yet, `nt` side by side, and
 * scores them on validation. 0 or PRLE_ENOMEM. */
static int path_solve_range(double *coef, double *icpt, double *mse, bool *done,
                            const prle__ridge_path *r, const double *alphas, size_t n_alpha,
                            size_t a, size_t b, const prle_matrix *xv, const float *yv, float *yhat,
                            int nt)
{
    size_t d = r->d;
    b = b < n_alpha ? b : n_alpha;
    while (a < b && done[a])
        a++;
    while (b > a && done[b - 1])
        b--;
    if (a >= b)
        return 0;
    int err = prle__ridge_path_solve(coef + a * d, icpt + a, r, alphas + a, b - a, nt);
    if (err < 0)
        return err;
    for (size_t k = a; k < b; k++) {
        mse[k] = path_mse(coef + k * d, icpt[k], xv, yv, yhat);
        done[k] = true;
    }
    return 0;
}

/* The grid's best alpha on validation without solving every one: from the middle alpha the
 * walk goes to the side whose neighbour is better and on while the next one is (up: strictly
 * better; down: no worse), solving `nt` alphas at a time. Where validation error along the path
 * falls to one minimum and rises again (the usual shape) this is the whole grid's choice (the
 * lowest index of the least error), in 2-3 rounds of factorisations instead of n_alpha / nt;
 * with two minima it is the one the walk reaches first; when every
 * alpha it met failed to factorise, the rest are solved and the whole grid decides. */
static int path_walk(size_t *best_out, double *coef, double *icpt, const prle__ridge_path *r,
                     const double *alphas, size_t n_alpha, const prle_matrix *xv, const float *yv,
                     float *yhat, int nt)
{
    size_t step = nt > 1 ? (size_t)nt : 1, mid = n_alpha / 2, best;
    double *mse = malloc(n_alpha * sizeof *mse);
    bool *done = calloc(n_alpha, sizeof *done);
    int err = 0;
    if (!mse || !done) {
        err = prle__error_nomem("ridge path");
        goto out;
    }
    if ((err = path_solve_range(coef, icpt, mse, done, r, alphas, n_alpha, mid, mid + step, xv, yv,
                                yhat, nt)) < 0 ||
        (mid + 1 < n_alpha && (err = path_solve_range(coef, icpt, mse, done, r, alphas, n_alpha,
                                                      mid + 1, mid + 2, xv, yv, yhat, nt)) < 0))
        goto out;
    bool up = mid + 1 < n_alpha && mse[mid + 1] < mse[mid];
    best = up ? mid + 1 : mid;
    for (size_t next = up ? mid + 2 : mid - 1; next < n_alpha; next = up ? next + 1 : next - 1) {
        /* (mid - 1 wraps to SIZE_MAX below 0, ending the loop) */
        if (!done[next] &&
            (err = path_solve_range(coef, icpt, mse, done, r, alphas, n_alpha,
                                    up ? next : (next + 1 > step ? next + 1 - step : 0), next + 1,
                                    xv, yv, yhat, nt)) < 0)
            goto out;
        if (!(up ? mse[next] < mse[best] : mse[next] <= mse[best]))
            break;
        best = next;
    }
    if (mse[best] == DBL_MAX) { /* nothing factorised on the way: the whole grid */
        if ((err = path_solve_range(coef, icpt, mse, done, r, alphas, n_alpha, 0, n_alpha, xv, yv,
                                    yhat, nt)) < 0)
            goto out;
        best = n_alpha;
        for (size_t a = 0; a < n_alpha; a++)
            if (mse[a] != DBL_MAX && (best == n_alpha || mse[a] < mse[best]))
                best = a;
    }
    *best_out = best;
out:
    free(mse);
    free(done);
    return err;
}

int prle__ridge_path_best_of(double *coef_out, double *intercept_out, const prle__ridge_path *r,
                             const prle_matrix *xv, const float *yv, const double *alphas,
                             size_t n_alpha, int nt)
{
    size_t d = r->d, n_solve = xv ? n_alpha : 1;
    double *coef = malloc(n_solve * (d ? d : 1) * sizeof *coef);
    double *icpt = malloc((n_solve ? n_solve : 1) * sizeof *icpt);
    float *yhat = xv ? malloc((xv->rows ? xv->rows : 1) * sizeof *yhat) : NULL;
    size_t best = n_solve;
    int err = 0;
    if (!coef || !icpt || (xv && !yhat)) {
        err = prle__error_nomem("ridge path");
        goto done;
    }
    if (xv && n_alpha)
        err = path_walk(&best, coef, icpt, r, alphas, n_alpha, xv, yv, yhat, nt);
    else if (!xv && (err = prle__ridge_path_solve(coef, icpt, r, alphas, 1, nt)) >= 0)
        best = isnan(icpt[0]) ? n_solve : 0, err = 0;
    if (err < 0)
        goto done;
    if (best == n_solve) { /* no alpha to try, or none factorised */
        err = (int)n_alpha;
        goto done;
    }
    memcpy(coef_out, coef + best * d, d * sizeof *coef_out);
    *intercept_out = icpt[best];
    err = (int)best;
done:
    free(coef);
    free(icpt);
    free(yhat);
    return err;
}

int prle__ridge_path_best(double *coef_out, double *intercept_out, const prle_matrix *x,
                          const float *y, const prle_matrix *xv, const float *yv,
                          const double *alphas, size_t n_alpha, int nt)
{
    prle__ridge_path r = {0};
    int err = prle__ridge_path_fit(&r, x, y, nt);
    if (err >= 0)
        err = prle__ridge_path_best_of(coef_out, intercept_out, &r, xv, yv, alphas, n_alpha, nt);
    prle__ridge_path_dispose(&r);
    return err;
}
