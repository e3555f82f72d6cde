/* What metrics.json scores besides the predictions themselves: how concentrated the routing
 * weights are, and a ridge and a kNN on the same features as the yardsticks (issue 12, items
 * 3-4). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "baselines/baselines_int.h"
#include "core/error.h"
#include "core/matrix_int.h"
#include "core/threads.h"
#include "math/ridge_path.h"
#include "run/run_int.h"

int prle_split_metrics_compute(prle_split_metrics *out, const float *y, const float *yhat, size_t n,
                               double label_min, double label_max)
{
    prle_split_metrics m = {.present = true};
    int err;
    if (n == 1 && y && yhat) { /* MSE, RMSE and MAE of one row; r2 and the correlations need 2 */
        double e = (double)y[0] - (double)yhat[0];
        if (!isfinite(e))
            return prle__error_set(PRLE_EINVAL, "%s[0] is %s", isfinite(y[0]) ? "y_pred" : "y_true",
                                   isnan(e) ? "nan" : "infinite");
        m.raw = (prle_metrics){.mse = e * e,
                               .rmse = fabs(e),
                               .mae = fabs(e),
                               .r2 = NAN,
                               .pearson = NAN,
                               .spearman = NAN,
                               .kendall = NAN,
                               .n = 1};
    } else if ((err = prle_metrics_compute(&m.raw, y, yhat, n)) < 0) {
        return err;
    }
    if ((err = prle_metrics_rescale(&m.unit, &m.raw, label_min, label_max)) < 0)
        return err;
    *out = m;
    return 0;
}

