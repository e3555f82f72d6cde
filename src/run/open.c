/* A saved run folder opened for prle eval and prle predict: config, dataset, kernel, model;
 * re-scoring the splits it was evaluated on. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run_files.h"
#include "core/error.h"
#include "baselines/baselines_int.h"
#include "core/matrix_int.h"
#include "prle/npy.h"
#include "run/run_model.h"

struct prle_run_folder {
    char *dir;
    prle_config cfg;
    prle_dataset *ds;
    prle_kernel *kernel;
    prle_model *model;
    prle_encoder *enc; /* built on first prle_run_folder_encode */
    bool detached;     /* the data files are gone or changed: ds is what dataset.json keeps */
    char *changed;     /* how the data files changed since the run, or NULL */
    prle_knn *nb;      /* the neighbour term's kNN, when the model has one */
    prle__nb_split nb_split[PRLE_N_SPLITS]; /* its column and neighbours of a split's rows */
    size_t nb_n_train;                      /* the training rows its kept rows come from */
    float *held_yhat, *held_w; /* train.refit: the first fit's validation predictions and
                                  weights (heldout.safetensors), else NULL */
    size_t n_held;
};

void prle_run_folder_free(prle_run_folder *rf)
{
    if (!rf)
        return;
    free(rf->dir);
    free(rf->changed);
    prle_config_dispose(&rf->cfg);
    prle_dataset_free(rf->ds);
    prle_kernel_free(rf->kernel);
    prle_model_free(rf->model);
    prle_encoder_free(rf->enc);
    prle_knn_free(rf->nb);
    prle__nb_splits_dispose(rf->nb_split);
    free(rf->held_yhat), free(rf->held_w);
    free(rf);
}

/* A required file of the folder: PRLE_ENOTFOUND naming it and what makes it. */
static int need(char *path, size_t len, const char *dir, const char *name, const char *maker)
{
    int err = prle__path_join(path, len, dir, name);
    if (err < 0)
        return err;
    if (!prle__path_exists(path))
        return prle__error_set(PRLE_ENOTFOUND,
                               "%s: no such file (is %s a run folder? %s writes it)", path, dir,
                               maker);
    return 0;
}

/* The neighbour term's file, which a model with the term needs. */
static int load_neighbours(prle_run_folder *rf, char *path, size_t len)
{
    prle_st_file *f = NULL;
    int err = need(path, len, rf->dir, PRLE__RUN_NEIGHBOURS, "prle run, where the term gains,");
    if (err == 0 && (err = prle_st_open(&f, path)) == 0)
        err = prle__nb_load_st(&rf->nb, rf->nb_split, &rf->nb_n_train, f, path);
    prle_st_free(f);
    if (err == 0 && prle__knn_in_dim(rf->nb) != prle_kernel_in_dim(rf->kernel))
        err = prle__error_set(PRLE_EFORMAT,
                              "%s: rows %zu wide, the run's embeddings are %zu (files of "
                              "different runs?)",
                              path, prle__knn_in_dim(rf->nb), prle_kernel_in_dim(rf->kernel));
    return err;
}

