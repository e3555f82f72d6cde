/* LABELS: unit */
/* Stage 2's recalibration on validation (prle_model_params.recalibrate, src/prle/fit.c). */
#include <math.h>
#include <string.h>

#include "prle_test.h"

#include "model_fixture.h"

/* Recalibration (the default): the least-squares line of the validation labels on the trained
 * model's validation predictions, folded into the output scale. Every local prediction moves
 * with it (the weighted locals still sum to the prediction) and save/load keeps it; validation
 * labels that run against the predictions (slope <= 0) leave the model as trained. */
static void test_model_recalibrate__line_folded_in(void)
{
    prle_matrix z = {0}, zv = {0};
    float *y = NULL, *yv = NULL, y0[50], y1[50], yl[50], w[50 * 5], e[50 * 5];
    PT_OK(mfx_problem(&z, &y, 80, 6, 3, 0.5));
    PT_OK(mfx_problem(&zv, &yv, 50, 6, 4, 0.5));
    for (size_t i = 0; i < 50; i++) /* shifted and stretched: a line far from 0 + 1 y */
        yv[i] = 2.0f + 1.5f * yv[i];
    prle_model_params p = mfx_params(5, 20);
    prle_model *m0 = NULL, *m1 = NULL, *ml = NULL;
    p.recalibrate = false;
    PT_OK(prle_model_fit(&m0, &z, y, &zv, yv, &p));
    p.recalibrate = true;
    PT_OK(prle_model_fit(&m1, &z, y, &zv, yv, &p));
    if (!m0 || !m1)
        goto done;
    PT_OK(prle_model_predict(y0, NULL, NULL, m0, &zv));
    PT_OK(prle_model_predict(y1, w, e, m1, &zv));
    double mx = 0, my = 0, sxx = 0, sxy = 0, mse0 = 0, mse1 = 0, a, b;
    for (size_t i = 0; i < 50; i++)
        mx += y0[i] / 50.0, my += yv[i] / 50.0;
    for (size_t i = 0; i < 50; i++)
        sxx += (y0[i] - mx) * (y0[i] - mx), sxy += (y0[i] - mx) * (yv[i] - my);
    double want_b = sxy / sxx, want_a = my - want_b * mx;
    prle_model_recalibration(&a, &b, m0);
    PT_CHECK(a == 0.0 && b == 1.0);
    prle_model_recalibration(&a, &b, m1);
    PT_CHECK(want_b > 1.2 && want_a > 1.0);
    PT_NEAR(b, want_b, 1e-5 * want_b);
    PT_NEAR(a, want_a, 1e-4 * (1.0 + fabs(want_a)));
    for (size_t i = 0; i < 50; i++) {
        double s = 0.0;
        for (size_t q = 0; q < 5; q++)
            s += (double)w[i * 5 + q] * e[i * 5 + q];
        PT_NEAR(y1[i], want_a + want_b * y0[i], 1e-4 * (1.0 + fabs(y1[i])));
        PT_NEAR(s, y1[i], 1e-4 * (1.0 + fabs(y1[i])));
        mse0 += (y0[i] - yv[i]) * (y0[i] - yv[i]), mse1 += (y1[i] - yv[i]) * (y1[i] - yv[i]);
    }
    PT_CHECK(mse1 < 0.9 * mse0);
    PT_OK(prle_model_save(m1, pt_tmp("model_recal.safetensors")));
    PT_OK(prle_model_load(&ml, pt_tmp("model_recal.safetensors")));
    if (ml) {
        double la, lb;
        prle_model_recalibration(&la, &lb, ml);
        PT_CHECK(la == a && lb == b);
        PT_OK(prle_model_predict(yl, NULL, NULL, ml, &zv));
        PT_CHECK(memcmp(yl, y1, sizeof yl) == 0);
    }
    prle_model_free(m1), prle_model_free(ml);
    m1 = ml = NULL;
    /* fewer than 20 validation rows: nothing is applied */
    prle_matrix zs = {.data = zv.data, .rows = 19, .cols = zv.cols};
    PT_OK(prle_model_fit(&m1, &z, y, &zs, yv, &p));
    if (m1) {
        prle_model_recalibration(&a, &b, m1);
        PT_CHECK(a == 0.0 && b == 1.0);
    }
    prle_model_free(m1);
    m1 = NULL;
    /* labels against the predictions: the slope is negative, nothing is applied */
    for (size_t i = 0; i < 50; i++)
        yv[i] = 10.0f - y0[i];
    PT_OK(prle_model_fit(&m1, &z, y, &zv, yv, &p));
    if (m1) {
        prle_model_recalibration(&a, &b, m1);
        PT_CHECK(a == 0.0 && b == 1.0);
    }
done:
    prle_model_free(m0), prle_model_free(m1);
    prle_matrix_dispose(&z), prle_matrix_dispose(&zv);
    free(y), free(yv);
}

int main(void)
{
    prle_init(0);
    PT_RUN(test_model_recalibrate__line_folded_in);
    return pt_report();
}
