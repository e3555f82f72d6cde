/* The distance-label report (SPEC.md §4): does distance in a space follow the label gap? */
#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/threads.h"
#include "io/json.h"
#include "kernel/kernel_int.h"
#include "nn/l2norm.h"
#include "prle/metrics.h"
#include "prle/rng.h"

int prle_kernel_distance_corr(prle_kernel_corr *out, const prle_matrix *emb, const float *y,
                              size_t n_pairs, uint64_t seed, int n_threads)
{
    int err = 0;
    size_t n = emb->rows, d = emb->cols;
    if (n < 2 || n_pairs < 2)
        return prle__error_set(PRLE_EINVAL,
                               "distance correlation needs >= 2 rows and pairs, "
                               "got %zu rows, %zu pairs",
                               n, n_pairs);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(y[i]))
            return prle__error_set(PRLE_EINVAL, "label %zu is %g", i, (double)y[i]);
    size_t *pi = malloc(n_pairs * sizeof *pi), *pj = malloc(n_pairs * sizeof *pj);
    double *inv = malloc(n * sizeof *inv), *dy = malloc(n_pairs * sizeof *dy);
    double *dist = malloc(n_pairs * sizeof *dist);
    if (!pi || !pj || !inv || !dy || !dist) {
        err = prle__error_nomem("distance correlation");
        goto done;
    }
    prle_rng rng;
    prle_rng_init(&rng, seed, "kernel.report", 0);
    for (size_t p = 0; p < n_pairs; p++) {
        size_t i = (size_t)prle_rng_below(&rng, n), j = (size_t)prle_rng_below(&rng, n - 1);
        j += j >= i;
        pi[p] = i, pj[p] = j;
        dy[p] = fabs((double)y[i] - (double)y[j]);
    }
    int nt = prle__threads_resolve(n_threads);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (n * d >= 65536)
    for (size_t i = 0; i < n; i++) {
        const float *e = prle_matrix_row(emb, i);
        double s = 0;
        for (size_t c = 0; c < d; c++)
            s += (double)e[c] * e[c];
        inv[i] = 1.0 / fmax(sqrt(s), PRLE__L2_EPS);
    }
#pragma omp parallel for schedule(static) num_threads(nt) if (n_pairs * d >= 65536)
    for (size_t p = 0; p < n_pairs; p++) {
        const float *a = prle_matrix_row(emb, pi[p]), *b = prle_matrix_row(emb, pj[p]);
        double ia = inv[pi[p]], ib = inv[pj[p]], s = 0;
        for (size_t c = 0; c < d; c++) {
            double t = a[c] * ia - b[c] * ib;
            s += t * t;
        }
        dist[p] = sqrt(s);
    }
    prle_metrics m;
    if ((err = prle_metrics_compute_f64(&m, dy, dist, n_pairs)) < 0)
        goto done;
    out->pearson = m.pearson;
    out->spearman = m.spearman;
    out->n_pairs = n_pairs;
done:
    free(pi), free(pj), free(inv), free(dy), free(dist);
    return err;
}

static int add_corr(cJSON *root, const char *key, const prle_kernel_corr *c)
{
    int err;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return prle__error_nomem("report");
    if ((err = prle__json_add_number(o, "pearson", c->pearson)) < 0 ||
        (err = prle__json_add_number(o, "spearman", c->spearman)) < 0) {
        cJSON_Delete(o);
        return err;
    }
    return prle__json_add(root, key, o);
}

