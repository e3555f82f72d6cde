/* Oracle MoE (SPEC.md §7; the original's oracle_moe_value_space.py): does a mixture of local
 * experts with perfect hard routing beat one global model? Clusters are the Voronoi cells of k
 * medoids in value space; each cell gets its own regressor (SVR or ridge) fitted on its rows of
 * train + validation, and each test row is predicted by the regressor of its nearest medoid. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baselines/baselines_int.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/threads.h"
#include "prle/analysis.h"
#include "prle/prototypes.h"

const char *prle_oracle_model_name(prle_oracle_model m)
{
    switch (m) {
    case PRLE_ORACLE_SVR:
        return "svr";
    case PRLE_ORACLE_LINEAR:
        return "linear";
    }
    return "?";
}

prle_oracle_params prle_oracle_default_params(void)
{
    return (prle_oracle_params){.model = PRLE_ORACLE_SVR,
                                .svr = prle_svr_default_params(),
                                .ridge = prle_ridge_default_params(),
                                .n_threads = 0};
}

static int params_check(const prle_oracle_params *p)
{
    int err;
    if (p->model != PRLE_ORACLE_SVR && p->model != PRLE_ORACLE_LINEAR)
        return prle__error_set(PRLE_EINVAL, "oracle: unknown model %d", (int)p->model);
    if (p->n_threads < 0)
        return prle__error_set(PRLE_EINVAL, "oracle: n_threads must be >= 0, got %d", p->n_threads);
    if (p->model == PRLE_ORACLE_SVR && (err = prle_svr_params_check(&p->svr)) < 0)
        return err;
    if (p->model == PRLE_ORACLE_LINEAR && (err = prle_ridge_params_check(&p->ridge)) < 0)
        return err;
    return 0;
}

/* slot_out[i] = the medoid nearest to row i of x (squared Euclidean in double, ties to the
 * lower slot); medoids are rows of `fit` */
static void assign(size_t *slot_out, const prle_matrix *x, const prle_matrix *fit,
                   const size_t *medoids, size_t k, int nt)
{
    size_t n = x->rows, d = x->cols;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * k * d >= 262144)
    for (size_t i = 0; i < n; i++) {
        const float *r = prle_matrix_row(x, i);
        double best = INFINITY;
        size_t bs = 0;
        for (size_t s = 0; s < k; s++) {
            const float *m = prle_matrix_row(fit, medoids[s]);
            double part[4] = {0, 0, 0, 0}; /* four running sums: no wait on one add chain */
            size_t c = 0;
            for (; c + 4 <= d; c += 4)
                for (size_t u = 0; u < 4; u++) {
                    double t = (double)r[c + u] - (double)m[c + u];
                    part[u] += t * t;
                }
            for (; c < d; c++) {
                double t = (double)r[c] - (double)m[c];
                part[0] += t * t;
            }
            double acc = (part[0] + part[1]) + (part[2] + part[3]);
            if (acc < best) {
                best = acc;
                bs = s;
            }
        }
        slot_out[i] = bs;
    }
}

/* Fits one model of p->model on (x, y) and predicts the rows of q (may have 0 rows). */
static int fit_predict(float *out, const prle_oracle_params *p, const prle_matrix *x,
                       const float *y, const prle_matrix *q, const prle__svr_kernel *k)
{
    int err;
    if (p->model == PRLE_ORACLE_SVR) {
        prle_svr *m = NULL;
        if ((err = k ? prle__svr_fit_kernel(&m, k, &p->svr) : prle_svr_fit(&m, x, y, &p->svr)) ==
                0 &&
            q->rows)
            err = prle_svr_predict(out, m, q);
        prle_svr_free(m);
    } else {
        prle_ridge *m = NULL;
        if ((err = prle_ridge_fit(&m, x, y, &p->ridge)) == 0 && q->rows)
            err = prle_ridge_predict(out, m, q);
        prle_ridge_free(m);
    }
    return err;
}

/* The rows of `x` whose slot is s, in index order, into a new matrix (and their labels). */
static int gather(prle_matrix *out, float *y_out, const prle_matrix *x, const float *y,
                  const size_t *slot, size_t s, size_t count)
{
    int err = prle_matrix_alloc(out, count ? count : 1, x->cols);
    if (err < 0)
        return err;
    out->rows = count;
    size_t j = 0;
    for (size_t i = 0; i < x->rows && j < count; i++)
        if (slot[i] == s) {
            memcpy(prle_matrix_row(out, j), prle_matrix_row(x, i), x->cols * sizeof(float));
            if (y_out)
                y_out[j] = y[i];
            j++;
        }
    return 0;
}

/* One cluster: fit on its fit rows, write the predictions of its test rows into pred (a
 * cluster without fit rows is left to the caller). */
