/* Stage 1 inside a run: the cached embeddings loaded and checked, the kernel reused when a
 * saved one matches the config or trained, the value space and kernel report written
 * (SPEC.md §4, §12.3). Shared by prle_run and prle_run_kernel (prle kernel). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run_files.h"
#include "core/error.h"
#include "core/matrix_int.h"
#include "core/progress.h"
#include "data/download.h"
#include "kernel/heads.h"
#include "kernel/kernel_int.h"
#include "prle/npy.h"
#include "run/run_int.h"

int prle__load_embeddings(prle_matrix *out, const prle_config *cfg, const prle_dataset *ds,
                          prle_split split)
{
    char *path = NULL;
    prle_matrix m = {0};
    int err;
    if ((err = prle_embed_path(&path, cfg, split)) < 0)
        return err;
    if ((err = prle_embed_load(&m, cfg, ds, split)) < 0 || (err = prle__check_finite(&m, path)) < 0)
        prle_matrix_dispose(&m);
    else
        *out = m;
    free(path);
    return err;
}

void prle__kernel_stage_dispose(prle__kernel_stage *ks)
{
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        prle_matrix_dispose(&ks->x[s]);
        prle_matrix_dispose(&ks->z[s]);
    }
    prle_kernel_free(ks->kernel);
    free(ks->epochs);
    free(ks->note);
    prle__ridge_choice_dispose(&ks->ridge);
    ks->kernel = NULL;
    ks->epochs = NULL;
    ks->note = NULL;
    ks->n_epochs = 0;
}

static char *vfmt(const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

static int set_note(prle__kernel_stage *ks, const char *fmt, ...) PRLE__PRINTF(2, 3);
static int set_note(prle__kernel_stage *ks, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vfmt(fmt, ap);
    va_end(ap);
    if (!s)
        return prle__error_nomem("kernel note");
    free(ks->note);
    ks->note = s;
    return 0;
}

/* The first training setting in which the saved kernel's params `got` differ from the
 * config's `want`, as "kernel.max_epochs is 1, the saved kernel's 5"; "" when none. want's
 * center_inputs and standardize_inputs are resolved (0 or 1); `center_auto` and `std_auto` say
 * the config left them to the data. */
static void setting_diff(char *buf, size_t len, const prle_kernel_params *want,
                         const prle_kernel_params *got, bool center_auto, bool std_auto)
{
    struct {
        const char *key;
        double a, b;
    } nums[] = {
        {"kernel.learning_rate", want->learning_rate, got->learning_rate},
        {"kernel.max_epochs", want->max_epochs, got->max_epochs},
        {"kernel.patience", want->patience, got->patience},
        {"train.train_batch_size", (double)want->batch_size, (double)got->batch_size},
        {"train.seed", (double)want->seed, (double)got->seed},
        {"kernel.lambda_pair", want->lambda_pair, got->lambda_pair},
        {"kernel.lambda_triplet", want->lambda_triplet, got->lambda_triplet},
        {"kernel.lambda_uniform", want->lambda_uniform, got->lambda_uniform},
        {"kernel.projection_kwargs.dropout", want->dropout, got->dropout},
        {"kernel.projection_kwargs.sigma", want->sigma, got->sigma},
        {"data.label_min", want->label_min, got->label_min},
        {"data.label_max", want->label_max, got->label_max},
        {"kernel.keep", want->keep, got->keep},
        {"kernel.projection_kwargs.learnable_rff", want->learnable_rff, got->learnable_rff},
    };
    buf[0] = '\0';
    if (want->seed != got->seed) { /* doubles cannot hold every seed */
        snprintf(buf, len, "train.seed is %llu, the saved kernel's %llu",
                 (unsigned long long)want->seed, (unsigned long long)got->seed);
        return;
    }
    if (want->standardize_inputs != got->standardize_inputs) {
        snprintf(buf, len, "kernel.standardize_inputs %s %s, the saved kernel's %s",
                 std_auto ? "null now gives" : "is", want->standardize_inputs ? "true" : "false",
                 got->standardize_inputs ? "true" : "false");
        return;
    }
    if (want->center_inputs != got->center_inputs) {
        snprintf(buf, len, "kernel.center_inputs %s %s, the saved kernel's %s",
                 center_auto ? "null now gives" : "is", want->center_inputs ? "true" : "false",
                 got->center_inputs ? "true" : "false");
        return;
    }
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
        if (nums[i].a != nums[i].b) {
            if (!strcmp(nums[i].key, "kernel.keep"))
                snprintf(buf, len, "kernel.keep is %s, the saved kernel's %s",
                         want->keep == PRLE_KEEP_LAST ? "last" : "best",
                         got->keep == PRLE_KEEP_LAST ? "last" : "best");
            else
                snprintf(buf, len, "%s is %.17g, the saved kernel's %.17g", nums[i].key, nums[i].a,
                         nums[i].b);
            return;
        }
}

