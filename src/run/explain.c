/* Explained predictions (SPEC.md §6): the k prototypes with the largest share, the rest in
 * one entry, their JSON objects (docs/run-folder.md, explanations_test.json), and the choice
 * of the test rows a run explains. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/json.h"
#include "run/run_model.h"

int prle_explain_row(prle_explained *out, const prle_model *m, const float *z, size_t k)
{
    size_t P = prle_model_n_prototypes(m), kk = k < P ? k : P;
    prle_explained e = {0};
    prle_matrix row = prle_matrix_view(z, 1, prle_model_in_dim(m));
    float rest_weight = 0;
    if (!(e.items = calloc(kk ? kk : 1, sizeof *e.items)))
        return prle__error_nomem("explanation");
    int err = prle_model_explain_rows(e.items, &e.rest_contribution, &rest_weight, &e.prediction, m,
                                      &row, kk);
    if (err < 0) {
        free(e.items);
        return err;
    }
    e.n_items = kk;
    e.rest_count = P - kk;
    e.rest_weight = rest_weight;
    prle_explained_neighbours(&e, m, z);
    *out = e;
    return 0;
}

void prle_explained_neighbours(prle_explained *e, const prle_model *m, const float *z)
{
    e->neighbour_weight = prle_model_neighbour_weight(m);
    e->neighbour_prediction = e->neighbour_weight > 0 ? z[prle_model_dim(m)] : NAN;
}

void prle_explained_dispose(prle_explained *e)
{
    if (!e)
        return;
    free(e->items);
    *e = (prle_explained){0};
}

static int add_texts(cJSON *o, const char *t1, const char *t2)
{
    int err = 0;
    if (t1)
        err = prle__json_add_string(o, "text", t1);
    if (err == 0 && t2)
        err = prle__json_add_string(o, "text2", t2);
    return err;
}

cJSON *prle__explain_tree(const prle_explained *e, const prle_explain_input *in,
                          const prle_dataset *ds)
{
    cJSON *o = cJSON_CreateObject(), *arr = NULL, *rest = NULL;
    int err = o ? 0 : PRLE_ENOMEM;
    if (err == 0 && in->index != SIZE_MAX)
        err = prle__json_add_int(o, "index", (int64_t)in->index);
    if (err == 0)
        err = add_texts(o, in->text, in->text2);
    if (err == 0 && !isnan(in->label))
        err = prle__json_add_float(o, "label", in->label);
    if (err == 0)
        err = prle__json_add_float(o, "prediction", e ? e->prediction : in->prediction);
    if (err == 0 && in->has_interval && (err = prle__json_add_float(o, "lo", in->lo)) == 0)
        err = prle__json_add_float(o, "hi", in->hi);
    if (err == 0 && e) {
        if ((err = prle__json_add(o, "prototypes", arr = cJSON_CreateArray())) == 0 && !arr)
            err = PRLE_ENOMEM;
        const float *ytr = prle_dataset_labels(ds, PRLE_SPLIT_TRAIN);
        size_t nt = prle_dataset_n_texts(ds);
        for (size_t i = 0; err == 0 && i < e->n_items; i++) {
            const prle_explain_item *it = &e->items[i];
            cJSON *p;
            if ((err = prle__json_push_object(&p, arr, "explanations")) < 0)
                break;
            size_t r = it->train_row;
            const char *t2 = nt > 1 ? prle_dataset_text(ds, PRLE_SPLIT_TRAIN, r, 1) : NULL;
            if ((err = prle__json_add_int(p, "index", (int64_t)r)) < 0 ||
                (err = prle__json_add_int(p, "slot", (int64_t)it->prototype)) < 0 ||
                (err = add_texts(p, prle_dataset_text(ds, PRLE_SPLIT_TRAIN, r, 0), t2)) < 0 ||
                (err = prle__json_add_float(p, "label", ytr ? ytr[r] : NAN)) < 0 ||
                (err = prle__json_add_float(p, "weight", it->weight)) < 0 ||
                (err = prle__json_add_float(p, "local_prediction", it->local)) < 0 ||
                (err = prle__json_add_float(p, "contribution", it->contribution)) < 0)
                break;
        }
        if (err == 0 && (err = prle__json_add(o, "rest", rest = cJSON_CreateObject())) == 0 &&
            !rest)
            err = PRLE_ENOMEM;
        if (err == 0 && (err = prle__json_add_int(rest, "count", (int64_t)e->rest_count)) == 0 &&
            (err = prle__json_add_number(rest, "weight", e->rest_weight)) == 0)
            err = prle__json_add_float(rest, "contribution", e->rest_contribution);
        cJSON *nb = NULL;
        if (err == 0 && e->neighbour_weight > 0 &&
            (err = prle__json_add(o, "neighbours", nb = cJSON_CreateObject())) == 0 && !nb)
            err = PRLE_ENOMEM;
        if (err == 0 && nb && (err = prle__json_add_number(nb, "weight", e->neighbour_weight)) == 0)
            err = prle__json_add_float(nb, "prediction", e->neighbour_prediction);
        cJSON *rows = NULL;
        if (err == 0 && nb && e->neighbour_rows &&
            (err = prle__json_add(nb, "rows", rows = cJSON_CreateArray())) == 0 && !rows)
            err = PRLE_ENOMEM;
        for (size_t i = 0; err == 0 && rows && i < e->n_neighbour_rows; i++) {
            size_t r = e->neighbour_rows[i];
            cJSON *p;
            const char *t2 = nt > 1 ? prle_dataset_text(ds, PRLE_SPLIT_TRAIN, r, 1) : NULL;
            if ((err = prle__json_push_object(&p, rows, "explanations")) == 0 &&
                (err = prle__json_add_int(p, "index", (int64_t)r)) == 0 &&
                (err = add_texts(p, prle_dataset_text(ds, PRLE_SPLIT_TRAIN, r, 0), t2)) == 0)
                err = prle__json_add_float(p, "label", e->neighbour_labels[i]);
        }
    }
    if (err < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int prle_explain_json(char **out, const prle_explained *e, const prle_explain_input *in,
                      const prle_dataset *ds, bool pretty)
{
    cJSON *o = prle__explain_tree(e, in, ds);
    if (!o)
        return prle__error_nomem("explanation json");
    int err = prle__json_print(out, NULL, o, pretty);
    cJSON_Delete(o);
    return err;
}

typedef struct {
    float y;
    size_t i;
} label_row;

static int by_label(const void *a, const void *b)
{
    const label_row *x = a, *y = b;
    if (x->y < y->y)
        return -1;
    if (x->y > y->y)
        return 1;
    return (x->i > y->i) - (x->i < y->i);
}

size_t prle_explain_pick(size_t *rows, const float *y, size_t n, size_t k)
{
    size_t kk = k < n ? k : n;
    if (!kk)
        return 0;
    label_row *lr = malloc(n * sizeof *lr);
    if (!lr) { /* fall back to positions in file order */
        for (size_t i = 0; i < kk; i++)
            rows[i] = (2 * i + 1) * n / (2 * kk);
        return kk;
    }
    for (size_t i = 0; i < n; i++)
        lr[i] = (label_row){isnan(y[i]) ? INFINITY : y[i], i};
    qsort(lr, n, sizeof *lr, by_label);
    for (size_t i = 0; i < kk; i++)
        rows[i] = lr[(2 * i + 1) * n / (2 * kk)].i;
    free(lr);
    return kk;
}
