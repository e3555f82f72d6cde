/* analysis.json (docs/run-folder.md): correlation, oracle MoE, t-SNE maps, keys in a fixed
 * order; doubles exact (%.17g or shorter), coordinates and labels as floats, NaN as null. */
#include <stdlib.h>

#include "analysis/analyze_int.h"
#include "core/error.h"
#include "io/json.h"
#include "io/metrics_json.h"

static const char *const SPACES[2] = {"retrieval", "value"};

/* obj[key] = a new object or array; NULL (PRLE_ENOMEM set) when memory runs out */
static cJSON *add_object(cJSON *obj, const char *key)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        prle__error_nomem("analysis.json");
        return NULL;
    }
    return prle__json_add(obj, key, o) < 0 ? NULL : o;
}

static cJSON *add_array(cJSON *obj, const char *key)
{
    cJSON *a = cJSON_CreateArray();
    if (!a) {
        prle__error_nomem("analysis.json");
        return NULL;
    }
    return prle__json_add(obj, key, a) < 0 ? NULL : a;
}

static int push(cJSON *arr, cJSON *item)
{
    return prle__json_push(arr, item, "analysis.json");
}

static int add_sizes(cJSON *obj, const char *key, const size_t *v, size_t n)
{
    int err = 0;
    cJSON *a = add_array(obj, key);
    if (!a)
        return PRLE_ENOMEM;
    for (size_t i = 0; i < n && err == 0; i++)
        err = push(a, prle__json_int((int64_t)v[i]));
    return err;
}

static int add_metrics(cJSON *obj, const char *key, const prle_metrics *m)
{
    return prle__json_add(obj, key, prle__metrics_json(m, true));
}

static int add_correlation(cJSON *root, const prle__analysis *a)
{
    int err;
    if (!a->has_corr)
        return 0; /* skipped: the key is absent (what readers treat as "not run") */
    cJSON *c = add_object(root, "correlation");
    if (!c)
        return PRLE_ENOMEM;
    if ((err = prle__json_add_string(c, "split", "train")) < 0 ||
        (err = prle__json_add_int(c, "pairs", (int64_t)a->corr[1].n_pairs)) < 0 ||
        (err = prle__json_add(c, "seed", prle__json_int((int64_t)a->seed))) < 0)
        return err;
    for (int s = 0; s < 2; s++) {
        cJSON *o = add_object(c, SPACES[s]);
        if (!o)
            return PRLE_ENOMEM;
        if ((err = prle__json_add_number(o, "pearson", a->corr[s].pearson)) < 0 ||
            (err = prle__json_add_number(o, "spearman", a->corr[s].spearman)) < 0)
            return err;
    }
    return 0;
}

static int add_oracle(cJSON *root, const prle__analysis *a)
{
    int err;
    if (!a->has_oracle)
        return 0; /* skipped: the key is absent (what readers treat as "not run") */
    cJSON *arr = add_array(root, "oracle_moe");
    if (!arr)
        return PRLE_ENOMEM;
    for (int i = 0; i < 2; i++) {
        const prle_oracle_result *r = &a->oracle[i];
        cJSON *o;
        if ((err = prle__json_push_object(&o, arr, "analysis.json")) < 0)
            return err;
        if ((err = prle__json_add_string(o, "model", prle_oracle_model_name(r->model))) < 0 ||
            (err = prle__json_add_int(o, "k", (int64_t)r->k)) < 0 ||
            (err = prle__json_add_string(o, "params", a->oracle_params[i])) < 0 ||
            (err = prle__json_add_string(o, "label_scale", "unit")) < 0 ||
            (err = prle__json_add_string(o, "fit", "train+validation")) < 0 ||
            (err = prle__json_add_int(o, "fit_rows", (int64_t)a->oracle_rows)) < 0 ||
            (err = prle__json_add_int(o, "fit_rows_all", (int64_t)(a->n[0] + a->n[1]))) < 0 ||
            (err = add_metrics(o, "global", &r->global)) < 0 ||
            (err = add_metrics(o, "oracle", &r->oracle)) < 0 ||
            (err = prle__json_add_int(o, "min_cluster", (int64_t)r->min_cluster)) < 0 ||
            (err = prle__json_add_int(o, "max_cluster", (int64_t)r->max_cluster)) < 0 ||
            (err = prle__json_add_int(o, "constant_clusters", (int64_t)r->n_constant)) < 0 ||
            (err = add_sizes(o, "medoids", a->medoids, r->k)) < 0 ||
            (err = prle__json_add_string(o, "medoids_from",
                                         a->medoids_from_model ? "model" : "k-medoids")) < 0 ||
            (err = prle__json_add_number(o, "seconds", r->seconds)) < 0)
            return err;
    }
    return 0;
}