/* Adds advice to the message of a failed architecture check. */
static int mismatch_error(int err, bool must_reuse)
{
    char msg[2048];
    snprintf(msg, sizeof msg, "%s", prle_last_error());
    if (must_reuse)
        return prle__error_set(err,
                               "saved kernel does not fit the config: %s (pipeline.stages has no "
                               "kernel stage, so the saved kernel must be used)",
                               msg);
    return prle__error_set(err,
                           "saved kernel does not fit the config: %s (set "
                           "pipeline.reuse_kernel=false to train a new one, or choose another "
                           "logging.run_name)",
                           msg);
}

/* z of every split from the kernel. */
static int apply_all(prle__kernel_stage *ks)
{
    int err = 0;
    for (int s = 0; s < PRLE_N_SPLITS && err == 0; s++) {
        prle_matrix_dispose(&ks->z[s]);
        if (ks->x[s].rows)
            err = prle_kernel_apply(&ks->z[s], ks->kernel, &ks->x[s], ks->cfg->train.threads);
    }
    return err;
}

/* True when value/{train,validation}_embeds.npy under `dir` exist and differ from z. */
static bool value_changed(const prle__kernel_stage *ks, const char *dir)
{
    char path[PRLE__RUN_PATH], name[64];
    for (int s = 0; s < 2; s++) {
        snprintf(name, sizeof name, "value/%s_embeds.npy", prle_split_name((prle_split)s));
        if (prle__path_join(path, sizeof path, dir, name) < 0 || !prle__path_exists(path))
            continue;
        prle_matrix old = {0};
        const prle_matrix *z = &ks->z[s];
        bool same = prle_npy_load(&old, path) == 0 && old.rows == z->rows && old.cols == z->cols &&
                    (!z->rows || !memcmp(old.data, z->data, z->rows * z->cols * sizeof(float)));
        prle_matrix_dispose(&old);
        if (!same)
            return true;
    }
    prle_error_clear();
    return false;
}

/* Tries the saved kernel in `dir`. 1: reused; 0: train (note set when there was one);
 * negative: an error. kp's center_inputs and standardize_inputs are resolved (0 or 1);
 * `center_auto`, `std_auto`: the config left them to the data. */
