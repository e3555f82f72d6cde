/* The predictor's refit: with a held-out share of x (no x_val), the layers fitted again on
 * every row with the held-out rows' choices frozen; the figures scored on those rows stay the
 * first fit's. The override that turns it off.
 * LABELS: unit */
#include "prle_test.h"

#include "kernel/kernel_int.h"
#include "predictor_fixture.h"
#include "prle/model_int.h"
#include "prle/predictor.h"

/* A refit predictor is the fit on every row with the first fit's epoch counts, ridge alpha and
 * recalibration slope, made by hand here; it keeps the first fit's held-out figures, names the
 * caller's rows without a row map, and predicts the test rows as well. */
static void test_predictor__refit(void)
{
    enum { N = 400, NT = 200 };
    static float y[N], yt[NT], a[NT], b[NT], c[NT];
    prle_matrix x, xt;
    problem(&x, y, N, 21);
    problem(&xt, yt, NT, 22);
    prle_predictor_params pp = prle_predictor_default_params();
    pp.n_threads = 1;
    PT_CHECK(pp.refit);
    prle_predictor *p = NULL, *q = NULL;
    PT_OK(prle_predictor_fit(&p, &x, y, NULL, NULL, &pp)); /* refit */
    pp.refit = false;
    PT_OK(prle_predictor_fit(&q, &x, y, NULL, NULL, &pp)); /* the first fit alone */
    if (!p || !q)
        goto done;
    const prle_model *mp = prle_predictor_model(p), *mq = prle_predictor_model(q);
    /* the held-out figures are the first fit's: yardstick and intervals, to the bit */
    prle_predictor_yardstick yp, yq;
    PT_OK(prle_predictor_yardstick_get(&yp, p));
    PT_OK(prle_predictor_yardstick_get(&yq, q));
    PT_EQ_INT(yp.n, 60);
    PT_CHECK(yp.mse == yq.mse && yp.ridge_mse == yq.ridge_mse);
    prle_conformal cp, cq;
    PT_OK(prle_predictor_conformal(&cp, p, 0.9, false));
    PT_OK(prle_predictor_conformal(&cq, q, 0.9, false));
    PT_CHECK(cp.q == cq.q);
    /* the frozen choices: epochs run, alpha, slope */
    PT_EQ_INT(prle_kernel_kept_epoch(prle_predictor_kernel(p)),
              prle_kernel_kept_epoch(prle_predictor_kernel(q)));
    PT_EQ_INT(prle_model_kept_epoch(mp), prle_model_kept_epoch(mq));
    PT_CHECK(mq->expert_alpha > 0);
    PT_NEAR(mp->expert_alpha, mq->expert_alpha, 0);
    double ap, bp, aq, bq;
    prle_model_recalibration(&ap, &bp, mp);
    prle_model_recalibration(&aq, &bq, mq);
    PT_CHECK(bq != 1.0); /* the first fit recalibrated: the slope is carried */
    PT_NEAR(bp, bq, 0);
    /* the same as fitting every row by hand with those choices */
    prle_kernel_params kp = pp.kernel;
    kp.seed = pp.seed, kp.n_threads = 1;
    kp.label_min = mp->params.label_min, kp.label_max = mp->params.label_max;
    kp.max_epochs = prle_kernel_kept_epoch(prle_predictor_kernel(q));
    kp.standardize_inputs = prle_predictor_kernel(q)->head.scaled;
    prle_kernel *k = NULL;
    prle_model *m = NULL;
    prle_matrix z = {0}, zt = {0};
    prle_model_params hp = mq->params;
    hp.max_epochs = prle_model_kept_epoch(mq);
    prle__fit_opts o = {.expert_alpha = mq->expert_alpha, .recal_slope = bq};
    PT_OK(prle_kernel_fit(&k, &x, y, NULL, NULL, &kp));
    PT_OK(prle_kernel_apply(&z, k, &x, 1));
    PT_OK(prle__model_fit(&m, &z, y, NULL, NULL, &hp, &o));
    PT_OK(prle_kernel_apply(&zt, k, &xt, 1));
    PT_OK(prle_model_predict(c, NULL, NULL, m, &zt));
    PT_OK(prle_predictor_predict(a, p, &xt));
    PT_OK(prle_predictor_predict(b, q, &xt));
    PT_CHECK(memcmp(a, c, sizeof a) == 0);
    PT_CHECK(memcmp(a, b, sizeof a) != 0);
    /* every row of x may be a prototype, named as the caller's row */
    size_t rows[64];
    PT_CHECK(prle_predictor_n_prototypes(p) <= 64);
    prle_predictor_prototype_rows(rows, p);
    for (size_t i = 0; i < prle_predictor_n_prototypes(p); i++) {
        PT_CHECK(rows[i] < N);
        PT_CHECK(rows[i] == prle_model_prototype_rows(mp)[i]);
    }
    /* 60 more rows to learn from: as good on the test rows (0.9945 against 0.9949: both near
     * the noise floor) */
    double rp = r2(yt, a, NT), rq = r2(yt, b, NT);
    if (!(rp > rq - 0.005))
        PT_FAIL_AT("test R^2 %.4f refit against %.4f", rp, rq);
    prle_kernel_free(k), prle_model_free(m);
    prle_matrix_dispose(&z), prle_matrix_dispose(&zt);
done:
    prle_predictor_free(p), prle_predictor_free(q);
    prle_matrix_dispose(&x), prle_matrix_dispose(&xt);
}

