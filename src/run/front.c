/* The parts of a run shared by prle_run and prle_run_kernel (prle kernel): dataset and
 * stage 0, the kernel stage's result, train_log.csv and config.yaml. No stage-2 code here. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/run_files.h"
#include "core/error.h"
#include "core/progress.h"
#include "data/dataset_internal.h"
#include "data/download.h"
#include "run/run_int.h"

int prle__run_stage_end(prle_run_result *res, const prle_run_params *p, prle_run_stage s, double t0,
                        const char *note)
{
    res->seconds[s] = prle__now() - t0;
    res->ran[s] = true;
    return prle__run_event(p, s, true, res->seconds[s], note);
}

int prle__run_write_log_config(const char *dir, const prle_config *cfg,
                               const prle__kernel_stage *ks, const prle_model_epoch *model_epochs,
                               size_t n_model, const prle_run_result *res)
{
    char path[PRLE__RUN_PATH];
    prle__train_log tl = {
        .kernel = ks->epochs,
        .n_kernel = ks->n_epochs,
        .kernel_kept = ks->kept_epoch,
        .model = model_epochs,
        .n_model = n_model,
        .model_kept = res->model_kept_epoch,
        .model_rows = ks->z[PRLE_SPLIT_TRAIN].rows,
    };
    int err;
    if ((err = prle__path_join(path, sizeof path, dir, "train_log.csv")) < 0 ||
        (err = prle__run_train_log_write(path, &tl)) < 0 ||
        (err = prle__path_join(path, sizeof path, dir, "config.yaml")) < 0)
        return err;
    return prle_config_save(cfg, path);
}

/* "; 12 of 180 validation and 9 of 180 test rows repeat a training text", or "" when none
 * does: their scores measure recall of the training set, not prediction. */
static int overlap_note(char *buf, size_t len, const prle_dataset *ds)
{
    size_t same[PRLE_N_SPLITS];
    int err = prle__dataset_overlap(same, ds);
    buf[0] = '\0';
    if (err < 0 || !(same[PRLE_SPLIT_VALIDATION] + same[PRLE_SPLIT_TEST]))
        return err;
    size_t nv = prle_dataset_n_rows(ds, PRLE_SPLIT_VALIDATION),
           nt = prle_dataset_n_rows(ds, PRLE_SPLIT_TEST);
    char v[64] = "", t[64] = ""; /* an empty split is left out */
    if (nv)
        snprintf(v, sizeof v, "%zu of %zu validation", same[PRLE_SPLIT_VALIDATION], nv);
    if (nt)
        snprintf(t, sizeof t, "%zu of %zu test", same[PRLE_SPLIT_TEST], nt);
    snprintf(buf, len, "; %s%s%s rows repeat a training %s", v, nv && nt ? " and " : "", t,
             prle_dataset_n_texts(ds) == 2 ? "pair" : "text");
    return 0;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* "; the training label 1000 (train.csv:14) lies 400 interquartile ranges beyond the others
 * and sets the label scale", or "" : a label range taken from the training labels (none set by
 * the config or a preset) that one far-out label stretches, say a typo, squeezes every other
 * label into a sliver of it, and the kernel learns label gaps over that scale. */
static int outlier_note(char *buf, size_t len, const prle_dataset *ds)
{
    size_t n = prle_dataset_n_rows(ds, PRLE_SPLIT_TRAIN);
    const float *y = prle_dataset_labels(ds, PRLE_SPLIT_TRAIN);
    buf[0] = '\0';
    if (n < 8 || !y)
        return 0;
    float *s = malloc(n * sizeof *s);
    if (!s)
        return prle__error_nomem("label outliers");
    memcpy(s, y, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_float);
    double lo = s[0], hi = s[n - 1], q1 = s[n / 4], q3 = s[(3 * n) / 4], iqr = q3 - q1;
    free(s);
    bool from_data = (float)prle_dataset_label_min(ds) == (float)lo &&
                     (float)prle_dataset_label_max(ds) == (float)hi; /* labels are floats */
    if (!from_data || !(iqr > 0))
        return 0; /* (a quarter of the labels one value: no spread to measure against) */
    double far = fmax(hi - q3, q1 - lo) / iqr;
    if (!(far > 50))
        return 0;
    double worst = hi - q3 >= q1 - lo ? hi : lo;
    size_t row = 0;
    while (row < n && (double)y[row] != worst)
        row++;
    const char *file = prle_dataset_source_file(ds, PRLE_SPLIT_TRAIN, row), *base;
    base = file && strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    snprintf(buf, len,
             "; the training label %.6g (%s:%zu) lies %.0f interquartile ranges beyond the "
             "others and sets the label scale: correct it, or set data.label_min and "
             "data.label_max",
             worst, base ? base : "?", prle_dataset_source_line(ds, PRLE_SPLIT_TRAIN, row), far);
    return 0;
}