int prle_run_folder_open(prle_run_folder **out, const char *dir)
{
    char path[PRLE__RUN_PATH];
    prle_run_folder *rf = calloc(1, sizeof *rf);
    int err;
    if (!rf || !(rf->dir = malloc(strlen(dir) + 1))) {
        free(rf);
        return prle__error_nomem("run folder");
    }
    strcpy(rf->dir, dir);
    if ((err = need(path, sizeof path, dir, "config.yaml", "prle run")) < 0 ||
        (err = prle__run_verify(dir)) < 0 || /* the bytes the run wrote (issue 13) */
        (err = prle_config_load(&rf->cfg, path)) < 0)
        goto done;
    if ((err = need(path, sizeof path, dir, "model.safetensors", "prle run or prle train")) < 0 ||
        (err = prle_model_load(&rf->model, path)) < 0)
        goto done;
    if ((err = need(path, sizeof path, dir, "kernel.safetensors", "prle run or prle kernel")) < 0 ||
        (err = prle_kernel_load(&rf->kernel, path, NULL, 0)) < 0)
        goto done;
    if (prle_kernel_out_dim(rf->kernel) != prle_model_dim(rf->model)) {
        err = prle__error_set(PRLE_ESHAPE,
                              "%s: kernel.safetensors gives width %zu, model.safetensors expects "
                              "%zu (files of different runs?)",
                              dir, prle_kernel_out_dim(rf->kernel), prle_model_dim(rf->model));
        goto done;
    }
    if (prle_model_in_dim(rf->model) > prle_model_dim(rf->model) &&
        (err = load_neighbours(rf, path, sizeof path)) < 0)
        goto done;
    /* metrics.json of another version means a folder of another prle */
    if ((err = prle__path_join(path, sizeof path, dir, "metrics.json")) < 0)
        goto done;
    if (prle__path_exists(path)) {
        prle_run_metrics m;
        if ((err = prle__run_metrics_read(&m, path)) < 0)
            goto done;
    }
    char why[PRLE__RUN_PATH + 128];
    if ((err = prle_dataset_load(&rf->ds, &rf->cfg.data, rf->cfg.train.seed, NULL)) == 0 &&
        (err = prle__run_data_changed(why, sizeof why, dir, rf->ds, 7u)) > 0) {
        /* the files hold other rows now: the run's rows are what the folder keeps of them */
        prle_dataset_free(rf->ds);
        rf->ds = NULL;
        if (!(rf->changed = malloc(strlen(why) + 1))) {
            err = prle__error_nomem("run folder");
            goto done;
        }
        strcpy(rf->changed, why);
        if ((err = prle__run_data_read(&rf->ds, dir)) < 0)
            goto done;
        rf->detached = true;
    } else if (err < 0) {
        if (err != PRLE_ENOTFOUND)
            goto done;
        /* a moved or copied folder: what it keeps of its data (issue 14), if it has it */
        if ((err = prle__path_join(path, sizeof path, dir, PRLE__RUN_DATA)) < 0)
            goto done;
        if (!prle__path_exists(path)) {
            err = prle__error_set(PRLE_ENOTFOUND,
                                  "%s: the run's dataset is needed (prototype texts and labels, "
                                  "the encoder's training texts) and is not where its "
                                  "config.yaml says, and the folder has no %s (a run of an "
                                  "older prle): %s",
                                  dir, PRLE__RUN_DATA, prle_last_error());
            goto done;
        }
        prle_error_clear();
        if ((err = prle__run_data_read(&rf->ds, dir)) < 0)
            goto done;
        rf->detached = true;
    }
    /* a refit run scores and calibrates on its first fit's validation predictions */
    if ((err = prle__path_join(path, sizeof path, dir, PRLE__RUN_HELDOUT)) < 0)
        goto done;
    if (prle__path_exists(path)) {
        rf->n_held = prle_dataset_n_rows(rf->ds, PRLE_SPLIT_VALIDATION);
        if ((err = prle__run_heldout_read(&rf->held_yhat, &rf->held_w, path, rf->n_held,
                                          prle_model_n_prototypes(rf->model))) < 0)
            goto done;
    }
    const size_t *rows = prle_model_prototype_rows(rf->model);
    size_t ntr = prle_dataset_n_rows(rf->ds, PRLE_SPLIT_TRAIN);
    for (size_t p = 0; p < prle_model_n_prototypes(rf->model); p++)
        if (rows[p] >= ntr) {
            err = prle__error_set(PRLE_EFORMAT,
                                  "%s/model.safetensors: prototype %zu is training row %zu, but "
                                  "the dataset has %zu training rows",
                                  dir, p, rows[p], ntr);
            goto done;
        }
    *out = rf;
    rf = NULL;
done:
    prle_run_folder_free(rf);
    return err;
}

size_t prle__run_folder_heldout(const float **yhat, const float **w, const prle_run_folder *rf)
{
    *yhat = rf->held_yhat, *w = rf->held_w;
    return rf->held_yhat ? rf->n_held : 0;
}

const char *prle_run_folder_dir(const prle_run_folder *rf)
{
    return rf->dir;
}

const prle_config *prle_run_folder_config(const prle_run_folder *rf)
{
    return &rf->cfg;
}

bool prle_run_folder_has_data(const prle_run_folder *rf)
{
    return !rf->detached;
}

