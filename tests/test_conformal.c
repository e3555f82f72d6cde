/* LABELS: unit io */
/* Split-conformal intervals (src/run/conformal.c): the cross-fit validation coverage and the
 * test coverage of prle_interval_stats_compute against values worked out by hand, clipping to
 * the label range (ends, widths and coverage), the adaptive scale, and metrics.json's
 * "intervals" written and read back. */
#include "run/run_files.h"
#include "prle_test.h"

#include <math.h>

#include "prle/conformal_int.h"
#include "run/run_int.h"

/* Validation rows i = 0..19 with |y - yhat| = i + 1 (yhat 0, y = i + 1); test rows with
 * residuals 18.5 and 19.5. */
static float yv[20], pv[20], wv[40], yt[2] = {18.5f, -19.5f}, pt2[2] = {0, 0}, wt[4];

static void fill(float w_first)
{
    for (int i = 0; i < 20; i++) {
        yv[i] = (float)(i + 1), pv[i] = 0;
        wv[2 * i] = w_first, wv[2 * i + 1] = 1 - w_first;
    }
    for (int i = 0; i < 2; i++)
        wt[2 * i] = w_first, wt[2 * i + 1] = 1 - w_first;
}

static void test_conformal__cross_fit_by_hand(void)
{
    prle_interval_stats st;
    fill(1);
    PT_OK(
        prle_interval_stats_compute(&st, 0.9, false, yv, pv, wv, 20, yt, pt2, wt, 2, 2, -100, 100));
    PT_CHECK(st.present && !st.adaptive);
    /* fold f holds rows f and f + 10 (residuals f + 1, f + 11); its q is the ceil(19 * 0.9) =
     * 18th smallest of the other 18 residuals, their largest: 20 for f < 9, 19 for f = 9,
     * which misses the residual 20 of row 19. Coverage 19/20, width (18 * 40 + 2 * 38) / 20. */
    PT_EQ_INT(st.validation.n, 20);
    PT_NEAR(st.validation.coverage, 0.95, 1e-12);
    PT_NEAR(st.validation.mean_width, (18 * 40.0 + 2 * 38.0) / 20, 1e-9);
    /* all 20: the ceil(21 * 0.9) = 19th smallest, 19; test residuals 18.5 (in), 19.5 (out) */
    PT_NEAR(st.q, 19, 0);
    PT_EQ_INT(st.n_calib, 20);
    PT_EQ_INT(st.test.n, 2);
    PT_NEAR(st.test.coverage, 0.5, 1e-12);
    PT_NEAR(st.test.mean_width, 38, 1e-9);
    /* a level the rows are too few for: at 0.97 the 20 rows' ceil(21 * 0.97) = 21st smallest
     * is past them (and each fold's ceil(19 * 0.97) = 19th of 18), so q is infinite and every
     * interval the whole label range [-100, 100]: coverage 1, width 200 (once the largest
     * residual, 20 and 19, which kept the 0.97 promise for 19 of 20 rows) */
    PT_OK(prle_interval_stats_compute(&st, 0.97, false, yv, pv, wv, 20, yt, pt2, wt, 2, 2, -100,
                                      100));
    PT_CHECK(isinf(st.q) && st.q > 0);
    PT_NEAR(st.validation.coverage, 1, 0);
    PT_NEAR(st.validation.mean_width, 200, 1e-9);
    PT_NEAR(st.test.coverage, 1, 0);
    /* fewer rows than folds: not computed, no error; a bad level: EINVAL */
    PT_OK(prle_interval_stats_compute(&st, 0.9, false, yv, pv, wv, 9, yt, pt2, wt, 2, 2, 0, 1));
    PT_CHECK(!st.present);
    PT_FAILS(prle_interval_stats_compute(&st, 1.0, false, yv, pv, wv, 20, yt, pt2, wt, 2, 2, 0, 1),
             PRLE_EINVAL, "(0, 1)");
}

