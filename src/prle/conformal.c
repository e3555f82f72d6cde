/* Split-conformal prediction intervals on a fitted model (prle/conformal.h): the scores'
 * scales from the router's entropy, the calibrated quantile, and the clipped intervals. */
#include "prle/conformal.h"

#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/matrix_int.h"
#include "prle/conformal_int.h"

void prle__conformal_entropy_scales(double *s, const float *w, size_t n, size_t P, bool adaptive)
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

double prle__conformal_quantile(double *r, size_t n, double level)
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

int prle_conformal_calibrate(prle_conformal *out, const float *y, const float *yhat,
                             const double *s, size_t n, double level, bool adaptive,
                             double label_min, double label_max)
{
    if (!out || (n && (!y || !yhat)))
        return prle__error_set(PRLE_EINVAL, "conformal: NULL argument");
    if (!(level > 0 && level < 1))
        return prle__error_set(PRLE_EINVAL, "interval level must be in (0, 1), got %g", level);
    if (n < 2)
        return prle__error_set(
            PRLE_EINVAL, "intervals are calibrated on held-out rows: %zu labelled (need 2)", n);
    double *r = malloc(n * sizeof *r);
    if (!r)
        return prle__error_nomem("calibration");
    for (size_t i = 0; i < n; i++)
        r[i] = fabs((double)y[i] - yhat[i]) / (s ? s[i] : 1.0);
    *out = (prle_conformal){.level = level,
                            .q = prle__conformal_quantile(r, n, level),
                            .n_calib = n,
                            .adaptive = adaptive,
                            .label_min = label_min,
                            .label_max = label_max};
    free(r);
    return 0;
}

int prle_conformal_scales(double *s, float *yhat, const prle_model *m, const prle_matrix *z)
{
    size_t n = z->rows, P = prle_model_n_prototypes(m), nP;
    float *w = NULL, *yh = yhat;
    if (!prle__mul_ok(&nP, n, P) || !(w = malloc((nP ? nP : 1) * sizeof *w)) ||
        (!yhat && !(yh = malloc((n ? n : 1) * sizeof *yh)))) {
        free(w);
        return prle__error_nomem("routing weights");
    }
    int err = n ? prle_model_predict(yh, w, NULL, m, z) : 0;
    if (err == 0)
        prle__conformal_entropy_scales(s, w, n, P, true);
    free(w);
    if (!yhat)
        free(yh);
    return err;
}

void prle__conformal_ends(float *lo, float *hi, const prle_conformal *c, const float *yhat,
                          const double *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        prle__conformal_interval(&lo[i], &hi[i], yhat[i], c->q * (s ? s[i] : 1.0), c->label_min,
                                 c->label_max);
}

int prle__conformal_predict_scales(float *yhat, double *s, const prle_model *m,
                                   const prle_matrix *z, bool adaptive)
{
    if (!z->rows)
        return 0;
    return adaptive ? prle_conformal_scales(s, yhat, m, z)
                    : prle_model_predict(yhat, NULL, NULL, m, z);
}

int prle_conformal_predict(float *yhat, float *lo, float *hi, const prle_conformal *c,
                           const prle_model *m, const prle_matrix *z)
{
    if (!yhat || !lo || !hi || !c || !m || !z)
        return prle__error_set(PRLE_EINVAL, "intervals: NULL argument");
    size_t n = z->rows;
    double *s = NULL;
    if (c->adaptive && !(s = malloc((n ? n : 1) * sizeof *s)))
        return prle__error_nomem("intervals");
    int err = prle__conformal_predict_scales(yhat, s, m, z, c->adaptive);
    if (err == 0)
        prle__conformal_ends(lo, hi, c, yhat, s, n);
    free(s);
    return err;
}

int prle_conformal_apply(float *lo, float *hi, const prle_conformal *c, const prle_model *m,
                         const prle_matrix *z, const float *yhat)
{
    size_t n = z->rows;
    double *s = NULL;
    int err = 0;
    if (c->adaptive && !(s = malloc((n ? n : 1) * sizeof *s)))
        return prle__error_nomem("intervals");
    if (c->adaptive)
        err = prle_conformal_scales(s, NULL, m, z);
    if (err == 0)
        prle__conformal_ends(lo, hi, c, yhat, s, n);
    free(s);
    return err;
}
