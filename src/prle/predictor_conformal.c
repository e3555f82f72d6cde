/* The predictor's split-conformal intervals (prle/conformal.h): at the end of a fit the rows it
 * held out keep their labels, predictions and entropy scales, which calibrate the rule for any
 * level later; the predictor file carries them as one safetensors part. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "prle/conformal.h"
#include "prle/conformal_int.h"
#include "prle/predictor_int.h"

int prle__predictor_calibrate(prle_predictor *p, const prle_matrix *x_val, const float *y_val)
{
    size_t n = x_val ? x_val->rows : 0;
    if (n < 2)
        return 0;
    prle_matrix z = {0};
    p->cal_y = malloc(n * sizeof *p->cal_y);
    p->cal_yhat = malloc(n * sizeof *p->cal_yhat);
    p->cal_s = malloc(n * sizeof *p->cal_s);
    int err = 0;
    if (!p->cal_y || !p->cal_yhat || !p->cal_s)
        err = prle__error_nomem("predictor calibration");
    else if ((err = prle__predictor_rows(&z, p, x_val)) == 0 &&
             (err = prle_conformal_scales(p->cal_s, p->cal_yhat, p->model, &z)) == 0) {
        memcpy(p->cal_y, y_val, n * sizeof *p->cal_y);
        p->n_cal = n;
    }
    prle_matrix_dispose(&z);
    return err;
}

int prle__predictor_cal_writer(prle_st_writer **out, const prle_predictor *p)
{
    *out = NULL;
    if (!p->n_cal)
        return 0;
    prle_st_writer *w = NULL;
    size_t shape[1] = {p->n_cal};
    int err;
    if ((err = prle_st_writer_new(&w)) < 0 ||
        (err = prle_st_writer_add_f32(w, "labels", p->cal_y, 1, shape)) < 0 ||
        (err = prle_st_writer_add_f32(w, "predictions", p->cal_yhat, 1, shape)) < 0 ||
        (err = prle_st_writer_add_f64(w, "scales", p->cal_s, 1, shape)) < 0 ||
        (p->cal_ridge &&
         ((err = prle_st_writer_add_f32(w, "ridge_predictions", p->cal_ridge, 1, shape)) < 0 ||
          (err = prle_st_writer_add_f64(w, "ridge_alpha", &p->ridge_alpha, 1, (size_t[1]){1})) <
              0))) {
        prle_st_writer_free(w);
        return err;
    }
    *out = w;
    return 0;
}

/* The ridge yardstick's predictions and alpha, when the file has them (written since
 * 2026-12-07, eighth session). */
static int load_ridge(prle_predictor *p, const prle_st_file *f, const char *path)
{
    if (!prle__st_has(f, "ridge_predictions"))
        return 0; /* an older file: no yardstick */
    size_t n = p->n_cal;
    double alpha;
    int err;
    if (!(p->cal_ridge = malloc(n * sizeof *p->cal_ridge)))
        return prle__error_nomem("predictor yardstick");
    if ((err = prle_st_read_f32(p->cal_ridge, n, f, "ridge_predictions")) < 0 ||
        (err = prle_st_read_f64(&alpha, 1, f, "ridge_alpha")) < 0)
        return err == PRLE_ENOTFOUND || err == PRLE_ESHAPE
                   ? prle__error_set(PRLE_EFORMAT,
                                     "%s: the calibration part's ridge yardstick is not %zu "
                                     "predictions and one alpha",
                                     path, n)
                   : err;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p->cal_ridge[i]))
            return prle__error_set(PRLE_EFORMAT, "%s: ridge prediction %zu is not finite", path, i);
    if (!(alpha > 0))
        return prle__error_set(PRLE_EFORMAT, "%s: ridge_alpha is not positive", path);
    p->ridge_alpha = alpha;
    return 0;
}

int prle__predictor_cal_load(prle_predictor *p, const prle_st_file *f, const char *path)
{
    prle_st_tensor_info t;
    int err = prle_st_find(&t, f, "labels");
    if (err < 0)
        return prle__error_set(PRLE_EFORMAT, "%s: the calibration part has no labels", path);
    size_t n = t.numel;
    if (t.ndim != 1 || n < 2)
        return prle__error_set(PRLE_EFORMAT,
                               "%s: the calibration rows' labels are not a list "
                               "of 2 or more",
                               path);
    p->cal_y = malloc(n * sizeof *p->cal_y);
    p->cal_yhat = malloc(n * sizeof *p->cal_yhat);
    p->cal_s = malloc(n * sizeof *p->cal_s);
    if (!p->cal_y || !p->cal_yhat || !p->cal_s)
        return prle__error_nomem("predictor calibration");
    if ((err = prle_st_read_f32(p->cal_y, n, f, "labels")) < 0 ||
        (err = prle_st_read_f32(p->cal_yhat, n, f, "predictions")) < 0 ||
        (err = prle_st_read_f64(p->cal_s, n, f, "scales")) < 0)
        return err == PRLE_ENOTFOUND || err == PRLE_ESHAPE
                   ? prle__error_set(PRLE_EFORMAT,
                                     "%s: the calibration part lacks %zu predictions and scales",
                                     path, n)
                   : err;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p->cal_y[i]) || !isfinite(p->cal_yhat[i]) || !(p->cal_s[i] >= 1.0))
            return prle__error_set(PRLE_EFORMAT,
                                   "%s: calibration row %zu is not finite (or its scale is "
                                   "below 1)",
                                   path, i);
    p->n_cal = n;
    return load_ridge(p, f, path);
}

size_t prle_predictor_n_calibration(const prle_predictor *p)
{
    return p ? p->n_cal : 0;
}

int prle_predictor_conformal(prle_conformal *out, const prle_predictor *p, double level,
                             bool adaptive)
{
    if (!out || !p)
        return prle__error_set(PRLE_EINVAL, "predictor: NULL argument");
    if (!p->n_cal)
        return prle__error_set(PRLE_EINVAL,
                               "predictor: no held-out rows to calibrate intervals on (fit with "
                               "2 or more x_val rows, or 20 or more rows and val_fraction > 0; "
                               "a predictor file written before intervals keeps none: fit "
                               "again)");
    const prle_model_params *mp = prle_model_get_params(p->model);
    return prle_conformal_calibrate(out, p->cal_y, p->cal_yhat, adaptive ? p->cal_s : NULL,
                                    p->n_cal, level, adaptive, mp->label_min, mp->label_max);
}

int prle_predictor_intervals(float *yhat, float *lo, float *hi, const prle_predictor *p,
                             const prle_matrix *x, double level, bool adaptive)
{
    if (!yhat || !lo || !hi || !p || !x)
        return prle__error_set(PRLE_EINVAL, "predictor: NULL argument");
    prle_conformal c;
    prle_matrix z = {0};
    int err = prle__predictor_rows(&z, p, x);
    if (err == 0)
        err = prle_predictor_conformal(&c, p, level, adaptive);
    if (err == 0) /* one prediction: the adaptive rule's scales come with it */
        err = prle_conformal_predict(yhat, lo, hi, &c, p->model, &z);
    prle_matrix_dispose(&z);
    return err;
}
