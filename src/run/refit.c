/* train.refit inside a run (docs/config.md): once validation has made the run's choices, the
 * kernel and the experts fitted again on train + validation with those choices frozen, as
 * prle_predictor_fit's refit does (src/prle/predictor.c). The prototypes stay rows of the
 * train split, so every file names them as before. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/matrix_int.h"
#include "io/safetensors_int.h"
#include "prle/model_int.h"
#include "prle/npy.h"
#include "run/run_files.h"
#include "run/run_int.h"

bool prle__run_refits(const prle_config *cfg, const prle__kernel_stage *ks,
                      const prle__nb_stage *nbs, const prle_model_params *mp)
{
    return cfg->train.refit && !ks->must_reuse && ks->x[PRLE_SPLIT_VALIDATION].rows > 0 &&
           !nbs->choice.on && mp->type != PRLE_EXPERT_PROTO_RBF && ks->kept_epoch > 0;
}

int prle__run_refit(prle_model **out, prle__kernel_stage *ks, const prle_model *first,
                    const prle_model_params *mp, const prle_dataset *ds, const char *dir)
{
    const prle_matrix *xt = &ks->x[PRLE_SPLIT_TRAIN], *xv = &ks->x[PRLE_SPLIT_VALIDATION];
    prle_matrix xtv = {0}, ztv = {0}, z[PRLE_N_SPLITS] = {{0}};
    prle_kernel *k = NULL;
    prle_model *m = NULL;
    float *ytv = NULL;
    size_t *rows = NULL, np = prle_model_n_prototypes(first);
    char path[PRLE__RUN_PATH], name[64];
    int err;
    *out = NULL;
    /* the kernel: its kept epochs on every labelled row, no early stopping */
    prle_kernel_params kp = ks->kp;
    kp.max_epochs = ks->kept_epoch;
    kp.keep = PRLE_KEEP_LAST;
    kp.progress = NULL, kp.on_epoch = NULL;
    if ((err = prle__matrix_stack(&xtv, &ytv, xt, prle_dataset_labels(ds, PRLE_SPLIT_TRAIN), xv,
                                  prle_dataset_labels(ds, PRLE_SPLIT_VALIDATION), "refit rows")) <
            0 ||
        (err = prle_kernel_fit(&k, &xtv, ytv, NULL, NULL, &kp)) < 0)
        goto done;
    for (int s = 0; s < PRLE_N_SPLITS; s++)
        if (ks->x[s].rows && (err = prle_kernel_apply(&z[s], k, &ks->x[s], kp.n_threads)) < 0)
            goto done;
    /* the experts: prototypes among the train rows (the first rows of ztv), the warm start's
     * alpha, the kept epochs and the recalibration's slope of the first fit */
    prle_model_params p2 = *mp;
    p2.max_epochs = prle_model_kept_epoch(first);
    p2.progress = p2.protos.progress = NULL, p2.on_epoch = NULL;
    prle__fit_opts o = prle__refit_opts(first, xt->rows, xv->rows);
    if (!(rows = malloc(np * sizeof *rows))) {
        err = prle__error_nomem("refit prototypes");
        goto done;
    }
    o.proto_rows = rows;
    if ((err = prle_prototypes_select(rows, NULL, &z[PRLE_SPLIT_TRAIN], &p2.protos)) < 0 ||
        (err = prle__matrix_stack(&ztv, NULL, &z[PRLE_SPLIT_TRAIN], NULL, &z[PRLE_SPLIT_VALIDATION],
                                  NULL, "refit rows")) < 0 ||
        (err = prle__model_fit(&m, &ztv, ytv, NULL, NULL, &p2, &o)) < 0)
        goto done;
    /* kernel.safetensors and value/ become the refit's, as the model will */
    if ((err = prle__path_join(path, sizeof path, dir, "kernel.safetensors")) < 0 ||
        (err = prle_kernel_save(k, path)) < 0)
        goto done;
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        if (!z[s].rows)
            continue;
        snprintf(name, sizeof name, "value/%s_embeds.npy", prle_split_name((prle_split)s));
        if ((err = prle__path_join(path, sizeof path, dir, name)) < 0 ||
            (err = prle_npy_save(path, &z[s])) < 0)
            goto done;
    }
    prle_kernel_free(ks->kernel);
    ks->kernel = k, k = NULL;
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        prle_matrix_dispose(&ks->z[s]);
        ks->z[s] = z[s], z[s] = (prle_matrix){0};
    }
    *out = m, m = NULL;
done:
    for (int s = 0; s < PRLE_N_SPLITS; s++)
        prle_matrix_dispose(&z[s]);
    prle_matrix_dispose(&xtv), prle_matrix_dispose(&ztv);
    prle_kernel_free(k), prle_model_free(m);
    free(ytv), free(rows);
    return err;
}

int prle__run_heldout_write(const char *dir, const float *yhat, const float *w, size_t n, size_t P)
{
    char path[PRLE__RUN_PATH];
    prle_st_writer *st = NULL;
    int err;
    if ((err = prle__path_join(path, sizeof path, dir, PRLE__RUN_HELDOUT)) < 0 ||
        (err = prle_st_writer_new(&st)) < 0 ||
        (err = prle_st_writer_set_metadata(st, "format", "prle-heldout")) < 0 ||
        (err = prle_st_writer_add_f32(st, "predictions", yhat, 1, (size_t[1]){n})) < 0 ||
        (err = prle_st_writer_add_f32(st, "weights", w, 2, (size_t[2]){n, P})) < 0)
        goto done;
    err = prle_st_writer_save(st, path);
done:
    prle_st_writer_free(st);
    return err;
}

int prle__run_heldout_read(float **yhat, float **w, const char *path, size_t n, size_t P)
{
    prle_st_file *f = NULL;
    size_t nw = n * P;
    int err = prle_st_open(&f, path);
    *yhat = NULL, *w = NULL;
    if (err < 0)
        return err;
    if (!(*yhat = malloc((n ? n : 1) * sizeof **yhat)) ||
        !(*w = malloc((nw ? nw : 1) * sizeof **w)))
        err = prle__error_nomem("held-out predictions");
    else if (prle_st_read_f32(*yhat, n, f, "predictions") < 0 ||
             prle_st_read_f32(*w, nw, f, "weights") < 0)
        err = prle__error_set(PRLE_EFORMAT,
                              "%s: not the predictions and weights of %zu validation rows and "
                              "%zu prototypes (files of different runs?)",
                              path, n, P);
    for (size_t i = 0; err == 0 && i < n; i++)
        if (!isfinite((*yhat)[i]))
            err = prle__error_set(PRLE_EFORMAT, "%s: prediction %zu is not finite", path, i);
    prle_st_free(f);
    if (err < 0) {
        free(*yhat), free(*w);
        *yhat = NULL, *w = NULL;
    }
    return err;
}