/* PRLE_ENOTFOUND for what a detached folder cannot do: `what` needs the data files. */
static int need_data(const prle_run_folder *rf, const char *what)
{
    if (!rf->detached)
        return 0;
    if (rf->changed)
        return prle__error_set(PRLE_EINVAL,
                               "%s: %s needs the run's dataset, and %s; the folder alone "
                               "predicts and explains new inputs (prle run again to use the new "
                               "data)",
                               rf->dir, what, rf->changed);
    return prle__error_set(PRLE_ENOTFOUND,
                           "%s: %s needs the run's dataset (%s), which is not where its "
                           "config.yaml says; the folder alone predicts and explains new inputs",
                           rf->dir, what,
                           rf->cfg.data.file          ? rf->cfg.data.file
                           : rf->cfg.data.files.train ? rf->cfg.data.files.train
                           : rf->cfg.data.name        ? rf->cfg.data.name
                                                      : "data.*");
}

/* Before the embeddings of a split are read again: PRLE_EINVAL when the run's npy input files
 * (encoder_type npy; its cache-built embeddings are checked by their manifest) changed since. */
static int same_embeddings(const prle_run_folder *rf, const char *what)
{
    char why[PRLE__RUN_PATH + 128];
    int err = prle__run_embeddings_changed(why, sizeof why, rf->dir, &rf->cfg);
    if (err <= 0)
        return err;
    return prle__error_set(PRLE_EINVAL,
                           "%s: %s needs the run's embeddings, and %s: the run was made from "
                           "other data (prle run again to use the new data)",
                           rf->dir, what, why);
}

const prle_dataset *prle_run_folder_dataset(const prle_run_folder *rf)
{
    return rf->ds;
}

const prle_kernel *prle_run_folder_kernel(const prle_run_folder *rf)
{
    return rf->kernel;
}

const prle_model *prle_run_folder_model(const prle_run_folder *rf)
{
    return rf->model;
}

int prle_run_folder_map(prle_matrix *out, const prle_run_folder *rf, const prle_matrix *x,
                        const char *what)
{
    int err;
    const char *name = what ? what : "embeddings";
    size_t want = prle_kernel_in_dim(rf->kernel);
    if (x->cols == 1 && want > 1 && x->rows == want) /* an (n,) file, as prle_npy_load reads it */
        return prle__error_set(PRLE_ESHAPE,
                               "%s: a 1-D array of shape (%zu,), where rows of shape (n, %zu) "
                               "are expected: save one row as (1, %zu) (numpy: "
                               "x.reshape(1, -1))",
                               name, want, want, want);
    if (x->cols != want)
        return prle__error_set(PRLE_ESHAPE,
                               "%s: rows are %zu wide, the run's kernel takes %zu (the width of "
                               "its training embeddings)",
                               name, x->cols, want);
    if ((err = prle__check_finite(x, name)) < 0)
        return err;
    return prle__nb_model_rows(out, rf->kernel, rf->nb, x, rf->cfg.train.threads);
}

/* The value rows of a split: value/{split}_embeds.npy, or the kernel on its embeddings. */
static int split_value(prle_matrix *out, const prle_run_folder *rf, prle_split split)
{
    char path[PRLE__RUN_PATH], name[64];
    size_t n = prle_dataset_n_rows(rf->ds, split), d = prle_model_dim(rf->model);
    prle_matrix m = {0}, x = {0};
    int err;
    snprintf(name, sizeof name, "value/%s_embeds.npy", prle_split_name(split));
    if ((err = prle__path_join(path, sizeof path, rf->dir, name)) < 0)
        return err;
    if (prle__path_exists(path)) {
        if ((err = prle_npy_load(&m, path)) < 0)
            return err;
        if (m.rows != n || m.cols != d) {
            err = prle__error_set(PRLE_ESHAPE,
                                  "%s: shape (%zu, %zu), expected (%zu, %zu): the %s split has %zu "
                                  "rows and the model width %zu",
                                  path, m.rows, m.cols, n, d, prle_split_name(split), n, d);
            prle_matrix_dispose(&m);
            return err;
        }
        if ((err = prle__check_finite(&m, path)) < 0) {
            prle_matrix_dispose(&m);
            return err;
        }
        *out = m;
        return 0;
    }
    if ((err = need_data(rf, "reading the embeddings of a split")) < 0 ||
        (err = same_embeddings(rf, "reading the embeddings of a split")) < 0 ||
        (err = prle__load_embeddings(&x, &rf->cfg, rf->ds, split)) < 0)
        return err;
    err = prle_kernel_apply(out, rf->kernel, &x, rf->cfg.train.threads);
    prle_matrix_dispose(&x);
    return err;
}

