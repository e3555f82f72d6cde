/* What metrics.json scores besides the predictions themselves: how concentrated the routing
 * weights are, and a ridge on the same features as the yardstick (issue 12, items 3-4). */
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/matrix_int.h"
#include "math/blas.h"
#include "run/run_int.h"

int prle_split_metrics_compute(prle_split_metrics *out, const float *y, const float *yhat, size_t n,
                               double label_min, double label_max)
{
    prle_split_metrics m = {.present = true};
    int err;
    if ((err = prle_metrics_compute(&m.raw, y, yhat, n)) < 0 ||
        (err = prle_metrics_rescale(&m.unit, &m.raw, label_min, label_max)) < 0)
        return err;
    *out = m;
    return 0;
}

/* The weights of one row, largest first, into `sorted` (np): P is a few dozen. */
static void sort_desc(float *sorted, const float *w, size_t np)
{
    for (size_t p = 0; p < np; p++)
        sorted[p] = w[p];
    for (size_t i = 1; i < np; i++)
        for (size_t j = i; j > 0 && sorted[j - 1] < sorted[j]; j--) {
            float t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
}

void prle_weight_stats_compute(prle_weight_stats *out, const float *w, size_t n, size_t np)
{
    prle_weight_stats s = {0};
    float *sorted = np ? malloc(np * sizeof *sorted) : NULL;
    if (n == 0 || np == 0 || !sorted) {
        free(sorted);
        *out = s;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const float *r = w + i * np;
        double h = 0.0, total = 0.0, acc = 0.0;
        for (size_t p = 0; p < np; p++) {
            total += r[p];
            if (r[p] > 0.0f)
                h -= (double)r[p] * log((double)r[p]);
        }
        sort_desc(sorted, r, np);
        size_t n80 = np; /* prototypes, heaviest first, until 80 % of the row's weight */
        for (size_t p = 0; p < np && n80 == np; p++) {
            acc += sorted[p];
            if (acc >= 0.8 * total * (1.0 - 1e-9))
                n80 = p + 1;
        }
        double t1 = sorted[0], t2 = np > 1 ? sorted[1] : 0.0, t3 = np > 2 ? sorted[2] : 0.0;
        s.top1 += t1;
        s.top3 += t1 + t2 + t3;
        s.n80 += (double)n80;
        s.perplexity += exp(h);
    }
    free(sorted);
    s.top1 /= (double)n, s.top3 /= (double)n, s.n80 /= (double)n, s.perplexity /= (double)n;
    s.present = true;
    *out = s;
}

bool prle_run_metrics_worse_than_ridge(const prle_run_metrics *m)
{
    const prle_split_metrics *a = &m->splits[PRLE_SPLIT_VALIDATION];
    const prle_split_metrics *b = &m->ridge.splits[PRLE_SPLIT_VALIDATION];
    return m->ridge.present && a->present && b->present && a->unit.mse > b->unit.mse;
}

/* A wider grid than the baselines' (0.1 ... 100): the yardstick should be a good ridge. */
static const double REF_ALPHAS[] = {1e-2, 1e-1, 1, 10, 100, 1e3, 1e4};
#define N_REF_ALPHAS (sizeof REF_ALPHAS / sizeof *REF_ALPHAS)

/* Ridge with intercept for every alpha from one eigendecomposition of the centred Gram
 * matrix Xc^T Xc = V diag(l) V^T (double): coef(alpha) = V diag(1 / (l + alpha)) V^T Xc^T yc.
 * Cheaper than an SVD of X when n >> d (STS-B: 0.1 s against 0.5 s); it squares the
 * condition number, which a yardstick whose smallest alpha is 1e-2 can afford. */
typedef struct ridge_eig {
    size_t d;
    double *mean, *v, *l, *vtb; /* (d), (d, d) eigenvectors in columns, (d), V^T Xc^T yc (d) */
    double ymean;
} ridge_eig;

static void ridge_eig_dispose(ridge_eig *r)
{
    free(r->mean), free(r->v), free(r->l), free(r->vtb);
}

static int ridge_eig_fit(ridge_eig *r, const prle_matrix *x, const float *y)
{
    size_t n = x->rows, d = x->cols, nd;
    double *xc = NULL, *b = NULL;
    int err = 0;
    r->d = d;
    if (!prle__mul_ok(&nd, n, d) || !(xc = malloc(nd * sizeof *xc)) ||
        !(r->mean = calloc(d, sizeof *r->mean)) || !(r->v = malloc(d * d * sizeof *r->v)) ||
        !(r->l = malloc(d * sizeof *r->l)) || !(r->vtb = calloc(d, sizeof *r->vtb)) ||
        !(b = calloc(d, sizeof *b))) {
        err = prle__error_nomem("ridge reference");
        goto done;
    }
    prle__matrix_col_mean(r->mean, x);
    r->ymean = 0.0;
    for (size_t i = 0; i < n; i++)
        r->ymean += y[i];
    r->ymean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double yc = (double)y[i] - r->ymean;
        for (size_t j = 0; j < d; j++) {
            xc[i * d + j] = (double)x->data[i * d + j] - r->mean[j];
            b[j] += xc[i * d + j] * yc;
        }
    }
    prle__dgram(r->v, xc, n, d);
    prle__blas_pin_serial(); /* LAPACK's BLAS on one thread (math/blas.h) */
    lapack_int info =
        LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)d, r->v, (lapack_int)d, r->l);
    prle__blas_unpin();
    if (info != 0) {
        err = prle__error_set(PRLE_ERROR, "ridge reference: LAPACKE_dsyevd returned %d", (int)info);
        goto done;
    }
    for (size_t k = 0; k < d; k++) {
        double s = 0.0;
        for (size_t j = 0; j < d; j++)
            s += r->v[j * d + k] * b[j];
        r->vtb[k] = s;
    }
