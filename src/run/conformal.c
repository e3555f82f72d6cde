/* Split-conformal prediction intervals on a saved run (SPEC.md §6; Lei et al. 2018, and the
 * normalised scores of Papadopoulos et al. 2008 with the router's entropy as difficulty). */
#include <math.h>
#include <stdlib.h>

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

/* Predictions, scales and (optionally) nothing else of the rows of z. */
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
    qsort(s, n, sizeof *s, cmp_double);
    double k = ceil((double)(n + 1) * level);
    size_t ki = k > (double)n ? n : (size_t)k;
    *out = (prle_conformal){
        .level = level, .q = s[ki ? ki - 1 : 0], .n_calib = n, .adaptive = adaptive};
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
        for (size_t i = 0; i < n; i++) {
            lo[i] = (float)(yhat[i] - c->q * s[i]);
            hi[i] = (float)(yhat[i] + c->q * s[i]);
        }
    free(s);
    free(yh);
    return err;
}