static void test_conformal__clipped(void)
{
    /* the same rows in the label range [-2, 10]: every interval [yhat -+ 19 or 20] is cut to
     * it, width 12, and holds every label there */
    prle_interval_stats st;
    fill(1);
    for (int i = 0; i < 20; i++)
        yv[i] = (float)(i + 1) / 2, pv[i] = 0;
    float y2[2] = {10, -2};
    PT_OK(prle_interval_stats_compute(&st, 0.9, false, yv, pv, wv, 20, y2, pt2, wt, 2, 2, -2, 10));
    PT_NEAR(st.validation.mean_width, (18 * 12 + 2 * 11.5) / 20, 1e-9); /* [-2, q], q 10 or 9.5 */
    PT_NEAR(st.validation.coverage, 0.95, 1e-12); /* row 19 (10) against q 9.5 of fold 9 */
    PT_NEAR(st.test.mean_width, 11.5, 1e-9);      /* q 9.5: [-2, 9.5] */
    PT_NEAR(st.test.coverage, 0.5, 1e-12);
    float lo, hi;
    prle__conformal_interval(&lo, &hi, 4.5, 1.6, 0, 5);
    PT_NEAR(lo, 2.9f, 1e-6);
    PT_NEAR(hi, 5, 0);
    prle__conformal_interval(&lo, &hi, 0.3, 1.6, 0, 5);
    PT_NEAR(lo, 0, 0);
    PT_NEAR(hi, 1.9f, 1e-6);
    prle__conformal_interval(&lo, &hi, 7, 1, 0, 5); /* a prediction beyond the range */
    PT_NEAR(lo, 5, 0);
    PT_NEAR(hi, 5, 0);
    prle__conformal_interval(&lo, &hi, 7, 1, 0, 0); /* no range: no clipping */
    PT_NEAR(lo, 6, 0);
    PT_NEAR(hi, 8, 0);
}

static void test_conformal__adaptive_scale(void)
{
    /* two prototypes weighted 1/2 each: entropy ln 2, s = 1 + ln 2 / ln 2 = 2, so the scores
     * halve and the widths stay those of the plain rule */
    prle_interval_stats plain, ad;
    fill(0.5f);
    PT_OK(prle_interval_stats_compute(&plain, 0.9, false, yv, pv, wv, 20, yt, pt2, wt, 2, 2, -100,
                                      100));
    PT_OK(
        prle_interval_stats_compute(&ad, 0.9, true, yv, pv, wv, 20, yt, pt2, wt, 2, 2, -100, 100));
    PT_CHECK(ad.adaptive);
    PT_NEAR(ad.q, plain.q / 2, 1e-12);
    PT_NEAR(ad.validation.mean_width, plain.validation.mean_width, 1e-9);
    PT_NEAR(ad.test.coverage, plain.test.coverage, 0);
}

static void test_conformal__metrics_json(void)
{
    prle_run_metrics m = {.label_min = 0, .label_max = 5}, back;
    static const float y6[6] = {0, 1, 2, 3, 4, 5}, p6[6] = {0.5f, 1, 2.5f, 2, 4, 4.5f};
    PT_OK(prle_split_metrics_compute(&m.splits[PRLE_SPLIT_TEST], y6, p6, 6, 0, 5));
    fill(0.25f);
    PT_OK(prle_interval_stats_compute(&m.intervals[0], 0.9, false, yv, pv, wv, 20, yt, pt2, wt, 2,
                                      2, 0, 30));
    PT_OK(prle_interval_stats_compute(&m.intervals[1], 0.8, true, yv, pv, wv, 20, NULL, NULL, NULL,
                                      0, 2, 0, 30));
    const char *path = pt_tmp("conformal_metrics.json");
    PT_OK(prle__run_metrics_write(path, &m));
    PT_OK(prle__run_metrics_read(&back, path));
    for (int k = 0; k < 2; k++) {
        const prle_interval_stats *a = &m.intervals[k], *b = &back.intervals[k];
        PT_CHECK(b->present && b->adaptive == a->adaptive);
        PT_CHECK(a->level == b->level && a->q == b->q && a->n_calib == b->n_calib);
        PT_CHECK(memcmp(&a->validation, &b->validation, sizeof a->validation) == 0);
        PT_CHECK(memcmp(&a->test, &b->test, sizeof a->test) == 0);
    }
    PT_EQ_INT(back.intervals[1].test.n, 0); /* no test labels: no "test" object */
    size_t len;
    char *text = (char *)pt_slurp(path, &len);
    PT_CHECK(text && strstr(text, "\"method\": \"plain\"") && strstr(text, "\"folds\": 10"));
    free(text);
    /* a file without "intervals" (before issue 17) reads with none present */
    prle_run_metrics none = {.label_min = 0, .label_max = 5};
    PT_OK(prle_split_metrics_compute(&none.splits[PRLE_SPLIT_TEST], y6, p6, 6, 0, 5));
    PT_OK(prle__run_metrics_write(path, &none));
    PT_OK(prle__run_metrics_read(&back, path));
    PT_CHECK(!back.intervals[0].present && !back.intervals[1].present);
    text = (char *)pt_slurp(path, &len);
    PT_CHECK(text && !strstr(text, "intervals"));
    free(text);
}

int main(void)
{
    PT_RUN(test_conformal__cross_fit_by_hand);
    PT_RUN(test_conformal__clipped);
    PT_RUN(test_conformal__adaptive_scale);
    PT_RUN(test_conformal__metrics_json);
    return pt_report();
}
