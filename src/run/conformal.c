/* Split-conformal prediction intervals on a saved run (SPEC.md §6; Lei et al. 2018, and the
 * normalised scores of Papadopoulos et al. 2008 with the router's entropy as difficulty),
 * clipped to the label range, and their measured coverage (metrics.json "intervals"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "run/run_int.h"

/* s_i for every row: 1, or 1 + H_i / ln P. `w` (n, P) the routing weights. */
static void scales(double *s, const float *w, size_t n, size_t P, bool adaptive)
{
    for (size_t i = 0; i < n; i++) {
        s[i] = 1.0;
        if (!adaptive || P < 2)
            continue;
        double h = 0;
        for (size_t p = 0; p < P; p++) {
            double v = w[i * P + p];
            if (v > 0)
                h -= v * log(v);
        }
        s[i] = 1.0 + h / log((double)P);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The ceil((n + 1) level)-th smallest of r[0..n); +infinity when that exceeds n (too few rows
 * for the level: only the whole range keeps the guarantee); sorts r. */
static double quantile(double *r, size_t n, double level)
{
    qsort(r, n, sizeof *r, cmp_double);
    double k = ceil((double)(n + 1) * level);
    if (k > (double)n)
        return INFINITY;
    return r[k >= 1 ? (size_t)k - 1 : 0];
}

void prle__conformal_interval(float *lo, float *hi, double yhat, double half, double mn, double mx)
{
    double a = yhat - half, b = yhat + half;
    if (mx > mn) {
        a = a < mn ? mn : a > mx ? mx : a;
        b = b < mn ? mn : b > mx ? mx : b;
    }
    *lo = (float)a;
    *hi = (float)b;
}

/* Predictions and scales of the rows of z. */
static int predict_scaled(float *yhat, double *s, const prle_model *m, const prle_matrix *z,
                          bool adaptive)
{
    size_t n = z->rows, P = prle_model_n_prototypes(m), nP;
    float *w = NULL;
    if (!prle__mul_ok(&nP, n, P) || !(w = malloc((nP ? nP : 1) * sizeof *w)))
        return prle__error_nomem("routing weights");
    int err = prle_model_predict(yhat, w, NULL, m, z);
    if (err == 0)
        scales(s, w, n, P, adaptive);
    free(w);
    return err;
}

int prle_conformal_fit(prle_conformal *out, const prle_run_folder *rf, double level, bool adaptive)
{
    if (!(level > 0 && level < 1))
        return prle__error_set(PRLE_EINVAL, "interval level must be in (0, 1), got %g", level);
    const prle_dataset *ds = prle_run_folder_dataset(rf);
    const float *y = prle_dataset_labels(ds, PRLE_SPLIT_VALIDATION);
    size_t n = prle_dataset_n_rows(ds, PRLE_SPLIT_VALIDATION);
    if (!y || n < 2)
        return prle__error_set(PRLE_EINVAL,
                               "intervals are calibrated on the validation split, "
                               "which has %zu labelled rows",
                               y ? n : 0);
    prle_matrix z = {0};
    float *yhat = NULL;
    double *s = NULL;
    int err = prle_run_folder_value(&z, rf, PRLE_SPLIT_VALIDATION);
    if (err < 0)
        return err;
    if (!(yhat = malloc(n * sizeof *yhat)) || !(s = malloc(n * sizeof *s))) {
        err = prle__error_nomem("calibration");
        goto done;
    }
    if ((err = predict_scaled(yhat, s, prle_run_folder_model(rf), &z, adaptive)) < 0)
        goto done;
    for (size_t i = 0; i < n; i++)
        s[i] = fabs((double)y[i] - yhat[i]) / s[i];
    *out = (prle_conformal){.level = level,
                            .q = quantile(s, n, level),
                            .n_calib = n,
                            .adaptive = adaptive,
                            .label_min = prle_dataset_label_min(ds),
                            .label_max = prle_dataset_label_max(ds)};
done:
    prle_matrix_dispose(&z);
    free(yhat);
    free(s);
    return err;
}

int prle_conformal_apply(float *lo, float *hi, const prle_conformal *c, const prle_model *m,
                         const prle_matrix *z, const float *yhat)
{
    size_t n = z->rows;
    double *s = malloc((n ? n : 1) * sizeof *s);
    float *yh = malloc((n ? n : 1) * sizeof *yh);
    int err = 0;
    if (!s || !yh)
        err = prle__error_nomem("intervals");
    else if (n && (err = predict_scaled(yh, s, m, z, c->adaptive)) == 0)
        for (size_t i = 0; i < n; i++)
            prle__conformal_interval(&lo[i], &hi[i], yhat[i], c->q * s[i], c->label_min,
                                     c->label_max);
    free(s);
    free(yh);
    return err;
}

/* Adds row i's clipped interval [yhat -+ q s] to the coverage and width sums. */
static void score(prle_interval_coverage *acc, const float *y, const float *yhat, const double *s,
                  size_t i, double q, double mn, double mx)
{
    float lo, hi;
    prle__conformal_interval(&lo, &hi, yhat[i], q * s[i], mn, mx);
    acc->n++;
    acc->coverage += y[i] >= lo && y[i] <= hi;
    acc->mean_width += (double)hi - lo;
}

static void finish(prle_interval_coverage *acc)
{
    if (acc->n)
        acc->coverage /= (double)acc->n, acc->mean_width /= (double)acc->n;
}

int prle_interval_stats_compute(prle_interval_stats *out, double level, bool adaptive,
                                const float *y_va, const float *yhat_va, const float *w_va,
                                size_t n_va, const float *y_te, const float *yhat_te,
                                const float *w_te, size_t n_te, size_t np, double label_min,
                                double label_max)
{
    enum { F = PRLE_INTERVAL_FOLDS };
    memset(out, 0, sizeof *out);
    if (!(level > 0 && level < 1))
        return prle__error_set(PRLE_EINVAL, "interval level must be in (0, 1), got %g", level);
    if (n_va < F || !y_va)
        return 0;
    if (!y_te)
        n_te = 0;
    size_t nmax = n_va > n_te ? n_va : n_te;
    double *s = malloc(nmax * sizeof *s), *r = malloc(n_va * sizeof *r);
    double *buf = malloc(n_va * sizeof *buf);
    prle_interval_stats st = {.adaptive = adaptive, .level = level, .n_calib = n_va};
    int err = 0;
    if (!s || !r || !buf) {
        err = prle__error_nomem("interval coverage");
        goto done;
    }
    scales(s, w_va, n_va, np, adaptive);
    for (size_t i = 0; i < n_va; i++)
        r[i] = fabs((double)y_va[i] - yhat_va[i]) / s[i];
    for (size_t f = 0; f < F; f++) { /* cross-fit: fold f calibrated on the other folds */
        size_t m = 0;
        for (size_t i = 0; i < n_va; i++)
            if (i % F != f)
                buf[m++] = r[i];
        double q = quantile(buf, m, level);
        for (size_t i = f; i < n_va; i += F)
            score(&st.validation, y_va, yhat_va, s, i, q, label_min, label_max);
    }
    finish(&st.validation);
    memcpy(buf, r, n_va * sizeof *buf);
    st.q = quantile(buf, n_va, level);
    if (n_te) {
        scales(s, w_te, n_te, np, adaptive);
        for (size_t i = 0; i < n_te; i++)
            score(&st.test, y_te, yhat_te, s, i, st.q, label_min, label_max);
        finish(&st.test);
    }
    st.present = true;
    *out = st;
done:
    free(s), free(r), free(buf);
    return err;
}

int prle__run_intervals(prle_interval_stats out[2], const prle_dataset *ds,
                        float *const yhat[PRLE_N_SPLITS], const float *w_va, const float *w_te,
                        size_t np)
{
    const prle_split V = PRLE_SPLIT_VALIDATION, T = PRLE_SPLIT_TEST;
    size_t n_te = w_te && yhat[T] ? prle_dataset_n_rows(ds, T) : 0;
    int err = 0;
    for (int k = 0; k < 2 && err == 0; k++)
        err = prle_interval_stats_compute(
            &out[k], PRLE_INTERVAL_LEVEL, k == 1, prle_dataset_labels(ds, V), yhat[V], w_va,
            yhat[V] ? prle_dataset_n_rows(ds, V) : 0, prle_dataset_labels(ds, T), yhat[T], w_te,
            n_te, np, prle_dataset_label_min(ds), prle_dataset_label_max(ds));
    return err;
}
