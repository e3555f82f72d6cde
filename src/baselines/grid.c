/* Grid search of the wrapper baselines (SPEC.md §7): the grids of the original system
 * (../shared/peers/wrapperbox.py), each point fitted on train and scored by validation MSE, the
 * best (ties: the earlier point in scikit-learn's ParameterGrid order) refitted on train +
 * validation and scored on test. Points run in parallel (OpenMP, dynamic schedule), each writing
 * its own slot, so the choice does not depend on scheduling. */
#include "baselines/baselines_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/matrix_int.h"
#include "core/progress.h"
#include "core/threads.h"
#include "prle/rng.h"

static const char *const kind_names[PRLE_BASELINE_COUNT] = {"linear", "ridge", "knn",
                                                            "svr",    "dt",    "rf"};

const char *prle_baseline_name(prle_baseline_kind kind)
{
    return (unsigned)kind < PRLE_BASELINE_COUNT ? kind_names[kind] : "?";
}

int prle_baseline_from_name(prle_baseline_kind *out, const char *name)
{
    for (int k = 0; name && k < PRLE_BASELINE_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0) {
            *out = (prle_baseline_kind)k;
            return 0;
        }
    return prle__error_set(PRLE_EINVAL, "unknown baseline \"%s\" (linear, ridge, knn, svr, dt, rf)",
                           name ? name : "(null)");
}

prle_baselines_params prle_baselines_default_params(void)
{
    return (prle_baselines_params){.n_threads = 0,
                                   .seed = 42,
                                   .forest_trees = 100,
                                   .forest_max_features = 1.0,
                                   .progress = NULL,
                                   .progress_ud = NULL,
                                   .knn_cosine = false,
                                   .svr_max_rows = 10000};
}

/* the original's grids */
static const double RIDGE_ALPHAS[] = {0.1, 1, 10, 100};
static const size_t KNN_KS[] = {3, 5, 7, 9, 11, 20, 50};
static const double SVR_CS[] = {0.1, 1, 10, 100};
static const double SVR_EPS[] = {0.05, 0.1, 0.2};
static const size_t DT_DEPTHS[] = {0, 5, 10, 20};
static const size_t DT_LEAVES[] = {1, 2, 5, 10};
static const size_t RF_DEPTHS[] = {0, 20};
static const size_t RF_LEAVES[] = {1, 5};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

double prle__mse(const float *p, const float *y, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double e = (double)p[i] - y[i];
        s += e * e;
    }
    return s / (double)n;
}

typedef struct grid_data {
    const prle_matrix *xtr, *xva, *xte;
    const float *ytr, *yva, *yte;
    prle_matrix xall; /* train + validation */
    float *yall;
    const prle_baselines_params *params;
    int nt;
} grid_data;

static int concat(grid_data *g)
{
    return prle__matrix_stack(&g->xall, &g->yall, g->xtr, g->ytr, g->xva, g->yva,
                              "baselines: train + validation");
}

/* ---- points evaluated in parallel: trees, forests, SVR ------------------------------------ */

typedef int (*point_fn)(void *ctx, size_t p, const grid_data *g, float *val_pred);

/* Runs every point; val_mse[p] gets its score. Progress goes to `tasks` (one bar may span
 * several calls), reported by the calling thread only, so the callback is never called
 * concurrently; a callback that asks to stop skips the points not started. Errors: the
 * earliest failing point's code and message (messages are per thread, so each worker copies
 * its own). */