int prle_run_folder_value(prle_matrix *out, const prle_run_folder *rf, prle_split split)
{
    prle_matrix z = {0}, x = {0};
    int err;
    /* a detached folder keeps the validation labels (for intervals), not the other splits */
    if (split != PRLE_SPLIT_VALIDATION && (err = need_data(rf, "reading the rows of a split")) < 0)
        return err;
    if ((err = split_value(rf->nb ? &z : out, rf, split)) < 0 || !rf->nb)
        return err;
    size_t n = prle_dataset_n_rows(rf->ds, split);
    if (rf->nb_split[split].col && rf->nb_split[split].n == n) /* the column the run kept */
        err = prle__nb_append(out, &z, rf->nb_split[split].col);
    else if ((err = need_data(rf, "the neighbour column of a split")) == 0 &&
             (err = same_embeddings(rf, "the neighbour column of a split")) == 0 &&
             (err = prle__load_embeddings(&x, &rf->cfg, rf->ds, split)) == 0)
        err = prle__nb_extend(out, rf->nb, &z, &x, rf->cfg.train.threads);
    prle_matrix_dispose(&z);
    prle_matrix_dispose(&x);
    return err;
}

int prle_run_folder_encode(prle_matrix *out, prle_run_folder *rf, const char *const *text,
                           const char *const *text2, size_t n)
{
    prle_matrix x = {0};
    int err = prle_run_folder_embed(&x, rf, text, text2, n);
    if (err == 0)
        err = prle__nb_model_rows(out, rf->kernel, rf->nb, &x, rf->cfg.train.threads);
    prle_matrix_dispose(&x);
    return err;
}

size_t prle_run_folder_neighbour_k(const prle_run_folder *rf)
{
    return rf->nb ? prle__nb_k(rf->nb) : 0;
}

int prle_run_folder_neighbours(size_t *rows, float *labels, const prle_run_folder *rf,
                               const prle_matrix *x)
{
    if (!rf->nb)
        return prle__error_set(PRLE_EINVAL, "%s: the run kept no neighbour term", rf->dir);
    if (x->cols != prle__knn_in_dim(rf->nb))
        return prle__error_set(PRLE_ESHAPE, "neighbours: rows are %zu wide, the run's are %zu",
                               x->cols, prle__knn_in_dim(rf->nb));
    return prle__nb_rows(rows, labels, rf->nb, x, rf->nb_n_train, rf->cfg.train.threads);
}

int prle_run_folder_split_neighbours(size_t *rows, float *labels, const prle_run_folder *rf,
                                     prle_split split)
{
    const prle__nb_split *s = rf->nb ? &rf->nb_split[split] : NULL;
    size_t n = prle_dataset_n_rows(rf->ds, split);
    if (!s || !s->kept || s->n != n)
        return prle__error_set(
            PRLE_ENOTFOUND, "%s: the run kept no neighbour rows of its %s split (%s)", rf->dir,
            prle_split_name(split),
            rf->nb ? "it keeps those of validation and test" : "it kept no neighbour term");
    prle__nb_train_rows(rows, labels, rf->nb, s->kept, n * prle__nb_k(rf->nb), rf->nb_n_train);
    return 0;
}

int prle_run_folder_embed(prle_matrix *out, prle_run_folder *rf, const char *const *text,
                          const char *const *text2, size_t n)
{
    return prle_run_folder_embed_counted(out, NULL, NULL, rf, text, text2, n);
}

int prle_run_folder_embed_counted(prle_matrix *out, size_t *n_texts, size_t *n_empty,
                                  prle_run_folder *rf, const char *const *text,
                                  const char *const *text2, size_t n)
{
    char path[PRLE__RUN_PATH];
    int err;
    if (!rf->enc) { /* the encoder's state the run kept, else fitted on the train texts again */
        if ((err = prle__path_join(path, sizeof path, rf->dir, PRLE__RUN_ENCODER)) < 0)
            return err;
        if (prle__path_exists(path))
            err = prle__run_encoder_load(&rf->enc, &rf->cfg, path);
        else if ((err = need_data(rf, "encoding texts (no " PRLE__RUN_ENCODER ")")) == 0)
            err = prle__run_encoder_new(&rf->enc, &rf->cfg, rf->ds);
        if (err < 0)
            return err;
    }
    return prle__run_encode(out, n_texts, n_empty, rf->enc, &rf->cfg, rf->ds, text, text2, n);
}

