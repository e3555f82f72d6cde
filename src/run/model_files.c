/* The stage-2 files of a run folder that describe the model: prototypes.json and
 * explanations_test.json (docs/run-folder.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/json.h"
#include "run/run_model.h"

/* Norm of each linear expert's weight vector on the raw label scale; NULL (no error) for
 * other experts. */
static int expert_slopes(double **out, const prle_model *m)
{
    *out = NULL;
    if (prle_model_expert_type(m) != PRLE_EXPERT_LINEAR)
        return 0;
    size_t P = prle_model_n_prototypes(m), D = prle_model_dim(m);
    float *w = malloc(P * D * sizeof *w);
    double *s = malloc(P * sizeof *s);
    int err = 0;
    if (!w || !s)
        err = prle__error_nomem("expert slopes");
    else if ((err = prle_model_linear_weights(w, NULL, m)) == 0) {
        for (size_t p = 0; p < P; p++) {
            double ss = 0;
            for (size_t j = 0; j < D; j++)
                ss += (double)w[p * D + j] * w[p * D + j];
            s[p] = sqrt(ss);
        }
        *out = s;
        s = NULL;
    }
    free(w);
    free(s);
    return err;
}

int prle__write_prototypes_json(const char *path, const prle__stage2_view *v)
{
    const prle_model *m = v->model;
    const prle_dataset *ds = v->ds;
    size_t P = prle_model_n_prototypes(m), D = prle_model_dim(m);
    const size_t *rows = prle_model_prototype_rows(m);
    const float *ytr = prle_dataset_labels(ds, PRLE_SPLIT_TRAIN);
    size_t ntr = v->z_train->rows, nte = v->n_test;
    double *slope = NULL, *usage = NULL, *lnum = NULL, *lden = NULL;
    cJSON *root = NULL, *arr = NULL;
    int err;
    if ((err = expert_slopes(&slope, m)) < 0)
        return err;
    if (!(usage = calloc(P, sizeof *usage)) || !(lnum = calloc(P, sizeof *lnum)) ||
        !(lden = calloc(P, sizeof *lden)) || !(root = cJSON_CreateObject())) {
        err = prle__error_nomem("prototypes.json");
        goto done;
    }
    for (size_t i = 0; i < ntr; i++)
        for (size_t p = 0; p < P; p++)
            usage[p] += v->w_train[i * P + p];
    for (size_t p = 0; p < P; p++)
        usage[p] /= ntr ? (double)ntr : 1.0;
    for (size_t i = 0; i < nte; i++)
        for (size_t p = 0; p < P; p++) {
            double w = v->w_test[i * P + p], d = (double)v->e_test[i * P + p] - v->y_test[i];
            lnum[p] += w * d * d;
            lden[p] += w;
        }
    bool rbf = prle_model_expert_type(m) == PRLE_EXPERT_PROTO_RBF;
    if ((err = prle__json_add_string(root, "format", "prle-prototypes")) < 0 ||
        (err = prle__json_add_int(root, "version", PRLE_RUN_FORMAT_VERSION)) < 0 ||
        (err = prle__json_add_string(root, "method",
                                     prle_proto_method_name(v->params->protos.method))) < 0 ||
        (err = prle__json_add_string(
             root, "router", rbf ? "rbf" : prle_router_type_name(v->params->router.type))) < 0 ||
        (err = prle__json_add_string(root, "expert",
                                     prle_expert_type_name(prle_model_expert_type(m)))) < 0 ||
        (err = prle__json_add_number(root, "tau", prle_model_tau(m))) < 0 ||
        (err = prle__json_add(root, "prototypes", arr = cJSON_CreateArray())) < 0)
        goto done;
    if (!arr) {
        err = prle__error_nomem("prototypes.json");
        goto done;
    }
    for (size_t p = 0; p < P; p++) {
        cJSON *o;
        if ((err = prle__json_push_object(&o, arr, "prototypes.json")) < 0)
            goto done;
        size_t row = rows[p];
        const float *z = prle_model_prototypes(m) + p * D;
        double ss = 0;
        for (size_t j = 0; j < D; j++)
            ss += (double)z[j] * z[j];
        if ((err = prle__json_add_int(o, "slot", (int64_t)p)) < 0 ||
            (err = prle__json_add_int(o, "index", (int64_t)row)) < 0 ||
            (err = prle__json_add_string(o, "text",
                                         prle_dataset_text(ds, PRLE_SPLIT_TRAIN, row, 0))) < 0 ||
            (prle_dataset_n_texts(ds) > 1 &&
             (err = prle__json_add_string(o, "text2",
                                          prle_dataset_text(ds, PRLE_SPLIT_TRAIN, row, 1))) < 0) ||
            (err = prle__json_add_float(o, "label", ytr[row])) < 0 ||
            (err = prle__json_add_number(o, "norm", sqrt(ss))) < 0 ||
            (err = prle__json_add_number(o, "usage", usage[p])) < 0 ||
            (err = prle__json_add_number(o, "local_mse", lden[p] > 0 ? lnum[p] / lden[p] : NAN)) <
                0 ||
            (err = prle__json_add_number(o, "expert_slope", slope ? slope[p] : NAN)) < 0)
            goto done;
    }
    err = prle__json_write_file(path, root);
done:
    cJSON_Delete(root);
    free(slope);
    free(usage);
    free(lnum);
    free(lden);
    return err;
}