static int run_points_in(prle__tasks *tasks, double *val_mse, size_t n_points, point_fn fn,
                         void *ctx, const grid_data *g)
{
    int *codes = calloc(n_points, sizeof(int));
    char(*msgs)[256] = calloc(n_points, sizeof *msgs);
    int nt = g->nt, err = 0;
    (void)nt;
    if (!codes || !msgs) {
        free(codes), free(msgs);
        return prle__error_nomem("baselines: grid");
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (size_t p = 0; p < n_points; p++) {
        if (prle__tasks_stopped(tasks))
            continue;
        float *pred = malloc((g->xva->rows ? g->xva->rows : 1) * sizeof(float));
        int rc = pred ? fn(ctx, p, g, pred) : prle__error_nomem("baselines: predictions");
        if (rc < 0) {
            codes[p] = rc;
            snprintf(msgs[p], sizeof msgs[p], "%s", prle_last_error());
            val_mse[p] = NAN;
        } else
            val_mse[p] = prle__mse(pred, g->yva, g->xva->rows);
        free(pred);
        prle__tasks_done(tasks);
    }
    for (size_t p = 0; p < n_points; p++)
        if (codes[p] < 0) {
            err = prle__error_set(codes[p], "%s", msgs[p]);
            break;
        }
    free(codes), free(msgs);
    return err;
}

/* run_points_in with a bar of its own */
static int run_points(double *val_mse, size_t n_points, point_fn fn, void *ctx, const grid_data *g,
                      const char *stage)
{
    prle__tasks tasks = prle__tasks_begin(g->params->progress, g->params->progress_ud, stage,
                                          n_points, "grid points");
    int err = run_points_in(&tasks, val_mse, n_points, fn, ctx, g);
    int end = prle__tasks_end(&tasks);
    return err < 0 ? err : end;
}

size_t prle__argmin(const double *v, size_t n)
{
    size_t b = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] < v[b])
            b = i;
    return b;
}

static prle_tree_params tree_point(size_t p, const prle_baselines_params *bp)
{
    prle_tree_params tp = prle_tree_default_params();
    tp.max_depth = DT_DEPTHS[p / COUNT(DT_LEAVES)];
    tp.min_samples_leaf = DT_LEAVES[p % COUNT(DT_LEAVES)];
    tp.seed = bp->seed;
    return tp;
}

static int tree_fn(void *ctx, size_t p, const grid_data *g, float *pred)
{
    (void)ctx;
    prle_tree *t = NULL;
    prle_tree_params tp = tree_point(p, g->params);
    int err = prle_tree_fit(&t, g->xtr, g->ytr, &tp);
    if (err == 0)
        err = prle_tree_predict(pred, t, g->xva);
    prle_tree_free(t);
    return err;
}

static prle_forest_params forest_point(size_t p, const prle_baselines_params *bp, int nt)
{
    prle_forest_params fp = prle_forest_default_params();
    fp.n_trees = bp->forest_trees;
    fp.max_features = bp->forest_max_features;
    fp.max_depth = RF_DEPTHS[p / COUNT(RF_LEAVES)];
    fp.min_samples_leaf = RF_LEAVES[p % COUNT(RF_LEAVES)];
    fp.seed = bp->seed;
    fp.n_threads = nt;
    return fp;
}

static int forest_fn(void *ctx, size_t p, const grid_data *g, float *pred)
{
    (void)ctx;
    prle_forest *f = NULL;
    prle_forest_params fp = forest_point(p, g->params, 1);
    int err = prle_forest_fit(&f, g->xtr, g->ytr, &fp);
    if (err == 0)
        err = prle_forest_predict(pred, f, g->xva);
    prle_forest_free(f);
    return err;
}

static prle_svr_params svr_point(size_t p)
{
    prle_svr_params sp = prle_svr_default_params();
    sp.C = SVR_CS[p / (COUNT(SVR_EPS) * 2)];
    sp.epsilon = SVR_EPS[(p / 2) % COUNT(SVR_EPS)];
    sp.gamma_mode = p % 2 ? PRLE_SVR_GAMMA_AUTO : PRLE_SVR_GAMMA_SCALE;
    return sp;
}

/* The grid's points of one gamma (p = 2 q + gamma) on the kernel of that gamma. */
typedef struct {
    prle__svr_kernel *kern;
    size_t gamma;
} svr_ctx;