/* With the caller's x_val nothing is refitted (those rows only watch the fit, as an eval_set);
 * a first fit on fewer rows than it held out lends no recalibration slope; the override, as
 * bindings pass it */
static void test_predictor__refit_off(void)
{
    enum { N = 300, NV = 60, NT = 50 };
    static float y[N], yv[NV], yt[NT], a[NT], b[NT];
    prle_matrix x, xv, xt;
    problem(&x, y, N, 31);
    problem(&xv, yv, NV, 32);
    problem(&xt, yt, NT, 33);
    prle_predictor_params pp = prle_predictor_default_params();
    pp.n_threads = 1;
    prle_predictor *p = NULL, *q = NULL;
    PT_OK(prle_predictor_fit(&p, &x, y, &xv, yv, &pp));
    pp.refit = false;
    PT_OK(prle_predictor_fit(&q, &x, y, &xv, yv, &pp));
    if (p && q) {
        PT_OK(prle_predictor_predict(a, p, &xt));
        PT_OK(prle_predictor_predict(b, q, &xt));
        PT_CHECK(memcmp(a, b, sizeof a) == 0);
    }
    prle_predictor_free(p), prle_predictor_free(q);
    /* a first fit on a tenth of the rows: its recalibration slope is not carried */
    pp.refit = true, pp.val_fraction = 0.9;
    PT_OK(prle_predictor_fit(&p, &x, y, NULL, NULL, &pp));
    pp.refit = false;
    PT_OK(prle_predictor_fit(&q, &x, y, NULL, NULL, &pp));
    if (p && q) {
        double ap, bp, aq, bq;
        prle_model_recalibration(&aq, &bq, prle_predictor_model(q));
        prle_model_recalibration(&ap, &bp, prle_predictor_model(p));
        PT_CHECK(bq != 1.0);
        PT_NEAR(bp, 1.0, 0);
    }
    prle_predictor_free(p), prle_predictor_free(q);
    const char *off[1] = {"refit=false"}, *bad[1] = {"refit=no"};
    pp = prle_predictor_default_params();
    PT_OK(prle_predictor_params_from_overrides(&pp, off, 1));
    PT_CHECK(!pp.refit && pp.linear_fallback);
    PT_FAILS(prle_predictor_params_from_overrides(&pp, bad, 1), PRLE_EINVAL,
             "refit must be true or false");
    prle_matrix_dispose(&x), prle_matrix_dispose(&xv), prle_matrix_dispose(&xt);
}

int main(void)
{
    prle_init(0);
    PT_RUN(test_predictor__refit);
    PT_RUN(test_predictor__refit_off);
    return pt_report();
}
