/* Random forest of CART regression trees (Breiman 2001), as scikit-learn's RandomForestRegressor:
 * tree t is grown on n rows drawn with replacement from the stream (seed, "forest.bootstrap", t)
 * (kept as integer weights) and tries max_features * d features per split from
 * (seed, "tree.features", t); the prediction is the mean of the trees, summed in tree order.
 * The columns are sorted once for all trees. Trees run in parallel, each single-threaded. */
#include "baselines/baselines_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/threads.h"
#include "prle/rng.h"

struct prle_forest {
    prle_tree **trees;
    size_t n_trees, d;
    prle_forest_params params;
};

prle_forest_params prle_forest_default_params(void)
{
    return (prle_forest_params){.n_trees = 100,
                                .max_depth = 0,
                                .min_samples_split = 2,
                                .min_samples_leaf = 1,
                                .max_features = 1.0,
                                .seed = 42,
                                .n_threads = 0,
                                .bootstrap = true};
}

static prle_tree_params tree_params(const prle_forest_params *p)
{
    prle_tree_params t = prle_tree_default_params();
    t.max_depth = p->max_depth;
    t.min_samples_split = p->min_samples_split;
    t.min_samples_leaf = p->min_samples_leaf;
    t.max_features = p->max_features;
    t.seed = p->seed;
    return t;
}

int prle_forest_params_check(const prle_forest_params *p)
{
    if (!p)
        return prle__error_set(PRLE_EINVAL, "forest: params is NULL");
    if (p->n_trees < 1)
        return prle__error_set(PRLE_EINVAL, "forest: n_trees must be >= 1, got %zu", p->n_trees);
    if (p->n_threads < 0)
        return prle__error_set(PRLE_EINVAL, "forest: n_threads must be >= 0, got %d", p->n_threads);
    prle_tree_params t = tree_params(p);
    return prle_tree_params_check(&t);
}

void prle_forest_free(prle_forest *f)
{
    if (!f)
        return;
    for (size_t t = 0; f->trees && t < f->n_trees; t++)
        prle_tree_free(f->trees[t]);
    free(f->trees);
    free(f);
}

int prle_forest_fit(prle_forest **out, const prle_matrix *x, const float *y,
                    const prle_forest_params *params)
{
    int err;
    prle_forest *f = NULL;
    prle__presort ps = {0};
    int *codes = NULL;
    char(*msgs)[256] = NULL;
    if (!out)
        return prle__error_set(PRLE_EINVAL, "forest: out is NULL");
    if ((err = prle_forest_params_check(params)) < 0 ||
        (err = prle__check_xy(x, y, 1, "forest")) < 0)
        return err;
    if (x->rows >= UINT32_MAX)
        return prle__error_set(PRLE_EINVAL, "forest: too many rows (%zu)", x->rows);
    size_t n = x->rows, nt_trees = params->n_trees;
    int nt = prle__threads_resolve(params->n_threads);
    (void)nt;
    f = calloc(1, sizeof *f);
    codes = calloc(nt_trees, sizeof(int));
    msgs = calloc(nt_trees, sizeof *msgs);
    if (!f || !codes || !msgs || !(f->trees = calloc(nt_trees, sizeof(prle_tree *)))) {
        err = prle__error_nomem("forest");
        goto done;
    }
    f->n_trees = nt_trees, f->d = x->cols, f->params = *params;
    if ((err = prle__presort_build(&ps, x, params->n_threads)) < 0)
        goto done;
    prle_tree_params tp = tree_params(params);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (size_t t = 0; t < nt_trees; t++) {
        uint32_t *count = NULL;
        int rc = 0;
        if (params->bootstrap) {
            if (!(count = calloc(n, sizeof(uint32_t))))
                rc = prle__error_nomem("forest: bootstrap");
            else {
                prle_rng r;
                prle_rng_init(&r, params->seed, "forest.bootstrap", t);
                for (size_t i = 0; i < n; i++)
                    count[prle_rng_below(&r, n)]++;
            }
        }
        if (rc == 0)
            rc = prle__tree_fit_weighted(&f->trees[t], x, y, count, &ps, &tp, t);
        if (rc < 0) {
            codes[t] = rc;
            snprintf(msgs[t], sizeof msgs[t], "%s", prle_last_error());
        }
        free(count);
    }
    for (size_t t = 0; t < nt_trees; t++)
        if (codes[t] < 0) {
            err = prle__error_set(codes[t], "%s", msgs[t]);
            goto done;
        }
    *out = f;
    f = NULL;
    err = 0;
done:
    prle_forest_free(f);
    prle__presort_dispose(&ps);
    free(codes), free(msgs);
    return err;
}

int prle_forest_predict(float *y_out, const prle_forest *f, const prle_matrix *x)
{
    if (!f || !x || !y_out || (x->rows && !x->data))
        return prle__error_set(PRLE_EINVAL, "forest: NULL argument to predict");
    if (x->cols != f->d)
        return prle__error_set(PRLE_ESHAPE, "forest: x has %zu columns, fitted on %zu", x->cols,
                               f->d);
    int nt = prle__threads_resolve(f->params.n_threads);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (size_t i = 0; i < x->rows; i++) {
        const float *row = prle_matrix_row(x, i);
        double s = 0;
        for (size_t t = 0; t < f->n_trees; t++)
            s += prle__tree_predict_row(f->trees[t], row);
        y_out[i] = (float)(s / (double)f->n_trees);
    }
    return 0;
}

size_t prle_forest_n_trees(const prle_forest *f)
{
    return f ? f->n_trees : 0;
}