static int add_epochs(cJSON *root, const prle_kernel *k)
{
    int err = 0;
    size_t n;
    const prle_kernel_epoch *e = prle_kernel_history(k, &n);
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return prle__error_nomem("report");
    for (size_t i = 0; i < n && err >= 0; i++) {
        cJSON *o;
        if ((err = prle__json_push_object(&o, arr, "report")) < 0)
            break;
        if ((err = prle__json_add_int(o, "epoch", e[i].epoch)) < 0 ||
            (err = prle__json_add_number(o, "loss", e[i].loss)) < 0 ||
            (err = prle__json_add_number(o, "loss_pair", e[i].loss_pair)) < 0 ||
            (err = prle__json_add_number(o, "loss_triplet", e[i].loss_triplet)) < 0 ||
            (err = prle__json_add_number(o, "loss_uniform", e[i].loss_uniform)) < 0 ||
            (err = prle__json_add_number(o, "val_pair", e[i].val_pair)) < 0 ||
            (err = prle__json_add_number(o, "seconds", e[i].seconds)) < 0 ||
            (err = prle__json_add_number(o, "rows_per_s", e[i].rows_per_s)) < 0 ||
            (err = prle__json_add_int(o, "steps", (int64_t)e[i].steps)) < 0)
            break;
    }
    if (err < 0) {
        cJSON_Delete(arr);
        return err;
    }
    return prle__json_add(root, "epochs", arr);
}

int prle_kernel_report_write(const char *path, const prle_kernel_report *r, const prle_kernel *k)
{
    int err;
    cJSON *root = cJSON_CreateObject(), *kern = NULL;
    if (!root)
        return prle__error_nomem("report");
    if ((err = prle__json_add_string(root, "split", "train")) < 0 ||
        (err = prle__json_add_int(root, "pairs", (int64_t)r->value.n_pairs)) < 0 ||
        (err = prle__json_add_string(root, "distance", "euclidean between L2-normalised rows")) <
            0 ||
        (err = prle__json_add(root, "seed", prle__json_int((int64_t)r->seed))) < 0 ||
        (err = add_corr(root, "retrieval", &r->retrieval)) < 0 ||
        (err = add_corr(root, "value", &r->value)) < 0)
        goto done;
    if (k) {
        if (!(kern = cJSON_CreateObject())) {
            err = prle__error_nomem("report");
            goto done;
        }
        if ((err = prle__json_add_string(kern, "type", prle_head_type_name(k->head.type))) < 0 ||
            (err = prle__json_add_int(kern, "in_dim", (int64_t)k->head.d_in)) < 0 ||
            (err = prle__json_add_int(kern, "out_dim", (int64_t)k->head.d_out)) < 0 ||
            (err = prle__json_add_int(kern, "hidden_dim", (int64_t)k->head.hidden)) < 0 ||
            (err = prle__json_add_int(kern, "n_params", (int64_t)prle_kernel_n_params(k))) < 0 ||
            (err = prle__json_add_int(kern, "kept_epoch", k->kept_epoch)) < 0 ||
            (err = prle__json_add_bool(kern, "center_inputs", k->head.centered)) < 0 ||
            (err = prle__json_add_bool(kern, "standardize_inputs", k->head.scaled)) < 0) {
            cJSON_Delete(kern);
            goto done;
        }
        if ((err = prle__json_add(root, "kernel", kern)) < 0 || (err = add_epochs(root, k)) < 0)
            goto done;
    }
    if (r->standardize_tested) {
        const prle_standardize_test *t = &r->standardize;
        cJSON *st = cJSON_CreateObject();
        if (!st || (err = prle__json_add(root, "standardize_test", st)) < 0 ||
            (err = prle__json_add_number(st, "ridge_validation_mse_raw", t->mse_raw)) < 0 ||
            (err = prle__json_add_number(st, "ridge_validation_mse_standardized", t->mse_std)) <
                0 ||
            (err = prle__json_add_number(st, "gain_standard_errors", t->gain_se)) < 0 ||
            (err = prle__json_add_number(st, "column_sd", t->col_sd)) < 0 ||
            (err = prle__json_add_bool(st, "standardize", t->standardize)) < 0) {
            if (!st)
                err = prle__error_nomem("report");
            goto done;
        }
    }
    err = prle__json_write_file(path, root);
done:
    cJSON_Delete(root);
    return err;
}
