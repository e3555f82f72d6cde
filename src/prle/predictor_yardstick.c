/* The predictor's ridge yardstick (issue 12, item 3, for the library and PRLERegressor as
 * `prle run` has it in metrics.json): a ridge on the same inputs, its alpha chosen on the rows
 * the fit held out, and its predictions of those rows, kept beside PRLE's own so a caller can
 * see when a linear model would have done better. */
#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/threads.h"
#include "math/ridge_path.h"
#include "prle/predictor_int.h"

static const double ALPHAS[] = PRLE__RIDGE_REF_ALPHAS;

int prle__predictor_ridge(prle_predictor *p, const prle_matrix *xt, const float *yt,
                          const prle_matrix *xv, const float *yv, const prle__ridge_choice *given,
                          int nt)
{
    size_t d = xt->cols;
    prle__ridge_choice own = {.d = d};
    const prle__ridge_choice *c = given;
    int err = 0;
    if (!(given && given->coef && given->d == d)) { /* none chosen yet: choose it here */
        if (!(own.coef = malloc((d ? d : 1) * sizeof *own.coef)))
            return prle__error_nomem("predictor ridge yardstick");
        int best = prle__ridge_path_best(own.coef, &own.intercept, xt, yt, xv, yv, ALPHAS,
                                         PRLE__RIDGE_N_REF_ALPHAS, prle__threads_resolve(nt));
        if (best < 0 || (size_t)best == PRLE__RIDGE_N_REF_ALPHAS) {
            err = best < 0 ? best : 0; /* no alpha factorised: no yardstick */
            goto done;
        }
        own.alpha = ALPHAS[best];
        c = &own;
    }
    float *pred = malloc(p->n_cal * sizeof *pred);
    if (!pred) {
        err = prle__error_nomem("predictor ridge yardstick");
        goto done;
    }
    prle__ridge_path_predict(pred, c->coef, c->intercept, xv);
    p->cal_ridge = pred;
    p->ridge_alpha = c->alpha;
done:
    prle__ridge_choice_dispose(&own);
    return err;
}

int prle_predictor_yardstick_get(prle_predictor_yardstick *out, const prle_predictor *p)
{
    if (!out || !p)
        return prle__error_set(PRLE_EINVAL, "predictor: NULL argument");
    prle_predictor_yardstick r = {.mse = NAN, .ridge_mse = NAN, .ridge_alpha = NAN};
    r.n = p->n_cal;
    if (r.n) {
        double se = 0.0, sr = 0.0;
        for (size_t i = 0; i < r.n; i++) {
            se += ((double)p->cal_yhat[i] - p->cal_y[i]) * ((double)p->cal_yhat[i] - p->cal_y[i]);
            if (p->cal_ridge)
                sr += ((double)p->cal_ridge[i] - p->cal_y[i]) *
                      ((double)p->cal_ridge[i] - p->cal_y[i]);
        }
        r.mse = se / (double)r.n;
        if (p->cal_ridge)
            r.ridge_mse = sr / (double)r.n, r.ridge_alpha = p->ridge_alpha;
    }
    *out = r;
    return 0;
}