static int fit_cluster(float *pred, const prle_oracle_params *p, const prle_matrix *x_fit,
                       const float *y_fit, const size_t *slot_fit, size_t n_fit_s,
                       const prle_matrix *x_test, const size_t *slot_test, size_t n_test_s,
                       size_t s)
{
    int err = 0;
    prle_matrix xc = {0}, qc = {0};
    float *yc = NULL, *pc = NULL;
    size_t m = x_test->rows;
    if (n_test_s == 0 || n_fit_s == 0)
        return 0; /* nothing to predict, or nothing to fit */
    if (n_fit_s == 1) {
        float v = 0;
        for (size_t i = 0; i < x_fit->rows; i++)
            if (slot_fit[i] == s)
                v = y_fit[i];
        for (size_t i = 0; i < m; i++)
            if (slot_test[i] == s)
                pred[i] = v;
        return 0;
    }
    if (!(yc = malloc(n_fit_s * sizeof(float))) || !(pc = malloc(n_test_s * sizeof(float)))) {
        err = prle__error_nomem("oracle: cluster");
        goto done;
    }
    if ((err = gather(&xc, yc, x_fit, y_fit, slot_fit, s, n_fit_s)) < 0 ||
        (err = gather(&qc, NULL, x_test, NULL, slot_test, s, n_test_s)) < 0 ||
        (err = fit_predict(pc, p, &xc, yc, &qc, NULL)) < 0)
        goto done;
    for (size_t i = 0, j = 0; i < m; i++)
        if (slot_test[i] == s)
            pred[i] = pc[j++];
done:
    prle_matrix_dispose(&xc);
    prle_matrix_dispose(&qc);
    free(yc);
    free(pc);
    return err;
}