/* The weights of one row, largest first, into `sorted` (np): P is a few dozen. */
static void sort_desc(float *sorted, const float *w, size_t np)
{
    for (size_t p = 0; p < np; p++)
        sorted[p] = w[p];
    for (size_t i = 1; i < np; i++)
        for (size_t j = i; j > 0 && sorted[j - 1] < sorted[j]; j--) {
            float t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
}

void prle_weight_stats_compute(prle_weight_stats *out, const float *w, size_t n, size_t np)
{
    prle_weight_stats s = {0};
    float *sorted = np ? malloc(np * sizeof *sorted) : NULL;
    if (n == 0 || np == 0 || !sorted) {
        free(sorted);
        *out = s;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const float *r = w + i * np;
        double h = 0.0, total = 0.0, acc = 0.0;
        for (size_t p = 0; p < np; p++) {
            total += r[p];
            if (r[p] > 0.0f)
                h -= (double)r[p] * log((double)r[p]);
        }
        sort_desc(sorted, r, np);
        size_t n80 = np; /* prototypes, heaviest first, until 80 % of the row's weight */
        for (size_t p = 0; p < np && n80 == np; p++) {
            acc += sorted[p];
            if (acc >= 0.8 * total * (1.0 - 1e-9))
                n80 = p + 1;
        }
        double t1 = sorted[0], t2 = np > 1 ? sorted[1] : 0.0, t3 = np > 2 ? sorted[2] : 0.0;
        s.top1 += t1;
        s.top3 += t1 + t2 + t3;
        s.n80 += (double)n80;
        s.perplexity += exp(h);
    }
    free(sorted);
    s.top1 /= (double)n, s.top3 /= (double)n, s.n80 /= (double)n, s.perplexity /= (double)n;
    s.present = true;
    *out = s;
}

bool prle_run_metrics_worse_than(const prle_run_metrics *m, const prle_run_reference *ref)
{
    const prle_split_metrics *a = &m->splits[PRLE_SPLIT_VALIDATION];
    const prle_split_metrics *b = &ref->splits[PRLE_SPLIT_VALIDATION];
    /* beyond float rounding: PRLE's neighbour term at weight 1 is the kNN itself (the rff head,
     * say), and a warning of 0.063911 against 0.063911 says nothing */
    return ref->present && a->present && b->present && a->unit.mse > b->unit.mse * (1.0 + 1e-6);
}

bool prle_run_metrics_worse_than_ridge(const prle_run_metrics *m)
{
    return prle_run_metrics_worse_than(m, &m->ridge);
}

static const double REF_ALPHAS[] = PRLE__RIDGE_REF_ALPHAS;
#define N_REF_ALPHAS PRLE__RIDGE_N_REF_ALPHAS

int prle__run_ridge_reference(prle_run_reference *out, const prle_matrix x[PRLE_N_SPLITS],
                              const prle_dataset *ds, double label_min, double label_max,
                              int n_threads, const prle__ridge_choice *given)
{
    prle_run_reference ref = {0};
    const float *ytr = prle_dataset_labels(ds, PRLE_SPLIT_TRAIN);
    const float *yva = prle_dataset_labels(ds, PRLE_SPLIT_VALIDATION);
    size_t nva = x[PRLE_SPLIT_VALIDATION].rows, nte = x[PRLE_SPLIT_TEST].rows;
    size_t nmax = nva > nte ? nva : nte, d = x[PRLE_SPLIT_TRAIN].cols;
    float *yhat = NULL;
    double *coef = NULL, icpt;
    int err = 0;
    memset(out, 0, sizeof *out);
    if (nva < 2 || !yva || !ytr || x[PRLE_SPLIT_TRAIN].rows < 2)
        return 0; /* nothing to choose alpha on: no reference */
    if (!(yhat = malloc(nmax * sizeof *yhat)) || !(coef = malloc((d ? d : 1) * sizeof *coef))) {
        err = prle__error_nomem("ridge reference");
        goto done;
    }
    if (given && given->coef && given->d == d) { /* the kernel's standardise test chose it */
        memcpy(coef, given->coef, d * sizeof *coef);
        icpt = given->intercept;
        ref.alpha = given->alpha;
    } else {
        int best =
            prle__ridge_path_best(coef, &icpt, &x[PRLE_SPLIT_TRAIN], ytr, &x[PRLE_SPLIT_VALIDATION],
                                  yva, REF_ALPHAS, N_REF_ALPHAS, prle__threads_resolve(n_threads));
        if (best < 0 || (size_t)best == N_REF_ALPHAS) {
            err = best < 0 ? best : 0; /* no alpha factorised (rows not finite): no reference */
            goto done;
        }
        ref.alpha = REF_ALPHAS[best];
    }
    for (int s = PRLE_SPLIT_VALIDATION; s < PRLE_N_SPLITS; s++) {
        const float *y = prle_dataset_labels(ds, (prle_split)s);
        if (!x[s].rows || !y)
            continue;
        prle__ridge_path_predict(yhat, coef, icpt, &x[s]);
        if ((err = prle_split_metrics_compute(&ref.splits[s], y, yhat, x[s].rows, label_min,
                                              label_max)) < 0)
            goto done;
    }
    ref.present = true;
    *out = ref;
done:
    free(yhat);
    free(coef);
    return err;
}

/* The yardstick from the search s of the validation rows (labels yva). */
static int reference_from(prle_run_reference *out, const prle__nb_search *s, const float *yva,
                          double label_min, double label_max)
{
    prle_run_reference ref = {0};
    size_t nva = s->nq;
    double vm[2 * PRLE__NB_NK];
    float *yhat = malloc((nva ? nva : 1) * sizeof *yhat);
    int err = 0;
    memset(out, 0, sizeof *out);
    if (!yhat)
        return prle__error_nomem("knn reference");
    prle__knn_grid_mse(vm, s->knn, s->idx, s->dist, nva, s->kmax, prle__nb_ks, PRLE__NB_NK, yva,
                       yhat);
    size_t best = prle__argmin(vm, 2 * PRLE__NB_NK); /* ties: the smaller k, uniform weights */
    if (!isfinite(vm[best]))
        goto done; /* no finite validation error: no reference */
    ref.k = prle__nb_ks[best / 2] < s->kmax ? prle__nb_ks[best / 2] : s->kmax;
    ref.distance_weights = best % 2 == PRLE_KNN_DISTANCE;
    ref.fit_rows = s->nfit, ref.train_rows = s->ntrain;
    prle__nb_search_predict(yhat, s, ref.k,
                            ref.distance_weights ? PRLE_KNN_DISTANCE : PRLE_KNN_UNIFORM);
    if ((err = prle_split_metrics_compute(&ref.splits[PRLE_SPLIT_VALIDATION], yva, yhat, nva,
                                          label_min, label_max)) < 0)
        goto done;
    ref.present = true;
    *out = ref;
done:
    free(yhat);
    return err;
}

int prle__run_knn_reference(prle_run_reference *out, prle__nb_search *search,
                            const prle_matrix x[PRLE_N_SPLITS], const prle_dataset *ds,
                            double label_min, double label_max, int n_threads)
{
    const float *ytr = prle_dataset_labels(ds, PRLE_SPLIT_TRAIN);
    const float *yva = prle_dataset_labels(ds, PRLE_SPLIT_VALIDATION);
    prle__nb_search s = {0};
    memset(out, 0, sizeof *out);
    if (search)
        *search = s;
    if (x[PRLE_SPLIT_VALIDATION].rows < 2 || !yva || !ytr || x[PRLE_SPLIT_TRAIN].rows < 2)
        return 0; /* nothing to choose k on: no reference */
    int err =
        prle__nb_search_run(&s, &x[PRLE_SPLIT_TRAIN], ytr, &x[PRLE_SPLIT_VALIDATION], n_threads);
    if (err == 0)
        err = reference_from(out, &s, yva, label_min, label_max);
    if (err == 0 && search)
        *search = s;
    else
        prle__nb_search_dispose(&s);
    return err;
}