static int svr_fn(void *ctx, size_t q, const grid_data *g, float *pred)
{
    const svr_ctx *c = ctx;
    prle_svr *m = NULL;
    prle_svr_params sp = svr_point(2 * q + c->gamma);
    int err = prle__svr_fit_kernel(&m, c->kern, &sp);
    if (err == 0)
        err = prle_svr_predict(pred, m, g->xva);
    prle_svr_free(m);
    return err;
}

/* ---- one kind ----------------------------------------------------------------------------- */

static int run_kind(prle_baseline_result *res, float *pred, prle_baseline_kind kind, grid_data *g)
{
    int err = 0;
    size_t ntr = g->xtr->rows, nva = g->xva->rows, nte = g->xte->rows, np = 0, best = 0;
    double vm[64];
    float *vp = malloc((nva ? nva : 1) * sizeof(float));
    prle_ridge *rm[COUNT(RIDGE_ALPHAS)] = {0};
    prle_knn *km = NULL;
    size_t *kidx = NULL;
    double *kdist = NULL;
    svr_ctx svr = {0}; /* the SVR grid's one kernel table */
    void *model = NULL;
    (void)ntr;
    if (!vp)
        return prle__error_nomem("baselines");

    switch (kind) {
    case PRLE_BASELINE_OLS:
    case PRLE_BASELINE_RIDGE: {
        /* one SVD of train and one of train + validation give every alpha; the two run side by
         * side, each LAPACK call single-threaded inside the region (OLS: alpha 0, its validation
         * score is reported though there is nothing to choose) */
        static const double ols_alpha[1] = {0.0};
        const double *alphas = kind == PRLE_BASELINE_OLS ? ols_alpha : RIDGE_ALPHAS;
        prle_ridge_params rp = prle_ridge_default_params();
        prle_ridge *rall[COUNT(RIDGE_ALPHAS)] = {0};
        int codes[2] = {0};
        char msgs[2][256] = {{0}};
        np = kind == PRLE_BASELINE_OLS ? 1 : COUNT(RIDGE_ALPHAS);
        int nt2 = g->nt < 2 ? g->nt : 2;
        (void)nt2;
#pragma omp parallel for schedule(static, 1) num_threads(nt2)
        for (int task = 0; task < 2; task++) {
            int rc = task ? prle__ridge_fit_path(rall, alphas, np, &g->xall, g->yall, &rp)
                          : prle__ridge_fit_path(rm, alphas, np, g->xtr, g->ytr, &rp);
            if (rc < 0) {
                codes[task] = rc;
                snprintf(msgs[task], sizeof msgs[task], "%s", prle_last_error());
            }
        }
        for (int task = 0; task < 2 && err == 0; task++)
            if (codes[task] < 0)
                err = prle__error_set(codes[task], "%s", msgs[task]);
        for (size_t p = 0; err == 0 && p < np; p++) {
            if ((err = prle_ridge_predict(vp, rm[p], g->xva)) == 0)
                vm[p] = prle__mse(vp, g->yva, nva);
        }
        if (err == 0) {
            best = prle__argmin(vm, np);
            if (kind == PRLE_BASELINE_OLS)
                snprintf(res->best, sizeof res->best, "-");
            else
                snprintf(res->best, sizeof res->best, "alpha=%g", alphas[best]);
            err = prle_ridge_predict(pred, rall[best], g->xte);
        }
        for (size_t p = 0; p < np; p++)
            prle_ridge_free(rall[p]);
        if (err < 0)
            goto done;
        break;
    }
    case PRLE_BASELINE_KNN: {
        size_t nk = COUNT(KNN_KS), kmax = KNN_KS[nk - 1], nm = g->params->knn_cosine ? 2 : 1;
        prle_knn_params kp = prle_knn_default_params();
        kp.n_threads = g->nt;
        if (kmax > ntr)
            kmax = ntr;
        kidx = malloc((nva ? nva : 1) * kmax * sizeof(size_t));
        kdist = malloc((nva ? nva : 1) * kmax * sizeof(double));
        if (!kidx || !kdist) {
            err = prle__error_nomem("knn: neighbours");
            goto done;
        }
        for (size_t mi = 0; mi < nm; mi++) { /* one neighbour search serves every k and weight */
            kp.metric = mi ? PRLE_KNN_COSINE : PRLE_KNN_EUCLIDEAN;
            kp.k = kmax;
            if ((err = prle_knn_fit(&km, g->xtr, g->ytr, &kp)) < 0 ||
                (err = prle__knn_neighbors(kidx, kdist, km, g->xva, kmax, g->nt)) < 0)
                goto done;
            prle__knn_grid_mse(vm + np, km, kidx, kdist, nva, kmax, KNN_KS, nk, g->yva, vp);
            np += 2 * nk;
            prle_knn_free(km);
            km = NULL;
        }
        best = prle__argmin(vm, np);
        kp.metric = best / (2 * nk) ? PRLE_KNN_COSINE : PRLE_KNN_EUCLIDEAN;
        kp.k = KNN_KS[(best / 2) % nk] < kmax ? KNN_KS[(best / 2) % nk] : kmax;
        kp.weights = (prle_knn_weights)(best % 2);
        snprintf(res->best, sizeof res->best, "n_neighbors=%zu weights=%s metric=%s", kp.k,
                 kp.weights ? "distance" : "uniform", kp.metric ? "cosine" : "euclidean");
        if ((err = prle_knn_fit(&km, &g->xall, g->yall, &kp)) < 0 ||
            (err = prle_knn_predict(pred, km, g->xte)) < 0)
            goto done;
        break;
    }
    case PRLE_BASELINE_SVR: {
        /* one gamma at a time on one kernel table, sized for the refit's rows and filled again
         * for it (each kernel's blocks on every thread, then the points side by side) */
        size_t nq = COUNT(SVR_CS) * COUNT(SVR_EPS);
        double vq[COUNT(SVR_CS) * COUNT(SVR_EPS)];
        np = 2 * nq;
        prle_progress_fn fn = g->params->progress;
        void *ud = g->params->progress_ud;
        const char *st = "baselines:svr kernel";
        prle__tasks tasks = prle__tasks_begin(fn, ud, "baselines:svr", np, "grid points");
        for (size_t gm = 0; gm < 2 && err == 0; gm++) {
            prle_svr_gamma mode = svr_point(gm).gamma_mode;
            if ((err = svr.kern ? prle__svr_kernel_set(svr.kern, g->xtr, g->ytr, mode, 0, true, 0,
                                                       fn, ud, st)
                                : prle__svr_kernel_new(&svr.kern, g->xtr, g->ytr, mode, 0, true,
                                                       g->xall.rows, fn, ud, st)) < 0)
                break;
            svr.gamma = gm;
            if ((err = run_points_in(&tasks, vq, nq, svr_fn, &svr, g)) < 0)
                break;
            for (size_t q = 0; q < nq; q++)
                vm[2 * q + gm] = vq[q];
        }
        int end = prle__tasks_end(&tasks);
        if (err < 0 || (err = end) < 0)
            goto done;
        best = prle__argmin(vm, np);
        prle_svr_params sp = svr_point(best);
        snprintf(res->best, sizeof res->best, "C=%g epsilon=%g gamma=%s", sp.C, sp.epsilon,
                 sp.gamma_mode == PRLE_SVR_GAMMA_AUTO ? "auto" : "scale");
        prle_svr *m = NULL;
        if ((err = prle__svr_kernel_set(svr.kern, &g->xall, g->yall, sp.gamma_mode, 0, true, 0, fn,
                                        ud, st)) < 0 ||
            (err = prle__svr_fit_kernel(&m, svr.kern, &sp)) < 0)
            goto done;
        model = m;
        if ((err = prle_svr_predict(pred, m, g->xte)) < 0)
            goto done;
        break;
    }
    case PRLE_BASELINE_TREE: {
        np = COUNT(DT_DEPTHS) * COUNT(DT_LEAVES);
        if ((err = run_points(vm, np, tree_fn, NULL, g, "baselines:tree")) < 0)
            goto done;
        best = prle__argmin(vm, np);
        prle_tree_params tp = tree_point(best, g->params);
        snprintf(res->best, sizeof res->best, "max_depth=%s%.0zu min_samples_leaf=%zu",
                 tp.max_depth ? "" : "None", tp.max_depth, tp.min_samples_leaf);
        prle_tree *t = NULL;
        if ((err = prle_tree_fit(&t, &g->xall, g->yall, &tp)) < 0)
            goto done;
        model = t;
        if ((err = prle_tree_predict(pred, t, g->xte)) < 0)
            goto done;
        break;
    }
    case PRLE_BASELINE_FOREST: {
        np = COUNT(RF_DEPTHS) * COUNT(RF_LEAVES);
        if ((err = run_points(vm, np, forest_fn, NULL, g, "baselines:forest")) < 0)
            goto done;
        best = prle__argmin(vm, np);
        prle_forest_params fp = forest_point(best, g->params, g->nt);
        snprintf(res->best, sizeof res->best,
                 "n_estimators=%zu max_depth=%s%.0zu min_samples_leaf=%zu", fp.n_trees,
                 fp.max_depth ? "" : "None", fp.max_depth, fp.min_samples_leaf);
        prle_forest *f = NULL;
        if ((err = prle_forest_fit(&f, &g->xall, g->yall, &fp)) < 0)
            goto done;
        model = f;
        if ((err = prle_forest_predict(pred, f, g->xte)) < 0)
            goto done;
        break;
    }
    default:
        err = prle__error_set(PRLE_EINVAL, "baselines: unknown kind %d", (int)kind);
        goto done;
    }
    res->n_points = np;
    res->val_mse = vm[best];
    err = prle_metrics_compute(&res->test, g->yte, pred, nte);
done:
    for (size_t i = 0; i < COUNT(rm); i++)
        prle_ridge_free(rm[i]);
    prle_knn_free(km);
    prle__svr_kernel_free(svr.kern);
    if (kind == PRLE_BASELINE_SVR)
        prle_svr_free(model);
    else if (kind == PRLE_BASELINE_TREE)
        prle_tree_free(model);
    else if (kind == PRLE_BASELINE_FOREST)
        prle_forest_free(model);
    free(kidx), free(kdist), free(vp);
    return err;
}