static int try_reuse(prle__kernel_stage *ks, const char *dir, const prle_kernel_params *kp,
                     bool center_auto, bool std_auto)
{
    char path[PRLE__RUN_PATH];
    prle_st_file *f = NULL;
    int err;
    if ((err = prle__path_join(path, sizeof path, dir, "kernel.safetensors")) < 0)
        return err;
    if (!prle__path_exists(path))
        return 0;
    char held[PRLE__RUN_PATH];
    if ((err = prle__path_join(held, sizeof held, dir, PRLE__RUN_HELDOUT)) < 0)
        return err;
    if (prle__path_exists(held) && !ks->must_reuse) /* its choices would not be held out */
        return (err = set_note(ks,
                               "trained (the saved kernel of %s was refitted on train + "
                               "validation, train.refit)",
                               dir)) < 0
                   ? err
                   : 0;
    if ((err = prle__run_verify(dir)) < 0) { /* its bytes changed since its run wrote them */
        if (ks->must_reuse)
            return err;
        char msg[512];
        snprintf(msg, sizeof msg, "%s", prle_last_error());
        prle_error_clear();
        return (err = set_note(ks, "trained (the saved kernel is not used: %s)", msg)) < 0 ? err
                                                                                           : 0;
    }
    size_t in_dim = ks->x[PRLE_SPLIT_TRAIN].cols, saved_in = 0;
    prle_kernel_params saved;
    if ((err = prle_st_open(&f, path)) < 0)
        return mismatch_error(err, ks->must_reuse);
    /* the metadata's params (when they are a prle kernel's; otherwise the load below says why) */
    bool has_meta = prle__kernel_st_params(&saved, &saved_in, f, path) == 1;
    prle_error_clear();
    if (has_meta && saved_in != in_dim && !ks->must_reuse) {
        /* trained on other embeddings (another encoder or width): it cannot apply, train anew */
        prle_st_free(f);
        return (err = set_note(ks,
                               "trained (saved kernel %s: its input width is %zu, the embeddings "
                               "have %zu)",
                               path, saved_in, in_dim)) < 0
                   ? err
                   : 0;
    }
    /* centering adds a tensor but is a training choice: the architecture is checked with the
     * saved kernel's value, and another value retrains (setting_diff) */
    prle_kernel_params arch = *kp;
    bool mlp = kp->type == PRLE_HEAD_MLP || kp->type == PRLE_HEAD_RESMLP;
    if (has_meta) {
        arch.center_inputs = saved.center_inputs;
        arch.standardize_inputs = saved.standardize_inputs;
        /* so is a hidden width the config leaves to the default, which may have changed since
         * (resmlp's became at least 512 wide): a kernel of an older default retrains */
        if (mlp && !kp->hidden_dim && saved.type == kp->type)
            arch.hidden_dim = saved.hidden_dim;
        /* and a value width left to the default (inputs above 2,048 wide get 512 since
         * 2026-12-06, before their own width) */
        if (!kp->proj_dim && saved.type == kp->type)
            arch.proj_dim = saved.proj_dim;
    } else if (center_auto) {
        arch.center_inputs = 0; /* a file without metadata is read as the original's head */
    }
    err = prle__kernel_load_st(&ks->kernel, f, path, &arch, in_dim);
    prle_st_free(f);
    if (err < 0 && has_meta && !ks->must_reuse &&
        (err == PRLE_ESHAPE || err == PRLE_EINVAL || err == PRLE_ENOTFOUND)) {
        /* another architecture (projection type, widths, layers, activation, a dropout that
         * renumbers the layers): it cannot apply to this config, so it is trained anew, as for
         * other embeddings or settings */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", prle_last_error());
        prle_error_clear();
        return (err = set_note(ks, "trained (saved kernel %s)", msg)) < 0 ? err : 0;
    }
    if (err < 0)
        return mismatch_error(err, ks->must_reuse);
    char diff[512] = "";
    if (has_meta)
        setting_diff(diff, sizeof diff, kp, &saved, center_auto, std_auto);
    size_t value = prle__head_value_width(kp, in_dim);
    size_t hid = mlp ? prle__head_hidden(kp, in_dim, value) : 0;
    if (!diff[0] && arch.proj_dim != kp->proj_dim && arch.proj_dim != value)
        snprintf(diff, sizeof diff, "kernel.proj_dim 0 now gives %zu, the saved kernel's is %zu",
                 value, arch.proj_dim);
    if (!diff[0] && mlp && arch.hidden_dim != kp->hidden_dim && arch.hidden_dim != hid)
        snprintf(diff, sizeof diff,
                 "kernel.projection_kwargs.hidden_dim 0 now gives %zu, the saved kernel's is %zu",
                 hid, arch.hidden_dim);
    if ((err = apply_all(ks)) < 0)
        return err;
    if (!diff[0] && value_changed(ks, dir))
        snprintf(diff, sizeof diff, "the embeddings changed since it was trained");
    char why[PRLE__RUN_PATH + 128];
    const unsigned fit_splits = 1u << PRLE_SPLIT_TRAIN | 1u << PRLE_SPLIT_VALIDATION;
    if (!diff[0] && (err = prle__run_data_changed(why, sizeof why, dir, ks->ds, fit_splits)) > 0)
        snprintf(diff, sizeof diff, "%.500s", why); /* the labels it learned from, say */
    if (err < 0)
        return err;
    if (diff[0] && !ks->must_reuse) {
        prle_kernel_free(ks->kernel);
        ks->kernel = NULL;
        return (err = set_note(ks, "trained (saved kernel %s: %s)", path, diff)) < 0 ? err : 0;
    }
    if (diff[0])
        err = set_note(ks, "reused %s (pipeline.stages has no kernel stage; %s)", path, diff);
    else
        err = set_note(ks, "reused %s", path);
    if (err < 0)
        return err;
    /* the saved kernel's bytes, report and epoch records come along */
    char dst[PRLE__RUN_PATH], src[PRLE__RUN_PATH];
    if (strcmp(dir, ks->out_dir)) {
        if ((err = prle__path_join(dst, sizeof dst, ks->out_dir, "kernel.safetensors")) < 0 ||
            (err = prle__copy_file(dst, path)) < 0)
            return err;
        if ((err = prle__path_join(src, sizeof src, dir, "kernel_report.json")) < 0 ||
            (err = prle__path_join(dst, sizeof dst, ks->out_dir, "kernel_report.json")) < 0)
            return err;
        if (prle__path_exists(src) && (err = prle__copy_file(dst, src)) < 0)
            return err;
    }
    if ((err = prle__path_join(src, sizeof src, dir, "train_log.csv")) < 0)
        return err;
    if (prle__path_exists(src) &&
        prle__run_train_log_read_kernel(&ks->epochs, &ks->n_epochs, &ks->kept_epoch, src) < 0) {
        prle_error_clear(); /* an unreadable old log only loses the epoch rows */
        ks->epochs = NULL;
        ks->n_epochs = 0;
    }
    if (!ks->kept_epoch)
        ks->kept_epoch = prle_kernel_kept_epoch(ks->kernel);
    ks->reused = true;
    return 1;
}

