/* StandardScaler (scikit-learn): per-column mean and population standard deviation. */
#include "baselines/baselines_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/matrix_int.h"

int prle__check_xy(const prle_matrix *x, const float *y, size_t min_rows, const char *what)
{
    if (!x || !x->data || !y)
        return prle__error_set(PRLE_EINVAL, "%s: x and y must not be NULL", what);
    if (x->rows < min_rows || x->cols == 0)
        return prle__error_set(PRLE_ESHAPE, "%s: x is (%zu, %zu), needs at least %zu rows", what,
                               x->rows, x->cols, min_rows);
    return 0;
}

int prle__scaler_fit(prle__scaler *out, const prle_matrix *x)
{
    size_t d = x->cols;
    prle__scaler s = {calloc(d, sizeof(double)), calloc(d, sizeof(double)), d};
    if (!s.mean || !s.scale) {
        prle__scaler_dispose(&s);
        return prle__error_nomem("scaler");
    }
    prle__matrix_col_mean(s.mean, x);
    prle__matrix_col_scale(s.scale, s.mean, x);
    *out = s;
    return 0;
}

int prle__scaler_apply(prle_matrix *out, const prle__scaler *s, const prle_matrix *x)
{
    int err;
    prle_matrix m = {0};
    if (x->cols != s->d)
        return prle__error_set(PRLE_ESHAPE, "scaler: x has %zu columns, fitted on %zu", x->cols,
                               s->d);
    if ((err = prle_matrix_alloc(&m, x->rows, x->cols)) < 0)
        return err;
    for (size_t i = 0; i < x->rows; i++) {
        const float *r = prle_matrix_row(x, i);
        float *o = prle_matrix_row(&m, i);
        for (size_t j = 0; j < s->d; j++)
            o[j] = (float)((r[j] - s->mean[j]) / s->scale[j]);
    }
    *out = m;
    return 0;
}

int prle__scaler_copy(prle__scaler *out, const prle__scaler *src)
{
    prle__scaler s = {malloc(src->d * sizeof(double)), malloc(src->d * sizeof(double)), src->d};
    if (!s.mean || !s.scale) {
        prle__scaler_dispose(&s);
        return prle__error_nomem("scaler");
    }
    memcpy(s.mean, src->mean, src->d * sizeof(double));
    memcpy(s.scale, src->scale, src->d * sizeof(double));
    *out = s;
    return 0;
}

void prle__scaler_dispose(prle__scaler *s)
{
    free(s->mean);
    free(s->scale);
    *s = (prle__scaler){0};
}
