/* The neighbour term of a run (src/prle/neighbours.h): one search of the validation rows for
 * the kNN yardstick and the term's choice, then, where the term is kept, its weight in the
 * model, neighbours.safetensors, and the validation and test rows with the column. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "run/run_int.h"

void prle__nb_stage_dispose(prle__nb_stage *s)
{
    for (int i = 0; i < PRLE_N_SPLITS; i++)
        prle_matrix_dispose(&s->own[i]);
    free(s->test_rows);
    free(s->test_labels);
    *s = (prle__nb_stage){0};
}

/* The term kept: its weight into the model, the file of its rows, the rows with the column,
 * and the test rows' neighbours as training rows for explanations_test.json. */
static int keep(prle__nb_stage *out, prle__nb_search *srch, prle_model *fit,
                const prle__kernel_stage *ks, const char *dir, int nt)
{
    char path[PRLE__RUN_PATH];
    const prle_matrix *zv = &ks->z[PRLE_SPLIT_VALIDATION], *zt = &ks->z[PRLE_SPLIT_TEST];
    size_t nva = zv->rows, nte = zt->rows, k = out->choice.k;
    prle_knn *knn = NULL;
    prle_st_writer *w = NULL;
    prle__nb_split sp[PRLE_N_SPLITS] = {{0}};
    sp[PRLE_SPLIT_VALIDATION] = (prle__nb_split){malloc((nva ? nva : 1) * sizeof(float)),
                                                 malloc((nva ? nva : 1) * k * sizeof(size_t)), nva};
    sp[PRLE_SPLIT_TEST] = (prle__nb_split){malloc((nte ? nte : 1) * sizeof(float)),
                                           malloc((nte ? nte : 1) * k * sizeof(size_t)), nte};
    out->k = k;
    out->test_rows = malloc((nte ? nte : 1) * k * sizeof *out->test_rows);
    out->test_labels = malloc((nte ? nte : 1) * k * sizeof *out->test_labels);
    int err = 0;
    for (int i = PRLE_SPLIT_VALIDATION; i < PRLE_N_SPLITS; i++)
        if (!sp[i].col || !sp[i].kept)
            err = prle__error_nomem("neighbours");
    if (err < 0 || !out->test_rows || !out->test_labels) {
        err = prle__error_nomem("neighbours");
        goto done;
    }
    /* validation: the search's lists, whose first k are the k nearest */
    prle__nb_search_predict(sp[PRLE_SPLIT_VALIDATION].col, srch, k, out->choice.weights);
    for (size_t r = 0; r < nva; r++)
        memcpy(sp[PRLE_SPLIT_VALIDATION].kept + r * k, srch->idx + r * srch->kmax,
               k * sizeof(size_t));
    knn = prle__nb_take(srch, &out->choice);
    if ((err = prle_model_set_neighbour_weight(fit, out->choice.lambda)) < 0 ||
        (err = prle__nb_column(sp[PRLE_SPLIT_TEST].col, sp[PRLE_SPLIT_TEST].kept, knn,
                               &ks->x[PRLE_SPLIT_TEST], nt)) < 0 ||
        (err = prle__nb_writer(&w, knn, sp, ks->x[PRLE_SPLIT_TRAIN].rows)) < 0 ||
        (err = prle__path_join(path, sizeof path, dir, PRLE__RUN_NEIGHBOURS)) < 0 ||
        (err = prle_st_writer_save(w, path)) < 0 ||
        (err = prle__nb_append(&out->own[PRLE_SPLIT_VALIDATION], zv,
                               sp[PRLE_SPLIT_VALIDATION].col)) < 0 ||
        (err = prle__nb_append(&out->own[PRLE_SPLIT_TEST], zt, sp[PRLE_SPLIT_TEST].col)) < 0)
        goto done;
    prle__nb_train_rows(out->test_rows, out->test_labels, knn, sp[PRLE_SPLIT_TEST].kept, nte * k,
                        ks->x[PRLE_SPLIT_TRAIN].rows);
    out->in[PRLE_SPLIT_VALIDATION] = &out->own[PRLE_SPLIT_VALIDATION];
    out->in[PRLE_SPLIT_TEST] = &out->own[PRLE_SPLIT_TEST];
done:
    prle_st_writer_free(w);
    prle_knn_free(knn);
    prle__nb_splits_dispose(sp);
    return err;
}

int prle__nb_stage_run(prle__nb_stage *out, prle_run_reference *knn_ref, prle_model *fit,
                       const prle__kernel_stage *ks, const prle_dataset *ds, bool enabled,
                       const char *dir, double label_min, double label_max, int n_threads)
{
    const float *yva = prle_dataset_labels(ds, PRLE_SPLIT_VALIDATION);
    const prle_matrix *zv = &ks->z[PRLE_SPLIT_VALIDATION];
    prle__nb_search srch = {0};
    float *pva = NULL;
    int err = 0;
    *out = (prle__nb_stage){0};
    for (int s = 0; s < PRLE_N_SPLITS; s++)
        out->in[s] = &ks->z[s];
    if ((err = prle__run_knn_reference(knn_ref, &srch, ks->x, ds, label_min, label_max,
                                       n_threads)) < 0 ||
        !srch.knn || !enabled) /* nothing searched: too few labelled rows */
        goto done;
    if (!(pva = malloc(zv->rows * sizeof *pva))) {
        err = prle__error_nomem("neighbours");
        goto done;
    }
    if ((err = prle_model_predict(pva, NULL, NULL, fit, zv)) < 0 ||
        (err = prle__nb_choose(&out->choice, &srch, yva, pva)) < 0)
        goto done;
    if (out->choice.on)
        err = keep(out, &srch, fit, ks, dir, n_threads);
done:
    prle__nb_search_dispose(&srch);
    free(pva);
    if (err < 0)
        prle__nb_stage_dispose(out);
    return err;
}