done:
    free(xc);
    free(b);
    return err;
}

/* Predictions of the ridge at `alpha` for the rows of x into yhat; coef (d) is scratch. */
static void ridge_eig_predict(float *yhat, double *coef, const ridge_eig *r, double alpha,
                              const prle_matrix *x)
{
    size_t d = r->d;
    for (size_t j = 0; j < d; j++) {
        double s = 0.0;
        for (size_t k = 0; k < d; k++)
            s += r->v[j * d + k] * r->vtb[k] / (fmax(r->l[k], 0.0) + alpha);
        coef[j] = s;
    }
    for (size_t i = 0; i < x->rows; i++) {
        double s = r->ymean;
        for (size_t j = 0; j < d; j++)
            s += ((double)x->data[i * d + j] - r->mean[j]) * coef[j];
        yhat[i] = (float)s;
    }
}

int prle__run_ridge_reference(prle_run_reference *out, const prle_matrix x[PRLE_N_SPLITS],
                              const prle_dataset *ds, double label_min, double label_max)
{
    prle_run_reference ref = {0};
    ridge_eig r = {0};
    const float *ytr = prle_dataset_labels(ds, PRLE_SPLIT_TRAIN);
    const float *yva = prle_dataset_labels(ds, PRLE_SPLIT_VALIDATION);
    size_t nva = x[PRLE_SPLIT_VALIDATION].rows, nte = x[PRLE_SPLIT_TEST].rows;
    size_t nmax = nva > nte ? nva : nte;
    float *yhat = NULL;
    double *coef = NULL;
    int err = 0;
    memset(out, 0, sizeof *out);
    if (nva < 2 || !yva || !ytr || x[PRLE_SPLIT_TRAIN].rows < 2)
        return 0; /* nothing to choose alpha on: no reference */
    if (!(yhat = malloc(nmax * sizeof *yhat)) ||
        !(coef = malloc(x[PRLE_SPLIT_TRAIN].cols * sizeof *coef))) {
        err = prle__error_nomem("ridge reference");
        goto done;
    }
    if ((err = ridge_eig_fit(&r, &x[PRLE_SPLIT_TRAIN], ytr)) < 0)
        goto done;
    size_t best = 0;
    double best_mse = DBL_MAX;
    for (size_t a = 0; a < N_REF_ALPHAS; a++) { /* the first of equal scores: ties to lower */
        double mse = 0.0;
        ridge_eig_predict(yhat, coef, &r, REF_ALPHAS[a], &x[PRLE_SPLIT_VALIDATION]);
        for (size_t i = 0; i < nva; i++)
            mse += ((double)yhat[i] - yva[i]) * ((double)yhat[i] - yva[i]);
        if (mse < best_mse)
            best_mse = mse, best = a;
    }
    ref.alpha = REF_ALPHAS[best];
    for (int s = PRLE_SPLIT_VALIDATION; s < PRLE_N_SPLITS; s++) {
        const float *y = prle_dataset_labels(ds, (prle_split)s);
        if (x[s].rows < 2 || !y)
            continue;
        ridge_eig_predict(yhat, coef, &r, ref.alpha, &x[s]);
        if ((err = prle_split_metrics_compute(&ref.splits[s], y, yhat, x[s].rows, label_min,
                                              label_max)) < 0)
            goto done;
    }
    ref.present = true;
    *out = ref;
done:
    ridge_eig_dispose(&r);
    free(yhat);
    free(coef);
    return err;
}