/* Dataset and stage 0, shared by prle_run and prle_run_kernel. */
int prle__run_front(prle_dataset **ds, prle_run_result *res, const prle_config *cfg,
                    const prle_run_params *p)
{
    char note[1536]; /* the data line: title, cut, skipped rows, repeats, a far label */
    double t0 = prle__now();
    int err;
    prle_dataset_params dp = prle_dataset_default_params();
    dp.progress = p->progress;
    dp.progress_ud = p->progress_ud;
    if ((err = prle__run_event(p, PRLE_STAGE_DATA, false, 0, NULL)) < 0 ||
        (err = prle_dataset_load(ds, &cfg->data, cfg->train.seed, &dp)) < 0)
        return err;
    char name[256], cut[96] = "";
    /* a validation or test file not given: cut from the training file (docs/config.md) */
    const prle_data_config *d = &cfg->data;
    if (!prle_dataset_is_preset(*ds) && !d->file && (!d->files.validation || !d->files.test))
        snprintf(cut, sizeof cut, " (%s cut from the training file)",
                 !d->files.validation && !d->files.test ? "validation and test"
                 : !d->files.validation                 ? "validation"
                                                        : "test");
    /* rows data.on_bad_row: skip left out: how many, and the first one's place and reason */
    char skipped[384] = "";
    if (prle_dataset_n_skipped(*ds))
        snprintf(skipped, sizeof skipped, " (%zu bad rows skipped; first: %s)",
                 prle_dataset_n_skipped(*ds), prle_dataset_skip_reason(*ds));
    char same[128], far[320];
    if ((err = overlap_note(same, sizeof same, *ds)) < 0 ||
        (err = outlier_note(far, sizeof far, *ds)) < 0)
        return err;
    snprintf(note, sizeof note, "%s: %zu / %zu / %zu rows%s%s%s%s",
             prle_dataset_title(*ds, name, sizeof name), prle_dataset_n_rows(*ds, PRLE_SPLIT_TRAIN),
             prle_dataset_n_rows(*ds, PRLE_SPLIT_VALIDATION),
             prle_dataset_n_rows(*ds, PRLE_SPLIT_TEST), cut, skipped, same, far);
    if ((err = prle__run_stage_end(res, p, PRLE_STAGE_DATA, t0, note)) < 0)
        return err;

    t0 = prle__now();
    if ((err = prle__run_event(p, PRLE_STAGE_EMBED, false, 0, NULL)) < 0)
        return err;
    prle_embed_params ep = prle_embed_default_params();
    ep.progress = p->progress;
    ep.progress_ud = p->progress_ud;
    if (p->embed) {
        err = prle_embed(&res->embed, cfg, *ds, &ep);
    } else {
        prle_config view = *cfg; /* shallow: read only */
        view.model.skip_loading_encoder = true;
        if ((err = prle_embed(&res->embed, &view, *ds, &ep)) < 0)
            return prle__error_prefix(err, "the cached embeddings are needed (prle embed CONFIG "
                                           "builds them)");
    }
    if (err < 0)
        return err;
    const prle_embed_report *r = &res->embed;
    int used = snprintf(note, sizeof note, "%s %s", r->dir,
                        r->is_input ? "(inputs)"
                        : r->reused ? "(reused)"
                        : r->stale  ? "(rebuilt)"
                                    : "(built)");
    /* texts the encoder found nothing in (no word of the vocabulary: another language, only
     * numbers, empty) are zero vectors: said, as prle embed does */
    size_t empty = 0, texts = 0;
    for (int s = 0; s < PRLE_N_SPLITS; s++)
        empty += r->splits[s].n_empty, texts += r->splits[s].n_texts;
    if (empty && used > 0 && (size_t)used < sizeof note)
        snprintf(note + used, sizeof note - (size_t)used,
                 "; %zu of the %zu texts %s no known word (zero vectors)", empty, texts,
                 empty == 1 ? "has" : "have");
    return prle__run_stage_end(res, p, PRLE_STAGE_EMBED, t0, note);
}