/* kp's center_inputs and standardize_inputs are resolved; `offset_ratio` is the training rows'
 * when the config left the centring to the data (else NaN), and ks->report the standardise
 * test's when it left that, for the note. */
static int train(prle__kernel_stage *ks, prle_kernel_params *kp, double offset_ratio)
{
    const prle_run_params *p = ks->params;
    const prle_dataset *ds = ks->ds;
    kp->progress = p->progress;
    kp->progress_ud = p->progress_ud;
    kp->on_epoch = p->on_kernel_epoch;
    kp->on_epoch_ud = p->on_kernel_epoch_ud;
    const prle_matrix *xt = &ks->x[PRLE_SPLIT_TRAIN], *xv = &ks->x[PRLE_SPLIT_VALIDATION];
    if (p->on_event) {
        prle_run_event e = {.stage = PRLE_STAGE_KERNEL,
                            .kernel = kp,
                            .in_dim = xt->cols,
                            .n_train = xt->rows,
                            .n_val = xv->rows};
        if (!p->on_event(&e, p->on_event_ud))
            return prle__error_set(PRLE_EABORTED, "kernel: stopped by the event callback");
    }
    const float *yt = prle_dataset_labels(ds, PRLE_SPLIT_TRAIN);
    const float *yv = xv->rows ? prle_dataset_labels(ds, PRLE_SPLIT_VALIDATION) : NULL;
    int err;
    /* the pair targets are label gaps over the range: a training label outside it is the
     * data's or the range's mistake, said with its file and line. The labels are the data's
     * rounded to float, so are the ends they are held to (rounding keeps order: a label 0.1 at
     * the end of [0, 0.1] is 0.1f, above the double 0.1, and still inside) */
    float lo = (float)kp->label_min, hi = (float)kp->label_max;
    for (size_t i = 0; yt && i < xt->rows; i++)
        if (!(yt[i] >= lo && yt[i] <= hi))
            return prle__error_set(PRLE_EINVAL,
                                   "%s:%zu: training label %g lies outside the label range [%g, "
                                   "%g] (data.label_min, data.label_max, or the preset's): widen "
                                   "the range or fix the label",
                                   prle_dataset_source_file(ds, PRLE_SPLIT_TRAIN, i),
                                   prle_dataset_source_line(ds, PRLE_SPLIT_TRAIN, i), yt[i],
                                   kp->label_min, kp->label_max);
    size_t same = 1; /* labels all equal, whatever the range set by hand: nothing to learn */
    while (yt && same < xt->rows && yt[same] == yt[0])
        same++;
    if (yt && same == xt->rows)
        return prle__error_set(PRLE_EINVAL,
                               "%s: all %zu training labels are %.9g: there is nothing to learn "
                               "(a regression needs labels that differ)",
                               prle_dataset_source_file(ds, PRLE_SPLIT_TRAIN, 0), xt->rows,
                               (double)yt[0]);
    size_t row = 1; /* every text one vector: the encoder saw no difference */
    while (row < xt->rows &&
           memcmp(prle_matrix_row(xt, row), xt->data, xt->cols * sizeof *xt->data) == 0)
        row++;
    if (xt->rows > 1 && row == xt->rows) {
        const prle_model_config *mc = &ks->cfg->model;
        bool cls = mc->encoder_type && strcmp(mc->encoder_type, "gguf") == 0 && mc->pooling &&
                   strcmp(mc->pooling, "cls") == 0;
        return prle__error_set(PRLE_EINVAL,
                               "%s: all %zu training texts have the same embedding (encoder "
                               "%s): nothing tells them apart%s",
                               prle_dataset_source_file(ds, PRLE_SPLIT_TRAIN, 0), xt->rows,
                               mc->encoder_type ? mc->encoder_type : "glove",
                               cls ? "; model.pooling cls takes the first token's state, the "
                                     "same for every text in a decoder-only model (most GGUF "
                                     "models): use mean or last"
                                   : "");
    }
    const prle_kernel_report *r = &ks->report;
    if ((err = prle_kernel_fit(&ks->kernel, xt, yt, xv->rows ? xv : NULL, yv, kp)) < 0)
        return err;
    size_t n;
    const prle_kernel_epoch *h = prle_kernel_history(ks->kernel, &n);
    if (n) {
        if (!(ks->epochs = malloc(n * sizeof *h)))
            return prle__error_nomem("kernel epochs");
        memcpy(ks->epochs, h, n * sizeof *h);
        ks->n_epochs = n;
    }
    ks->kept_epoch = prle_kernel_kept_epoch(ks->kernel);
    if (!ks->note &&
        (err = set_note(ks, "trained (%s)", ks->allow_reuse ? "no saved kernel" : "reuse off")) < 0)
        return err;
    if (!isnan(offset_ratio) && offset_ratio > 1.0 && kp->center_inputs && /* by the rule */
        (err = set_note(ks, "%s, inputs centred (offset ratio %.3g > 1)", ks->note, offset_ratio)) <
            0)
        return err;
    const prle_standardize_test *t = &r->standardize;
    if (r->standardize_tested && t->standardize) /* by scale, else by the ridges */
        err = t->col_sd > PRLE__KERNEL_UNIT_SCALE
                  ? set_note(ks,
                             "%s, inputs standardised (their columns' standard deviation is "
                             "%.3g, above the unit scale the head is made for)",
                             ks->note, t->col_sd)
                  : set_note(ks,
                             "%s, inputs standardised (a ridge on standardised columns: "
                             "validation MSE %.1f %% lower, %.1f standard errors)",
                             ks->note, 100.0 * (1.0 - t->mse_std / t->mse_raw), t->gain_se);
    if (err < 0)
        return err;
    char path[PRLE__RUN_PATH];
    if ((err = prle__path_join(path, sizeof path, ks->out_dir, "kernel.safetensors")) < 0 ||
        (err = prle_kernel_save(ks->kernel, path)) < 0)
        return err;
    return apply_all(ks);
}