/* `take` rows of (x, y), drawn from stream (seed, "baselines.svr.rows", split), in their order,
 * into a new matrix and labels. */
static int sample_split(prle_matrix *xs, float **ys, const prle_matrix *x, const float *y,
                        size_t take, uint64_t seed, uint64_t split)
{
    size_t *rows = malloc((take ? take : 1) * sizeof *rows);
    prle_rng rng;
    prle_rng_init(&rng, seed, "baselines.svr.rows", split);
    int err =
        rows ? prle_rng_sample(&rng, rows, x->rows, take) : prle__error_nomem("baselines: sample");
    if (err == 0 && (err = prle_matrix_alloc(xs, take, x->cols)) == 0 &&
        !(*ys = malloc((take ? take : 1) * sizeof **ys)))
        err = prle__error_nomem("baselines: sample");
    for (size_t i = 0; err == 0 && i < take; i++) {
        memcpy(prle_matrix_row(xs, i), prle_matrix_row(x, rows[i]), x->cols * sizeof(float));
        (*ys)[i] = y[rows[i]];
    }
    free(rows);
    return err;
}

int prle_baselines_run(prle_baseline_result *out, float *pred_out, prle_baseline_kind kind,
                       const prle_matrix *x_train, const float *y_train, const prle_matrix *x_val,
                       const float *y_val, const prle_matrix *x_test, const float *y_test,
                       const prle_baselines_params *params)
{
    int err;
    prle_baselines_params dflt = prle_baselines_default_params();
    grid_data g = {0};
    prle_baseline_result res = {0};
    float *pred = NULL, *ys[2] = {NULL, NULL};
    prle_matrix xs[2] = {{0}};
    double t0 = prle__now();

    if (!out)
        return prle__error_set(PRLE_EINVAL, "baselines: out is NULL");
    if ((unsigned)kind >= PRLE_BASELINE_COUNT)
        return prle__error_set(PRLE_EINVAL, "baselines: unknown kind %d", (int)kind);
    if ((err = prle__check_xy(x_train, y_train, 2, "baselines: train")) < 0 ||
        (err = prle__check_xy(x_val, y_val, 1, "baselines: validation")) < 0 ||
        (err = prle__check_xy(x_test, y_test, 2, "baselines: test")) < 0)
        return err;
    if (x_val->cols != x_train->cols || x_test->cols != x_train->cols)
        return prle__error_set(PRLE_ESHAPE,
                               "baselines: widths differ: train %zu, validation %zu, "
                               "test %zu",
                               x_train->cols, x_val->cols, x_test->cols);
    if (!params)
        params = &dflt;
    if (params->n_threads < 0 || params->forest_trees < 1 ||
        !(params->forest_max_features > 0 && params->forest_max_features <= 1))
        return prle__error_set(PRLE_EINVAL,
                               "baselines: bad params (n_threads %d, forest_trees "
                               "%zu, forest_max_features %g)",
                               params->n_threads, params->forest_trees,
                               params->forest_max_features);
    g = (grid_data){.xtr = x_train,
                    .xva = x_val,
                    .xte = x_test,
                    .ytr = y_train,
                    .yva = y_val,
                    .yte = y_test,
                    .params = params,
                    .nt = prle__threads_resolve(params->n_threads)};
    size_t ntr = x_train->rows, nva = x_val->rows, cap = params->svr_max_rows;
    if (kind == PRLE_BASELINE_SVR && cap && ntr + nva > cap) {
        /* the SVR on a sample of each split in proportion, at least 2 training rows and 1
         * validation row */
        size_t take_tr = (size_t)((double)cap * (double)ntr / (double)(ntr + nva) + 0.5);
        take_tr = take_tr < 2 ? 2 : take_tr > ntr ? ntr : take_tr;
        size_t take_va = cap > take_tr ? cap - take_tr : 1;
        take_va = take_va < 1 ? 1 : take_va > nva ? nva : take_va;
        if ((err = sample_split(&xs[0], &ys[0], x_train, y_train, take_tr, params->seed, 0)) < 0 ||
            (err = sample_split(&xs[1], &ys[1], x_val, y_val, take_va, params->seed, 1)) < 0)
            goto done;
        g.xtr = &xs[0], g.ytr = ys[0], g.xva = &xs[1], g.yva = ys[1];
    }
    if ((err = concat(&g)) < 0)
        goto done;
    if (!(pred = malloc(x_test->rows * sizeof(float)))) {
        err = prle__error_nomem("baselines: predictions");
        goto done;
    }
    res.kind = kind;
    if ((err = run_kind(&res, pred, kind, &g)) < 0)
        goto done;
    res.seconds = prle__now() - t0;
    res.fit_rows = g.xall.rows;
    if (pred_out)
        memcpy(pred_out, pred, x_test->rows * sizeof(float));
    if (params->progress) {
        prle_progress info = {prle_baseline_name(kind), res.n_points, res.n_points, res.seconds,
                              res.best};
        if (!params->progress(&info, params->progress_ud)) {
            err = prle__error_set(PRLE_EABORTED, "baselines: stopped by the progress callback");
            goto done;
        }
    }
    *out = res;
done:
    prle_matrix_dispose(&g.xall);
    free(g.yall);
    free(pred);
    for (int s = 0; s < 2; s++) {
        prle_matrix_dispose(&xs[s]);
        free(ys[s]);
    }
    return err;
}