void prle__run_kernel_result(prle_run_result *res, prle__kernel_stage *ks)
{
    res->kernel_reused = ks->reused;
    res->kernel_kept_epoch = ks->kept_epoch;
    res->kernel_report = ks->report;
    res->kernel_note = ks->note;
    ks->note = NULL;
}

/* The files of a run folder made from its value space (stage 2, its evaluation, analysis and
 * report): a kernel of other bytes leaves them describing another value space, so they go (a
 * folder without model.safetensors is refused by prle eval and prle predict until prle train
 * or prle run makes it again). */
static int drop_stage2_files(const char *dir)
{
    static const char *const names[] = {"model.safetensors",
                                        "prototypes.json",
                                        "metrics.json",
                                        "predictions_test.csv",
                                        "predictions_validation.csv",
                                        "explanations_test.json",
                                        "rows_test.json",
                                        "report.html",
                                        "analysis.json",
                                        "neighbours.safetensors",
                                        "baselines_value.json"};
    char path[PRLE__RUN_PATH];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        int err = prle__path_join(path, sizeof path, dir, names[i]);
        if (err < 0)
            return err;
        if (unlink(path) != 0 && errno != ENOENT)
            return prle__error_set(PRLE_EIO, "%s: cannot remove: %s", path, strerror(errno));
    }
    return 0;
}

int prle_run_kernel(prle_run_result *out, const prle_config *cfg, const prle_run_params *params)
{
    prle_run_params p = params ? *params : prle_run_default_params();
    prle_run_result res = {0};
    prle_dataset *ds = NULL;
    prle__kernel_stage ks = {0};
    double t_all = prle__now();
    int err;
    *out = (prle_run_result){0};
    if ((err = prle_run_config_check(cfg)) < 0 || (err = prle_run_dir(&res.dir, cfg)) < 0 ||
        (err = prle__run_folder_check(res.dir)) < 0 ||
        (err = prle__run_front(&ds, &res, cfg, &p)) < 0 ||
        (err = prle__run_folder_claim(res.dir)) < 0)
        goto done;
    /* the folder's kernel before: the same bytes again (same settings and seed) keep what
     * was made from it */
    char kpath[PRLE__RUN_PATH], before[65] = "", after[65] = "";
    uint64_t size;
    if ((err = prle__path_join(kpath, sizeof kpath, res.dir, "kernel.safetensors")) < 0)
        goto done;
    if (prle__path_exists(kpath) && (err = prle__sha256_file(before, &size, kpath)) < 0)
        goto done;
    double t0 = prle__now();
    ks = (prle__kernel_stage){.cfg = cfg, .ds = ds, .params = &p, .out_dir = res.dir};
    if ((err = prle__kernel_stage_run(&ks)) < 0 ||
        (err = prle__run_stage_end(&res, &p, PRLE_STAGE_KERNEL, t0, ks.note)) < 0)
        goto done;
    prle__run_kernel_result(&res, &ks);
    t0 = prle__now();
    if ((err = prle__sha256_file(after, &size, kpath)) < 0 ||
        (strcmp(before, after) != 0 && (err = drop_stage2_files(res.dir)) < 0) ||
        (err = prle__run_write_log_config(res.dir, cfg, &ks, NULL, 0, &res)) < 0 ||
        (err = prle__run_record(res.dir)) < 0 ||
        (err = prle__run_stage_end(&res, &p, PRLE_STAGE_FILES, t0, NULL)) < 0)
        goto done;
    res.seconds_total = prle__now() - t_all;
    *out = res;
    res = (prle_run_result){0};
done:
    prle__kernel_stage_dispose(&ks);
    prle_dataset_free(ds);
    prle_run_result_dispose(&res);
    return err;
}