static int write_outputs(prle__kernel_stage *ks)
{
    char value_dir[PRLE__RUN_PATH], path[PRLE__RUN_PATH], name[64];
    int err;
    if ((err = prle__path_join(value_dir, sizeof value_dir, ks->out_dir, "value")) < 0 ||
        (err = prle__mkdir_p(value_dir)) < 0)
        return err;
    for (int s = 0; s < PRLE_N_SPLITS; s++) {
        if (!ks->z[s].rows)
            continue;
        snprintf(name, sizeof name, "%s_embeds.npy", prle_split_name((prle_split)s));
        if ((err = prle__path_join(path, sizeof path, value_dir, name)) < 0 ||
            (err = prle_npy_save(path, &ks->z[s])) < 0)
            return err;
    }
    const prle_config *cfg = ks->cfg;
    const float *yt = prle_dataset_labels(ks->ds, PRLE_SPLIT_TRAIN);
    prle_kernel_report *r = &ks->report;
    r->seed = cfg->train.seed;
    if ((err = prle_kernel_distance_corr(&r->retrieval, &ks->x[PRLE_SPLIT_TRAIN], yt,
                                         PRLE_KERNEL_REPORT_PAIRS, cfg->train.seed,
                                         cfg->train.threads)) < 0 ||
        (err = prle_kernel_distance_corr(&r->value, &ks->z[PRLE_SPLIT_TRAIN], yt,
                                         PRLE_KERNEL_REPORT_PAIRS, cfg->train.seed,
                                         cfg->train.threads)) < 0 ||
        (err = prle__path_join(path, sizeof path, ks->out_dir, "kernel_report.json")) < 0)
        return err;
    if (ks->reused && prle__path_exists(path))
        return 0; /* the saved kernel's report, epochs included, was copied */
    return prle_kernel_report_write(path, r, ks->kernel);
}