static int add_map(cJSON *t, const char *key, const prle__analysis_map *m)
{
    int err;
    cJSON *o = add_object(t, key);
    if (!o)
        return PRLE_ENOMEM;
    if ((err = prle__json_add_number(o, "kl", m->info.kl_divergence)) < 0 ||
        (err = prle__json_add_int(o, "n_iter", m->info.n_iter)) < 0 ||
        (err = prle__json_add_number(o, "seconds", m->seconds)) < 0 ||
        (err = prle__json_add_bool(o, "cached", m->cached)) < 0)
        return err;
    cJSON *xy = add_array(o, "xy");
    if (!xy)
        return PRLE_ENOMEM;
    for (size_t i = 0; i < m->xy.rows; i++)
        if ((err = push(xy, prle__json_float_array(prle_matrix_row(&m->xy, i), 2))) < 0)
            return err;
    return 0;
}

/* The mapped rows' labels and the prototypes' places among them (a->tsne_rows: rows of
 * train, validation, test; the prototypes are training rows, all of them mapped). */
static int tsne_points(cJSON *t, const prle__analysis *a, size_t n_map)
{
    const size_t *rows = a->tsne_rows;
    float *y = malloc((n_map ? n_map : 1) * sizeof *y);
    size_t *pp = malloc((a->n_protos ? a->n_protos : 1) * sizeof *pp);
    int err = y && pp ? 0 : PRLE_ENOMEM;
    for (size_t i = 0; err == 0 && i < n_map; i++)
        y[i] = a->labels[rows ? rows[i] : i];
    for (size_t s = 0; err == 0 && s < a->n_protos; s++) {
        size_t lo = 0, hi = n_map; /* rows is ascending: the first place not below it */
        while (rows && lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (rows[mid] < a->protos[s])
                lo = mid + 1;
            else
                hi = mid;
        }
        pp[s] = rows ? lo : a->protos[s];
        if (rows && (lo == n_map || rows[lo] != a->protos[s]))
            err = prle__error_set(PRLE_ERROR, "analyze: prototype row %zu is not mapped",
                                  a->protos[s]);
    }
    if (err == 0 && (err = prle__json_add(t, "labels", prle__json_float_array(y, n_map))) == 0)
        err = add_sizes(t, "prototype_points", pp, a->n_protos);
    free(y);
    free(pp);
    return err;
}

static int add_tsne(cJSON *root, const prle__analysis *a)
{
    int err;
    static const char *const splits[3] = {"train", "validation", "test"};
    if (!a->has_tsne)
        return 0; /* skipped: the key is absent (what readers treat as "not run") */
    cJSON *t = add_object(root, "tsne"), *sp;
    if (!t)
        return PRLE_ENOMEM;
    size_t n_map = a->tsne_n[0] + a->tsne_n[1] + a->tsne_n[2];
    if ((err = prle__json_add_number(t, "perplexity", a->perplexity)) < 0 ||
        (err = prle__json_add(t, "seed", prle__json_int((int64_t)a->seed))) < 0 ||
        (err = prle__json_add(t, "method",
                              cJSON_CreateString(prle_tsne_method_name(a->tsne_method)))) < 0 ||
        !(sp = add_array(t, "splits")))
        return err < 0 ? err : PRLE_ENOMEM;
    for (int s = 0; s < 3; s++)
        if ((err = push(sp, cJSON_CreateString(splits[s]))) < 0)
            return err;
    if ((err = add_sizes(t, "counts", a->tsne_n, 3)) < 0 ||
        (a->tsne_rows && ((err = add_sizes(t, "counts_all", a->n, 3)) < 0 ||
                          (err = add_sizes(t, "rows", a->tsne_rows, n_map)) < 0)) ||
        (err = tsne_points(t, a, n_map)) < 0 || (err = add_map(t, SPACES[0], &a->map[0])) < 0 ||
        (err = add_map(t, SPACES[1], &a->map[1])) < 0)
        return err;
    return 0;
}

int prle__analysis_write(const char *path, const prle__analysis *a)
{
    int err;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return prle__error_nomem("analysis.json");
    if ((err = prle__json_add_string(root, "format", "prle-analysis")) < 0 ||
        (err = prle__json_add_int(root, "version", 1)) < 0 ||
        (err = prle__json_add_string(root, "dataset", a->dataset)) < 0 ||
        (err = prle__json_add_number(root, "label_min", a->label_min)) < 0 ||
        (err = prle__json_add_number(root, "label_max", a->label_max)) < 0 ||
        (err = add_correlation(root, a)) < 0 || (err = add_oracle(root, a)) < 0 ||
        (err = add_tsne(root, a)) < 0)
        goto done;
    err = prle__json_write_file(path, root);
done:
    cJSON_Delete(root);
    return err;
}