int prle_oracle_moe_eval(prle_oracle_result *out, float *pred_global, float *pred_oracle,
                         const prle_matrix *x_fit, const float *y_fit, const size_t *medoid_rows,
                         size_t k, const prle_matrix *x_test, const float *y_test,
                         const prle_oracle_params *p)
{
    int err;
    double t0 = prle__now();
    prle_oracle_params dflt = prle_oracle_default_params();
    size_t n, m, *slot_fit = NULL, *slot_test = NULL, *cnt_fit = NULL, *cnt_test = NULL;
    float *pg = NULL, *po = NULL;
    int *codes = NULL;
    char(*msgs)[256] = NULL;
    prle_oracle_result res = {0};
    prle__svr_kernel *global_kernel = NULL;

    if (!p)
        p = &dflt;
    if (!out || !x_fit || !x_fit->data || !y_fit || !x_test || !x_test->data || !y_test ||
        !medoid_rows)
        return prle__error_set(PRLE_EINVAL, "oracle: a required argument is NULL");
    if ((err = params_check(p)) < 0)
        return err;
    n = x_fit->rows, m = x_test->rows;
    if (n < 2 || m < 2 || k == 0)
        return prle__error_set(PRLE_EINVAL,
                               "oracle: needs >= 2 fit rows, >= 2 test rows and k >= 1; got %zu, "
                               "%zu, k %zu",
                               n, m, k);
    if (x_test->cols != x_fit->cols)
        return prle__error_set(PRLE_ESHAPE, "oracle: widths differ: fit %zu, test %zu", x_fit->cols,
                               x_test->cols);
    for (size_t s = 0; s < k; s++)
        if (medoid_rows[s] >= n)
            return prle__error_set(PRLE_EINVAL, "oracle: medoid %zu is row %zu of %zu fit rows", s,
                                   medoid_rows[s], n);
    int nt = prle__threads_resolve(p->n_threads);
    slot_fit = malloc(n * sizeof(size_t));
    slot_test = malloc(m * sizeof(size_t));
    cnt_fit = calloc(k, sizeof(size_t));
    cnt_test = calloc(k, sizeof(size_t));
    pg = malloc(m * sizeof(float));
    po = malloc(m * sizeof(float));
    codes = calloc(k + 1, sizeof(int));
    msgs = calloc(k + 1, sizeof *msgs);
    if (!slot_fit || !slot_test || !cnt_fit || !cnt_test || !pg || !po || !codes || !msgs) {
        err = prle__error_nomem("oracle");
        goto done;
    }
    assign(slot_fit, x_fit, x_fit, medoid_rows, k, nt);
    assign(slot_test, x_test, x_fit, medoid_rows, k, nt);
    for (size_t i = 0; i < n; i++)
        cnt_fit[slot_fit[i]]++;
    for (size_t i = 0; i < m; i++)
        cnt_test[slot_test[i]]++;

    /* the global SVR's kernel matrix (the largest piece of work) on every thread first; the
     * fits then run side by side, each on one thread */
    if (p->model == PRLE_ORACLE_SVR &&
        (err = prle__svr_kernel_new(&global_kernel, x_fit, y_fit, p->svr.gamma_mode, p->svr.gamma,
                                    p->svr.standardize, 0, p->progress, p->progress_ud,
                                    "oracle:svr kernel")) < 0)
        goto done;
    prle__tasks tasks = prle__tasks_begin(
        p->progress, p->progress_ud, p->model == PRLE_ORACLE_SVR ? "oracle:svr" : "oracle:linear",
        k + 1, "fits");
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (size_t t = 0; t <= k; t++) {
        if (prle__tasks_stopped(&tasks))
            continue;
        /* task 0 the global model (the longest, so first), task 1 + s cluster s; side by side,
         * each single-threaded inside: a threaded LAPACK SVD outside the region stalls on its
         * barriers when the machine is busy */
        int rc = t ? fit_cluster(po, p, x_fit, y_fit, slot_fit, cnt_fit[t - 1], x_test, slot_test,
                                 cnt_test[t - 1], t - 1)
                   : fit_predict(pg, p, x_fit, y_fit, x_test, global_kernel);
        if (rc < 0) {
            codes[t] = rc;
            snprintf(msgs[t], sizeof msgs[t], "%s", prle_last_error());
        }
        prle__tasks_done(&tasks);
    }
    if ((err = prle__tasks_end(&tasks)) < 0)
        goto done;
    for (size_t t = 0; t <= k; t++)
        if (codes[t] < 0) {
            if (t)
                err = prle__error_set(codes[t], "oracle: cluster %zu (%zu rows): %s", t - 1,
                                      cnt_fit[t - 1], msgs[t]);
            else
                err = prle__error_set(codes[t], "oracle: global model: %s", msgs[t]);
            goto done;
        }
    for (size_t i = 0; i < m; i++) /* a cluster without fit rows: the global model */
        if (cnt_fit[slot_test[i]] == 0)
            po[i] = pg[i];

    res.model = p->model;
    res.k = k;
    res.min_cluster = (size_t)-1;
    for (size_t s = 0; s < k; s++) {
        res.min_cluster = cnt_fit[s] < res.min_cluster ? cnt_fit[s] : res.min_cluster;
        res.max_cluster = cnt_fit[s] > res.max_cluster ? cnt_fit[s] : res.max_cluster;
        res.n_constant += cnt_fit[s] < 2;
    }
    if ((err = prle_metrics_compute(&res.global, y_test, pg, m)) < 0 ||
        (err = prle_metrics_compute(&res.oracle, y_test, po, m)) < 0)
        goto done;
    if (pred_global)
        memcpy(pred_global, pg, m * sizeof(float));
    if (pred_oracle)
        memcpy(pred_oracle, po, m * sizeof(float));
    res.seconds = prle__now() - t0;
    *out = res;
done:
    prle__svr_kernel_free(global_kernel);
    free(slot_fit), free(slot_test), free(cnt_fit), free(cnt_test);
    free(pg), free(po), free(codes), free(msgs);
    return err;
}

int prle_oracle_moe(prle_oracle_result *out, size_t *medoids_out, const prle_matrix *x_fit,
                    const float *y_fit, size_t n_cluster_rows, const prle_matrix *x_test,
                    const float *y_test, size_t k, uint64_t seed, const prle_oracle_params *p)
{
    int err;
    double t0 = prle__now();
    size_t *med = NULL;
    if (!x_fit || !x_fit->data)
        return prle__error_set(PRLE_EINVAL, "oracle: x_fit is NULL");
    if (n_cluster_rows == 0 || n_cluster_rows > x_fit->rows)
        n_cluster_rows = x_fit->rows;
    prle_proto_params pp = prle_proto_default_params();
    pp.method = PRLE_PROTO_KMEDOIDS;
    pp.n_prototypes = k;
    pp.seed = seed;
    pp.n_threads = p ? p->n_threads : 0;
    prle_matrix head = {x_fit->data, n_cluster_rows, x_fit->cols, NULL, 0}; /* a view */
    if (!(med = malloc((k ? k : 1) * sizeof(size_t))))
        return prle__error_nomem("oracle: medoids");
    if ((err = prle_prototypes_select(med, NULL, &head, &pp)) < 0 ||
        (err = prle_oracle_moe_eval(out, NULL, NULL, x_fit, y_fit, med, k, x_test, y_test, p)) < 0)
        goto done;
    out->seconds = prle__now() - t0;
    if (medoids_out)
        memcpy(medoids_out, med, k * sizeof(size_t));
done:
    free(med);
    return err;
}