/* The standardise test on the training and validation rows (none below two labelled
 * validation rows): into the report, its raw ridge into ks->ridge. */
static int standardize_test(prle__kernel_stage *ks)
{
    const prle_matrix *xt = &ks->x[PRLE_SPLIT_TRAIN], *xv = &ks->x[PRLE_SPLIT_VALIDATION];
    const float *yt = prle_dataset_labels(ks->ds, PRLE_SPLIT_TRAIN);
    const float *yv = prle_dataset_labels(ks->ds, PRLE_SPLIT_VALIDATION);
    prle_kernel_report *r = &ks->report;
    if (xv->rows < 2 || !yv || !yt || xt->rows < 2)
        return 0;
    int err = prle__kernel_standardize_test(&r->standardize, xt, yt, xv, yv, ks->cfg->train.threads,
                                            &ks->ridge);
    r->standardize_tested = err >= 0;
    return err;
}

int prle__kernel_saved_check(const char *dir, const prle_config *cfg)
{
    char path[PRLE__RUN_PATH];
    const char *dirs[2] = {dir, cfg->kernel.checkpoint_dir};
    for (int i = 0; i < 2; i++)
        if (dirs[i] && *dirs[i] &&
            prle__path_join(path, sizeof path, dirs[i], "kernel.safetensors") == 0 &&
            prle__path_exists(path))
            return 0;
    return prle__error_set(PRLE_ENOTFOUND,
                           "pipeline.stages has no kernel stage but there is no saved kernel "
                           "(%s/kernel.safetensors or kernel.checkpoint_dir)",
                           dir ? dir : "the run folder");
}

int prle__kernel_stage_run(prle__kernel_stage *ks)
{
    const prle_config *cfg = ks->cfg;
    int err;
    for (int s = 0; s < PRLE_N_SPLITS; s++)
        if (prle_dataset_n_rows(ks->ds, (prle_split)s) > 0 &&
            (err = prle__load_embeddings(&ks->x[s], cfg, ks->ds, (prle_split)s)) < 0)
            return err;
    if (!ks->x[PRLE_SPLIT_TRAIN].rows)
        return prle__error_set(PRLE_EINVAL, "the train split has no rows");
    prle_kernel_params kp;
    if ((err = prle_kernel_params_from_config(&kp, cfg)) < 0)
        return err;
    kp.label_min = prle_dataset_label_min(ks->ds);
    kp.label_max = prle_dataset_label_max(ks->ds);
    /* a centring left to the data is decided once here, by prle_kernel_fit's rule, for the
     * saved kernel's check, the fit and the note */
    bool center_auto = kp.center_inputs == PRLE_KERNEL_CENTER_AUTO;
    double offset_ratio = NAN;
    if (center_auto)
        kp.center_inputs = prle__kernel_centers(&ks->x[PRLE_SPLIT_TRAIN], &offset_ratio);
    /* so is the standardising, by prle_kernel_fit's rule: its raw ridge is the yardstick's */
    bool std_auto = kp.standardize_inputs == PRLE_KERNEL_STANDARDIZE_AUTO;
    if (std_auto && (err = standardize_test(ks)) < 0)
        return err;
    if (std_auto)
        kp.standardize_inputs = ks->report.standardize_tested && ks->report.standardize.standardize;
    if (kp.standardize_inputs)
        kp.center_inputs = 1; /* standardised inputs are centred */
    int reused = 0;
    if (ks->allow_reuse || ks->must_reuse) {
        /* the run folder's kernel first, then kernel.checkpoint_dir's; the first one found
         * decides (reused, or trained again when its settings differ) */
        const char *dirs[2] = {ks->old_dir, cfg->kernel.checkpoint_dir};
        for (int i = 0; i < 2 && reused == 0 && !ks->note; i++)
            if (dirs[i] && *dirs[i] &&
                (reused = try_reuse(ks, dirs[i], &kp, center_auto, std_auto)) < 0)
                return reused;
        if (!reused && ks->must_reuse && (err = prle__kernel_saved_check(ks->old_dir, cfg)) < 0)
            return err; /* (prle_run checks before it embeds; the files may have gone since) */
        if (!reused && ks->must_reuse)
            return prle__error_set(PRLE_ENOTFOUND, "pipeline.stages has no kernel stage and the "
                                                   "saved kernel was not used");
    }
    if (!reused && (err = train(ks, &kp, offset_ratio)) < 0)
        return err;
    ks->kp = kp;
    return write_outputs(ks);
}