int prle__write_explanations_json(const char *path, const prle__stage2_view *v, size_t n_rows,
                                  size_t k)
{
    const prle_dataset *ds = v->ds;
    size_t nte = v->n_test, *pick = NULL;
    cJSON *root = cJSON_CreateObject(), *arr = NULL;
    prle_explained e = {0};
    int err = 0;
    if (!root || (n_rows && !(pick = malloc(n_rows * sizeof *pick)))) {
        err = prle__error_nomem("explanations");
        goto done;
    }
    if ((err = prle__json_add_string(root, "format", "prle-explanations")) < 0 ||
        (err = prle__json_add_int(root, "version", PRLE_RUN_FORMAT_VERSION)) < 0 ||
        (err = prle__json_add_string(root, "split", "test")) < 0 ||
        (err = prle__json_add_int(root, "k", (int64_t)k)) < 0 ||
        (err = prle__json_add(root, "rows", arr = cJSON_CreateArray())) < 0)
        goto done;
    if (!arr) {
        err = prle__error_nomem("explanations");
        goto done;
    }
    size_t np = nte ? prle_explain_pick(pick, v->y_test, nte, n_rows) : 0;
    size_t nt = prle_dataset_n_texts(ds);
    for (size_t i = 0; i < np; i++) {
        size_t r = pick[i];
        if ((err = prle_explain_row(&e, v->model, prle_matrix_row(v->z_test, r), k)) < 0)
            goto done;
        if (v->nb_rows_test) {
            e.neighbour_rows = v->nb_rows_test + r * v->nb_k;
            e.neighbour_labels = v->nb_labels_test + r * v->nb_k;
            e.n_neighbour_rows = v->nb_k;
        }
        prle_explain_input in = {
            .index = r,
            .text = prle_dataset_text(ds, PRLE_SPLIT_TEST, r, 0),
            .text2 = nt > 1 ? prle_dataset_text(ds, PRLE_SPLIT_TEST, r, 1) : NULL,
            .label = v->y_test[r],
        };
        if ((err = prle__json_push(arr, prle__explain_tree(&e, &in, ds), "explanations")) < 0)
            goto done;
        prle_explained_dispose(&e);
    }
    err = prle__json_write_file(path, root);
done:
    prle_explained_dispose(&e);
    free(pick);
    cJSON_Delete(root);
    return err;
}