int prle_run_eval(prle_run_metrics *out, const prle_run_folder *rf, unsigned split_mask, bool write)
{
    prle_run_metrics m = {.label_min = prle_dataset_label_min(rf->ds),
                          .label_max = prle_dataset_label_max(rf->ds)};
    char path[PRLE__RUN_PATH], name[64];
    prle_matrix z = {0};
    float *yhat[PRLE_N_SPLITS] = {0}, *w[PRLE_N_SPLITS] = {0};
    size_t np = prle_model_n_prototypes(rf->model);
    prle_model_recalibration(&m.recal_intercept, &m.recal_slope, rf->model);
    int err = need_data(rf, "eval (with the labels of every split)");
    if (err < 0)
        return err;
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        const float *y = prle_dataset_labels(rf->ds, (prle_split)s);
        size_t n = prle_dataset_n_rows(rf->ds, (prle_split)s), nw;
        if (!(split_mask & (1u << s)) || !y || !n)
            continue;
        bool held = s == PRLE_SPLIT_VALIDATION && rf->held_yhat;
        if (!held && (err = prle_run_folder_value(&z, rf, (prle_split)s)) < 0)
            goto done;
        if (!prle__mul_ok(&nw, n, np) || !(yhat[s] = malloc(n * sizeof **yhat)) ||
            !(w[s] = malloc(nw * sizeof **w))) {
            err = prle__error_nomem("predictions");
            goto done;
        }
        if (held) { /* a refit run: the first fit's, which did not train on these rows */
            memcpy(yhat[s], rf->held_yhat, n * sizeof **yhat);
            memcpy(w[s], rf->held_w, nw * sizeof **w);
        } else if ((err = prle_model_predict(yhat[s], w[s], NULL, rf->model, &z)) < 0)
            goto done;
        if ((err = prle_split_metrics_compute(&m.splits[s], y, yhat[s], n, m.label_min,
                                              m.label_max)) < 0)
            goto done;
        prle_weight_stats_compute(&m.splits[s].weights, w[s], n, np);
        if (write) {
            snprintf(name, sizeof name, "predictions_%s.csv", prle_split_name((prle_split)s));
            if ((err = prle__path_join(path, sizeof path, rf->dir, name)) < 0 ||
                (err = prle__run_predictions_write(path, y, yhat[s], NULL, NULL, n)) < 0)
                goto done;
        }
        prle_matrix_dispose(&z);
    }
    /* intervals need validation (calibration) and test */
    bool intervals = yhat[PRLE_SPLIT_VALIDATION] && yhat[PRLE_SPLIT_TEST];
    if (intervals && (err = prle__run_intervals(m.intervals, rf->ds, yhat, w[PRLE_SPLIT_VALIDATION],
                                                w[PRLE_SPLIT_TEST], np)) < 0)
        goto done;
    /* the ridge yardstick needs the retrieval features: it is kept from metrics.json */
    if ((err = prle__path_join(path, sizeof path, rf->dir, "metrics.json")) < 0)
        goto done;
    if (prle__path_exists(path)) {
        prle_run_metrics old;
        if ((err = prle__run_metrics_read(&old, path)) < 0)
            goto done;
        m.ridge = old.ridge;
        m.knn = old.knn;
        m.neighbours = old.neighbours;
        if (write) {
            for (int s = 0; s < PRLE_N_SPLITS; s++)
                if (!m.splits[s].present)
                    m.splits[s] = old.splits[s];
            if (!intervals)
                memcpy(m.intervals, old.intervals, sizeof m.intervals);
        }
    }
    if (write && (err = prle__run_metrics_write(path, &m)) < 0)
        goto done;
    *out = m;
done:
    prle_matrix_dispose(&z);
    for (int s = 0; s < PRLE_N_SPLITS; s++)
        free(yhat[s]), free(w[s]);
    return err;
}
