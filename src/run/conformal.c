/* Split-conformal prediction intervals on a saved run, calibrated on its validation split
 * (the rule itself: src/prle/conformal.c), and their measured coverage (metrics.json
 * "intervals"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "prle/conformal_int.h"
#include "run/run_int.h"

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
    const prle_model *m = prle_run_folder_model(rf);
    prle_matrix z = {0};
    float *yhat = NULL;
    double *s = NULL;
    const float *held_yhat, *held_w; /* a refit run's: its first fit's, held out */
    bool held = prle__run_folder_heldout(&held_yhat, &held_w, rf) == n;
    int err = held ? 0 : prle_run_folder_value(&z, rf, PRLE_SPLIT_VALIDATION);
    if (err < 0)
        return err;
    if (!(yhat = malloc(n * sizeof *yhat)) || !(s = malloc(n * sizeof *s))) {
        err = prle__error_nomem("calibration");
        goto done;
    }
    if (held) {
        memcpy(yhat, held_yhat, n * sizeof *yhat);
        prle__conformal_entropy_scales(s, held_w, n, prle_model_n_prototypes(m), adaptive);
    } else
        err = prle__conformal_predict_scales(yhat, s, m, &z, adaptive);
    if (err == 0)
        err = prle_conformal_calibrate(out, y, yhat, adaptive ? s : NULL, n, level, adaptive,
                                       prle_dataset_label_min(ds), prle_dataset_label_max(ds));
done:
    prle_matrix_dispose(&z);
    free(yhat);
    free(s);
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
    prle__conformal_entropy_scales(s, w_va, n_va, np, adaptive);
    for (size_t i = 0; i < n_va; i++)
        r[i] = fabs((double)y_va[i] - yhat_va[i]) / s[i];
    for (size_t f = 0; f < F; f++) { /* cross-fit: fold f calibrated on the other folds */
        size_t m = 0;
        for (size_t i = 0; i < n_va; i++)
            if (i % F != f)
                buf[m++] = r[i];
        double q = prle__conformal_quantile(buf, m, level);
        for (size_t i = f; i < n_va; i += F)
            score(&st.validation, y_va, yhat_va, s, i, q, label_min, label_max);
    }
    finish(&st.validation);
    memcpy(buf, r, n_va * sizeof *buf);
    st.q = prle__conformal_quantile(buf, n_va, level);
    if (n_te) {
        prle__conformal_entropy_scales(s, w_te, n_te, np, adaptive);
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
